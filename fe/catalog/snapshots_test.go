package catalog

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// snapJob is a job of the automated snapshot history in these tests.
func snapJob(id int64, state SnapshotJobState, pins ...SnapshotPin) SnapshotJob {
	return SnapshotJob{ID: id, Name: fmt.Sprintf("automated_cluster_snapshot_%d", 1000+id), Type: SnapshotTypeAutomated,
		Volume: "builtin_storage_volume", State: state, CreatedTime: 1000 + id, Pins: pins}
}

func pin(partition int64, versions ...int64) SnapshotPin {
	return SnapshotPin{PartitionID: partition, Versions: versions}
}

// TestSnapshotJobTransitions drives jobs through their states; a refused
// record changes nothing, ERROR and DELETED drop the pins, and the guard
// follows every step.
func TestSnapshotJobTransitions(t *testing.T) {
	c := bootstrapped(t)
	p := pin(FirstID+11, 3)
	steps := []struct {
		name     string
		op       Op
		wantErr  string
		wantHold bool
		wantPins map[int64][]int64
	}{
		{"job before ON", &SnapshotJobOp{Job: snapJob(1, SnapshotInitializing)}, "Automated snapshot has not been turn on", false, nil},
		{"OFF while off", &SetAutomatedSnapshotOp{On: false, Time: 5}, "Automated snapshot has not been turn on", false, nil},
		{"ON unknown volume", &SetAutomatedSnapshotOp{On: true, Volume: "nope", Time: 5}, "Unknown storage volume: nope", false, nil},
		{"ON", &SetAutomatedSnapshotOp{On: true, Volume: "builtin_storage_volume", Time: 5}, "", false, nil},
		{"ON twice", &SetAutomatedSnapshotOp{On: true, Volume: "builtin_storage_volume", Time: 6}, "Automated snapshot has been turn on", false, nil},
		{"unknown job updated", &SnapshotJobOp{Job: snapJob(1, SnapshotSnapshoting, p)}, "snapshot job 1 does not exist", false, nil},
		{"job to another volume", &SnapshotJobOp{Job: func() SnapshotJob { j := snapJob(1, SnapshotInitializing); j.Volume = "v9"; return j }()},
			"automated snapshots go to builtin_storage_volume", false, nil},
		{"create", &SnapshotJobOp{Job: snapJob(1, SnapshotInitializing)}, "", true, nil},
		{"second while running", &SnapshotJobOp{Job: snapJob(2, SnapshotInitializing)}, "is still running", true, nil},
		{"INITIALIZING to FINISHED", &SnapshotJobOp{Job: snapJob(1, SnapshotFinished, p)}, "cannot go from INITIALIZING to FINISHED", true, nil},
		{"name changes", &SnapshotJobOp{Job: func() SnapshotJob { j := snapJob(1, SnapshotSnapshoting, p); j.Name = "x"; return j }()},
			"never change", true, nil},
		{"SNAPSHOTING with pins", &SnapshotJobOp{Job: func() SnapshotJob { j := snapJob(1, SnapshotSnapshoting, p); j.FEJournalID = 7; return j }()},
			"", false, map[int64][]int64{FirstID + 11: {3}}},
		{"journal ids change", &SnapshotJobOp{Job: func() SnapshotJob { j := snapJob(1, SnapshotSnapshoting, p); j.FEJournalID = 8; return j }()},
			"journal ids never change once captured", false, map[int64][]int64{FirstID + 11: {3}}},
		{"FINISHED", &SnapshotJobOp{Job: func() SnapshotJob { j := snapJob(1, SnapshotFinished, p); j.FEJournalID = 7; return j }()},
			"", false, map[int64][]int64{FirstID + 11: {3}}},
		{"FINISHED to ERROR", &SnapshotJobOp{Job: snapJob(1, SnapshotError)}, "cannot go from FINISHED to ERROR", false, map[int64][]int64{FirstID + 11: {3}}},
		{"second job", &SnapshotJobOp{Job: snapJob(2, SnapshotInitializing)}, "", true, map[int64][]int64{FirstID + 11: {3}}},
		{"second job pins", &SnapshotJobOp{Job: snapJob(2, SnapshotSnapshoting, pin(FirstID+11, 5), pin(FirstID+21, 2))}, "",
			false, map[int64][]int64{FirstID + 11: {3, 5}, FirstID + 21: {2}}},
		{"second job fails: its pins go", &SnapshotJobOp{Job: func() SnapshotJob {
			j := snapJob(2, SnapshotError, pin(FirstID+11, 5), pin(FirstID+21, 2))
			j.ErrorMessage = "upload image failed, err msg: x"
			return j
		}()}, "", false, map[int64][]int64{FirstID + 11: {3}}},
		{"ERROR is terminal", &SnapshotJobOp{Job: snapJob(2, SnapshotSnapshoting, p)}, "cannot go from ERROR to SNAPSHOTING", false, map[int64][]int64{FirstID + 11: {3}}},
		{"duplicate name", &SnapshotJobOp{Job: func() SnapshotJob { j := snapJob(3, SnapshotInitializing); j.Name = snapJob(1, "").Name; return j }()},
			"already exists", false, map[int64][]int64{FirstID + 11: {3}}},
		{"EXPIRED keeps pins until deleted", &SnapshotJobOp{Job: snapJob(1, SnapshotExpired, p)}, "", false, map[int64][]int64{FirstID + 11: {3}}},
		{"EXPIRED retry note", &SnapshotJobOp{Job: func() SnapshotJob { j := snapJob(1, SnapshotExpired, p); j.ErrorMessage = "delete failed"; return j }()},
			"", false, map[int64][]int64{FirstID + 11: {3}}},
		{"DELETED: pins go", &SnapshotJobOp{Job: snapJob(1, SnapshotDeleted, p)}, "", false, nil},
		{"DELETED is terminal", &SnapshotJobOp{Job: snapJob(1, SnapshotExpired, p)}, "cannot go from DELETED to EXPIRED", false, nil},
	}
	for i, st := range steps {
		before, err := c.MarshalImage()
		require.NoError(t, err)
		err = c.Apply(st.op)
		if st.wantErr == "" {
			require.NoError(t, err, "step %d %s", i, st.name)
		} else {
			require.ErrorContains(t, err, st.wantErr, "step %d %s", i, st.name)
			after, err := c.MarshalImage()
			require.NoError(t, err)
			require.JSONEq(t, string(before), string(after), "step %d %s: a refused record changed the catalog", i, st.name)
		}
		g := c.SnapshotGuard()
		require.Equal(t, st.wantHold, g.Hold, "step %d %s", i, st.name)
		require.Equal(t, st.wantPins, g.Pins, "step %d %s", i, st.name)
	}
	for _, j := range c.SnapshotJobs() {
		if j.State == SnapshotError || j.State == SnapshotDeleted {
			require.Nil(t, j.Pins, "job %d %s keeps no pins", j.ID, j.State)
		}
	}
}

