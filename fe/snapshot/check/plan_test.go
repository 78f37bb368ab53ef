package check

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// world is one partition's directory: tablets 10 and 11, visible version
// 3, and a committed transaction 50 at version 4 that wrote to tablet 10.
type world struct {
	listing map[string]int64
	metas   map[string]*lake.TabletMeta
	logs    map[string]*lake.TxnLog
}

func seg(txn, tablet int64) lake.SegmentRef {
	return lake.SegmentRef{Name: layout.SegmentKey(txn, tablet, 0, uint64(txn*31+tablet)), Rows: 1, Size: 100 + txn}
}

func tmeta(tablet, version int64, segs ...lake.SegmentRef) *lake.TabletMeta {
	return &lake.TabletMeta{TabletID: tablet, Version: version, Rowsets: []lake.Rowset{{ID: 1, Segments: segs}}}
}

func newWorld() *world {
	w := &world{listing: map[string]int64{}, metas: map[string]*lake.TabletMeta{}, logs: map[string]*lake.TxnLog{}}
	w.addMeta(tmeta(10, 3, seg(40, 10), seg(41, 10)))
	w.addMeta(tmeta(11, 3, seg(41, 11)))
	w.log(&lake.TxnLog{TabletID: 10, TxnID: 50, Op: lake.OpWrite, Rowset: &lake.Rowset{Segments: []lake.SegmentRef{seg(50, 10)}}})
	for _, s := range []lake.SegmentRef{seg(40, 10), seg(41, 10), seg(41, 11), seg(50, 10)} {
		w.listing[s.Name] = s.Size
	}
	// Objects nothing needs: an older version and its segment.
	w.addMeta(tmeta(10, 2, seg(30, 10)))
	return w
}

func (w *world) addMeta(m *lake.TabletMeta) {
	k := layout.MetaKey(m.TabletID, m.Version)
	w.metas[k], w.listing[k] = m, 1
}

func (w *world) log(l *lake.TxnLog) {
	k := layout.TxnLogKey(l.TabletID, l.TxnID)
	w.logs[k], w.listing[k] = l, 1
}

func (w *world) without(keys ...string) *world {
	for _, k := range keys {
		delete(w.listing, k)
		delete(w.metas, k)
		delete(w.logs, k)
	}
	return w
}

func part(pending ...PendingTxn) Partition {
	return Partition{DBID: 1, TableID: 2, ID: 3, Tablets: []int64{10, 11}, Visible: 3, Pending: pending}
}

var txn50 = PendingTxn{TxnID: 50, Version: 4, DataTablets: []int64{10}, Recorded: true}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      Partition
		w      *world
		read   []string
		want   []Problem
		counts Counts
	}{
		{
			name:   "complete, nothing pending",
			p:      part(),
			w:      newWorld(),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3)},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 3},
		},
		{
			name:   "empty partition needs nothing",
			p:      Partition{ID: 3, Tablets: []int64{10, 11}, Visible: 1},
			w:      &world{},
			counts: Counts{Partitions: 1, Tablets: 2},
		},
		{
			name:   "complete with a committed transaction's txn log",
			p:      part(txn50),
			w:      newWorld(),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3), layout.TxnLogKey(10, 50)},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 4, TxnLogs: 1},
		},
		{
			name: "committed transaction published since: its metadata stands for the log",
			p:    part(txn50),
			w: func() *world {
				w := newWorld().without(layout.TxnLogKey(10, 50))
				w.addMeta(tmeta(10, 4, seg(40, 10), seg(41, 10), seg(50, 10)))
				w.addMeta(tmeta(11, 4, seg(41, 11)))
				return w
			}(),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(11, 3), layout.MetaKey(11, 4)},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 4, Segments: 4},
		},
		{
			name:   "visible metadata missing",
			p:      part(),
			w:      newWorld().without(layout.MetaKey(11, 3)),
			read:   []string{layout.MetaKey(10, 3)},
			want:   []Problem{{Object: layout.MetaKey(11, 3), Reason: "tablet metadata missing, needed for visible version 3"}},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 1, Segments: 2},
		},
		{
			name:   "segment missing",
			p:      part(),
			w:      newWorld().without(seg(41, 10).Name),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3)},
			want:   []Problem{{Object: seg(41, 10).Name, Reason: "segment missing, listed by " + layout.MetaKey(10, 3)}},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 3},
		},
		{
			name: "segment of the wrong size",
			p:    part(),
			w: func() *world {
				w := newWorld()
				w.listing[seg(41, 11).Name] = 7
				return w
			}(),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3)},
			want:   []Problem{{Object: seg(41, 11).Name, Reason: "segment is 7 bytes, " + layout.MetaKey(11, 3) + " says 141"}},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 3},
		},
		{
			name: "metadata listed but unreadable",
			p:    part(),
			w: func() *world {
				w := newWorld()
				delete(w.metas, layout.MetaKey(10, 3))
				return w
			}(),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3)},
			want:   []Problem{{Object: layout.MetaKey(10, 3), Reason: "tablet metadata cannot be read, needed for visible version 3"}},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 1},
		},
		{
			name: "txn log of a committed transaction missing and not published",
			p:    part(txn50),
			w:    newWorld().without(layout.TxnLogKey(10, 50)),
			read: []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3)},
			want: []Problem{{Object: layout.TxnLogKey(10, 50),
				Reason: "txn log missing and " + layout.MetaKey(10, 4) + " not written, needed to publish version 4 of committed transaction 50"}},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 3},
		},
		{
			name:   "segment of a committed transaction's txn log missing",
			p:      part(txn50),
			w:      newWorld().without(seg(50, 10).Name),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3), layout.TxnLogKey(10, 50)},
			want:   []Problem{{Object: seg(50, 10).Name, Reason: "segment missing, listed by " + layout.TxnLogKey(10, 50)}},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 4, TxnLogs: 1},
		},
		{
			name:   "a commit that did not record its data tablets: a missing log cannot be told from no data",
			p:      part(PendingTxn{TxnID: 50, Version: 4}),
			w:      newWorld().without(layout.TxnLogKey(10, 50)),
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(11, 3)},
			counts: Counts{Partitions: 1, Tablets: 2, Metas: 2, Segments: 3},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := ToRead(tc.p, tc.w.listing)
			if tc.read == nil {
				require.Empty(t, read)
			} else {
				require.ElementsMatch(t, tc.read, read)
			}
			got, counts := Check(tc.p, tc.w.listing, tc.w.metas, tc.w.logs)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.counts, counts)
		})
	}
}

