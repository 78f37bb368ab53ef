package lake

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
)

func routeSchema() *Schema {
	return &Schema{KeysType: KeysDuplicate, Columns: []Column{
		{Name: "dt", Type: types.TDateTime, Nullable: true},
		{Name: "id", Type: types.TBigInt},
		{Name: "name", Type: types.VarcharOf(32), Nullable: true},
		{Name: "d", Type: types.TDate, Nullable: true},
		{Name: "f", Type: types.TFloat},
		{Name: "amt", Type: types.DecimalOf(10, 2)},
	}}
}

func goldenRows() []Row {
	return []Row{
		{sv(types.DateTime, "2024-01-01 00:00:00"), i64(1), str("alice"), date("2024-01-01"), fv(types.Float, 1.5), dec("10.00")},
		{sv(types.DateTime, "2024-06-30 23:59:59.123456"), i64(-1), null, null, fv(types.Float, 0.1), dec("-0.01")},
		{null, i64(math.MaxInt64), str(""), date("1970-01-01"), fv(types.Float, 0), dec("0.00")},
		{sv(types.DateTime, "1999-12-31 12:00:00"), i64(0), str("日本"), date("9999-12-31"), fv(types.Float, math.Copysign(0, -1)), dec("99999999.99")},
	}
}

func TestHashGolden(t *testing.T) {
	s := routeSchema()
	// Pinned values: changing them moves rows of existing tables to other
	// tablets, so any change to the hash is a format change.
	wantIDName := []uint32{1544960756, 3592197464, 30111626, 3160939197}
	wantOthers := []uint32{1185585511, 3123555623, 2115996987, 2759794917}
	for i, r := range goldenRows() {
		require.Equal(t, wantIDName[i], HashRow(s, []int{1, 2}, r), "row %d", i)
		require.Equal(t, wantOthers[i], HashRow(s, []int{0, 3, 4, 5}, r), "row %d", i)
	}
	// The encoding is exactly what docs/lake-format.md documents.
	r := goldenRows()[0]
	var b []byte
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint64(b, 1)
	b = append(b, 1, 5, 0, 0, 0)
	b = append(b, "alice"...)
	require.Equal(t, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)), HashRow(s, []int{1, 2}, r))
	b = []byte{0}
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(float32(0.1))))
	require.Equal(t, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)), HashRow(s, []int{3, 4}, goldenRows()[1]))
	// -0 hashes as +0; a FLOAT column hashes float32 precision.
	require.Equal(t, HashRow(s, []int{4}, Row{4: fv(types.Float, 0)}), HashRow(s, []int{4}, goldenRows()[3]))
	require.Equal(t, HashRow(s, []int{4}, Row{4: fv(types.Double, float64(float32(0.1)))}), HashRow(s, []int{4}, Row{4: fv(types.Double, 0.1)}))
}

func ptr(v types.Value) *types.Value { return &v }

func TestRouteRange(t *testing.T) {
	s := routeSchema()
	parts := []PartitionRoute{
		{ID: 1, Name: "p2023", Upper: ptr(sv(types.DateTime, "2024-01-01 00:00:00")), Tablets: []int64{11, 12}},
		{ID: 2, Name: "p2024h1", Upper: ptr(str("2024-07-01")), Tablets: []int64{21, 22, 23}}, // text bound, converted
		{ID: 3, Name: "p2024h2", Upper: ptr(sv(types.Date, "2025-01-01")), Tablets: []int64{31}},
	}
	r, err := NewRouter(s, 0, parts, []int{1})
	require.NoError(t, err)
	require.Equal(t, sv(types.DateTime, "2024-07-01 00:00:00"), *r.Partitions()[1].Upper)
	row := func(dt types.Value) Row { return Row{dt, i64(7), str("x"), null, fv(types.Float, 0), dec("1.00")} }
	for _, tc := range []struct {
		v    types.Value
		part int
		err  string
	}{
		{null, 0, ""},
		{sv(types.DateTime, "0001-01-01 00:00:00"), 0, ""},
		{sv(types.DateTime, "2023-12-31 23:59:59.999999"), 0, ""},
		{sv(types.DateTime, "2024-01-01 00:00:00"), 1, ""},
		{sv(types.Date, "2024-01-01"), 1, ""},
		{str("2024-06-30 23:59:59"), 1, ""},
		{sv(types.DateTime, "2024-07-01 00:00:00"), 2, ""},
		{sv(types.DateTime, "2024-12-31 23:59:59"), 2, ""},
		{sv(types.DateTime, "2025-01-01 00:00:00"), 0, "no partition for value '2025-01-01 00:00:00'"},
		{str("2031-05-01"), 0, "no partition for value '2031-05-01 00:00:00'"},
		{str("yesterday"), 0, "route: column dt: 'yesterday' is not a valid DATETIME"},
	} {
		p, tab, err := r.Route(row(tc.v))
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.v.String())
			continue
		}
		require.NoError(t, err, tc.v.String())
		require.Equal(t, tc.part, p, tc.v.String())
		h := HashRow(s, []int{1}, row(tc.v))
		require.Equal(t, int(h%uint32(len(parts[p].Tablets))), tab)
	}
	_, _, err = r.Route(row(sv(types.DateTime, "2099-01-01 00:00:00")))
	var npe *NoPartitionError
	require.True(t, errors.As(err, &npe))
	require.Equal(t, "dt", npe.Column)
	require.ErrorIs(t, err, ErrNoPartition)

	// MAXVALUE catches the rest; INT partition column.
	is := &Schema{KeysType: KeysDuplicate, Columns: []Column{{Name: "k", Type: types.TInt}, {Name: "d", Type: types.TDate}}}
	r, err = NewRouter(is, 0, []PartitionRoute{
		{Name: "p0", Upper: ptr(i32(0)), Tablets: []int64{1}},
		{Name: "p100", Upper: ptr(i32(100)), Tablets: []int64{2}},
		{Name: "pmax", Tablets: []int64{3}},
	}, []int{0})
	require.NoError(t, err)
	for v, want := range map[int64]int{math.MinInt32: 0, -1: 0, 0: 1, 99: 1, 100: 2, math.MaxInt32: 2} {
		p, _, err := r.Route(Row{i32(v), null})
		require.NoError(t, err)
		require.Equal(t, want, p, "%d", v)
	}
	p, _, err := r.Route(Row{dbl(50), null}) // a DOUBLE for an INT column is converted
	require.NoError(t, err)
	require.Equal(t, 1, p)

	// DATE partition column.
	r, err = NewRouter(is, 1, []PartitionRoute{
		{Name: "p1", Upper: ptr(date("2024-02-01")), Tablets: []int64{1}},
		{Name: "p2", Upper: ptr(date("2024-03-01")), Tablets: []int64{2}},
	}, []int{0})
	require.NoError(t, err)
	for v, want := range map[string]int{"2024-01-31": 0, "2024-02-01": 1, "2024-02-29": 1} {
		p, _, err := r.Route(Row{i32(1), date(v)})
		require.NoError(t, err)
		require.Equal(t, want, p, v)
	}
	_, _, err = r.Route(Row{i32(1), date("2024-03-01")})
	require.EqualError(t, err, "no partition for value '2024-03-01'")
}

