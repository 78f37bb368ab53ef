// Package types is minirocks' SQL type system: the column types a table may
// declare, how StarRocks spells them in DESC and SHOW CREATE TABLE, and how a
// value of each type is checked. Both the frontend (catalog, analyzer,
// executor) and the compute node (segment files) use it, so it has no
// dependencies of its own.
package types

import (
	"fmt"
	"strings"
)

// Kind is a primitive type.
type Kind uint8

// The primitive types minirocks stores.
const (
	Invalid Kind = iota
	Boolean
	TinyInt
	SmallInt
	Int
	BigInt
	LargeInt
	Float
	Double
	Decimal
	Char
	Varchar
	Date
	DateTime
	// Null is the type of the NULL literal before it meets a column.
	Null
)

var kindNames = [...]string{
	Invalid: "INVALID", Boolean: "BOOLEAN", TinyInt: "TINYINT", SmallInt: "SMALLINT", Int: "INT",
	BigInt: "BIGINT", LargeInt: "LARGEINT", Float: "FLOAT", Double: "DOUBLE", Decimal: "DECIMAL",
	Char: "CHAR", Varchar: "VARCHAR", Date: "DATE", DateTime: "DATETIME", Null: "NULL",
}

// String returns the upper-case StarRocks name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Limits StarRocks applies to declared types.
const (
	// MaxVarcharLen is the longest VARCHAR; STRING is VARCHAR(65533).
	MaxVarcharLen = 1048576
	// StringLen is the length STRING stands for.
	StringLen = 65533
	// DefaultVarcharLen is the length of a VARCHAR declared without one.
	DefaultVarcharLen = 1
	// MaxCharLen is the longest CHAR.
	MaxCharLen = 255
	// MaxDecimalPrecision is the widest DECIMAL (decimal128).
	MaxDecimalPrecision = 38
)

// Type is a column type: a kind plus its length (CHAR/VARCHAR) or precision
// and scale (DECIMAL).
type Type struct {
	Kind      Kind `json:"kind"`
	Len       int  `json:"len,omitempty"`
	Precision int  `json:"precision,omitempty"`
	Scale     int  `json:"scale,omitempty"`
}

// Common types, ready to use.
var (
	TBoolean  = Type{Kind: Boolean}
	TTinyInt  = Type{Kind: TinyInt}
	TSmallInt = Type{Kind: SmallInt}
	TInt      = Type{Kind: Int}
	TBigInt   = Type{Kind: BigInt}
	TLargeInt = Type{Kind: LargeInt}
	TFloat    = Type{Kind: Float}
	TDouble   = Type{Kind: Double}
	TDate     = Type{Kind: Date}
	TDateTime = Type{Kind: DateTime}
	TNull     = Type{Kind: Null}
	// TString is what StarRocks calls STRING: VARCHAR(65533).
	TString = Type{Kind: Varchar, Len: StringLen}
)

// Varchar returns VARCHAR(n).
func VarcharOf(n int) Type { return Type{Kind: Varchar, Len: n} }

// DecimalOf returns DECIMAL(p, s).
func DecimalOf(p, s int) Type { return Type{Kind: Decimal, Precision: p, Scale: s} }

// IsInteger reports whether t is one of the integer kinds.
func (t Type) IsInteger() bool {
	switch t.Kind {
	case TinyInt, SmallInt, Int, BigInt, LargeInt:
		return true
	}
	return false
}

// IsNumeric reports whether t is an integer, floating or decimal type.
func (t Type) IsNumeric() bool {
	return t.IsInteger() || t.Kind == Float || t.Kind == Double || t.Kind == Decimal
}

// IsString reports whether t is CHAR or VARCHAR.
func (t Type) IsString() bool { return t.Kind == Char || t.Kind == Varchar }

// IsTemporal reports whether t is DATE or DATETIME.
func (t Type) IsTemporal() bool { return t.Kind == Date || t.Kind == DateTime }

