package lake

import (
	"math"
	"strings"

	"github.com/minirocks/minirocks/types"
)

// allTypesSchema has one nullable column of every stored kind.
func allTypesSchema() *Schema {
	return &Schema{KeysType: KeysDuplicate, Columns: []Column{
		{Name: "b", Type: types.TBoolean, Nullable: true, IsKey: true},
		{Name: "ti", Type: types.TTinyInt, Nullable: true},
		{Name: "si", Type: types.TSmallInt, Nullable: true},
		{Name: "i", Type: types.TInt, Nullable: true},
		{Name: "bi", Type: types.TBigInt, Nullable: true},
		{Name: "li", Type: types.TLargeInt, Nullable: true},
		{Name: "f", Type: types.TFloat, Nullable: true},
		{Name: "d", Type: types.TDouble, Nullable: true},
		{Name: "dec", Type: types.DecimalOf(38, 18), Nullable: true},
		{Name: "c", Type: types.Type{Kind: types.Char, Len: 10}, Nullable: true},
		{Name: "v", Type: types.TString, Nullable: true},
		{Name: "dt", Type: types.TDate, Nullable: true},
		{Name: "dtm", Type: types.TDateTime, Nullable: true},
	}}
}

func iv(k types.Kind, n int64) types.Value   { return types.Value{Kind: k, Int: n} }
func fv(k types.Kind, f float64) types.Value { return types.Value{Kind: k, Float: f} }
func sv(k types.Kind, s string) types.Value  { return types.Value{Kind: k, Str: s} }

// allTypesRows are edge values of every kind, a row of NULLs and a mixed row.
func allTypesRows() []Row {
	null := make(Row, 13)
	return []Row{
		{iv(types.Boolean, 1), iv(types.TinyInt, math.MinInt8), iv(types.SmallInt, math.MinInt16), iv(types.Int, math.MinInt32),
			iv(types.BigInt, math.MinInt64), sv(types.LargeInt, "-170141183460469231731687303715884105728"),
			fv(types.Float, float64(float32(-3.4e38))), fv(types.Double, -math.MaxFloat64),
			sv(types.Decimal, "-99999999999999999999.999999999999999999"), sv(types.Char, ""), sv(types.Varchar, ""),
			sv(types.Date, "0001-01-01"), sv(types.DateTime, "0001-01-01 00:00:00")},
		{iv(types.Boolean, 0), iv(types.TinyInt, math.MaxInt8), iv(types.SmallInt, math.MaxInt16), iv(types.Int, math.MaxInt32),
			iv(types.BigInt, math.MaxInt64), sv(types.LargeInt, "170141183460469231731687303715884105727"),
			fv(types.Float, math.Inf(1)), fv(types.Double, math.SmallestNonzeroFloat64),
			sv(types.Decimal, "99999999999999999999.999999999999999999"), sv(types.Char, "日本語"),
			sv(types.Varchar, strings.Repeat("x\x00y", 40000)),
			sv(types.Date, "9999-12-31"), sv(types.DateTime, "9999-12-31 23:59:59.999999")},
		null,
		{null[0], iv(types.TinyInt, 0), null[0], iv(types.Int, -1), null[0], sv(types.LargeInt, "0"),
			null[0], fv(types.Double, math.Inf(-1)), sv(types.Decimal, "0.000000000000000000"), null[0],
			sv(types.Varchar, "héllo, wörld"), null[0], sv(types.DateTime, "2024-02-29 12:34:56")},
	}
}

// intSchema is a small two-column schema for tests that need many rows.
func intSchema(keys string) *Schema {
	return &Schema{KeysType: keys, Columns: []Column{
		{Name: "k", Type: types.TBigInt, IsKey: true},
		{Name: "v", Type: types.TString, Nullable: true},
	}}
}

func intRows(n int) []Row {
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = Row{iv(types.BigInt, int64(i)), sv(types.Varchar, "value")}
	}
	return rows
}