// TestPartitions: the partitions of live and recycled tables and the
// recycled partitions, with their committed transactions; nothing of a
// partition in the purge queue.
func TestPartitions(t *testing.T) {
	const first = catalog.FirstID
	c := catalog.New()
	apply := func(ops ...catalog.Op) {
		t.Helper()
		for _, op := range ops {
			require.NoError(t, c.Apply(op))
		}
	}
	tbl := func(id int64, name string, pid int64) catalog.Table {
		return catalog.Table{ID: id, DBID: first, Name: name, KeysType: catalog.DupKeys, KeyColumns: []string{"k"},
			Columns:       []catalog.Column{{Name: "k", Type: types.TInt, IsKey: true, Nullable: true}},
			Partitioning:  catalog.PartitionInfo{Type: "UNPARTITIONED"},
			Distribution:  catalog.Distribution{Type: "HASH", Columns: []string{"k"}, Buckets: 2},
			StorageVolume: "builtin_storage_volume",
			Partitions:    []*catalog.Partition{{ID: pid, Name: name, ShardGroupID: pid + 1, Tablets: []int64{pid + 2, pid + 3}, VisibleVersion: 1, NextVersion: 2}},
		}
	}
	apply(&catalog.BootstrapOp{ClusterID: "42",
		Frontend: catalog.Frontend{Name: "fe1", Host: "h", EditLogPort: 9010, Role: catalog.RoleFollower},
		Volume:   &catalog.StorageVolume{ID: "v1", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://b/p"}, Enabled: true}},
		&catalog.SaveNextIDOp{NextID: first + 1000},
		&catalog.CreateDBOp{DB: catalog.Database{ID: first, Name: "d"}})
	t1, t2, t3 := tbl(first+10, "t1", first+11), tbl(first+20, "t2", first+21), tbl(first+30, "t3", first+31)
	apply(&catalog.CreateTableOp{Table: t1}, &catalog.CreateTableOp{Table: t2}, &catalog.CreateTableOp{Table: t3})
	apply(&catalog.BeginTxnOp{Txn: catalog.Transaction{ID: 1, DBID: first, TableID: first + 10, Label: "a", Kind: catalog.TxnInsert}},
		&catalog.CommitTxnOp{TxnID: 1, PartitionIDs: []int64{first + 11}, Rows: 1, DataTablets: []int64{first + 14}},
		&catalog.VisibleTxnOp{TxnID: 1},
		&catalog.BeginTxnOp{Txn: catalog.Transaction{ID: 2, DBID: first, TableID: first + 10, Label: "b", Kind: catalog.TxnInsert}},
		&catalog.CommitTxnOp{TxnID: 2, PartitionIDs: []int64{first + 11}, Rows: 1, DataTablets: []int64{first + 13}})
	apply(&catalog.DropTableOp{DBID: first, TableID: first + 20, DropTime: 1},
		&catalog.DropTableOp{DBID: first, TableID: first + 30, Force: true, DropTime: 1})
	got := Partitions(c)
	require.Equal(t, []Partition{
		{DBID: first, TableID: first + 10, ID: first + 11, Table: "t1", Name: "t1", Volume: "builtin_storage_volume",
			Tablets: []int64{first + 13, first + 14}, Visible: 2,
			Pending: []PendingTxn{{TxnID: 2, Version: 3, DataTablets: []int64{first + 13}, Recorded: true}}},
		{DBID: first, TableID: first + 20, ID: first + 21, Table: "t2", Name: "t2", Volume: "builtin_storage_volume",
			Tablets: []int64{first + 23, first + 24}, Visible: 1},
	}, got)
	require.Equal(t, "db10000/10010/10011/", got[0].Dir())
	// The same partitions the pin rule pins.
	var pinned []int64
	for _, p := range c.SnapshotPins() {
		pinned = append(pinned, p.PartitionID)
	}
	require.Equal(t, []int64{got[0].ID, got[1].ID}, pinned)
}
