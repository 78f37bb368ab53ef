package lake

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// TestLakeEndToEnd walks one tablet through loads, a compaction and a
// vacuum on a MemStore, the way a compute node and the FE use the package.
func TestLakeEndToEnd(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	st := NewMemStore()
	st.Now = func() time.Time { return now }
	dir := "svc/" + layout.PartitionDir(1, 2, 3)
	require.Equal(t, "db1/2/3/", layout.PartitionDir(1, 2, 3))
	s := &Schema{KeysType: KeysUnique, Columns: []Column{
		{Name: "k", Type: types.TInt, IsKey: true},
		{Name: "v", Type: types.VarcharOf(8), Nullable: true},
	}}
	const tablet = 10
	load := func(txn int64, rows []Row) *TxnLog {
		var buf bytes.Buffer
		w := NewSegmentWriter(&buf, s)
		require.NoError(t, w.Append(rows))
		info, err := w.Close()
		require.NoError(t, err)
		key := layout.SegmentKey(txn, tablet, 0, uint64(txn))
		require.NoError(t, st.Put(ctx, dir+key, buf.Bytes()))
		l := &TxnLog{TabletID: tablet, TxnID: txn, GTID: txn, Op: OpWrite, Rowset: &Rowset{Rows: info.Rows, Size: info.Size,
			Segments: []SegmentRef{{Name: key, Rows: info.Rows, Size: info.Size}}}}
		require.NoError(t, st.Put(ctx, dir+layout.TxnLogKey(tablet, txn), EncodeTxnLog(l)))
		return l
	}
	publish := func(version, txn int64) *TabletMeta {
		base := EmptyMeta(tablet)
		if version > 2 {
			b, err := st.Get(ctx, dir+layout.MetaKey(tablet, version-1))
			require.NoError(t, err)
			base, err = DecodeMeta(dir+layout.MetaKey(tablet, version-1), b)
			require.NoError(t, err)
		}
		lb, err := st.Get(ctx, dir+layout.TxnLogKey(tablet, txn))
		require.NoError(t, err)
		l, err := DecodeTxnLog(dir+layout.TxnLogKey(tablet, txn), lb)
		require.NoError(t, err)
		m, err := Publish(base, l, version, txn, txn)
		require.NoError(t, err)
		require.NoError(t, st.Put(ctx, dir+layout.MetaKey(tablet, version), EncodeMeta(m)))
		return m
	}
	scan := func(m *TabletMeta) []Row {
		var sets [][]Row
		for _, name := range m.SegmentNames() {
			b, err := st.Get(ctx, dir+name)
			require.NoError(t, err)
			rows, err := ReadSegment(dir+name, b, s)
			require.NoError(t, err)
			sets = append(sets, rows)
		}
		return Merge(s, sets)
	}
	load(100, []Row{{i32(1), str("a")}, {i32(2), str("b")}})
	publish(2, 100)
	load(101, []Row{{i32(2), str("B")}, {i32(3), null}})
	m3 := publish(3, 101)
	want := []Row{{i32(1), str("a")}, {i32(2), str("B")}, {i32(3), null}}
	require.Equal(t, want, scan(m3))

	// Compaction writes the merged rows as one rowset.
	var buf bytes.Buffer
	w := NewSegmentWriter(&buf, s)
	require.NoError(t, w.Append(scan(m3)))
	info, err := w.Close()
	require.NoError(t, err)
	require.NoError(t, st.Put(ctx, dir+layout.SegmentKey(102, tablet, 0, 102), buf.Bytes()))
	cl := &TxnLog{TabletID: tablet, TxnID: 102, GTID: 102, Op: OpCompaction, InputRowsets: []uint32{1, 2},
		Rowset: &Rowset{Rows: 3, Size: info.Size, Segments: []SegmentRef{{Name: layout.SegmentKey(102, tablet, 0, 102), Rows: 3, Size: info.Size}}}}
	require.NoError(t, st.Put(ctx, dir+layout.TxnLogKey(tablet, 102), EncodeTxnLog(cl)))
	m4 := publish(4, 102)
	require.Equal(t, want, scan(m4))

	// Vacuum an hour later, keeping version 4 only.
	listed, err := st.List(ctx, dir)
	require.NoError(t, err)
	objs := Relative(listed, dir)
	require.Len(t, objs, 9)
	p := VacuumPolicy{MinRetainVersion: 4, Grace: now.Add(time.Hour)}
	retained := map[string]*TabletMeta{}
	for _, k := range MetasToRead(objs, p) {
		b, err := st.Get(ctx, dir+k)
		require.NoError(t, err)
		retained[k], err = DecodeMeta(dir+k, b)
		require.NoError(t, err)
	}
	dels := PlanVacuum(objs, retained, p)
	require.Equal(t, []string{layout.SegmentKey(100, tablet, 0, 100), layout.SegmentKey(101, tablet, 0, 101),
		layout.TxnLogKey(tablet, 100), layout.TxnLogKey(tablet, 101), layout.TxnLogKey(tablet, 102),
		layout.MetaKey(tablet, 2), layout.MetaKey(tablet, 3)}, dels)
	for _, k := range dels {
		require.NoError(t, st.Delete(ctx, dir+k))
	}
	require.Equal(t, want, scan(m4))
	_, err = st.Get(ctx, dir+layout.MetaKey(tablet, 2))
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, st.Delete(ctx, dir+"missing"))
}
