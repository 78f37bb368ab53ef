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
	require.Equal(t, "data/000000000000002a_0000000000002715_0003.dat", SegmentKey(42, 10005, 3))
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
	txn, tablet, seq, ok := ParseSegmentKey(SegmentKey(42, 10005, 3))
	require.True(t, ok)
	require.Equal(t, []int64{42, 10005, 3}, []int64{txn, tablet, int64(seq)})
}
