// Package conf reads StarRocks-style configuration files (fe.conf, cn.conf):
// `key = value` lines, `#` comments, a later line overriding an earlier one,
// and `${NAME}` references to environment variables or earlier keys.
//
// Keys are declared up front as Specs (name, kind, default, mutability) so
// that a malformed value is a startup error naming file, line and key, and
// an unknown key is only a warning, exactly as StarRocks treats them.
package conf

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Kind is the type of a configuration value; it decides how values are checked.
type Kind int

// The kinds of values a configuration key can hold.
const (
	String Kind = iota
	Int
	Bool
	Float
	// CIDRList is a `;` or `,` separated list of CIDRs (priority_networks).
	CIDRList
	// Enum accepts one of Spec.Choices, case-insensitively, stored lower case.
	Enum
	// MemSize is a memory amount: a percentage of physical memory ("90%")
	// or bytes with an optional unit K, M, G, T (optionally followed by B).
	MemSize
)

func (k Kind) String() string {
	switch k {
	case Int:
		return "int"
	case Bool:
		return "bool"
	case Float:
		return "double"
	case CIDRList:
		return "cidr list"
	case Enum:
		return "enum"
	case MemSize:
		return "memory size"
	default:
		return "string"
	}
}

// Spec declares one configuration key.
type Spec struct {
	// Key is the StarRocks name of the key.
	Key string
	// Kind decides how values are validated.
	Kind Kind
	// Default is the value used when no file line sets the key.
	Default string
	// Mutable keys may be changed at run time (ADMIN SET FRONTEND CONFIG).
	Mutable bool
	// Secret values are never shown (ADMIN SHOW FRONTEND CONFIG prints them masked).
	Secret bool
	// Choices lists the accepted values of an Enum key.
	Choices []string
	// Min and Max bound Int values when Max > Min.
	Min, Max int64
	// Doc is a one-line description shown by tools.
	Doc string
}

// Check validates value against the spec and returns its normalised form.
func (s *Spec) Check(value string) (string, error) {
	v := strings.TrimSpace(value)
	switch s.Kind {
	case Int:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", fmt.Errorf("invalid value %q: not an integer", value)
		}
		if s.Max > s.Min && (n < s.Min || n > s.Max) {
			return "", fmt.Errorf("invalid value %q: must be between %d and %d", value, s.Min, s.Max)
		}
		return strconv.FormatInt(n, 10), nil
	case Bool:
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return "", fmt.Errorf("invalid value %q: not a boolean (true or false)", value)
		}
		return strconv.FormatBool(b), nil
	case Float:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "", fmt.Errorf("invalid value %q: not a number", value)
		}
		return v, nil
	case CIDRList:
		if _, err := ParseCIDRList(v); err != nil {
			return "", fmt.Errorf("invalid value %q: %v", value, err)
		}
		return v, nil
	case MemSize:
		if _, err := ParseMemSize(v, 1<<30); err != nil {
			return "", fmt.Errorf("invalid value %q: %v", value, err)
		}
		return v, nil
	case Enum:
		for _, c := range s.Choices {
			if strings.EqualFold(c, v) {
				return strings.ToLower(c), nil
			}
		}
		return "", fmt.Errorf("invalid value %q: must be one of %s", value, strings.Join(s.Choices, ", "))
	default:
		return v, nil
	}
}

// ParseMemSize parses a MemSize value (StarRocks' mem_limit syntax): "90%"
// is 90% of total; "8G", "8GB", "512m", "1024" are amounts.
func ParseMemSize(v string, total int64) (int64, error) {
	v = strings.TrimSpace(v)
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || f <= 0 || f > 100 {
			return 0, errors.New("a percentage must be above 0 and at most 100")
		}
		return int64(f / 100 * float64(total)), nil
	}
	u := strings.ToUpper(v)
	u = strings.TrimSuffix(u, "B")
	mult := int64(1)
	if u != "" {
		switch u[len(u)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			u = u[:len(u)-1]
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || f <= 0 {
		return 0, errors.New("not a memory size (90%, 8G, 8GB, 512M or bytes)")
	}
	return int64(f * float64(mult)), nil
}

// ParseCIDRList parses StarRocks' priority_networks syntax: CIDRs separated by
// `;` (StarRocks' separator) or `,`. A bare address is taken as a /32 or /128.
func ParseCIDRList(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR", part)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR", part)
		}
		out = append(out, p)
	}
	return out, nil
}

// Warning is a non-fatal finding while loading a file (an unknown key).
type Warning struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (w Warning) String() string {
	return fmt.Sprintf("%s line %d: key %q: %s", w.File, w.Line, w.Key, w.Msg)
}