func TestRouterErrors(t *testing.T) {
	s := routeSchema()
	one := []int64{1}
	for _, tc := range []struct {
		name  string
		pcol  int
		parts []PartitionRoute
		dist  []int
		want  string
	}{
		{"none", -1, nil, nil, "router: no partitions"},
		{"unpartitioned many", -1, []PartitionRoute{{Tablets: one}, {Tablets: one}}, nil, "router: an unpartitioned table has one partition, not 2"},
		{"bad column", 9, []PartitionRoute{{Tablets: one}}, nil, "router: partition column 9 out of range"},
		{"bad dist", -1, []PartitionRoute{{Tablets: one}}, []int{6}, "router: distribution column 6 out of range"},
		{"no tablets", -1, []PartitionRoute{{Name: "p"}}, nil, "router: partition p has no tablets"},
		{"maxvalue first", 1, []PartitionRoute{{Name: "a", Tablets: one}, {Name: "b", Upper: ptr(i64(1)), Tablets: one}}, nil,
			"router: only the last partition may be MAXVALUE, not a"},
		{"descending", 1, []PartitionRoute{{Name: "a", Upper: ptr(i64(5)), Tablets: one}, {Name: "b", Upper: ptr(i64(5)), Tablets: one}}, nil,
			"router: partition b's upper bound '5' is not above the previous one"},
		{"bad bound", 3, []PartitionRoute{{Name: "a", Upper: ptr(str("soon")), Tablets: one}}, nil, "router: partition a has bad upper bound 'soon'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRouter(s, tc.pcol, tc.parts, tc.dist)
			require.EqualError(t, err, tc.want)
		})
	}
	r, err := NewRouter(s, -1, []PartitionRoute{{Tablets: one}}, nil)
	require.NoError(t, err)
	_, _, err = r.Route(Row{null})
	require.EqualError(t, err, "route: row has 1 values, table has 6 columns")
}

func TestRouteHashAndRandom(t *testing.T) {
	s := routeSchema()
	tablets := []int64{1, 2, 3, 4, 5, 6, 7, 8}
	parts := []PartitionRoute{{ID: 9, Name: "t", Tablets: tablets}}
	h, err := NewRouter(s, -1, parts, []int{1, 2})
	require.NoError(t, err)
	counts := make([]int, len(tablets))
	for i := 0; i < 80000; i++ {
		row := Row{null, i64(int64(i)), str("n"), null, fv(types.Float, 0), dec("0.00")}
		p, tab, err := h.Route(row)
		require.NoError(t, err)
		require.Equal(t, 0, p)
		// Another router over the same catalog data agrees.
		h2, _ := NewRouter(s, -1, parts, []int{1, 2})
		_, tab2, _ := h2.Route(row)
		require.Equal(t, tab, tab2)
		// An INT value in the BIGINT column hashes like the BIGINT.
		row[1] = i32(int64(i))
		_, tab3, _ := h.Route(row)
		require.Equal(t, tab, tab3)
		counts[tab]++
	}
	for _, c := range counts {
		require.InDelta(t, 10000, c, 500)
	}

	// RANDOM: exact round-robin per partition, also across goroutines.
	r, err := NewRouter(s, -1, parts, nil)
	require.NoError(t, err)
	row := goldenRows()[0]
	for i := 0; i < 20; i++ {
		_, tab, err := r.Route(row)
		require.NoError(t, err)
		require.Equal(t, i%8, tab)
	}
	counts = make([]int, len(tablets))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				_, tab, _ := r.Route(row)
				mu.Lock()
				counts[tab]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, []int{500, 500, 500, 500, 500, 500, 500, 500}, counts)
}
