package lake

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
)

func aggSchema() *Schema {
	return &Schema{KeysType: KeysAggregate, Columns: []Column{
		{Name: "k1", Type: types.TDate, IsKey: true, Nullable: true},
		{Name: "k2", Type: types.TInt, IsKey: true},
		{Name: "sum_i", Type: types.TBigInt, AggType: AggSum, Nullable: true},
		{Name: "sum_d", Type: types.DecimalOf(38, 2), AggType: AggSum, Nullable: true},
		{Name: "sum_f", Type: types.TDouble, AggType: AggSum, Nullable: true},
		{Name: "sum_l", Type: types.TLargeInt, AggType: AggSum, Nullable: true},
		{Name: "mx", Type: types.VarcharOf(32), AggType: AggMax, Nullable: true},
		{Name: "mn", Type: types.DecimalOf(10, 2), AggType: AggMin, Nullable: true},
		{Name: "rep", Type: types.TString, AggType: AggReplace, Nullable: true},
		{Name: "rinn", Type: types.TString, AggType: AggReplaceIfNotNull, Nullable: true},
	}}
}

var null types.Value

func date(s string) types.Value { return sv(types.Date, s) }
func i32(n int64) types.Value   { return iv(types.Int, n) }
func i64(n int64) types.Value   { return iv(types.BigInt, n) }
func dec(s string) types.Value  { return sv(types.Decimal, s) }
func str(s string) types.Value  { return sv(types.Varchar, s) }
func lint(s string) types.Value { return sv(types.LargeInt, s) }
func dbl(f float64) types.Value { return fv(types.Double, f) }

func TestMergeAggregate(t *testing.T) {
	s := aggSchema()
	v1 := []Row{
		{date("2024-01-02"), i32(1), i64(5), dec("0.10"), dbl(0.5), lint("170141183460469231731687303715884105000"), str("b"), dec("3.00"), str("r1"), str("x1")},
		{date("2024-01-01"), i32(1), null, null, null, null, null, null, str("only"), null},
		{null, i32(9), i64(1), dec("1.00"), dbl(1), lint("1"), str("a"), dec("-1.50"), null, str("n1")},
	}
	v2 := []Row{
		{date("2024-01-02"), i32(1), null, dec("0.20"), dbl(0.25), lint("700"), str("c"), null, null, null},
		{null, i32(9), i64(-3), dec("-2.50"), null, lint("-2"), null, dec("-10.25"), str("r2"), null},
	}
	v3 := []Row{
		{date("2024-01-02"), i32(1), i64(7), dec("99999999999999999999999999999999999.99"), dbl(0.25), null, str("a"), dec("2.99"), str("r3"), str("x3")},
		{date("2024-01-01"), i32(1), null, null, null, null, null, null, null, null},
		{date("2024-01-02"), i32(1), i64(-2), dec("0.01"), null, lint("1"), null, null, null, null},
	}
	got := Merge(s, [][]Row{v1, v2, v3})
	require.Equal(t, []Row{
		// NULL key first.
		{null, i32(9), i64(-2), dec("-1.50"), dbl(1), lint("-1"), str("a"), dec("-10.25"), str("r2"), str("n1")},
		// SUM/MAX/MIN over only NULLs stays NULL; REPLACE takes the newest NULL.
		{date("2024-01-01"), i32(1), null, null, null, null, null, null, null, null},
		{date("2024-01-02"), i32(1), i64(10), dec("100000000000000000000000000000000000.30"), dbl(1), lint("170141183460469231731687303715884105701"),
			str("c"), dec("2.99"), null, str("x3")},
	}, got)
	// The inputs are untouched.
	require.Equal(t, i64(5), v1[0][2])
	require.Equal(t, dec("0.20"), v2[0][3])
}