// TestSnapshotOff: OFF expires the FINISHED snapshot (whose pins stay
// until its objects are deleted) and ends a running job in ERROR (whose
// pins go at once), so the hold is released.
func TestSnapshotOff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		running   SnapshotJobState
		wantPins  map[int64][]int64
		wantState SnapshotJobState
	}{
		{"OFF during INITIALIZING", SnapshotInitializing, map[int64][]int64{7: {3}}, SnapshotError},
		{"OFF during SNAPSHOTING", SnapshotSnapshoting, map[int64][]int64{7: {3}}, SnapshotError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := bootstrapped(t)
			require.NoError(t, c.Apply(&SetAutomatedSnapshotOp{On: true, Volume: "builtin_storage_volume", Time: 5}))
			for _, s := range []SnapshotJobState{SnapshotInitializing, SnapshotSnapshoting, SnapshotFinished} {
				require.NoError(t, c.Apply(&SnapshotJobOp{Job: snapJob(1, s, pin(7, 3))}))
			}
			require.NoError(t, c.Apply(&SnapshotJobOp{Job: snapJob(2, SnapshotInitializing)}))
			if tc.running == SnapshotSnapshoting {
				require.NoError(t, c.Apply(&SnapshotJobOp{Job: snapJob(2, SnapshotSnapshoting, pin(7, 5), pin(8, 2))}))
			}
			require.NoError(t, c.Apply(&SetAutomatedSnapshotOp{On: false, Time: 9}))
			require.Equal(t, "", c.AutomatedSnapshotVolume())
			j1, _ := c.SnapshotJob(1)
			require.Equal(t, SnapshotExpired, j1.State)
			j2, _ := c.SnapshotJob(2)
			require.Equal(t, tc.wantState, j2.State)
			require.Equal(t, "Job: "+j2.Name+" has been cancelled because automated cluster snapshot has been turn off", j2.ErrorMessage)
			require.Nil(t, j2.Pins)
			g := c.SnapshotGuard()
			require.True(t, g.MayVacuum())
			require.Equal(t, tc.wantPins, g.Pins)
			require.False(t, g.MayPurge(7))
			require.True(t, g.MayPurge(8))
			// Once the expired snapshot's objects are deleted, nothing is pinned.
			require.NoError(t, c.Apply(&SnapshotJobOp{Job: snapJob(1, SnapshotDeleted)}))
			require.Equal(t, SnapshotGuard{}, c.SnapshotGuard())
		})
	}
}

