package meta

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/starmgr"
)

func apply(t testing.TB, m *State, ops ...any) any {
	t.Helper()
	jops, err := EncodeOps(ops)
	require.NoError(t, err)
	// Round-trip through the entry encoding, as the journal does.
	decoded, err := journal.DecodeEntry(journal.EncodeEntry(jops))
	require.NoError(t, err)
	return m.Apply(1, decoded)
}

// TestEntryAppliesWholeOrNotAtAll: when one op of an entry is rejected, no
// op of the entry applies, in either state machine.
func TestEntryAppliesWholeOrNotAtAll(t *testing.T) {
	m := NewState()
	require.Nil(t, apply(t, m, &catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "fe"}}, &starmgr.InitOp{ServiceID: "svc"}))
	require.Nil(t, apply(t, m, &catalog.SaveNextIDOp{NextID: catalog.FirstID + 100}))
	require.Equal(t, uint64(1), m.StarMgr.JournalID())

	cases := []struct {
		name string
		ops  []any
	}{
		{"catalog op rejected", []any{
			&starmgr.CreateShardGroupsOp{Groups: []starmgr.ShardGroup{{ID: catalog.FirstID + 50, Shards: []int64{catalog.FirstID + 51}}}},
			&catalog.CreateDBOp{DB: catalog.Database{ID: catalog.FirstID + 5000, Name: "x"}}, // id not allocated
		}},
		{"starmgr op rejected", []any{
			&catalog.CreateDBOp{DB: catalog.Database{ID: catalog.FirstID + 1, Name: "y"}},
			&starmgr.InitOp{ServiceID: "again"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, err := m.Snapshot()
			require.NoError(t, err)
			res := apply(t, m, tc.ops...)
			require.Error(t, res.(error))
			after, err := m.Snapshot()
			require.NoError(t, err)
			var b1, b2 bytes.Buffer
			before.WriteTo(&b1)
			after.WriteTo(&b2)
			require.Equal(t, b1.String(), b2.String())
			require.Equal(t, uint64(1), after.JournalIDs()["starmgr"])
		})
	}
}

func TestMetaStateImageRoundTrip(t *testing.T) {
	m := NewState()
	require.Nil(t, apply(t, m, &catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "fe"}}, &starmgr.InitOp{ServiceID: "svc"}))
	require.Nil(t, apply(t, m, &catalog.SaveNextIDOp{NextID: catalog.FirstID + 100}))
	require.Nil(t, apply(t, m, &catalog.CreateDBOp{DB: catalog.Database{ID: catalog.FirstID, Name: "d"}}))
	snap, err := m.Snapshot()
	require.NoError(t, err)
	var body bytes.Buffer
	_, err = snap.WriteTo(&body)
	require.NoError(t, err)

	m2 := NewState()
	require.NoError(t, m2.Restore(journal.ImageHeader{FEJournalID: 3, JournalIDs: snap.JournalIDs()}, &body))
	require.NotNil(t, m2.Catalog.DB("d"))
	require.Equal(t, "svc", m2.StarMgr.ServiceID())
	require.Equal(t, m.StarMgr.JournalID(), m2.StarMgr.JournalID())
	require.Equal(t, m.StarMgr.JournalID(), StarMgrJournalID(journal.ImageHeader{JournalIDs: snap.JournalIDs()}))
}

// snapTable is a one-partition table whose ids start at first: the table,
// then partition, shard group and two tablets.
func snapTable(db, first int64, name string) catalog.Table {
	return catalog.Table{ID: first, DBID: db, Name: name, KeysType: catalog.DupKeys,
		Partitioning:  catalog.PartitionInfo{Type: "UNPARTITIONED"},
		Distribution:  catalog.Distribution{Type: "RANDOM", Buckets: 2},
		StorageVolume: "builtin_storage_volume",
		Partitions: []*catalog.Partition{{ID: first + 1, Name: name, ShardGroupID: first + 2,
			Tablets: []int64{first + 3, first + 4}, VisibleVersion: 1, NextVersion: 2}}}
}