func TestMergeDecimalSumExact(t *testing.T) {
	s := &Schema{KeysType: KeysAggregate, Columns: []Column{
		{Name: "k", Type: types.TInt, IsKey: true},
		{Name: "d", Type: types.DecimalOf(27, 9), AggType: AggSum},
		{Name: "f", Type: types.TFloat, AggType: AggSum},
	}}
	var rows []Row
	for i := 0; i < 1000; i++ {
		rows = append(rows, Row{i32(1), dec("0.100000001"), fv(types.Float, 0.1)})
	}
	rows = append(rows, Row{i32(1), dec("-999999999999999999.000000000"), fv(types.Float, 0)})
	rows = append(rows, Row{i32(1), dec("999999999999999999.999999999"), fv(types.Float, 0)})
	got := Merge(s, [][]Row{rows})
	require.Len(t, got, 1)
	require.Equal(t, dec("101.000000999"), got[0][1])
	var f float32
	for i := 0; i < 1000; i++ {
		f += 0.1
	}
	require.Equal(t, fv(types.Float, float64(f)), got[0][2], "FLOAT sums in float32, in order")

	for _, tc := range []struct{ a, b, want string }{
		{"0.05", "-0.05", "0.00"},
		{"-0.05", "-0.05", "-0.10"},
		{"1.5", "1.25", "2.75"}, // non-canonical input takes the exact slow path
		{"922337203685477580.70", "922337203685477580.70", "1844674407370955161.40"},
	} {
		require.Equal(t, tc.want, addDecimal(tc.a, tc.b, 2), "%s + %s", tc.a, tc.b)
	}
	require.Equal(t, "-170141183460469231731687303715884105728", addDecimal("-170141183460469231731687303715884105727", "-1", 0))
}

func TestMergeUniqueAndPrimary(t *testing.T) {
	for _, model := range []string{KeysUnique, KeysPrimary} {
		t.Run(model, func(t *testing.T) {
			s := &Schema{KeysType: model, Columns: []Column{
				{Name: "k", Type: types.VarcharOf(32), IsKey: true},
				{Name: "k2", Type: types.TDateTime, IsKey: true},
				{Name: "v", Type: types.TInt, Nullable: true},
			}}
			dt := func(s string) types.Value { return sv(types.DateTime, s) }
			got := Merge(s, [][]Row{
				{{str("b"), dt("2024-01-01 00:00:00"), i32(1)}, {str("a"), dt("2024-01-01 00:00:00"), i32(2)}},
				{{str("b"), dt("2024-01-01 00:00:00"), null}, {str("b"), dt("2023-12-31 23:59:59"), i32(3)}},
				nil,
				{{str("a"), dt("2024-01-01 00:00:00"), i32(4)}, {str("a"), dt("2024-01-01 00:00:00"), i32(5)}},
			})
			require.Equal(t, []Row{
				{str("a"), dt("2024-01-01 00:00:00"), i32(5)},
				{str("b"), dt("2023-12-31 23:59:59"), i32(3)},
				{str("b"), dt("2024-01-01 00:00:00"), null},
			}, got)
		})
	}
}

func TestMergeDuplicate(t *testing.T) {
	s := intSchema(KeysDuplicate)
	a, b := intRows(3), intRows(2)
	require.Equal(t, append(append([]Row{}, a...), b...), Merge(s, [][]Row{a, nil, b}))
	require.Empty(t, Merge(s, nil))
}

