package harness

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// snapshotJob is one row of information_schema.cluster_snapshot_jobs.
type snapshotJob struct {
	Name, State, Detail, Error string
	ID                         int64
}

// snapshotJobs reads every snapshot job through db, by job id.
func snapshotJobs(t *testing.T, db *sql.DB) []snapshotJob {
	t.Helper()
	var out []snapshotJob
	for _, r := range queryStrings(t, db, "SELECT snapshot_name, job_id, state, detail_info, error_message FROM information_schema.cluster_snapshot_jobs ORDER BY job_id") {
		id, err := strconv.ParseInt(r[1], 10, 64)
		require.NoError(t, err)
		out = append(out, snapshotJob{Name: r[0], ID: id, State: r[2], Detail: r[3], Error: r[4]})
	}
	return out
}

// waitSnapshotJob waits until a job newer than after satisfies match and
// returns it.
func waitSnapshotJob(t *testing.T, db *sql.DB, timeout time.Duration, after int64, what string, match func(snapshotJob) bool) snapshotJob {
	t.Helper()
	var found snapshotJob
	waitFor(t, timeout, func() error {
		jobs := snapshotJobs(t, db)
		for _, j := range jobs {
			if j.ID > after && match(j) {
				found = j
				return nil
			}
		}
		return fmt.Errorf("no snapshot job after %d is %s yet; jobs: %+v", after, what, jobs)
	})
	return found
}

func inState(state string) func(snapshotJob) bool {
	return func(j snapshotJob) bool { return j.State == state }
}

var snapshotDirRE = regexp.MustCompile(`/meta/image/(automated_cluster_snapshot_[0-9]+)/(.+)$`)

// snapshotDirs lists the snapshot directories in the cluster's bucket:
// directory name -> the object names in it.
func snapshotDirs(t *testing.T, c *Cluster) map[string][]string {
	t.Helper()
	dirs := map[string][]string{}
	for _, k := range c.objects(t) {
		if m := snapshotDirRE.FindStringSubmatch(k); m != nil {
			dirs[m[1]] = append(dirs[m[1]], m[2])
		}
	}
	for _, files := range dirs {
		slices.Sort(files)
	}
	return dirs
}

// snapshotNames returns the names information_schema.cluster_snapshots lists.
func snapshotNames(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var names []string
	for _, r := range queryStrings(t, db, "SELECT snapshot_name FROM information_schema.cluster_snapshots ORDER BY snapshot_name") {
		names = append(names, r[0])
	}
	return names
}

// verifySnapshot runs `minirocks snapshot verify` on a snapshot of the
// cluster's storage volume, from the bucket alone, and fails the test with
// its output when it finds anything missing or damaged.
func verifySnapshot(t *testing.T, c *Cluster, name string) string {
	t.Helper()
	m := c.MinIO()
	cmd := exec.Command(c.Binary(), "snapshot", "verify",
		"--location", m.Location(c.Bucket(), c.Name()),
		"--endpoint", m.Endpoint, "--access-key", m.AccessKey, "--snapshot", name)
	cmd.Env = append(os.Environ(), "AWS_SECRET_ACCESS_KEY="+m.SecretKey)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "snapshot verify %s:\n%s", name, out)
	require.NotContains(t, string(out), m.SecretKey)
	return string(out)
}