// Error is a fatal configuration error; it names the file, line and key.
type Error struct {
	File string
	Line int
	Key  string
	Err  error
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s line %d: key %q: %v", e.File, e.Line, e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Config is a loaded, validated configuration. Values may be changed at run
// time through Set for mutable keys; reads and writes are safe for
// concurrent use.
type Config struct {
	mu     sync.RWMutex
	specs  map[string]*Spec
	values map[string]string
	// unknown keeps values of undeclared keys: they are still visible to ${} references.
	unknown map[string]string
}

// New returns a Config holding the defaults of specs.
func New(specs []Spec) *Config {
	c := &Config{specs: map[string]*Spec{}, values: map[string]string{}, unknown: map[string]string{}}
	for i := range specs {
		s := &specs[i]
		c.specs[s.Key] = s
		c.values[s.Key] = s.Default
	}
	return c
}

// Load reads path into a Config built from specs. env resolves `${NAME}`
// references that are not keys of the file (STARROCKS_HOME, ...). A missing
// file is an error; an empty one is not.
func Load(path string, specs []Spec, env func(string) string) (*Config, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	c := New(specs)
	var warns []Warning
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		eq := strings.IndexByte(text, '=')
		if eq <= 0 {
			return nil, nil, &Error{File: path, Line: line, Err: fmt.Errorf("expected `key = value`, got %q", text)}
		}
		key := strings.TrimSpace(text[:eq])
		raw := strings.TrimSpace(text[eq+1:])
		if strings.ContainsAny(key, " \t") {
			return nil, nil, &Error{File: path, Line: line, Err: fmt.Errorf("invalid key %q", key)}
		}
		val, err := c.expand(raw, env, 0)
		if err != nil {
			return nil, nil, &Error{File: path, Line: line, Key: key, Err: err}
		}
		spec, ok := c.specs[key]
		if !ok {
			c.unknown[key] = val
			warns = append(warns, Warning{File: path, Line: line, Key: key, Msg: "unknown key, ignored"})
			continue
		}
		norm, err := spec.Check(val)
		if err != nil {
			return nil, nil, &Error{File: path, Line: line, Key: key, Err: err}
		}
		c.values[key] = norm
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	// Defaults may reference other keys or the environment (meta_dir = ${STARROCKS_HOME}/meta).
	for k, v := range c.values {
		if strings.Contains(v, "${") {
			ev, err := c.expand(v, env, 0)
			if err != nil {
				return nil, nil, &Error{File: path, Line: 0, Key: k, Err: err}
			}
			c.values[k] = ev
		}
	}
	return c, warns, nil
}

// maxExpandDepth bounds nested ${} references (and so reference cycles).
const maxExpandDepth = 10

// expand replaces ${NAME} with the value of key NAME (itself expanded) or,
// for names that are not keys, the environment's value.
func (c *Config) expand(s string, env func(string) string, depth int) (string, error) {
	if depth > maxExpandDepth {
		return "", fmt.Errorf("${} references nest deeper than %d (a cycle?)", maxExpandDepth)
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		v, isKey := c.values[name]
		if !isKey || c.specs[name] == nil {
			v, isKey = c.unknown[name]
		}
		if isKey {
			ev, err := c.expand(v, env, depth+1)
			if err != nil {
				return "", err
			}
			b.WriteString(ev)
		} else if env != nil {
			b.WriteString(env(name))
		}
		s = s[i+j+1:]
	}
}

// Get returns the current value of key ("" for an undeclared key).
func (c *Config) Get(key string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.values[key]
}

// Int returns key as an integer; validated values always parse.
func (c *Config) Int(key string) int64 {
	n, _ := strconv.ParseInt(c.Get(key), 10, 64)
	return n
}

// Bool returns key as a boolean.
func (c *Config) Bool(key string) bool {
	b, _ := strconv.ParseBool(c.Get(key))
	return b
}

// Spec returns the declaration of key, or nil when key is unknown.
func (c *Config) Spec(key string) *Spec { return c.specs[key] }

// Set changes a mutable key at run time after validating the value.
func (c *Config) Set(key, value string) error {
	s := c.specs[key]
	if s == nil {
		return fmt.Errorf("config '%s' does not exist", key)
	}
	if !s.Mutable {
		return fmt.Errorf("config '%s' is not mutable", key)
	}
	norm, err := s.Check(value)
	if err != nil {
		return fmt.Errorf("config '%s': %v", key, err)
	}
	c.mu.Lock()
	c.values[key] = norm
	c.mu.Unlock()
	return nil
}

// Entry is one key as listed by ADMIN SHOW FRONTEND CONFIG.
type Entry struct {
	Key     string
	Value   string
	Kind    Kind
	Mutable bool
	Doc     string
}

// Entries lists every declared key in name order, secrets masked.
func (c *Config) Entries() []Entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Entry, 0, len(c.specs))
	for k, s := range c.specs {
		v := c.values[k]
		if s.Secret && v != "" {
			v = MaskSecret(v)
		}
		out = append(out, Entry{Key: k, Value: v, Kind: s.Kind, Mutable: s.Mutable, Doc: s.Doc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// MaskSecret hides a secret the way StarRocks masks credentials in SHOW output.
func MaskSecret(string) string { return "******" }
