package types

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

var (
	largeIntMax = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1))
	largeIntMin = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 127))
)

// intRange is the value range of each integer kind.
func intRange(k Kind) (int64, int64) {
	switch k {
	case Boolean:
		return 0, 1
	case TinyInt:
		return math.MinInt8, math.MaxInt8
	case SmallInt:
		return math.MinInt16, math.MaxInt16
	case Int:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// ParseValue converts text (as a literal or a CSV field spells it) to a
// value of type t, checking range, length and calendar. The error text is
// what StarRocks-like messages embed.
func ParseValue(t Type, s string) (Value, error) {
	switch t.Kind {
	case Boolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "1", "true":
			return BoolValue(true), nil
		case "0", "false":
			return BoolValue(false), nil
		}
		return Value{}, fmt.Errorf("'%s' is not a valid BOOLEAN", s)
	case TinyInt, SmallInt, Int, BigInt:
		if n, ok := parseIntFast(s); ok {
			if lo, hi := intRange(t.Kind); n >= lo && n <= hi {
				return IntValue(t.Kind, n), nil
			}
		}
		v := strings.TrimSpace(s)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			// Accept integral decimals such as "3.0", as StarRocks casts
			// do, exactly (no detour through a float).
			ip, frac, ok := strings.Cut(v, ".")
			if !ok || strings.Trim(frac, "0") != "" || ip == "" || ip == "-" || ip == "+" {
				return Value{}, fmt.Errorf("'%s' is not a valid %s", s, t.Kind)
			}
			if n, err = strconv.ParseInt(ip, 10, 64); err != nil {
				return Value{}, fmt.Errorf("'%s' is not a valid %s", s, t.Kind)
			}
		}
		lo, hi := intRange(t.Kind)
		if n < lo || n > hi {
			return Value{}, fmt.Errorf("%s is out of range for %s", v, t.Kind)
		}
		return IntValue(t.Kind, n), nil
	case LargeInt:
		v := strings.TrimSpace(s)
		b, ok := new(big.Int).SetString(v, 10)
		if !ok {
			return Value{}, fmt.Errorf("'%s' is not a valid LARGEINT", s)
		}
		if b.Cmp(largeIntMax) > 0 || b.Cmp(largeIntMin) < 0 {
			return Value{}, fmt.Errorf("%s is out of range for LARGEINT", v)
		}
		return TextValue(LargeInt, b.String()), nil
	case Float, Double:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return Value{}, fmt.Errorf("'%s' is not a valid %s", s, t.Kind)
		}
		if t.Kind == Float {
			f = float64(float32(f))
		}
		return Value{Kind: t.Kind, Float: f}, nil
	case Decimal:
		if v, ok := parseDecimalFast(t, s); ok {
			return v, nil
		}
		return parseDecimal(t, strings.TrimSpace(s))
	case Char, Varchar:
		if t.Len > 0 && len(s) > t.Len {
			return Value{}, fmt.Errorf("'%s' is longer than %d bytes", truncate(s, 32), t.Len)
		}
		return Value{Kind: t.Kind, Str: s}, nil
	case Date:
		if canonicalDate(s) {
			return TextValue(Date, s), nil
		}
		tm, err := parseTime(strings.TrimSpace(s))
		if err != nil {
			return Value{}, fmt.Errorf("'%s' is not a valid DATE", s)
		}
		return TextValue(Date, tm.Format("2006-01-02")), nil
	case DateTime:
		if canonicalDateTime(s) {
			return TextValue(DateTime, s), nil
		}
		if canonicalDate(s) {
			return TextValue(DateTime, s+" 00:00:00"), nil
		}
		tm, err := parseTime(strings.TrimSpace(s))
		if err != nil {
			return Value{}, fmt.Errorf("'%s' is not a valid DATETIME", s)
		}
		return TextValue(DateTime, FormatDateTime(tm)), nil
	}
	return Value{}, fmt.Errorf("cannot convert to %s", t.Kind)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// FormatDateTime renders a datetime the way StarRocks prints it:
// YYYY-MM-DD HH:MM:SS, with microseconds only when they are not zero.
func FormatDateTime(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t.Format("2006-01-02 15:04:05")
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05.999999",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"20060102150405",
	"20060102",
	"2006/01/02 15:04:05",
	"2006/01/02",
}

// parseTime accepts the date and datetime spellings StarRocks accepts.
func parseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

// ParseTime parses a DATE or DATETIME value's canonical text.
func ParseTime(s string) (time.Time, error) { return parseTime(s) }

// maxDecimalExponent bounds the exponent of a DECIMAL literal: 10^e is
// computed exactly, so 1e999999 would cost a CPU for a tenth of a second
// per value. Beyond it a nonzero value is out of range (e > 0) or rounds
// to zero (e < 0, with a mantissa of fewer digits than the bound).
const maxDecimalExponent = 400