// SQL renders the type the way StarRocks prints it in SHOW CREATE TABLE:
// lower case, integers with their display width (`int(11)`), strings with
// their length (`varchar(32)`), decimals as `decimal(10, 2)`.
func (t Type) SQL() string {
	switch t.Kind {
	case Boolean:
		return "boolean"
	case TinyInt:
		return "tinyint(4)"
	case SmallInt:
		return "smallint(6)"
	case Int:
		return "int(11)"
	case BigInt:
		return "bigint(20)"
	case LargeInt:
		return "largeint(40)"
	case Float:
		return "float"
	case Double:
		return "double"
	case Decimal:
		return fmt.Sprintf("decimal(%d, %d)", t.Precision, t.Scale)
	case Char:
		return fmt.Sprintf("char(%d)", t.Len)
	case Varchar:
		return fmt.Sprintf("varchar(%d)", t.Len)
	case Date:
		return "date"
	case DateTime:
		return "datetime"
	case Null:
		return "null"
	}
	return strings.ToLower(t.Kind.String())
}

// Canonical renders the type the way DESC and information_schema print it:
// `int`, `bigint`, `varchar(32)`, `decimal(10,2)`.
func (t Type) Canonical() string {
	switch t.Kind {
	case TinyInt, SmallInt, Int, BigInt, LargeInt:
		return strings.ToLower(t.Kind.String())
	case Decimal:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	}
	return t.SQL()
}

// String is the SQL form.
func (t Type) String() string { return t.SQL() }

// FromName resolves a declared type name (as the parser gives it, any case)
// with its optional length/precision arguments. hasLen/hasScale tell whether
// the arguments were written. It applies StarRocks' defaults and limits.
func FromName(name string, args []int) (Type, error) {
	n := strings.ToUpper(name)
	arg := func(i, def int) int {
		if i < len(args) {
			return args[i]
		}
		return def
	}
	noArgs := func(t Type) (Type, error) {
		if len(args) > 0 {
			return Type{}, fmt.Errorf("type %s takes no length", n)
		}
		return t, nil
	}
	switch n {
	case "BOOLEAN", "BOOL":
		return noArgs(TBoolean)
	case "TINYINT":
		return TTinyInt, nil
	case "SMALLINT":
		return TSmallInt, nil
	case "INT", "INTEGER":
		return TInt, nil
	case "BIGINT":
		return TBigInt, nil
	case "LARGEINT":
		return TLargeInt, nil
	case "FLOAT":
		return noArgs(TFloat)
	case "DOUBLE":
		return noArgs(TDouble)
	case "DECIMAL", "DECIMALV2", "DECIMAL32", "DECIMAL64", "DECIMAL128", "NUMERIC":
		p, s := arg(0, 10), arg(1, 0)
		if len(args) > 2 {
			return Type{}, fmt.Errorf("DECIMAL takes at most precision and scale")
		}
		if p < 1 || p > MaxDecimalPrecision {
			return Type{}, fmt.Errorf("DECIMAL precision %d is out of range [1, %d]", p, MaxDecimalPrecision)
		}
		if s < 0 || s > p {
			return Type{}, fmt.Errorf("DECIMAL scale %d is out of range [0, %d]", s, p)
		}
		return DecimalOf(p, s), nil
	case "CHAR":
		l := arg(0, 1)
		if l < 1 || l > MaxCharLen {
			return Type{}, fmt.Errorf("CHAR length %d is out of range [1, %d]", l, MaxCharLen)
		}
		return Type{Kind: Char, Len: l}, nil
	case "VARCHAR":
		l := arg(0, DefaultVarcharLen)
		if l < 1 || l > MaxVarcharLen {
			return Type{}, fmt.Errorf("VARCHAR length %d is out of range [1, %d]", l, MaxVarcharLen)
		}
		return VarcharOf(l), nil
	case "STRING", "TEXT":
		return noArgs(TString)
	case "DATE":
		return noArgs(TDate)
	case "DATETIME", "TIMESTAMP":
		return noArgs(TDateTime)
	}
	return Type{}, fmt.Errorf("unsupported type %s", n)
}
