package harness

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRestoredSnapshot: the snapshot a restore is checked against is the
// one the leader logged, whether or not it was listed before the
// disaster.
func TestRestoredSnapshot(t *testing.T) {
	log := `time=2026-12-05T21:28:44.768Z level=INFO msg="downloading and checking cluster snapshot" component=restore snapshot=automated_cluster_snapshot_2000 location=s3://b/c
time=2026-12-05T21:28:44.873Z level=INFO msg="cluster snapshot downloaded and checked" component=restore snapshot=automated_cluster_snapshot_2000 files=3 download_seconds=0.25 verify_seconds=0.5
time=2026-12-05T21:28:46.712Z level=INFO msg="FE finished to restore from a cluster snapshot" component=restore snapshot=automated_cluster_snapshot_2000 fe_journal_id=305 starmgr_journal_id=5
`
	var times RestoreTimes
	times.fromLog(log)
	require.Equal(t, "automated_cluster_snapshot_2000", times.Snapshot)
	require.Equal(t, uint64(305), times.FEJournalID)
	require.Equal(t, uint64(5), times.StarMgrJournalID)
	require.Equal(t, "250ms", times.Download.String())
	require.Equal(t, "500ms", times.Verify.String())
	require.Equal(t, "1.839s", times.Rebuild.String())

	older := Snapshot{Name: "automated_cluster_snapshot_1000", FEJournalID: 100, StorageVolume: "v", StoragePath: "s3://b/c/sid/meta/image/automated_cluster_snapshot_1000"}
	listed := Snapshot{Name: "automated_cluster_snapshot_2000", FEJournalID: 305, StorageVolume: "v", StoragePath: "s3://b/c/sid/meta/image/automated_cluster_snapshot_2000"}
	for _, tc := range []struct {
		name      string
		listed    []Snapshot
		requested Snapshot
		logged    string
		want      Snapshot
	}{
		{"as requested", []Snapshot{older}, older, "automated_cluster_snapshot_1000", older},
		{"no log line", []Snapshot{older}, older, "", older},
		{"listed newer", []Snapshot{older, listed}, older, "automated_cluster_snapshot_2000", listed},
		{"finished after the listing", []Snapshot{older}, older, "automated_cluster_snapshot_2000", listed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := RestoreTimes{Snapshot: tc.logged, FEJournalID: 305}
			got := rt.Restored(tc.listed, tc.requested)
			require.Equal(t, tc.want, got)
			require.Equal(t, "automated_cluster_snapshot_"+map[bool]string{true: "2000", false: "1000"}[tc.logged == "automated_cluster_snapshot_2000"], got.Name)
		})
	}
}

// TestRestoreTimesKilledBeforeItsLastLine: a restoring leader killed after
// it had marked its restore finished but before it logged so; started
// again it says the restore was done before, with the journal ids.
func TestRestoreTimesKilledBeforeItsLastLine(t *testing.T) {
	log := `time=2026-12-06T03:07:59.768Z level=INFO msg="cluster snapshot downloaded and checked" component=restore snapshot=automated_cluster_snapshot_3000 files=3 download_seconds=0.25 verify_seconds=0.5
time=2026-12-06T03:08:01.100Z level=INFO msg="starting frontend" version=v
time=2026-12-06T03:08:01.200Z level=INFO msg="the restore from this cluster snapshot was done before; starting normally" component=restore snapshot=automated_cluster_snapshot_3000 fe_journal_id=31 starmgr_journal_id=4 finished=2026-12-06T03:08:00Z reason=--cluster_snapshot
`
	var times RestoreTimes
	times.fromLog(log)
	require.Equal(t, "automated_cluster_snapshot_3000", times.Snapshot)
	require.Equal(t, uint64(31), times.FEJournalID)
	require.Equal(t, uint64(4), times.StarMgrJournalID)
}
