package layout

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDirectories(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{ShardGroupPath(10001, 10002, 10003), "db10001/10002/10003"},
		{PartitionDir(10001, 10002, 10003), "db10001/10002/10003/"},
		{Key("2a8c", PartitionDir(1, 2, 3), MetaKey(4, 5)), "2a8c/db1/2/3/meta/0000000000000004_0000000000000005.meta"},
		{TableURL("s3://bucket/prefix/", "2a8c", 1, 2), "s3://bucket/prefix/2a8c/db1/2"},
		{SnapshotName(1700000000000), "automated_cluster_snapshot_1700000000000"},
		{SnapshotDir("2a8c", SnapshotName(1700000000000)), "2a8c/meta/image/automated_cluster_snapshot_1700000000000/"},
	} {
		require.Equal(t, tc.want, tc.got)
	}
}

func TestKeys(t *testing.T) {
	require.Equal(t, "meta/0000000000002715_0000000000000007.meta", MetaKey(10005, 7))
	require.Equal(t, "log/0000000000002715_000000000000002A.log", TxnLogKey(10005, 42))
	require.Equal(t, "data/000000000000002a_0000000000002715_0003_00c0ffee12345678.dat", SegmentKey(42, 10005, 3, 0xc0ffee12345678))
	require.Equal(t, "data/000000000000002a_0000000000002715_0003.dat", LegacySegmentKey(42, 10005, 3))
	for _, tc := range []struct {
		key    string
		kind   string
		tablet int64
		n      int64
		ok     bool
	}{
		{"meta/0000000000002715_0000000000000007.meta", KindMeta, 10005, 7, true},
		{"log/0000000000002715_000000000000002A.log", KindLog, 10005, 42, true},
		{"data/000000000000002a_0000000000002715_0003.dat", KindData, 10005, 42, true},
		{"data/7fffffffffffffff_0000000000000001_0000.dat", KindData, 1, 1<<63 - 1, true},
		{"data/000000000000002a_0000000000002715_0003_00c0ffee12345678.dat", KindData, 10005, 42, true},
		{"data/000000000000002a_0000000000002715_10000_ffffffffffffffff.dat", KindData, 10005, 42, true},
		{"data/000000000000002a_0000000000002715_0003_00C0FFEE12345678.dat", "", 0, 0, false},
		{"data/000000000000002a_0000000000002715_0003_c0ffee12345678.dat", "", 0, 0, false},
		{"data/000000000000002a_0000000000002715_0003_00c0ffee12345678_1.dat", "", 0, 0, false},
		{"data/000000000000002a_0000000000002715_0003_.dat", "", 0, 0, false},
		{"data/000000000000002a_0000000000002715_003_00c0ffee12345678.dat", "", 0, 0, false},
		{"data/000000000000002a_0000000000002715_0003_00c0ffee12345678.dat.tmp", "", 0, 0, false},
		{"meta/10005_7.meta", "", 0, 0, false},
		{"meta/0000000000002715_0000000000000007.META", "", 0, 0, false},
		{"meta/0000000000002715_000000000000000a.meta", "", 0, 0, false},
		{"meta/10005_7.log", "", 0, 0, false},
		{"meta/+5_7.meta", "", 0, 0, false},
		{"meta/5_7_1.meta", "", 0, 0, false},
		{"log/5.log", "", 0, 0, false},
		{"data/2a_10005_3.dat", "", 0, 0, false},
		{"data/000000000000002A_0000000000002715_0003.dat", "", 0, 0, false},
		{"data/000000000000002a_0000000000002715.dat", "", 0, 0, false},
		{"data/000000000000002a_0000000000002715_0003.dat.tmp", "", 0, 0, false},
		{"meta/sub/5_7.meta", "", 0, 0, false},
		{"other/5_7.meta", "", 0, 0, false},
		{"5_7.meta", "", 0, 0, false},
	} {
		kind, tablet, n, ok := ParseKey(tc.key)
		require.Equal(t, tc.ok, ok, tc.key)
		require.Equal(t, tc.kind, kind, tc.key)
		require.Equal(t, tc.tablet, tablet, tc.key)
		require.Equal(t, tc.n, n, tc.key)
	}
	for _, tc := range []struct {
		key  string
		want Segment
	}{
		{SegmentKey(42, 10005, 3, 0xc0ffee12345678), Segment{Txn: 42, Tablet: 10005, Seq: 3, Unique: 0xc0ffee12345678}},
		{SegmentKey(42, 10005, 3, 0), Segment{Txn: 42, Tablet: 10005, Seq: 3}},
		{SegmentKey(-1, 1, 0xffff, 1<<64-1), Segment{Txn: -1, Tablet: 1, Seq: 0xffff, Unique: 1<<64 - 1}},
		{LegacySegmentKey(42, 10005, 3), Segment{Txn: 42, Tablet: 10005, Seq: 3, Legacy: true}},
	} {
		got, ok := ParseSegmentKey(tc.key)
		require.True(t, ok, tc.key)
		require.Equal(t, tc.want, got, tc.key)
	}
	_, ok := ParseSegmentKey(MetaKey(1, 2))
	require.False(t, ok)
}

// TestSegmentKeysNeverCollide: two writers of the same transaction, tablet
// and sequence number (the lost timeline and the restored one, or a retry)
// get different keys as soon as their unique parts differ.
func TestSegmentKeysNeverCollide(t *testing.T) {
	require.NotEqual(t, SegmentKey(42, 10005, 0, 1), SegmentKey(42, 10005, 0, 2))
	require.NotEqual(t, LegacySegmentKey(42, 10005, 0), SegmentKey(42, 10005, 0, 0))
}
