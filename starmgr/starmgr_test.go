package starmgr

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStarMgrOps(t *testing.T) {
	m := New()
	steps := []struct {
		op      Op
		wantErr string
		journal uint64
	}{
		{&InitOp{ServiceID: "svc-1"}, "", 1},
		{&InitOp{ServiceID: "svc-2"}, "already initialised", 1},
		{&CreateShardGroupsOp{Groups: []ShardGroup{{ID: 10, Path: "db1/2/3", Shards: []int64{11, 12}}}}, "", 2},
		{&CreateShardGroupsOp{Groups: []ShardGroup{{ID: 20, Shards: []int64{12}}}}, "shard 12 already exists", 2},
		{&CreateShardGroupsOp{Groups: []ShardGroup{{ID: 10}}}, "shard group 10 already exists", 2},
		{&DeleteShardGroupsOp{IDs: []int64{10, 99}}, "", 3},
		{&CreateShardGroupsOp{Groups: []ShardGroup{{ID: 20, Shards: []int64{12}}}}, "", 4},
	}
	for i, st := range steps {
		err := m.Apply(st.op)
		if st.wantErr != "" {
			require.ErrorContains(t, err, st.wantErr, "step %d", i)
		} else {
			require.NoError(t, err, "step %d", i)
		}
		require.Equal(t, st.journal, m.JournalID(), "step %d: only applied ops advance the StarMgr journal id", i)
	}
	require.Equal(t, "svc-1", m.ServiceID())
	require.Equal(t, 1, m.ShardCount())

	img, err := m.MarshalImage()
	require.NoError(t, err)
	m2 := New()
	require.NoError(t, m2.RestoreImage(img))
	require.Equal(t, uint64(4), m2.JournalID())
	require.Equal(t, "svc-1", m2.ServiceID())
	require.ErrorContains(t, m2.Apply(&CreateShardGroupsOp{Groups: []ShardGroup{{ID: 30, Shards: []int64{12}}}}), "shard 12 already exists")
}

func TestPlace(t *testing.T) {
	require.Equal(t, int64(-1), Place(1, nil))
	up := []int64{101, 102, 103}
	counts := map[int64]int{}
	before := map[int64]int64{}
	for shard := int64(0); shard < 3000; shard++ {
		w := Place(shard, up)
		counts[w]++
		before[shard] = w
		require.Equal(t, w, Place(shard, []int64{103, 101, 102}), "order of workers does not matter")
	}
	for _, w := range up {
		require.InDelta(t, 1000, counts[w], 150, "worker %d", w)
	}
	// Worker 102 goes down: only its shards move.
	for shard := int64(0); shard < 3000; shard++ {
		w := Place(shard, []int64{101, 103})
		if before[shard] != 102 {
			require.Equal(t, before[shard], w)
		} else {
			require.NotEqual(t, int64(102), w)
		}
	}
}
