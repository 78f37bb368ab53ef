package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRestore measures the recovery time of a restore from a cluster
// snapshot with 1 MB, 100 MB and MINIROCKS_SNAPSHOT_BENCH_MB (1024 by
// default) of CSV in one table. For each size a cluster of one FE and one
// CN is loaded, snapshotted and killed; then a new FE on a new host is
// started with --cluster_snapshot and a follower and a CN join. Reported,
// from the restoring FE's log and the client's clock:
//
//   - download_s: reading and checking the snapshot's own files;
//   - verify_s: checking that every data object its image refers to exists;
//   - rebuild_s: installing the image as a new journal, opening it,
//     leading, and the journaled topology (until "FE finished to restore");
//   - first_query_s: from the leader's start to its first answered query
//     (the RTO of the leader);
//   - join_s: from then until the follower answers and the CN is alive;
//   - all_serving_s: from the leader's start until every node serves: the
//     follower answers, the CN is alive and a query reads table data (the
//     RTO of the cluster). The whole table is then read back, untimed.
//
// Run it with -benchtime 1x (make bench does).
func BenchmarkRestore(b *testing.B) {
	for _, mb := range []int64{1, 100, snapshotBenchMB()} {
		b.Run(fmt.Sprintf("restore_%dMB", mb), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchRestoreOnce(b, mb)
			}
		})
	}
}

func benchRestoreOnce(b *testing.B, mb int64) {
	ctx := context.Background()
	b.StopTimer()
	src := StartCluster(b, WithName(fmt.Sprintf("restore-src-%d", mb)), WithFEConf("automated_cluster_snapshot_interval_seconds = 86400\n"))
	fe := src.FEs()[0]
	db := fe.DB(b)
	for _, q := range []string{"CREATE DATABASE bench", benchTable, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON"} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	csv := filepath.Join(b.TempDir(), "restore.csv")
	rows, err := writeBenchCSV(csv, mb<<20)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := fe.StreamLoadFile(ctx, "bench", "events", "restore_bench", csv, map[string]string{"column_separator": ","})
	if err != nil || resp["Status"] != "Success" {
		b.Fatalf("stream load: %v %v", resp, err)
	}
	os.Remove(csv)
	snapshotJobSeconds(b, fe, db)
	var path string
	if err := db.QueryRow("SELECT storage_path FROM information_schema.cluster_snapshots").Scan(&path); err != nil {
		b.Fatal(err)
	}
	for _, f := range src.FEs() {
		if err := f.Kill(); err != nil {
			b.Fatal(err)
		}
	}
	for _, cn := range src.CNs() {
		if err := cn.Kill(); err != nil {
			b.Fatal(err)
		}
	}

	c, err := New(ctx, WithName(fmt.Sprintf("restored-%d", mb)), WithDir(b.TempDir()), WithObjectStorage(src.ObjectStorage()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	if err != nil {
		b.Fatal(err)
	}
	follower, err := c.DeployFE(ctx, FESpec{Role: RoleFollower, Helper: leader.EditLogAddr()})
	if err != nil {
		b.Fatal(err)
	}
	cn, err := c.DeployComputeNode(ctx)
	if err != nil {
		b.Fatal(err)
	}
	yaml := restoreYAML(src.ObjectStorage(), path, "s3://"+src.Bucket()+"/"+src.Name(), []string{follower.EditLogAddr()}, []string{cn.HeartbeatAddr()})
	// Flush the lost cluster's write-back (up to a GB of the load), as
	// BenchmarkSnapshot does: the restored cluster's fsyncs are measured,
	// not the queue the load left on this one machine's disk.
	syscall.Sync()
	b.StartTimer()
	start := time.Now()
	if err := leader.StartRestore(ctx, yaml, false); err != nil {
		b.Fatal(err)
	}
	firstQuery := time.Since(start)
	joinStart := time.Now()
	if err := follower.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if err := cn.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if err := c.WaitComputeNodes(ctx, 1); err != nil {
		b.Fatal(err)
	}
	join := time.Since(joinStart)
	rdb := c.DB(b)
	waitFor(b, 5*time.Minute, func() error {
		var id int64
		return rdb.QueryRow("SELECT id FROM bench.events LIMIT 1").Scan(&id)
	})
	all := time.Since(start)
	b.StopTimer()
	// Everything came back (not timed: a full scan grows with the data).
	var n int64
	if err := rdb.QueryRow("SELECT COUNT(*) FROM bench.events").Scan(&n); err != nil || n != rows {
		b.Fatalf("%d rows read back (%v), %d loaded", n, err, rows)
	}
	log := leader.ReadLog()
	began := logLineTime(log, "FE start to restore from a cluster snapshot")
	finished := logLineTime(log, "FE finished to restore from a cluster snapshot")
	checked := logLineTime(log, "cluster snapshot downloaded and checked")
	if began.IsZero() || finished.IsZero() || checked.IsZero() {
		b.Fatalf("the restore's log lines are missing:\n%s", log)
	}
	b.ReportMetric(logSeconds(log, "cluster snapshot downloaded and checked", "download_seconds").Seconds(), "download_s")
	b.ReportMetric(logSeconds(log, "cluster snapshot downloaded and checked", "verify_seconds").Seconds(), "verify_s")
	b.ReportMetric(finished.Sub(checked).Seconds(), "rebuild_s")
	b.ReportMetric(firstQuery.Seconds(), "first_query_s")
	b.ReportMetric(join.Seconds(), "join_s")
	b.ReportMetric(all.Seconds(), "all_serving_s")
	b.ReportMetric(finished.Sub(began).Seconds(), "restore_s")
}