// snapshotState is a state with a little of everything: a database with
// tables (and their shard groups), a user, a compute node and worker, and
// transactions in every state.
func snapshotState(t testing.TB, tables int) *State {
	m := NewState()
	const db = catalog.FirstID
	require.Nil(t, apply(t, m, &catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "fe"},
		Volume: &catalog.StorageVolume{ID: "v", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://b/p"}, Enabled: true}},
		&starmgr.InitOp{ServiceID: "svc"}))
	require.Nil(t, apply(t, m, &catalog.SaveNextIDOp{NextID: catalog.FirstID + 1000 + int64(tables)*10 + 100}))
	require.Nil(t, apply(t, m, &catalog.CreateDBOp{DB: catalog.Database{ID: db, Name: "d"}}))
	for i := 0; i < tables; i++ {
		tbl := snapTable(db, catalog.FirstID+1000+int64(i)*10, fmt.Sprintf("t%d", i))
		p := tbl.Partitions[0]
		require.Nil(t, apply(t, m, &catalog.CreateTableOp{Table: tbl},
			&starmgr.CreateShardGroupsOp{Groups: []starmgr.ShardGroup{{ID: p.ShardGroupID, VolumeID: "v", Path: "p", Shards: p.Tablets}}}))
	}
	u := catalog.UserIdent{User: "u", Host: "%"}
	require.Nil(t, apply(t, m, &catalog.CreateUserOp{User: catalog.User{Ident: u}}))
	require.Nil(t, apply(t, m, &catalog.AddComputeNodeOp{Node: catalog.ComputeNode{ID: catalog.FirstID + 1, Host: "h", HeartbeatPort: 9050}},
		&starmgr.AddWorkerOp{Worker: starmgr.Worker{ID: catalog.FirstID + 1, Addr: "h:9050"}}))
	first := catalog.FirstID + 1000
	for i, label := range []string{"visible", "committed", "prepared"} {
		id := catalog.FirstID + 2 + int64(i)
		require.Nil(t, apply(t, m, &catalog.BeginTxnOp{Txn: catalog.Transaction{ID: id, DBID: db, TableID: int64(first), Label: label, Kind: catalog.TxnInsert, BeginTime: 100}}))
		if i < 2 {
			require.Nil(t, apply(t, m, &catalog.CommitTxnOp{TxnID: id, PartitionIDs: []int64{int64(first) + 1}, Rows: 1, CommitTime: 110}))
		}
		if i < 1 {
			require.Nil(t, apply(t, m, &catalog.VisibleTxnOp{TxnID: id, VisibleTime: 120}))
		}
	}
	return m
}

// laterOps change every kind of object the snapshot holds: a table's
// partitions (publish, truncate), transactions, a user's grants and
// password, a compute node's state, the frontends, a volume, the recycle
// bin and purge queue, StarManager groups and workers.
func laterOps(tables int) [][]any {
	const db = catalog.FirstID
	first := int64(catalog.FirstID + 1000)
	u := catalog.UserIdent{User: "u", Host: "%"}
	comment := "changed"
	next := first + int64(tables)*10
	newPart := snapTable(db, next, "t0").Partitions[0]
	return [][]any{
		{&catalog.VisibleTxnOp{TxnID: catalog.FirstID + 3, VisibleTime: 200, Stats: []catalog.PartitionStats{{PartitionID: first + 1, Rows: 5, DataSize: 50}}}},
		{&catalog.CommitTxnOp{TxnID: catalog.FirstID + 4, PartitionIDs: []int64{first + 1}, Rows: 2, CommitTime: 210}},
		{&catalog.VisibleTxnOp{TxnID: catalog.FirstID + 4, VisibleTime: 220}},
		{&catalog.ForgetTxnsOp{TxnIDs: []int64{catalog.FirstID + 2}, ExpireBefore: 1000}},
		{&catalog.GrantOp{User: &u, Grant: &catalog.Grant{Privs: []string{catalog.PrivSelect}, Object: catalog.Object{Type: catalog.ObjTable, DB: "d", Table: "*"}}}},
		{&catalog.AlterUserOp{Ident: u, Password: catalog.HashPassword("p")}},
		{&catalog.ComputeNodeStateOp{ID: catalog.FirstID + 1, State: catalog.ComputeNodeState{Alive: true, BrpcPort: 8060, Since: 300}}},
		{&catalog.AddFrontendOp{Frontend: catalog.Frontend{Name: "fe2", Host: "h2", EditLogPort: 9010, Role: catalog.RoleFollower}}},
		{&catalog.AlterStorageVolumeOp{Name: "builtin_storage_volume", Properties: map[string]string{"aws.s3.region": "r"}, Comment: &comment}},
		{&catalog.TruncateTableOp{TableID: first, NewPartitions: []*catalog.Partition{newPart}, DropTime: 400},
			&starmgr.CreateShardGroupsOp{Groups: []starmgr.ShardGroup{{ID: newPart.ShardGroupID, VolumeID: "v", Path: "p", Shards: newPart.Tablets}}}},
		{&catalog.DropTableOp{DBID: db, TableID: first + 10, Force: true, DropTime: 500}},
		{&catalog.PurgedOp{PartitionIDs: []int64{first + 11}}, &starmgr.DeleteShardGroupsOp{IDs: []int64{first + 12}}},
		{&catalog.CreateDBOp{DB: catalog.Database{ID: next + 5, Name: "d2"}}},
		{&starmgr.RemoveWorkerOp{ID: catalog.FirstID + 1}},
		{&catalog.DropDBOp{ID: db, DropTime: 600}},
	}
}

