package harness

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// snapshotBenchMB is the largest table the snapshot benchmark grows to
// (1024 MB of CSV by default; MINIROCKS_SNAPSHOT_BENCH_MB overrides it for
// quick runs). The steps are 1 MB, 100 MB and that size.
func snapshotBenchMB() int64 {
	if s := os.Getenv("MINIROCKS_SNAPSHOT_BENCH_MB"); s != "" {
		if mb, err := strconv.ParseInt(s, 10, 64); err == nil && mb > 100 {
			return mb
		}
	}
	return 1024
}

// BenchmarkSnapshot measures automated cluster snapshots on a cluster of
// one FE and two CNs:
//
//   - job_<N>MB: with N MB of CSV loaded into one table, the duration of a
//     snapshot job (creation to FINISHED, the FE's
//     starrocks_fe_cluster_snapshot_last_job_seconds; median of five),
//     next to a full server-side copy of the same table data (minio-go
//     CopyObject of every data object, 8 at a time), the way a backup
//     that copies data would pay;
//   - load_without_snapshots / load_with_snapshots: Stream Load of the
//     same CSV into a fresh table with automation off, and with a snapshot
//     every second, alternated twice; MB/s of each, and the ratio.
//
// Run it with -benchtime 1x (make bench does).
func BenchmarkSnapshot(b *testing.B) {
	ctx := context.Background()
	c := StartCluster(b, WithComputeNodes(2), WithFEConf("lake_autovacuum_partition_naptime_seconds = 3600\nautomated_cluster_snapshot_interval_seconds = 3600\n"))
	fe := c.FEs()[0]
	db := fe.DB(b)
	for _, q := range []string{"CREATE DATABASE bench", benchTable, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON"} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	client, err := minio.New(c.MinIO().Endpoint, &minio.Options{Creds: credentials.NewStaticV4(c.MinIO().AccessKey, c.MinIO().SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	loaded := int64(0)
	var firstJob float64
	for _, mb := range []int64{1, 100, snapshotBenchMB()} {
		// Grow the table to mb MB of CSV.
		csv := filepath.Join(dir, fmt.Sprintf("grow_%d.csv", mb))
		if _, err := writeBenchCSV(csv, (mb-loaded)<<20); err != nil {
			b.Fatal(err)
		}
		resp, err := fe.StreamLoadFile(ctx, "bench", "events", fmt.Sprintf("grow_%d", mb), csv, map[string]string{"column_separator": ","})
		if err != nil || resp["Status"] != "Success" {
			b.Fatalf("stream load: %v %v", resp, err)
		}
		os.Remove(csv)
		loaded = mb
		// Flush the load's write-back first: the job's own fsyncs (the
		// journal, the image, MinIO's) are what is measured.
		syscall.Sync()
		b.Run(fmt.Sprintf("job_%dMB", mb), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var jobs []float64
				for range 5 {
					jobs = append(jobs, snapshotJobSeconds(b, fe, db))
				}
				slices.Sort(jobs)
				job := jobs[2]
				copySecs, bytes := copyTableData(b, client, c, fmt.Sprintf("copy_%dMB", mb))
				if firstJob == 0 {
					firstJob = job
				}
				b.ReportMetric(job*1000, "job_ms")
				b.ReportMetric(copySecs*1000, "copy_ms")
				b.ReportMetric(100*job/copySecs, "%_of_copy")
				b.ReportMetric(100*(job-firstJob)/firstJob, "%_growth")
				b.ReportMetric(float64(bytes)/(1<<20), "data_MiB")
			}
		})
	}

	// Load throughput with and without snapshots being taken.
	loadMB := min(snapshotBenchMB(), 512)
	csv := filepath.Join(dir, "load.csv")
	if _, err := writeBenchCSV(csv, loadMB<<20); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF"); err != nil {
		b.Fatal(err)
	}
	secs := map[bool]float64{}
	for round := range 4 {
		with := round%2 == 1
		if with {
			if _, err := db.Exec(`ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "1")`); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON"); err != nil {
				b.Fatal(err)
			}
		}
		for _, q := range []string{"DROP TABLE IF EXISTS bench.events FORCE", benchTable} {
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		resp, err := fe.StreamLoadFile(ctx, "bench", "events", fmt.Sprintf("load_%d", round), csv, map[string]string{"column_separator": ","})
		if err != nil || resp["Status"] != "Success" {
			b.Fatalf("stream load: %v %v", resp, err)
		}
		secs[with] += time.Since(start).Seconds()
		if with {
			if _, err := db.Exec("ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF"); err != nil {
				b.Fatal(err)
			}
		}
	}
	without, withSnaps := 2*float64(loadMB)/secs[false], 2*float64(loadMB)/secs[true]
	b.Run("load_without_snapshots", func(b *testing.B) {
		b.ReportMetric(without, "MB/s")
	})
	b.Run("load_with_snapshots", func(b *testing.B) {
		b.ReportMetric(withSnaps, "MB/s")
		b.ReportMetric(100*withSnaps/without, "%_of_without")
	})
}

// snapshotJobSeconds makes the FE take one snapshot now and returns how
// long the job took.
func snapshotJobSeconds(b *testing.B, fe *FE, db *sql.DB) float64 {
	b.Helper()
	var last int64
	if err := db.QueryRow("SELECT COALESCE(MAX(job_id), 0) FROM information_schema.cluster_snapshot_jobs").Scan(&last); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "1")`); err != nil {
		b.Fatal(err)
	}
	waitFor(b, 5*time.Minute, func() error {
		var state string
		err := db.QueryRow("SELECT state FROM information_schema.cluster_snapshot_jobs WHERE job_id > ? ORDER BY job_id LIMIT 1", last).Scan(&state)
		if err != nil {
			return err
		}
		if state == "ERROR" {
			b.Fatalf("snapshot job failed")
		}
		if state != "FINISHED" && state != "EXPIRED" && state != "DELETED" {
			return fmt.Errorf("job is %s", state)
		}
		return nil
	})
	if _, err := db.Exec(`ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "3600")`); err != nil {
		b.Fatal(err)
	}
	s, err := fe.Metric("starrocks_fe_cluster_snapshot_last_job_seconds")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// copyTableData copies every table data object of the cluster (all but
// the meta/ directory) to dest/ in the same bucket, server-side, 8 at a
// time, and returns the seconds it took and the bytes copied.
func copyTableData(b *testing.B, client *minio.Client, c *Cluster, dest string) (float64, int64) {
	b.Helper()
	ctx := context.Background()
	prefix := c.Name() + "/"
	var keys []string
	var bytes int64
	for o := range client.ListObjects(ctx, c.Bucket(), minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			b.Fatal(o.Err)
		}
		if strings.Contains(o.Key, "/meta/") {
			continue
		}
		keys = append(keys, o.Key)
		bytes += o.Size
	}
	start := time.Now()
	work := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				_, err := client.CopyObject(ctx, minio.CopyDestOptions{Bucket: c.Bucket(), Object: dest + "/" + k},
					minio.CopySrcOptions{Bucket: c.Bucket(), Object: k})
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return time.Since(start).Seconds(), bytes
}
