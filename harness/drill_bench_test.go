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

// BenchmarkDrill runs a restore drill end to end through the public
// harness API, with 1 MB, 100 MB and MINIROCKS_SNAPSHOT_BENCH_MB (1024 by
// default) of CSV in one table, the sizes BenchmarkRestore uses. One
// operation is one drill: Launch a cluster of MinIO, 3 FEs and 3 compute
// nodes; create the table and Stream Load the CSV (written beforehand,
// untimed); take a cluster snapshot (TakeSnapshot); lose every FE and CN
// (SIGKILL); Restore the snapshot onto new hosts (a leader with
// --cluster_snapshot, 2 followers, 3 compute nodes); wait until every node
// serves and a query reads table data; read the whole table back and check
// the row count. Between the loss and the restore the machine's write-back
// is flushed (sync), untimed, as BenchmarkSnapshot does: on one machine the
// lost cluster's dirty pages would otherwise slow the restored cluster's
// fsyncs, which new machines would not. Reported, as means over the runs:
//
//   - drill_s: the whole drill (ns/op in seconds; it grows with the load);
//   - launch_s, load_s, snapshot_s: its first steps;
//   - first_query_s: from the restoring leader's start to its first
//     answered query (the RTO of the leader, RestoreTimes.FirstQuery);
//   - nodes_serving_s: from the same start until every FE is alive in SHOW
//     FRONTENDS and every compute node in SHOW COMPUTE NODES;
//   - all_serving_s: until, moreover, a query reads table data (the RTO of
//     the cluster);
//   - download_s, verify_s, rebuild_s: the restoring leader's phases, from
//     its log;
//   - %_first_query_growth, %_all_serving_growth (100 MB and up): how much
//     the two RTOs grew from the 1 MB drill's.
//
// Run it with -benchtime 1x (make bench does).
func BenchmarkDrill(b *testing.B) {
	var base map[string]float64 // the 1 MB drill's means
	for _, mb := range []int64{1, 100, snapshotBenchMB()} {
		b.Run(fmt.Sprintf("drill_%dMB", mb), func(b *testing.B) {
			means := benchDrillSize(b, mb)
			if base == nil {
				base = means
			} else {
				b.ReportMetric(100*(means["first_query_s"]-base["first_query_s"])/base["first_query_s"], "%_first_query_growth")
				b.ReportMetric(100*(means["all_serving_s"]-base["all_serving_s"])/base["all_serving_s"], "%_all_serving_growth")
			}
		})
	}
}

// benchDrillOnce runs one drill with the CSV at csv (rows rows) and returns
// its figures by unit. The timer runs from the launch until the data is
// read back; closing the clusters is not timed.
// BenchmarkDrillBackend runs the drill of BenchmarkDrill with 1 MB and
// 100 MB on both backends side by side, in one run: backend=process
// (child processes) and backend=docker (a container per node and MinIO,
// the restore onto new containers; skipped without a Docker engine, one
// untimed start first builds the images). It reports the same figures
// as BenchmarkDrill and, for docker, %_drill_vs_process and
// %_rto_vs_process: its drill wall time and its RTO (all_serving_s) as a
// percentage of the process backend's at the same size.
//
// Run it with -benchtime 1x (make bench does).
func BenchmarkDrillBackend(b *testing.B) {
	process := map[int64]map[string]float64{}
	for _, mb := range []int64{1, 100} {
		b.Run(fmt.Sprintf("backend=process/drill_%dMB", mb), func(b *testing.B) {
			process[mb] = benchDrillSize(b, mb)
		})
	}
	docker, err := warmDocker(b)
	if err != nil {
		b.Logf("backend=docker skipped: %v", err)
		return
	}
	for _, mb := range []int64{1, 100} {
		b.Run(fmt.Sprintf("backend=docker/drill_%dMB", mb), func(b *testing.B) {
			m := benchDrillSize(b, mb, docker...)
			if p := process[mb]; p != nil {
				b.ReportMetric(100*m["drill_s"]/p["drill_s"], "%_drill_vs_process")
				b.ReportMetric(100*m["all_serving_s"]/p["all_serving_s"], "%_rto_vs_process")
			}
		})
	}
}

