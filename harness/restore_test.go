package harness

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// snapshotSource is a cluster with data, a user and a FINISHED snapshot,
// and what was written after the snapshot.
type snapshotSource struct {
	c *Cluster
	// Snapshot is the kept snapshot's name and StoragePath its s3:// path.
	Snapshot, StoragePath string
}

// startSnapshotSource launches a cluster of 2 FEs and 1 CN, loads rows
// 1..3, creates user u1 with a password and SELECT on d, takes one
// automated snapshot, stops the schedule and then writes row 4, which no
// restore may bring back.
func startSnapshotSource(t *testing.T) *snapshotSource {
	t.Helper()
	c := StartCluster(t, WithFollowers(1), WithFEConf("automated_cluster_snapshot_interval_seconds = 1\n"))
	db := c.DB(t)
	for _, q := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (k INT, v VARCHAR(20)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3",
		"INSERT INTO d.t VALUES (1, 'one'), (2, 'two'), (3, 'three')",
		"CREATE USER u1 IDENTIFIED BY 'pw-u1'",
		"GRANT SELECT ON ALL TABLES IN DATABASE d TO USER u1",
		"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON",
	} {
		mustExec(t, db, q)
	}
	waitSnapshotJob(t, db, 30*time.Second, 0, "FINISHED", inState("FINISHED"))
	mustExec(t, db, `ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "86400")`)
	s := &snapshotSource{c: c}
	// Once no job runs, exactly one snapshot is kept.
	waitFor(t, 30*time.Second, func() error {
		for _, j := range snapshotJobs(t, db) {
			if j.State == "INITIALIZING" || j.State == "SNAPSHOTING" {
				return fmt.Errorf("job %s is %s", j.Name, j.State)
			}
		}
		rows := queryStrings(t, db, "SELECT snapshot_name, storage_path FROM information_schema.cluster_snapshots")
		if len(rows) != 1 {
			return fmt.Errorf("snapshots %v", rows)
		}
		s.Snapshot, s.StoragePath = rows[0][0], rows[0][1]
		return nil
	})
	mustExec(t, db, "INSERT INTO d.t VALUES (4, 'after the snapshot')")
	return s
}

// killAll kills every node of the cluster (its MinIO stays).
func killAll(t *testing.T, c *Cluster) {
	t.Helper()
	for _, f := range c.FEs() {
		require.NoError(t, f.Kill())
	}
	for _, cn := range c.CNs() {
		require.NoError(t, cn.Kill())
	}
}

// restoreYAML is a cluster_snapshot.yaml restoring from path with the
// source cluster's builtin volume at location.
func restoreYAML(s ObjectStorage, path, location string, frontends, computeNodes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster_snapshot:\n  cluster_snapshot_path: %s\n  storage_volume_name: builtin_storage_volume\n", path)
	if frontends != nil {
		b.WriteString("frontends:\n")
		for _, f := range frontends {
			host, port, _ := strings.Cut(f, ":")
			fmt.Fprintf(&b, "  - host: %s\n    edit_log_port: %s\n    type: follower\n", host, port)
		}
	}
	if computeNodes != nil {
		b.WriteString("compute_nodes:\n")
		for _, n := range computeNodes {
			host, port, _ := strings.Cut(n, ":")
			fmt.Fprintf(&b, "  - host: %s\n    heartbeat_service_port: %s\n", host, port)
		}
	}
	fmt.Fprintf(&b, `storage_volumes:
  - name: builtin_storage_volume
    type: S3
    location: %s
    comment: restored
    properties:
      - key: aws.s3.endpoint
        value: %s
      - key: aws.s3.region
        value: %s
      - key: aws.s3.access_key
        value: %s
      - key: aws.s3.secret_key
        value: %s
      - key: aws.s3.enable_path_style_access
        value: "true"
`, location, s.Endpoint, MinIORegion, s.AccessKey, s.SecretKey)
	return b.String()
}

