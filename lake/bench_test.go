package lake

import (
	"fmt"
	"testing"

	"github.com/minirocks/minirocks/types"
)

// benchSchema is a typical fact table: 8 columns of mixed types.
func benchSchema(keys string) *Schema {
	return &Schema{KeysType: keys, Columns: []Column{
		{Name: "id", Type: types.TBigInt, IsKey: true},
		{Name: "dt", Type: types.TDateTime, Nullable: true, AggType: aggFor(keys, AggReplace)},
		{Name: "user", Type: types.VarcharOf(32), Nullable: true, AggType: aggFor(keys, AggMax)},
		{Name: "qty", Type: types.TInt, Nullable: true, AggType: aggFor(keys, AggSum)},
		{Name: "price", Type: types.DecimalOf(18, 2), AggType: aggFor(keys, AggSum)},
		{Name: "score", Type: types.TDouble, Nullable: true, AggType: aggFor(keys, AggMin)},
		{Name: "flag", Type: types.TBoolean, AggType: aggFor(keys, AggReplace)},
		{Name: "note", Type: types.TString, Nullable: true, AggType: aggFor(keys, AggReplaceIfNotNull)},
	}}
}

func aggFor(keys, agg string) string {
	if keys == KeysAggregate {
		return agg
	}
	return ""
}

func benchRows(n, distinct int) []Row {
	rows := make([]Row, n)
	vals := make([]types.Value, n*8)
	for i := range rows {
		r := vals[i*8 : i*8+8 : i*8+8]
		r[0] = iv(types.BigInt, int64((i*7919)%distinct))
		r[1] = sv(types.DateTime, fmt.Sprintf("2024-%02d-%02d %02d:%02d:%02d", 1+i%12, 1+i%28, i%24, i%60, (i/60)%60))
		r[2] = sv(types.Varchar, fmt.Sprintf("user_%d", i%5000))
		if i%10 != 0 {
			r[3] = iv(types.Int, int64(i%1000))
		}
		r[4] = sv(types.Decimal, fmt.Sprintf("%d.%02d", i%100000, i%100))
		r[5] = fv(types.Double, float64(i)*0.25)
		r[6] = iv(types.Boolean, int64(i&1))
		if i%3 == 0 {
			r[7] = sv(types.Varchar, "a somewhat longer comment text")
		}
		rows[i] = r
	}
	return rows
}

const benchBlockRows = 64 * 1024

func BenchmarkEncodeBlock(b *testing.B) {
	s := benchSchema(KeysDuplicate)
	rows := benchRows(benchBlockRows, benchBlockRows)
	enc := NewBlockEncoder(s)
	buf, _ := enc.Encode(nil, rows)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf, _ = enc.Encode(buf[:0], rows)
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDecodeBlock(b *testing.B) {
	s := benchSchema(KeysDuplicate)
	rows := benchRows(benchBlockRows, benchBlockRows)
	buf := EncodeBlock(s, rows)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeBlock(s, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMerge merges 1M rows in 4 rowsets, 250K distinct keys.
func BenchmarkMerge(b *testing.B) {
	const n = 1 << 20
	for _, keys := range []string{KeysDuplicate, KeysAggregate, KeysUnique} {
		b.Run(keys, func(b *testing.B) {
			s := benchSchema(keys)
			rows := benchRows(n, n/4)
			sets := [][]Row{rows[:n/4], rows[n/4 : n/2], rows[n/2 : 3*n/4], rows[3*n/4:]}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Merge(s, sets)
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