// decimalExponentBound returns s with an exponent beyond
// maxDecimalExponent settled: "0" when the value rounds to zero, an error
// when it is out of range; s itself otherwise.
func decimalExponentBound(t Type, s string) (string, error) {
	i := strings.LastIndexAny(s, "eE")
	if i < 0 {
		return s, nil
	}
	mant, exp := s[:i], s[i+1:]
	e, err := strconv.ParseInt(exp, 10, 32)
	if err == nil && e >= -maxDecimalExponent && e <= maxDecimalExponent {
		return s, nil
	}
	if _, ok := new(big.Rat).SetString(mant); !ok {
		return "", fmt.Errorf("'%s' is not a valid DECIMAL", s)
	}
	digits := strings.Trim(strings.NewReplacer("-", "", "+", "", ".", "").Replace(mant), "0")
	neg := strings.HasPrefix(exp, "-")
	switch {
	case len(exp) < 2 && !strings.ContainsAny(exp, "0123456789") || strings.Trim(strings.TrimPrefix(strings.TrimPrefix(exp, "-"), "+"), "0123456789") != "":
		return "", fmt.Errorf("'%s' is not a valid DECIMAL", s)
	case digits == "" || (neg && len(mant) < maxDecimalExponent-t.Precision):
		return "0", nil
	case !neg:
		return "", fmt.Errorf("%s is out of range for DECIMAL(%d,%d)", s, t.Precision, t.Scale)
	}
	return "", fmt.Errorf("'%s' is not a valid DECIMAL", s)
}

func parseDecimal(t Type, s string) (Value, error) {
	s, err := decimalExponentBound(t, s)
	if err != nil {
		return Value{}, err
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Value{}, fmt.Errorf("'%s' is not a valid DECIMAL", s)
	}
	text := r.FloatString(t.Scale)
	// Reject values whose integer part needs more than precision-scale digits.
	intPart := strings.TrimPrefix(text, "-")
	if i := strings.IndexByte(intPart, '.'); i >= 0 {
		intPart = intPart[:i]
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > t.Precision-t.Scale {
		return Value{}, fmt.Errorf("%s is out of range for DECIMAL(%d,%d)", s, t.Precision, t.Scale)
	}
	if strings.Trim(strings.TrimPrefix(text, "-"), "0.") == "" {
		text = strings.TrimPrefix(text, "-")
	}
	return TextValue(Decimal, text), nil
}

// Compare orders two non-NULL values of comparable types: numbers by value,
// strings, dates and datetimes by their text. It returns -1, 0 or 1.
func Compare(a, b Value) int {
	an, bn := a.isNumber(), b.isNumber()
	switch {
	case an && bn:
		return compareNumbers(a, b)
	case an && !bn:
		if bv, ok := b.asRat(); ok {
			av, _ := a.asRat()
			return av.Cmp(bv)
		}
	case bn && !an:
		if av, ok := a.asRat(); ok {
			bv, _ := b.asRat()
			return av.Cmp(bv)
		}
	}
	if a.Kind == b.Kind && a.isTemporal() && len(a.Str) == len(b.Str) {
		// Canonical texts of one temporal kind and spelling length sort as
		// their times do; mixed precisions fall through to parsing.
		return strings.Compare(a.Str, b.Str)
	}
	if a.isTemporal() || b.isTemporal() {
		ta, ea := parseTime(a.Str)
		tb, eb := parseTime(b.Str)
		if ea == nil && eb == nil {
			return ta.Compare(tb)
		}
	}
	return strings.Compare(a.String(), b.String())
}

func (v Value) isNumber() bool {
	switch v.Kind {
	case Boolean, TinyInt, SmallInt, Int, BigInt, LargeInt, Float, Double, Decimal:
		return true
	}
	return false
}

func (v Value) isTemporal() bool { return v.Kind == Date || v.Kind == DateTime }

// asRat converts a numeric (or numeric-looking string) value to a rational.
func (v Value) asRat() (*big.Rat, bool) {
	switch v.Kind {
	case Boolean, TinyInt, SmallInt, Int, BigInt:
		return new(big.Rat).SetInt64(v.Int), true
	case Float, Double:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(v.Float), true
	default:
		r, ok := new(big.Rat).SetString(strings.TrimSpace(v.Str))
		return r, ok
	}
}

func compareNumbers(a, b Value) int {
	ai := a.Kind != Float && a.Kind != Double && a.Kind != Decimal && a.Kind != LargeInt
	bi := b.Kind != Float && b.Kind != Double && b.Kind != Decimal && b.Kind != LargeInt
	if ai && bi {
		switch {
		case a.Int < b.Int:
			return -1
		case a.Int > b.Int:
			return 1
		}
		return 0
	}
	if (a.Kind == Float || a.Kind == Double) && (b.Kind == Float || b.Kind == Double) {
		switch {
		case a.Float < b.Float:
			return -1
		case a.Float > b.Float:
			return 1
		}
		return 0
	}
	ar, ok1 := a.asRat()
	br, ok2 := b.asRat()
	if !ok1 || !ok2 {
		return strings.Compare(a.String(), b.String())
	}
	return ar.Cmp(br)
}