// TestSnapshotStorageOutage: object storage stopped across an interval
// makes that job ERROR with a readable message; the first job after it
// returns is FINISHED, and then exactly one snapshot exists, listed and in
// the bucket, the failed job's partial objects gone.
func TestSnapshotStorageOutage(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFEConf("automated_cluster_snapshot_interval_seconds = 1\n"))
	db := c.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v VARCHAR(20)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	mustExec(t, db, "INSERT INTO d.t VALUES (1, 'one'), (2, 'two')")
	mustExec(t, db, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	first := waitSnapshotJob(t, db, 30*time.Second, 0, "FINISHED", inState("FINISHED"))

	require.NoError(t, c.MinIO().Stop())
	failed := waitSnapshotJob(t, db, 90*time.Second, first.ID, "ERROR", inState("ERROR"))
	require.Contains(t, failed.Error, "upload image failed, err msg:")
	require.NotContains(t, failed.Error, c.MinIO().SecretKey)
	require.Equal(t, []string{first.Name}, snapshotNames(t, db), "the failed job is never listed")
	fe := c.FEs()[0]
	fails, err := fe.Metric("starrocks_fe_cluster_snapshot_consecutive_failures")
	require.NoError(t, err)
	require.GreaterOrEqual(t, fails, 1.0)

	require.NoError(t, c.MinIO().Start(context.Background()))
	next := waitSnapshotJob(t, db, 60*time.Second, failed.ID, "FINISHED", inState("FINISHED"))
	waitFor(t, 30*time.Second, func() error {
		dirs := snapshotDirs(t, c)
		if len(dirs) != 1 || dirs[next.Name] == nil {
			return fmt.Errorf("snapshot directories %v, want only %s", dirs, next.Name)
		}
		return nil
	})
	// A later job may have replaced next by now; exactly one snapshot stays.
	waitFor(t, 30*time.Second, func() error {
		names, dirs := snapshotNames(t, db), snapshotDirs(t, c)
		if len(names) != 1 || len(dirs) != 1 || dirs[names[0]] == nil {
			return fmt.Errorf("listed %v, in the bucket %v: want one and the same", names, dirs)
		}
		if !slices.Contains(dirs[names[0]], "snapshot_meta.json") {
			return fmt.Errorf("snapshot %s has no manifest: %v", names[0], dirs[names[0]])
		}
		return nil
	})
	for _, j := range snapshotJobs(t, db) {
		if j.ID == failed.ID {
			require.Equal(t, "ERROR", j.State)
		}
		if j.ID == first.ID {
			require.Equal(t, "DELETED", j.State, "the first snapshot is deleted once a newer one finished")
		}
	}
	verifySnapshot(t, c, snapshotNames(t, db)[0])
	require.Equal(t, [][]string{{"1", "one"}, {"2", "two"}}, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"))
	// /metrics: a snapshot finished after the failures, and it is recent.
	fails, err = fe.Metric("starrocks_fe_cluster_snapshot_consecutive_failures")
	require.NoError(t, err)
	require.Zero(t, fails)
	id, err := fe.Metric("starrocks_fe_cluster_snapshot_last_fe_journal_id")
	require.NoError(t, err)
	require.Positive(t, id)
	age, err := fe.Metric("starrocks_fe_cluster_snapshot_newest_age_seconds")
	require.NoError(t, err)
	require.Less(t, age, 60.0)
}

// TestSnapshotLeaderKilledMidUpload: the leader of three FEs is killed
// while its job uploads (object storage frozen so the upload cannot end):
// the job ends in ERROR on the new leader and never stays SNAPSHOTING, no
// incomplete directory is ever listed, and the new leader takes the next
// snapshot.
func TestSnapshotLeaderKilledMidUpload(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFollowers(2), WithFEConf("automated_cluster_snapshot_interval_seconds = 2\n"))
	ctx := context.Background()
	db := c.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	first := waitSnapshotJob(t, db, 30*time.Second, 0, "FINISHED", inState("FINISHED"))

	old, err := c.Leader(ctx)
	require.NoError(t, err)
	var follower *FE
	for _, f := range c.FEs() {
		if f != old {
			follower = f
		}
	}
	fdb := follower.DB(t)
	require.NoError(t, c.MinIO().Pause())
	resumed := false
	defer func() {
		if !resumed {
			_ = c.MinIO().Resume()
		}
	}()
	stuck := waitSnapshotJob(t, fdb, 30*time.Second, first.ID, "SNAPSHOTING", inState("SNAPSHOTING"))
	require.NoError(t, old.Kill())
	waitFor(t, 30*time.Second, func() error {
		l, err := c.Leader(ctx)
		if err != nil {
			return err
		}
		if l == old {
			return fmt.Errorf("the killed FE is still the leader")
		}
		return nil
	})
	require.NoError(t, c.MinIO().Resume())
	resumed = true

	failed := waitSnapshotJob(t, fdb, 30*time.Second, stuck.ID-1, "ERROR", func(j snapshotJob) bool { return j.ID == stuck.ID && j.State == "ERROR" })
	require.Equal(t, "Snapshot job has been failed because of FE restart or leader change", failed.Error)
	next := waitSnapshotJob(t, fdb, 60*time.Second, stuck.ID, "FINISHED", inState("FINISHED"))
	waitFor(t, 30*time.Second, func() error {
		dirs := snapshotDirs(t, c)
		if _, ok := dirs[stuck.Name]; ok {
			return fmt.Errorf("the failed job's directory %s is still there: %v", stuck.Name, dirs[stuck.Name])
		}
		for name, files := range dirs {
			if slices.Contains(files, "snapshot_meta.json") && !slices.Contains(snapshotNames(t, fdb), name) {
				return fmt.Errorf("directory %s has a manifest but is not a listed snapshot", name)
			}
		}
		return nil
	})
	for _, j := range snapshotJobs(t, fdb) {
		if j.ID <= next.ID {
			require.NotEqual(t, "SNAPSHOTING", j.State, "job %+v", j)
		}
	}
	// The old leader comes back as a follower and agrees.
	require.NoError(t, old.Restart(ctx))
	odb := old.DB(t)
	waitFor(t, 30*time.Second, func() error {
		for _, j := range snapshotJobs(t, odb) {
			if j.ID == stuck.ID && j.State != "ERROR" {
				return fmt.Errorf("the old leader shows job %s as %s", j.Name, j.State)
			}
		}
		return nil
	})
	verifySnapshot(t, c, snapshotNames(t, fdb)[0])
}

