package types

import (
	"math/big"
	"strconv"
	"strings"
)

// Value is one SQL value. The zero Value is NULL. Integers (TINYINT to
// BIGINT, BOOLEAN) live in Int, FLOAT/DOUBLE in Float, and everything else
// (CHAR, VARCHAR, DATE, DATETIME, DECIMAL, LARGEINT) in Str in canonical
// text form: dates as YYYY-MM-DD, datetimes as YYYY-MM-DD HH:MM:SS[.ffffff],
// decimals with exactly Scale fractional digits.
type Value struct {
	Kind  Kind
	Int   int64
	Float float64
	Str   string
}

// NullValue is the NULL value.
var NullValue Value

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.Kind == Invalid || v.Kind == Null }

// IntValue returns an integer value of kind k (BIGINT when k is Invalid).
func IntValue(k Kind, n int64) Value {
	if k == Invalid {
		k = BigInt
	}
	return Value{Kind: k, Int: n}
}

// BoolValue returns a BOOLEAN.
func BoolValue(b bool) Value {
	if b {
		return Value{Kind: Boolean, Int: 1}
	}
	return Value{Kind: Boolean}
}

// FloatValue returns a DOUBLE.
func FloatValue(f float64) Value { return Value{Kind: Double, Float: f} }

// StringValue returns a VARCHAR.
func StringValue(s string) Value { return Value{Kind: Varchar, Str: s} }

// TextValue returns a value of a text-held kind (DATE, DATETIME, DECIMAL, LARGEINT, CHAR).
func TextValue(k Kind, s string) Value { return Value{Kind: k, Str: s} }

// String renders v as the MySQL text protocol sends it; NULL renders as "NULL".
func (v Value) String() string {
	switch v.Kind {
	case Invalid, Null:
		return "NULL"
	case Boolean, TinyInt, SmallInt, Int, BigInt:
		return strconv.FormatInt(v.Int, 10)
	case Float:
		return strconv.FormatFloat(v.Float, 'g', -1, 32)
	case Double:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	default:
		return v.Str
	}
}

// Bool interprets v as a condition: NULL and zero are false.
func (v Value) Bool() bool {
	switch v.Kind {
	case Invalid, Null:
		return false
	case Boolean, TinyInt, SmallInt, Int, BigInt:
		return v.Int != 0
	case Float, Double:
		return v.Float != 0
	case Decimal, LargeInt:
		r, ok := new(big.Rat).SetString(v.Str)
		return ok && r.Sign() != 0
	default:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.Str), 64)
		return err == nil && f != 0
	}
}
