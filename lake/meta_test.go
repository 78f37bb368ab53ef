package lake

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/volume/layout"
)

func sampleMeta() *TabletMeta {
	return &TabletMeta{TabletID: 10005, Version: 4, TxnID: 77, GTID: 9001, NextRowsetID: 3, Rowsets: []Rowset{
		{ID: 1, TxnID: 70, Rows: 10, Size: 300, Segments: []SegmentRef{{Name: layout.SegmentKey(70, 10005, 0, 1), Rows: 10, Size: 300}}},
		{ID: 2, TxnID: 77, Rows: 5, Size: 200, Segments: []SegmentRef{
			{Name: layout.SegmentKey(77, 10005, 0, 2), Rows: 3, Size: 100}, {Name: layout.SegmentKey(77, 10005, 1, 3), Rows: 2, Size: 100}}},
	}}
}

func TestMetaRoundTrip(t *testing.T) {
	name := "s3://b/p/svc/db1/2/3/" + layout.MetaKey(10005, 4)
	for _, m := range []*TabletMeta{sampleMeta(), {TabletID: 10005, Version: 4, NextRowsetID: 1}} {
		b := EncodeMeta(m)
		require.Equal(t, byte('\n'), b[len(b)-1])
		got, err := DecodeMeta(name, b)
		require.NoError(t, err)
		require.Equal(t, m, got)
	}
	m := sampleMeta()
	require.Equal(t, int64(15), m.Rows())
	require.Equal(t, int64(500), m.Size())
	require.Equal(t, []string{layout.SegmentKey(70, 10005, 0, 1), layout.SegmentKey(77, 10005, 0, 2), layout.SegmentKey(77, 10005, 1, 3)}, m.SegmentNames())
	// The format is fixed: JSON line, then the checksum line.
	require.Equal(t, `{"tablet_id":1,"version":1,"txn_id":0,"gtid":0,"next_rowset_id":1}`+"\ncrc32c:",
		string(EncodeMeta(EmptyMeta(1))[:74]))

	l := &TxnLog{TabletID: 10005, TxnID: 80, GTID: 5, Op: OpCompaction, InputRowsets: []uint32{1, 2},
		Rowset: &Rowset{Rows: 15, Size: 450, Segments: []SegmentRef{{Name: layout.SegmentKey(80, 10005, 0, 4), Rows: 15, Size: 450}}}}
	got, err := DecodeTxnLog("x/"+layout.TxnLogKey(10005, 80), EncodeTxnLog(l))
	require.NoError(t, err)
	require.Equal(t, l, got)
}

func TestMetaCorruption(t *testing.T) {
	name := "s3://b/p/db1/2/3/" + layout.MetaKey(10005, 4)
	b := EncodeMeta(sampleMeta())
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x20
		got, err := DecodeMeta(name, c)
		require.Error(t, err, "byte %d", i)
		require.Nil(t, got)
		require.ErrorIs(t, err, ErrCorrupt)
		require.Contains(t, err.Error(), "tablet meta "+name+" is corrupt: ")
	}
	for n := 0; n < len(b); n++ {
		_, err := DecodeMeta(name, b[:n])
		require.ErrorIs(t, err, ErrCorrupt, "truncated to %d", n)
	}
	c := bytes.Clone(b)
	c[5] ^= 1
	_, err := DecodeMeta(name, c)
	require.EqualError(t, err, "tablet meta "+name+" is corrupt: checksum mismatch")
	// A valid meta stored under another version's name.
	_, err = DecodeMeta("s3://b/p/db1/2/3/"+layout.MetaKey(10005, 5), b)
	require.EqualError(t, err, "tablet meta s3://b/p/db1/2/3/meta/0000000000002715_0000000000000005.meta is corrupt: holds tablet 10005 version 4")

	lb := EncodeTxnLog(&TxnLog{TabletID: 1, TxnID: 2, Op: OpWrite})
	lb[3] ^= 1
	_, err = DecodeTxnLog("log/1_2.log", lb)
	require.EqualError(t, err, "txn log log/1_2.log is corrupt: checksum mismatch")
	_, err = DecodeTxnLog(layout.TxnLogKey(1, 3), EncodeTxnLog(&TxnLog{TabletID: 1, TxnID: 2, Op: OpWrite}))
	require.ErrorIs(t, err, ErrCorrupt)
}