// TestMergeMatchesNaive checks the hashed merge against an O(n²) reference
// on random data with colliding keys of several types.
func TestMergeMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &Schema{KeysType: KeysUnique, Columns: []Column{
		{Name: "a", Type: types.TInt, IsKey: true, Nullable: true},
		{Name: "b", Type: types.DecimalOf(5, 1), IsKey: true},
		{Name: "v", Type: types.TBigInt},
	}}
	var rowsets [][]Row
	n := 0
	for r := 0; r < 5; r++ {
		var rows []Row
		for i := 0; i < 300; i++ {
			a := i32(int64(rng.IntN(7) - 3))
			if rng.IntN(10) == 0 {
				a = null
			}
			rows = append(rows, Row{a, dec(fmt.Sprintf("%d.%d", rng.IntN(5)-2, rng.IntN(2)*5)), i64(int64(n))})
			n++
		}
		rowsets = append(rowsets, rows)
	}
	// Reference: the last row per key; keys ordered with types.Compare.
	var ref []Row
	for _, rows := range rowsets {
		for _, r := range rows {
			found := false
			for i, e := range ref {
				if e[0].IsNull() == r[0].IsNull() && (r[0].IsNull() || types.Compare(e[0], r[0]) == 0) && types.Compare(e[1], r[1]) == 0 {
					ref[i], found = r, true
				}
			}
			if !found {
				ref = append(ref, r)
			}
		}
	}
	got := Merge(s, rowsets)
	require.Len(t, got, len(ref))
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		c := 0
		switch {
		case a[0].IsNull() && !b[0].IsNull():
			c = -1
		case !a[0].IsNull() && !b[0].IsNull():
			c = types.Compare(a[0], b[0])
		}
		if c == 0 {
			c = types.Compare(a[1], b[1])
		}
		require.Negative(t, c, "rows %d and %d out of order: %v %v", i-1, i, a, b)
	}
	require.ElementsMatch(t, ref, got)
}

func TestCompareValuesMatchesTypesCompare(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gen := map[types.Kind]func() types.Value{
		types.Decimal: func() types.Value {
			v, err := types.ParseValue(types.DecimalOf(12, 3), fmt.Sprintf("%d.%03d", rng.IntN(2001)-1000, rng.IntN(1000)))
			require.NoError(t, err)
			return v
		},
		types.LargeInt: func() types.Value { return lint(fmt.Sprint(rng.Int64N(2001) - 1000)) },
		types.Date: func() types.Value {
			return date(fmt.Sprintf("%04d-%02d-%02d", 1990+rng.IntN(3), 1+rng.IntN(12), 1+rng.IntN(28)))
		},
		types.DateTime: func() types.Value {
			s := fmt.Sprintf("2024-01-01 %02d:%02d:%02d", rng.IntN(24), rng.IntN(60), rng.IntN(60))
			if rng.IntN(2) == 0 {
				s += fmt.Sprintf(".%06d", rng.IntN(1000000))
			}
			return sv(types.DateTime, s)
		},
		types.Varchar: func() types.Value { return str(fmt.Sprint(rng.IntN(1000))) },
		types.BigInt:  func() types.Value { return i64(rng.Int64N(2001) - 1000) },
		types.Double:  func() types.Value { return dbl(rng.Float64()*2 - 1) },
	}
	for k, g := range gen {
		ty := types.Type{Kind: k}
		for i := 0; i < 3000; i++ {
			a, b := g(), g()
			require.Equal(t, types.Compare(a, b), CompareValues(ty, a, b), "%s: %v vs %v", k, a, b)
		}
	}
	require.Equal(t, -1, CompareValues(types.TInt, null, i32(-1<<31)))
	require.Equal(t, 0, CompareValues(types.TInt, null, null))
	require.Equal(t, 1, CompareValues(types.TDate, date("0001-01-01"), null))
	// Mixed spellings fall back to types.Compare.
	require.Equal(t, 0, CompareValues(types.TDateTime, sv(types.DateTime, "2024-01-01 00:00:00"), sv(types.DateTime, "2024-01-01 00:00:00.000000")))
	require.Equal(t, 0, CompareValues(types.DecimalOf(5, 2), dec("1.50"), dec("1.5")))
	require.Equal(t, 1, CompareValues(types.DecimalOf(5, 2), dec("10.00"), dec("9.99")))
	require.Equal(t, -1, CompareValues(types.DecimalOf(5, 2), dec("-10.00"), dec("-9.99")))
	require.Equal(t, -1, CompareValues(types.DecimalOf(5, 2), dec("-0.01"), dec("0.00")))
}