// restoreState asks an FE for GET /api/v2/get_cluster_snapshot_restore_state.
func restoreState(t *testing.T, f *FE) string {
	t.Helper()
	resp, err := http.Get(f.HTTPURL() + "/api/v2/get_cluster_snapshot_restore_state")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// checkRestored checks a restored cluster the way a user would: exactly
// the snapshot's rows, the old user with its password and grant, the
// snapshot restored from FINISHED, and new writes.
func checkRestored(t *testing.T, db *sql.DB, dsnU1 string, snapshot string) {
	t.Helper()
	waitFor(t, 60*time.Second, func() error {
		_, err := db.Exec("SELECT COUNT(*) FROM d.t")
		return err
	})
	require.Equal(t, [][]string{{"1", "one"}, {"2", "two"}, {"3", "three"}}, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"))
	u1 := openDB(t, dsnU1)
	require.Equal(t, [][]string{{"3"}}, queryStrings(t, u1, "SELECT COUNT(*) FROM d.t"))
	_, err := u1.Exec("CREATE DATABASE nope")
	require.Error(t, err, "u1 keeps only its grants")
	var found bool
	for _, j := range snapshotJobs(t, db) {
		if j.Name == snapshot {
			found = true
			require.Equal(t, "FINISHED", j.State)
			require.Equal(t, "Finished time was reset after cluster restored", j.Detail)
		}
	}
	require.True(t, found, "the snapshot restored from is listed")
	require.Equal(t, []string{snapshot}, snapshotNames(t, db))
	mustExec(t, db, "INSERT INTO d.t VALUES (5, 'after the restore')")
	require.Equal(t, [][]string{{"1"}, {"2"}, {"3"}, {"5"}}, queryStrings(t, db, "SELECT k FROM d.t ORDER BY k"))
}

// TestRestoreOntoNewHosts is the runbook on new machines: every process of
// a cluster killed and its install trees gone; three fresh trees on new
// hosts; cluster_snapshot.yaml naming the new follower and compute node
// and the snapshot by its meta dir; the leader started with
// --cluster_snapshot, the follower with --helper, the CN plainly.
func TestRestoreOntoNewHosts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := startSnapshotSource(t)
	killAll(t, src.c)

	c, err := New(ctx, WithName("restored"), WithDir(t.TempDir()), WithObjectStorage(src.c.ObjectStorage()))
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("restored cluster logs:\n%s", c.Logs(60))
		}
		c.Close()
	})
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	require.NoError(t, err)
	follower, err := c.DeployFE(ctx, FESpec{Role: RoleFollower, Helper: leader.EditLogAddr()})
	require.NoError(t, err)
	cn, err := c.DeployComputeNode(ctx)
	require.NoError(t, err)

	metaPath := strings.TrimSuffix(src.StoragePath, "/image/"+src.Snapshot)
	require.True(t, strings.HasSuffix(metaPath, "/meta"), metaPath)
	location := "s3://" + src.c.Bucket() + "/" + src.c.Name()
	yaml := restoreYAML(src.c.ObjectStorage(), metaPath, location, []string{follower.EditLogAddr()}, []string{cn.HeartbeatAddr()})
	require.NoError(t, leader.StartRestore(ctx, yaml, false))
	require.Contains(t, restoreState(t, leader), `"cluster_snapshot_restore_state":"finished"`)
	require.NoError(t, follower.Start(ctx))
	require.NoError(t, cn.Start(ctx))

	db := c.DB(t)
	checkRestored(t, db, leader.DSN("u1", "pw-u1", ""), src.Snapshot)
	// Only the new hosts are members.
	fes := map[string]string{}
	for _, r := range queryStrings(t, db, "SHOW FRONTENDS") {
		fes[r[1]] = r[6]
	}
	require.Equal(t, map[string]string{leader.Host(): "LEADER", follower.Host(): "FOLLOWER"}, fes)
	waitFor(t, 30*time.Second, func() error {
		rows := queryStrings(t, db, "SHOW COMPUTE NODES")
		if len(rows) != 1 || rows[0][1] != cn.Host() {
			return fmt.Errorf("compute nodes %v, want only %s", rows, cn.Host())
		}
		return nil
	})
	// The follower serves the same rows.
	fdb := follower.DB(t)
	waitFor(t, 30*time.Second, func() error {
		rows := queryStrings(t, fdb, "SELECT k FROM d.t ORDER BY k")
		if !slices.Equal(flatten(rows), []string{"1", "2", "3", "5"}) {
			return fmt.Errorf("follower reads %v", rows)
		}
		return nil
	})
	require.NotContains(t, leader.ReadLog(), src.c.ObjectStorage().SecretKey)
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