// TestTrimSnapshotJobs: creating a job drops the oldest DELETED and ERROR
// jobs beyond max(MaxHistory, MinSnapshotJobHistory), never others.
func TestTrimSnapshotJobs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []SnapshotJobState // jobs 1..n before job n+1 is created
		max     int
		wantIDs []int64
	}{
		{"under the limit", []SnapshotJobState{SnapshotDeleted, SnapshotError}, 5, []int64{1, 2, 3}},
		{"oldest terminal ones go", []SnapshotJobState{SnapshotDeleted, SnapshotError, SnapshotDeleted, SnapshotError}, 3, []int64{3, 4, 5}},
		{"floor of two", []SnapshotJobState{SnapshotDeleted, SnapshotError, SnapshotDeleted}, 0, []int64{3, 4}},
		{"never an expired or finished one", []SnapshotJobState{SnapshotExpired, SnapshotDeleted, SnapshotFinished, SnapshotError}, 2, []int64{1, 3, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := map[int64]*SnapshotJob{}
			for i, s := range tc.history {
				j := snapJob(int64(i+1), s)
				jobs[j.ID] = &j
			}
			n := snapJob(int64(len(tc.history)+1), SnapshotInitializing)
			jobs[n.ID] = &n
			trimSnapshotJobs(jobs, tc.max)
			var ids []int64
			for id := range jobs {
				ids = append(ids, id)
			}
			require.ElementsMatch(t, tc.wantIDs, ids)
		})
	}
	// Through the op: the trim happens on creation with the leader's limit.
	c := bootstrapped(t)
	require.NoError(t, c.Apply(&SetAutomatedSnapshotOp{On: true, Volume: "builtin_storage_volume", Time: 5}))
	for id := int64(1); id <= 4; id++ {
		require.NoError(t, c.Apply(&SnapshotJobOp{Job: snapJob(id, SnapshotInitializing), MaxHistory: 3}))
		require.NoError(t, c.Apply(&SnapshotJobOp{Job: snapJob(id, SnapshotError)}))
	}
	var ids []int64
	for _, j := range c.SnapshotJobs() {
		ids = append(ids, j.ID)
	}
	require.Equal(t, []int64{2, 3, 4}, ids)
}

