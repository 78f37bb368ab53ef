package lake

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/minirocks/minirocks/types"
)

// storage classes: how a kind's values are held in types.Value and encoded.
const (
	clsNull  uint8 = iota // Invalid/Null kinds: the NULL value
	clsInt                // BOOLEAN..BIGINT in Value.Int
	clsFloat              // FLOAT/DOUBLE in Value.Float
	clsText               // everything else in Value.Str
)

// kindClass maps a types.Kind to its storage class (a table, not a switch,
// because it is consulted once per value on the load path).
var kindClass = func() (t [256]uint8) {
	for k := range t {
		t[k] = clsText
	}
	t[types.Invalid], t[types.Null] = clsNull, clsNull
	for _, k := range []types.Kind{types.Boolean, types.TinyInt, types.SmallInt, types.Int, types.BigInt} {
		t[k] = clsInt
	}
	t[types.Float], t[types.Double] = clsFloat, clsFloat
	return t
}()

func isNull(v *types.Value) bool { return kindClass[v.Kind] == clsNull }

// CompareValues orders two values of a column of type t the way
// types.Compare does, with NULL before everything (two NULLs are equal). It
// is what Merge sorts by and Router compares partition bounds with. For the
// canonical text forms the data layer stores (DATE, DATETIME, DECIMAL,
// LARGEINT) it compares without parsing, which makes it much faster than
// types.Compare; anything else falls back to types.Compare.
func CompareValues(t types.Type, a, b types.Value) int {
	an, bn := isNull(&a), isNull(&b)
	switch {
	case an && bn:
		return 0
	case an:
		return -1
	case bn:
		return 1
	}
	cls := kindClass[t.Kind]
	if kindClass[a.Kind] == cls && kindClass[b.Kind] == cls {
		switch cls {
		case clsInt:
			return cmpInt(a.Int, b.Int)
		case clsFloat:
			switch {
			case a.Float < b.Float:
				return -1
			case a.Float > b.Float:
				return 1
			}
			return 0
		case clsText:
			if a.Kind == t.Kind && b.Kind == t.Kind {
				switch t.Kind {
				case types.Char, types.Varchar:
					return strings.Compare(a.Str, b.Str)
				case types.Decimal, types.LargeInt:
					if c, ok := compareNumericText(a.Str, b.Str); ok {
						return c
					}
				case types.Date, types.DateTime:
					if len(a.Str) == len(b.Str) && canonicalTemporal(a.Str) && canonicalTemporal(b.Str) {
						return strings.Compare(a.Str, b.Str)
					}
				}
			}
		}
	}
	return types.Compare(a, b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// canonicalTemporal reports whether s is YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or
// YYYY-MM-DD HH:MM:SS.ffffff, whose byte order is time order.
func canonicalTemporal(s string) bool {
	switch len(s) {
	case 10, 19, 26:
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 4, 7:
			if c != '-' {
				return false
			}
		case 10:
			if c != ' ' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		case 19:
			if c != '.' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// splitNumber splits canonical decimal text ("-12.50", "0", "7") into sign,
// integer digits and fraction digits. ok is false for anything that is not
// canonical (leading zeros, "+", exponents, "-0").
func splitNumber(s string) (neg bool, ip, fp string, ok bool) {
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	ip = s
	if i := strings.IndexByte(s, '.'); i >= 0 {
		ip, fp = s[:i], s[i+1:]
		if fp == "" {
			return false, "", "", false
		}
	}
	if ip == "" || (len(ip) > 1 && ip[0] == '0') || !allDigits(ip) || !allDigits(fp) {
		return false, "", "", false
	}
	if neg && strings.Trim(ip, "0") == "" && strings.Trim(fp, "0") == "" {
		return false, "", "", false
	}
	return neg, ip, fp, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareNumericText compares two canonical numbers held as text without
// parsing them into big numbers.
func compareNumericText(a, b string) (int, bool) {
	an, ai, af, ok1 := splitNumber(a)
	bn, bi, bf, ok2 := splitNumber(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	if an != bn {
		if an {
			return -1, true
		}
		return 1, true
	}
	c := cmpInt(int64(len(ai)), int64(len(bi)))
	if c == 0 {
		c = strings.Compare(ai, bi)
	}
	if c == 0 {
		n := max(len(af), len(bf))
		for i := 0; i < n && c == 0; i++ {
			x, y := byte('0'), byte('0')
			if i < len(af) {
				x = af[i]
			}
			if i < len(bf) {
				y = bf[i]
			}
			c = cmpInt(int64(x), int64(y))
		}
	}
	if an {
		c = -c
	}
	return c, true
}

// canonicalFloat is the float a column of type t holds for f: FLOAT columns
// hold float32 precision, -0 is +0 and every NaN is the same NaN, so equal
// values hash equally.
func canonicalFloat(t types.Type, f float64) uint64 {
	if t.Kind == types.Float {
		f = float64(float32(f))
	}
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

// AppendHashKey appends the canonical encoding of v, a value of a column of
// type t, to dst. It is the input of the distribution hash (see docs/lake-format.md,
// "Distribution hash") and of Merge's key hashing, so the FE and every CN
// derive identical bytes from equal values:
//
//	NULL:          0x00
//	integer kinds: 0x01, 8 bytes little-endian two's complement of Value.Int
//	FLOAT/DOUBLE:  0x01, 8 bytes little-endian IEEE-754 bits of the float64
//	               (FLOAT rounded to float32 first; -0 as +0; NaN as 0x7ff8000000000001)
//	other kinds:   0x01, 4 bytes little-endian byte length, the canonical text
//
// The encoding follows the column's type, not the value's kind, so an INT
// value routed through a BIGINT column hashes like a BIGINT.
func AppendHashKey(dst []byte, t types.Type, v types.Value) []byte {
	if isNull(&v) {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	switch kindClass[t.Kind] {
	case clsInt:
		return binary.LittleEndian.AppendUint64(dst, uint64(v.Int))
	case clsFloat:
		return binary.LittleEndian.AppendUint64(dst, canonicalFloat(t, v.Float))
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v.Str)))
	return append(dst, v.Str...)
}

// keyEqual reports whether two non-mixed values of a column of type t are
// the same key: the equality AppendHashKey's encoding induces.
func keyEqual(t types.Type, a, b *types.Value) bool {
	an, bn := isNull(a), isNull(b)
	if an || bn {
		return an == bn
	}
	switch kindClass[t.Kind] {
	case clsInt:
		return a.Int == b.Int
	case clsFloat:
		return canonicalFloat(t, a.Float) == canonicalFloat(t, b.Float)
	}
	return a.Str == b.Str
}