// benchDrillSize runs the drill b.N times with mb of CSV on a cluster
// launched with opts, reports the means and returns them.
func benchDrillSize(b *testing.B, mb int64, opts ...Option) map[string]float64 {
	b.StopTimer()
	csv := filepath.Join(b.TempDir(), "drill.csv")
	rows, err := writeBenchCSV(csv, mb<<20)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(csv)
	sums := map[string]float64{}
	for i := 0; i < b.N; i++ {
		for unit, v := range benchDrillOnce(b, mb, i, csv, rows, opts...) {
			sums[unit] += v
		}
	}
	means := map[string]float64{}
	for _, u := range drillUnits {
		means[u] = sums[u] / float64(b.N)
		b.ReportMetric(means[u], u)
	}
	return means
}

// drillUnits are the figures a drill benchmark reports.
var drillUnits = []string{"drill_s", "launch_s", "load_s", "snapshot_s", "first_query_s", "nodes_serving_s", "all_serving_s", "download_s", "verify_s", "rebuild_s"}

func benchDrillOnce(b *testing.B, mb int64, i int, csv string, rows int64, opts ...Option) map[string]float64 {
	ctx := context.Background()
	out := map[string]float64{}
	name := fmt.Sprintf("drill-%d-%d", mb, i)
	b.StartTimer()
	start := time.Now()
	src, err := Launch(ctx, append([]Option{WithName(name), WithDir(b.TempDir()), WithFollowers(2), WithComputeNodes(3),
		WithFEConf("automated_cluster_snapshot_interval_seconds = 86400\n")}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	out["launch_s"] = time.Since(start).Seconds()
	step := time.Now()
	db := src.DB(b)
	for _, q := range []string{"CREATE DATABASE bench", benchTable} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	leader, err := src.Leader(ctx)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := leader.StreamLoadFile(ctx, "bench", "events", "drill_bench", csv, map[string]string{"column_separator": ","})
	if err != nil || resp["Status"] != "Success" {
		b.Fatalf("stream load: %v %v", resp, err)
	}
	out["load_s"] = time.Since(step).Seconds()
	step = time.Now()
	snap, err := src.TakeSnapshot(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	out["snapshot_s"] = time.Since(step).Seconds()
	if err := src.KillAll(); err != nil {
		b.Fatal(err)
	}
	// Flush the lost cluster's write-back (up to a GB of the load) before
	// the restore, untimed: the restored cluster runs on new machines,
	// whose fsyncs do not queue behind it.
	b.StopTimer()
	flushStart := time.Now()
	syscall.Sync()
	flush := time.Since(flushStart)
	b.StartTimer()
	dst, times, err := Restore(ctx, src, name+"-restored", RestoreSpec{Snapshot: snap, ByName: true, Followers: 2, ComputeNodes: 3},
		WithDir(b.TempDir()))
	if dst == nil {
		b.Fatal(err)
	}
	defer dst.Close()
	if err != nil {
		b.Fatalf("%v\n%s", err, dst.Logs(40))
	}
	if err := waitServing(ctx, dst, 3, 3); err != nil {
		b.Fatalf("%v\n%s", err, dst.Logs(40))
	}
	nodesServing := time.Since(times.Started)
	rdb := dst.DB(b)
	waitFor(b, 5*time.Minute, func() error {
		var id int64
		return rdb.QueryRow("SELECT id FROM bench.events LIMIT 1").Scan(&id)
	})
	allServing := time.Since(times.Started)
	// Everything came back (a full scan grows with the data, as a drill's
	// check does).
	var n int64
	if err := rdb.QueryRow("SELECT COUNT(*) FROM bench.events").Scan(&n); err != nil || n != rows {
		b.Fatalf("%d rows read back (%v), %d loaded", n, err, rows)
	}
	out["drill_s"] = (time.Since(start) - flush).Seconds()
	b.StopTimer()
	out["first_query_s"] = times.FirstQuery.Seconds()
	out["all_serving_s"] = allServing.Seconds()
	out["nodes_serving_s"] = nodesServing.Seconds()
	out["download_s"] = times.Download.Seconds()
	out["verify_s"] = times.Verify.Seconds()
	out["rebuild_s"] = times.Rebuild.Seconds()
	return out
}