// TestSnapshotGuard is the pin rule itself: which jobs hold, which pin,
// and what vacuum and purge may do for each partition.
func TestSnapshotGuard(t *testing.T) {
	type want struct {
		partition int64
		pinned    []int64
		mayPurge  bool
	}
	for _, tc := range []struct {
		name       string
		jobs       []SnapshotJob
		mayVacuum  bool
		partitions []want
	}{
		{"no jobs", nil, true, []want{{7, nil, true}}},
		{"INITIALIZING holds everything", []SnapshotJob{snapJob(1, SnapshotInitializing)}, false, []want{{7, nil, false}}},
		{"SNAPSHOTING pins", []SnapshotJob{snapJob(1, SnapshotSnapshoting, pin(7, 3, 4))}, true, []want{{7, []int64{3, 4}, false}, {8, nil, true}}},
		{"FINISHED pins", []SnapshotJob{snapJob(1, SnapshotFinished, pin(7, 3))}, true, []want{{7, []int64{3}, false}}},
		{"EXPIRED pins until deleted", []SnapshotJob{snapJob(1, SnapshotExpired, pin(7, 3))}, true, []want{{7, []int64{3}, false}}},
		{"DELETED pins nothing", []SnapshotJob{snapJob(1, SnapshotDeleted, pin(7, 3))}, true, []want{{7, nil, true}}},
		{"ERROR pins nothing: a failing snapshot never freezes GC", []SnapshotJob{
			snapJob(1, SnapshotError, pin(7, 3)), snapJob(2, SnapshotError, pin(7, 4)), snapJob(3, SnapshotError)}, true, []want{{7, nil, true}}},
		{"pins of several jobs merge, sorted, once each", []SnapshotJob{
			snapJob(1, SnapshotExpired, pin(7, 5, 3)), snapJob(2, SnapshotFinished, pin(7, 5, 9), pin(8, 2))}, true,
			[]want{{7, []int64{3, 5, 9}, false}, {8, []int64{2}, false}, {9, nil, true}}},
		{"hold with pins", []SnapshotJob{snapJob(1, SnapshotFinished, pin(7, 3)), snapJob(2, SnapshotInitializing)}, false,
			[]want{{7, []int64{3}, false}, {8, nil, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := map[int64]*SnapshotJob{}
			for _, j := range tc.jobs {
				jobs[j.ID] = &j
			}
			g := snapshotGuard(jobs)
			require.Equal(t, tc.mayVacuum, g.MayVacuum())
			for _, w := range tc.partitions {
				require.Equal(t, w.pinned, g.PinnedVersions(w.partition), "partition %d", w.partition)
				require.Equal(t, w.mayPurge, g.MayPurge(w.partition), "partition %d", w.partition)
			}
		})
	}
}

// TestSnapshotPinKey: the key changes exactly when a partition's pinned
// versions change.
func TestSnapshotPinKey(t *testing.T) {
	g := func(vs ...int64) SnapshotGuard {
		if len(vs) == 0 {
			return SnapshotGuard{}
		}
		return SnapshotGuard{Pins: map[int64][]int64{7: vs}}
	}
	for _, tc := range []struct {
		name string
		a, b SnapshotGuard
		same bool
	}{
		{"both unpinned", g(), g(), true},
		{"same versions", g(3, 5), g(3, 5), true},
		{"pin added", g(3), g(3, 5), false},
		{"pin released", g(3, 5), g(5), false},
		{"pin replaced", g(3), g(5), false},
		{"pin gone", g(3), g(), false},
		{"large versions differ", g(1 << 40), g(1<<40 + 1), false},
	} {
		require.Equal(t, tc.same, tc.a.PinKey(7) == tc.b.PinKey(7), tc.name)
	}
}

// TestSnapshotPins: what a state needs kept is the visible version of every
// partition of live and recycled tables and of recycled partitions, plus
// the versions of COMMITTED transactions; nothing of partitions already in
// the purge queue, nor of PREPARE, VISIBLE or ABORTED transactions.
func TestSnapshotPins(t *testing.T) {
	c := txnCatalog(t) // table t, partition FirstID+11
	runTxns(t, c, []txnStep{
		{1, "v2", TxnVisible, 1000},
		{2, "v3", TxnVisible, 2000},
		{3, "c4", TxnCommitted, 3000},
		{4, "prep", TxnPrepare, 3500},
		{5, "ab", TxnAborted, 3600},
	})
	// t2 is dropped into the recycle bin, t3 dropped FORCE, t4's partition
	// truncated (the old one is recycled, the new one is live).
	require.NoError(t, c.Apply(&CreateTableOp{Table: table(FirstID+20, FirstID, "t2", FirstID+21)}))
	require.NoError(t, c.Apply(&CreateTableOp{Table: table(FirstID+30, FirstID, "t3", FirstID+31)}))
	require.NoError(t, c.Apply(&CreateTableOp{Table: table(FirstID+40, FirstID, "t4", FirstID+41)}))
	require.NoError(t, c.Apply(&DropTableOp{DBID: FirstID, TableID: FirstID + 20, DropTime: 4000}))
	require.NoError(t, c.Apply(&DropTableOp{DBID: FirstID, TableID: FirstID + 30, Force: true, DropTime: 4000}))
	require.NoError(t, c.Apply(&TruncateTableOp{TableID: FirstID + 40, DropTime: 4000, NewPartitions: []*Partition{
		{ID: FirstID + 51, Name: "t4", ShardGroupID: FirstID + 52, Tablets: []int64{FirstID + 53, FirstID + 54}, VisibleVersion: 1, NextVersion: 2}}}))
	want := []SnapshotPin{
		pin(FirstID+11, 3, 4),
		pin(FirstID+21, 1),
		pin(FirstID+41, 1),
		pin(FirstID+51, 1),
	}
	require.Equal(t, want, c.SnapshotPins())

	// The same pins from the catalog restored from an image of this state.
	img, err := c.MarshalImage()
	require.NoError(t, err)
	c2 := New()
	require.NoError(t, c2.RestoreImage(img))
	require.Equal(t, want, c2.SnapshotPins())

	// Erasing the recycled table moves it to the purge queue: no longer
	// referred to by a later image.
	require.NoError(t, c.Apply(&EraseRecycledOp{TableIDs: []int64{FirstID + 20}}))
	require.Equal(t, []SnapshotPin{pin(FirstID+11, 3, 4), pin(FirstID+41, 1), pin(FirstID+51, 1)}, c.SnapshotPins())
}

// TestRestoreOps: the ops a restore journals. The job restored from goes
// from INITIALIZING (as its own image recorded it) to FINISHED with the
// image's journal ids and the restored state's pins, and every other
// FINISHED snapshot expires; a volume is replaced keeping its id; the
// token renewal of a restore counts a generation.
func TestRestoreOps(t *testing.T) {
	c := bootstrapped(t)
	require.NoError(t, c.Apply(&SetAutomatedSnapshotOp{On: true, Volume: "builtin_storage_volume", Time: 5}))
	old := snapJob(1, SnapshotFinished, pin(FirstID+11, 2))
	old.FEJournalID = 3
	c.s.SnapshotJobs = map[int64]*SnapshotJob{1: &old}
	require.NoError(t, c.Apply(&SnapshotJobOp{Job: snapJob(2, SnapshotInitializing)}))
	require.True(t, c.SnapshotGuard().Hold)

	require.ErrorContains(t, c.Apply(&RestoredSnapshotOp{Name: "automated_cluster_snapshot_9", FEJournalID: 9}), "the restored image records no snapshot job automated_cluster_snapshot_9")
	require.NoError(t, c.Apply(&RestoredSnapshotOp{Name: snapJob(2, "").Name, FEJournalID: 40, StarMgrJournalID: 7, Time: 77, Pins: []SnapshotPin{pin(FirstID+11, 5)}}))
	j, ok := c.SnapshotJob(2)
	require.True(t, ok)
	require.Equal(t, SnapshotFinished, j.State)
	require.Equal(t, uint64(40), j.FEJournalID)
	require.Equal(t, uint64(7), j.StarMgrJournalID)
	require.Equal(t, int64(77), j.FinishedTime)
	require.Equal(t, RestoredDetail, j.DetailInfo)
	o, _ := c.SnapshotJob(1)
	require.Equal(t, SnapshotExpired, o.State)
	g := c.SnapshotGuard()
	require.False(t, g.Hold)
	require.Equal(t, []int64{2, 5}, g.PinnedVersions(FirstID+11), "the expiring snapshot keeps its pins until its objects are gone")

	// Without a name: the newest unfinished job.
	c2 := bootstrapped(t)
	require.NoError(t, c2.Apply(&SetAutomatedSnapshotOp{On: true, Volume: "builtin_storage_volume", Time: 5}))
	require.ErrorContains(t, c2.Apply(&RestoredSnapshotOp{FEJournalID: 1}), "the restored image records no unfinished snapshot job")
	require.NoError(t, c2.Apply(&SnapshotJobOp{Job: snapJob(3, SnapshotInitializing)}))
	require.NoError(t, c2.Apply(&RestoredSnapshotOp{FEJournalID: 1}))
	j, _ = c2.SnapshotJob(3)
	require.Equal(t, SnapshotFinished, j.State)

	v := *c.StorageVolume("builtin_storage_volume")
	nv := StorageVolume{ID: v.ID, Name: v.Name, Type: "S3", Locations: []string{"s3://copy/prefix"}, Properties: map[string]string{"aws.s3.endpoint": "e"}, Comment: "c", Enabled: true}
	bad := nv
	bad.ID = "other"
	require.ErrorContains(t, c.Apply(&ReplaceStorageVolumeOp{Volume: bad}), "keeps its id")
	missing := nv
	missing.Name = "nope"
	require.ErrorContains(t, c.Apply(&ReplaceStorageVolumeOp{Volume: missing}), "Storage volume 'nope' does not exist")
	require.NoError(t, c.Apply(&ReplaceStorageVolumeOp{Volume: nv}))
	require.Equal(t, nv, *c.StorageVolume("builtin_storage_volume"))

	gen, _ := c.Generation()
	require.Zero(t, gen)
	require.ErrorContains(t, c.Apply(&RenewClusterTokenOp{Token: c.ClusterToken()}), "must be new")
	require.NoError(t, c.Apply(&RenewClusterTokenOp{Token: "new-token", Restore: true, Time: 99}))
	gen, at := c.Generation()
	require.Equal(t, []int64{1, 99}, []int64{gen, at})
	require.Equal(t, "new-token", c.ClusterToken())
}