// expectedBody is the image body of m as it is now, written the simplest
// way: each section encoded under the state machines' locks.
func expectedBody(t *testing.T, m *State) string {
	cat, err := m.Catalog.MarshalImage()
	require.NoError(t, err)
	sm, err := m.StarMgr.MarshalImage()
	require.NoError(t, err)
	return `{"catalog":` + string(cat) + `,"starmgr":` + string(sm) + `}`
}

// TestSnapshotIsPointInTime takes a snapshot, keeps applying entries that
// change every kind of object while the snapshot is written, and checks
// that the image holds exactly the state at the snapshot, restores to it,
// and that the live state moved on. Run with -race: encoding and applying
// share no mutable memory.
func TestSnapshotIsPointInTime(t *testing.T) {
	const tables = 50
	m := snapshotState(t, tables)
	want := expectedBody(t, m)
	wantSM := m.StarMgr.JournalID()

	snap, err := m.Snapshot()
	require.NoError(t, err)
	defer snap.Release()
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for i, ops := range laterOps(tables) {
			if res := apply(t, m, ops...); res != nil {
				t.Errorf("later entry %d: %v", i, res)
			}
		}
	}()
	var body bytes.Buffer
	n, err := snap.WriteTo(&body)
	require.NoError(t, err)
	<-applied
	require.Equal(t, int64(body.Len()), n)
	require.Equal(t, want, body.String(), "the image is the state at the snapshot")
	require.Equal(t, wantSM, snap.JournalIDs()["starmgr"])

	// Written again after every later entry applied: still the same.
	var again bytes.Buffer
	_, err = snap.WriteTo(&again)
	require.NoError(t, err)
	require.Equal(t, want, again.String())

	after := expectedBody(t, m)
	require.NotEqual(t, want, after, "the later entries changed the live state")
	require.Nil(t, m.Catalog.DB("d"))

	m2 := NewState()
	require.NoError(t, m2.Restore(journal.ImageHeader{JournalIDs: snap.JournalIDs()}, &body))
	require.Equal(t, want, expectedBody(t, m2))
	require.NotNil(t, m2.Catalog.DB("d"))
	require.Equal(t, catalog.TxnCommitted, m2.Catalog.TxnByLabel(catalog.FirstID, "committed").State)
}

// TestSnapshotCostDoesNotGrowWithTheCatalog: Snapshot runs on the apply
// goroutine, so it must not encode the state. Its allocations are counted
// with a small and a large catalog: encoding allocates several times per
// object, copying the top-level maps about once per thousand entries.
func TestSnapshotCostDoesNotGrowWithTheCatalog(t *testing.T) {
	allocs := func(tables int) float64 {
		m := snapshotState(t, tables)
		return testing.AllocsPerRun(5, func() {
			snap, err := m.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			snap.Release()
		})
	}
	small, large := allocs(10), allocs(2000)
	require.Less(t, large-small, 1990.0/50, "allocations of Snapshot: %v with 10 tables, %v with 2000", small, large)
}