func rs(rows int64, names ...string) *Rowset {
	r := &Rowset{Rows: rows}
	for _, n := range names {
		r.Segments = append(r.Segments, SegmentRef{Name: n, Rows: rows / int64(len(names)), Size: 100})
		r.Size += 100
	}
	return r
}

func TestPublish(t *testing.T) {
	base := EmptyMeta(7)
	require.Equal(t, &TabletMeta{TabletID: 7, Version: 1, NextRowsetID: 1}, base)

	// Three writes, an empty write and a version with no log.
	v2, err := Publish(base, &TxnLog{TabletID: 7, TxnID: 100, GTID: 1000, Op: OpWrite, Rowset: rs(10, "data/a")}, 2, 100, 1000)
	require.NoError(t, err)
	v3, err := Publish(v2, &TxnLog{TabletID: 7, TxnID: 101, GTID: 1001, Op: OpWrite, Rowset: rs(20, "data/b", "data/c")}, 3, 101, 1001)
	require.NoError(t, err)
	v4, err := Publish(v3, &TxnLog{TabletID: 7, TxnID: 102, GTID: 1002, Op: OpWrite}, 4, 102, 1002)
	require.NoError(t, err)
	v5, err := Publish(v4, nil, 5, 103, 1003)
	require.NoError(t, err)
	v6, err := Publish(v5, &TxnLog{TabletID: 7, TxnID: 104, GTID: 1004, Op: OpWrite, Rowset: rs(5, "data/d")}, 6, 104, 1004)
	require.NoError(t, err)
	require.Equal(t, &TabletMeta{TabletID: 7, Version: 6, TxnID: 104, GTID: 1004, NextRowsetID: 4, Rowsets: []Rowset{
		{ID: 1, TxnID: 100, Rows: 10, Size: 100, Segments: []SegmentRef{{Name: "data/a", Rows: 10, Size: 100}}},
		{ID: 2, TxnID: 101, Rows: 20, Size: 200, Segments: []SegmentRef{{Name: "data/b", Rows: 10, Size: 100}, {Name: "data/c", Rows: 10, Size: 100}}},
		{ID: 3, TxnID: 104, Rows: 5, Size: 100, Segments: []SegmentRef{{Name: "data/d", Rows: 5, Size: 100}}},
	}}, v6)
	require.Equal(t, int64(1), base.Version, "base untouched")
	require.Len(t, v2.Rowsets, 1, "base untouched")

	// Compaction of the first two: output at their position, before rowset 3.
	v7, err := Publish(v6, &TxnLog{TabletID: 7, TxnID: 105, GTID: 1005, Op: OpCompaction, InputRowsets: []uint32{2, 1}, Rowset: rs(30, "data/e")}, 7, 105, 1005)
	require.NoError(t, err)
	require.Equal(t, []uint32{4, 3}, rowsetIDs(v7))
	require.Equal(t, "data/e", v7.Rowsets[0].Segments[0].Name)
	require.Equal(t, uint32(5), v7.NextRowsetID)
	// Compaction of the last one alone, into nothing (all rows gone).
	v8, err := Publish(v7, &TxnLog{TabletID: 7, TxnID: 106, GTID: 1006, Op: OpCompaction, InputRowsets: []uint32{3}}, 8, 106, 1006)
	require.NoError(t, err)
	require.Equal(t, []uint32{4}, rowsetIDs(v8))
	// Middle compaction keeps order.
	v9, _ := Publish(v6, &TxnLog{TabletID: 7, TxnID: 107, GTID: 1, Op: OpCompaction, InputRowsets: []uint32{2}, Rowset: rs(20, "data/f")}, 7, 107, 1)
	require.Equal(t, []uint32{1, 4, 3}, rowsetIDs(v9))

	for _, tc := range []struct {
		name    string
		base    *TabletMeta
		log     *TxnLog
		version int64
		txn     int64
		want    string
	}{
		{"no base", nil, nil, 2, 1, "publish version 2: no base metadata"},
		{"version gap", v6, nil, 8, 1, "publish tablet 7 version 8: base is version 6, want 7"},
		{"same version", v6, nil, 6, 1, "publish tablet 7 version 6: base is version 6, want 5"},
		{"other tablet", v6, &TxnLog{TabletID: 8, TxnID: 1, Op: OpWrite}, 7, 1, "publish tablet 7 version 7: txn log is for tablet 8"},
		{"other txn", v6, &TxnLog{TabletID: 7, TxnID: 2, Op: OpWrite}, 7, 1, "publish tablet 7 version 7: txn log is for txn 2, not 1"},
		{"other gtid", v6, &TxnLog{TabletID: 7, TxnID: 1, GTID: 9, Op: OpWrite, Rowset: rs(1, "x")}, 7, 1,
			"publish tablet 7 version 7: txn log of txn 1 has gtid 9, not 0 (a leftover of another timeline)"},
		{"bad op", v6, &TxnLog{TabletID: 7, TxnID: 1, Op: "merge"}, 7, 1, `publish tablet 7 version 7: unknown txn log op "merge"`},
		{"missing input", v7, &TxnLog{TabletID: 7, TxnID: 1, Op: OpCompaction, InputRowsets: []uint32{1}, Rowset: rs(1, "x")}, 8, 1,
			"publish tablet 7 version 8: compaction input rowset 1 is not in version 7"},
		{"no inputs", v6, &TxnLog{TabletID: 7, TxnID: 1, Op: OpCompaction}, 7, 1, "publish tablet 7 version 7: compaction txn 1 has no input rowsets"},
		{"duplicate input", v6, &TxnLog{TabletID: 7, TxnID: 1, Op: OpCompaction, InputRowsets: []uint32{1, 1}}, 7, 1,
			"publish tablet 7 version 7: compaction lists rowset 1 twice"},
		{"not adjacent", v6, &TxnLog{TabletID: 7, TxnID: 1, Op: OpCompaction, InputRowsets: []uint32{1, 3}}, 7, 1,
			"publish tablet 7 version 7: compaction inputs [1 3] are not adjacent in version 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Publish(tc.base, tc.log, tc.version, tc.txn, 0)
			require.EqualError(t, err, tc.want)
			require.Nil(t, m)
		})
	}
}

func TestWrittenByBelongsTo(t *testing.T) {
	m := &TabletMeta{TabletID: 7, Version: 4, TxnID: 40, GTID: 400}
	l := &TxnLog{TabletID: 7, TxnID: 40, GTID: 400}
	for _, tc := range []struct {
		name      string
		txn, gtid int64
		want      bool
	}{
		{"same txn and gtid", 40, 400, true},
		{"same txn id, another timeline", 40, 401, false},
		{"another txn, same gtid", 41, 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, m.WrittenBy(tc.txn, tc.gtid))
			require.Equal(t, tc.want, l.BelongsTo(tc.txn, tc.gtid))
		})
	}
	require.False(t, (*TabletMeta)(nil).WrittenBy(40, 400))
	require.False(t, (*TxnLog)(nil).BelongsTo(40, 400))
}

func rowsetIDs(m *TabletMeta) []uint32 {
	var ids []uint32
	for _, r := range m.Rowsets {
		ids = append(ids, r.ID)
	}
	return ids
}