// TestSnapshotPinsSurviveGC: loads, compaction, vacuum, TRUNCATE, DROP,
// DROP FORCE and recycle-bin erase run hard while snapshots are taken;
// every snapshot kept is then proved complete from the bucket alone:
// every object its image refers to exists.
func TestSnapshotPinsSurviveGC(t *testing.T) {
	t.Parallel()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	c := StartCluster(t, WithComputeNodes(2), WithFEConf(strings.Join([]string{
		"automated_cluster_snapshot_interval_seconds = 3",
		"lake_autovacuum_partition_naptime_seconds = 1",
		"lake_autovacuum_grace_period_minutes = 0",
		"catalog_trash_expire_second = 1",
		"lake_compaction_score_selector_min_score = 2",
		""}, "\n")))
	db := c.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	const tables = 4
	create := func(i int) string {
		return fmt.Sprintf(`CREATE TABLE d.t%d (k INT, v VARCHAR(20)) DUPLICATE KEY(k)
PARTITION BY RANGE(k) (PARTITION p0 VALUES LESS THAN ("100"), PARTITION p1 VALUES LESS THAN ("1000"))
DISTRIBUTED BY HASH(k) BUCKETS 2`, i)
	}
	for i := 0; i < tables; i++ {
		mustExec(t, db, create(i))
	}
	mustExec(t, db, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ops atomic.Int64
	for w := 0; w < 2; w++ {
		rng := rand.New(rand.NewSource(seed + int64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				i := rng.Intn(tables)
				var q []string
				switch r := rng.Intn(20); {
				case r < 12:
					q = []string{fmt.Sprintf("INSERT INTO d.t%d VALUES (%d, 'w%d'), (%d, 'x')", i, rng.Intn(1000), n, rng.Intn(100))}
				case r < 14:
					q = []string{fmt.Sprintf("ALTER TABLE d.t%d COMPACT", i)}
				case r < 16:
					q = []string{fmt.Sprintf("TRUNCATE TABLE d.t%d PARTITION (p%d)", i, rng.Intn(2))}
				case r < 17:
					q = []string{fmt.Sprintf("TRUNCATE TABLE d.t%d", i)}
				case r < 18:
					q = []string{fmt.Sprintf("DROP TABLE d.t%d", i), create(i)}
				default:
					q = []string{fmt.Sprintf("DROP TABLE d.t%d FORCE", i), create(i)}
				}
				for _, s := range q {
					// Concurrent DDL on the same table may be refused
					// (unknown table, transactions pending): that is fine.
					if _, err := db.ExecContext(ctx, s); err == nil {
						ops.Add(1)
					}
				}
			}
		}()
	}
	// While the workload runs, every snapshot that finishes is verified
	// right away, as garbage collection keeps going.
	verified := map[string]bool{}
	deadline := time.Now().Add(25 * time.Second)
	for time.Now().Before(deadline) || len(verified) < 3 {
		require.Less(t, time.Since(deadline), 60*time.Second, "fewer than three snapshots verified: %v", verified)
		names := snapshotNames(t, db)
		for _, n := range names {
			if !verified[n] {
				// It may be replaced while it is being verified; verify
				// only if it is still the kept one afterwards.
				out, err := runVerify(c, n)
				if err != nil && slices.Contains(snapshotNames(t, db), n) {
					t.Fatalf("snapshot %s is kept but incomplete:\n%s", n, out)
				}
				if err == nil {
					verified[n] = true
				}
			}
		}
		waitFor(t, 10*time.Second, func() error {
			if ns := snapshotNames(t, db); len(ns) == 0 || slices.Equal(ns, names) {
				return fmt.Errorf("no new snapshot yet")
			}
			return nil
		})
	}
	stop()
	wg.Wait()
	t.Logf("%d statements succeeded; verified snapshots %v", ops.Load(), verified)
	// The last one, with the workload stopped and GC still running.
	mustExec(t, db, `ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "3600")`)
	var kept string
	waitFor(t, 30*time.Second, func() error {
		names := snapshotNames(t, db)
		jobs := snapshotJobs(t, db)
		if len(names) != 1 || jobs[len(jobs)-1].State != "FINISHED" && jobs[len(jobs)-1].State != "DELETED" && jobs[len(jobs)-1].State != "ERROR" {
			return fmt.Errorf("snapshots %v, newest job %+v", names, jobs[len(jobs)-1])
		}
		kept = names[0]
		return nil
	})
	// Drop everything; the drops' data stays while the snapshot pins it.
	for i := 0; i < tables; i++ {
		// The workload may have been stopped between a DROP and its CREATE.
		mustExec(t, db, fmt.Sprintf("DROP TABLE IF EXISTS d.t%d FORCE", i))
	}
	waitFor(t, 30*time.Second, func() error {
		if strings.Contains(c.FEs()[0].LogTail(5000), "is pinned by a cluster snapshot; keeping its data") {
			return nil
		}
		return fmt.Errorf("purge has not met a pinned partition yet")
	})
	verifySnapshot(t, c, kept)
}

// runVerify is verifySnapshot without failing the test.
func runVerify(c *Cluster, name string) (string, error) {
	m := c.MinIO()
	cmd := exec.Command(c.Binary(), "snapshot", "verify",
		"--location", m.Location(c.Bucket(), c.Name()),
		"--endpoint", m.Endpoint, "--access-key", m.AccessKey, "--snapshot", name)
	cmd.Env = append(os.Environ(), "AWS_SECRET_ACCESS_KEY="+m.SecretKey)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
