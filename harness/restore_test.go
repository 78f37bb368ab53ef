package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
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
		"SET GLOBAL query_timeout = 77",
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
	mustExec(t, db, "INSERT INTO d.t WITH LABEL after_snapshot VALUES (4, 'after the snapshot')")
	// SET GLOBAL on the follower is journaled through the leader; the
	// snapshot keeps the value before it.
	var follower *FE
	for _, f := range c.FEs() {
		if f.Role() == RoleFollower {
			follower = f
		}
	}
	require.NotNil(t, follower)
	mustExec(t, follower.DB(t), "SET GLOBAL query_timeout = 78")
	require.Equal(t, [][]string{{"78"}}, queryStrings(t, db, "SELECT @@global.query_timeout"))
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
	return ClusterSnapshotYAML(s, path, location, "", frontends, computeNodes)
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
	require.Equal(t, [][]string{{"77"}}, queryStrings(t, db, "SELECT @@global.query_timeout"), "SET GLOBAL as of the snapshot")
	// The snapshot restored from is FINISHED, unless the restored
	// cluster has since taken a newer one (its schedule goes on).
	var restored *snapshotJob
	newer := false
	for _, j := range snapshotJobs(t, db) {
		if j.Name == snapshot {
			jj := j
			restored = &jj
		} else if restored != nil && j.State == "FINISHED" {
			newer = true
		}
	}
	require.NotNil(t, restored, "the snapshot restored from is listed")
	if !newer {
		require.Equal(t, "FINISHED", restored.State)
		require.Equal(t, "Finished time was reset after cluster restored", restored.Detail)
		require.Equal(t, []string{snapshot}, snapshotNames(t, db))
	}
	// The label taken after the snapshot is free again.
	mustExec(t, db, "INSERT INTO d.t WITH LABEL after_snapshot VALUES (5, 'after the restore')")
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

// newRestoreCluster prepares an empty cluster on src's object storage,
// closed by the test's cleanup.
func newRestoreCluster(t *testing.T, src *snapshotSource, name string) *Cluster {
	t.Helper()
	c, err := New(context.Background(), WithName(name), WithDir(t.TempDir()), WithObjectStorage(src.c.ObjectStorage()))
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs of %s:\n%s", name, c.Logs(40))
		}
		c.Close()
	})
	return c
}

// refusedRestore starts a fresh FE of c with --cluster_snapshot and yaml
// (no file at all when yaml is "-") and returns its log once it exited,
// failing unless it exited with an error.
func refusedRestore(t *testing.T, c *Cluster, yaml string) string {
	t.Helper()
	ctx := context.Background()
	f, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	require.NoError(t, err)
	if yaml == "-" {
		require.NoError(t, os.Remove(filepath.Join(layout(t, f.Node()).FEHome(), "conf", "cluster_snapshot.yaml")))
	} else {
		require.NoError(t, f.WriteFile("conf/cluster_snapshot.yaml", []byte(yaml)))
	}
	require.NoError(t, f.StartWith(ctx, StartOptions{ClusterSnapshot: true}))
	code, err := f.ExitCode(time.Minute)
	require.NoError(t, err)
	require.NotZero(t, code)
	out := f.ReadLog() + f.LogTail(20)
	require.NotContains(t, out, secretOf(c))
	// Refused before anything was installed: no journal, image or restore
	// marker in the meta dir, nothing downloaded left behind (only the
	// lock file of the FE that ran).
	var left []string
	require.NoError(t, filepath.WalkDir(metaDir(t, f), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path != filepath.Join(metaDir(t, f), "lock") {
			left = append(left, strings.TrimPrefix(path, metaDir(t, f)))
		}
		return err
	}))
	require.Empty(t, left, "a refused restore leaves files in the meta dir")
	return out
}

func secretOf(c *Cluster) string { return c.ObjectStorage().SecretKey }

// TestRestoreRefusals: each mistake of the runbook is refused before
// anything is served, with a message that says what is wrong.
func TestRestoreRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := startSnapshotSource(t)
	st := src.c.ObjectStorage()
	location := "s3://" + src.c.Bucket() + "/" + src.c.Name()
	metaPath := strings.TrimSuffix(src.StoragePath, "/image/"+src.Snapshot)
	serviceDir := strings.TrimPrefix(strings.TrimSuffix(metaPath, "/meta"), "s3://"+src.c.Bucket()+"/")
	good := restoreYAML(st, src.StoragePath, location, nil, nil)
	c := newRestoreCluster(t, src, "refusals")

	cases := []struct{ name, yaml, want string }{
		{"missing yaml", "-", "cluster_snapshot.yaml does not exist: a restore from a cluster snapshot (--cluster_snapshot, RESTORE_CLUSTER_SNAPSHOT=true) reads it"},
		{"unknown field", strings.Replace(good, "storage_volume_name:", "storage_volume:", 1), "field storage_volume not found"},
		{"volume not in the yaml", strings.Replace(good, "storage_volume_name: builtin_storage_volume", "storage_volume_name: other", 1), "Storage volume other not found"},
		{"volume not in the snapshot", strings.ReplaceAll(good, "builtin_storage_volume", "renamed_volume"), "conf/cluster_snapshot.yaml:"},
		{"no snapshot under the path", restoreYAML(st, location+"/no-such-service/meta", location, nil, nil), "No cluster snapshot found in path " + location + "/no-such-service/meta/image/automated_cluster_snapshot_*"},
		{"named snapshot does not exist", restoreYAML(st, metaPath+"/image/automated_cluster_snapshot_1", location, nil, nil), "cluster snapshot automated_cluster_snapshot_1 is not complete or cannot be read"},
		{"HDFS volume", good + "  - name: hdfs_vol\n    type: HDFS\n    location: hdfs://127.0.0.1:9000/sr\n", "restoring onto HDFS storage volumes is not supported"},
		{"volume away from the snapshot", restoreYAML(st, src.StoragePath, location+"-elsewhere", nil, nil),
			"storage volume builtin_storage_volume is given location " + location + "-elsewhere, but cluster_snapshot_path is under " + location + ", where the snapshot's table data is"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := refusedRestore(t, c, tc.yaml)
			require.Contains(t, out, tc.want)
			if tc.name == "volume not in the snapshot" {
				// The file, the line and the key.
				require.Regexp(t, `conf/cluster_snapshot\.yaml:\d+: storage_volumes: Storage volume 'renamed_volume' does not exist in the cluster snapshot`, out)
			}
		})
	}

	// The next cases damage a copy of the data, in a bucket of their own.
	m := src.c.MinIO()
	client, err := m.adminClient()
	require.NoError(t, err)
	copyTo := func(t *testing.T) (string, string) {
		bucket, err := m.NewBucket(ctx, "copy")
		require.NoError(t, err)
		for o := range client.ListObjects(ctx, src.c.Bucket(), minio.ListObjectsOptions{Prefix: src.c.Name() + "/", Recursive: true}) {
			require.NoError(t, o.Err)
			_, err := client.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: o.Key}, minio.CopySrcOptions{Bucket: src.c.Bucket(), Object: o.Key})
			require.NoError(t, err)
		}
		loc := "s3://" + bucket + "/" + src.c.Name()
		return bucket, loc
	}
	t.Run("manifest missing", func(t *testing.T) {
		bucket, loc := copyTo(t)
		require.NoError(t, client.RemoveObject(ctx, bucket, serviceDir+"/meta/image/"+src.Snapshot+"/snapshot_meta.json", minio.RemoveObjectOptions{}))
		out := refusedRestore(t, c, restoreYAML(st, loc+"/"+strings.TrimPrefix(serviceDir, src.c.Name()+"/")+"/meta/image/"+src.Snapshot, loc, nil, nil))
		require.Contains(t, out, "cluster snapshot "+src.Snapshot+" is not complete or cannot be read")
		require.Contains(t, out, "read manifest")
		// The meta-dir form finds no complete snapshot either.
		out = refusedRestore(t, c, restoreYAML(st, loc+"/"+strings.TrimPrefix(serviceDir, src.c.Name()+"/")+"/meta", loc, nil, nil))
		require.Contains(t, out, "No complete cluster snapshot found in path")
	})
	t.Run("checksum wrong", func(t *testing.T) {
		bucket, loc := copyTo(t)
		key := serviceDir + "/meta/image/" + src.Snapshot + "/VERSION"
		_, err := client.PutObject(ctx, bucket, key, strings.NewReader("clusterId=1\n"), -1, minio.PutObjectOptions{})
		require.NoError(t, err)
		out := refusedRestore(t, c, restoreYAML(st, loc+"/"+strings.TrimPrefix(serviceDir, src.c.Name()+"/")+"/meta/image/"+src.Snapshot, loc, nil, nil))
		require.Contains(t, out, "cluster snapshot "+src.Snapshot+" is not complete")
		require.Contains(t, out, "VERSION")
	})
	t.Run("data object missing", func(t *testing.T) {
		bucket, loc := copyTo(t)
		var seg string
		for o := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: serviceDir + "/", Recursive: true}) {
			if strings.HasSuffix(o.Key, ".dat") {
				seg = o.Key
				break
			}
		}
		require.NotEmpty(t, seg)
		require.NoError(t, client.RemoveObject(ctx, bucket, seg, minio.RemoveObjectOptions{}))
		out := refusedRestore(t, c, restoreYAML(st, loc+"/"+strings.TrimPrefix(serviceDir, src.c.Name()+"/")+"/meta", loc, nil, nil))
		require.Contains(t, out, "refers to table data that is missing")
		require.Contains(t, out, seg[strings.Index(seg, "/db"):])
	})
	// The snapshot's own files, damaged in a copy: each is refused, naming
	// the file and the cause. rewrite replaces a file and its manifest
	// entry, as a snapshot written that way would list it.
	snapDir := serviceDir + "/meta/image/" + src.Snapshot + "/"
	manifestKey := snapDir + "snapshot_meta.json"
	relDir := strings.TrimPrefix(snapDir, src.c.Name()+"/") // keys in messages are relative to the location
	snapPath := func(loc string) string {
		return loc + "/" + strings.TrimPrefix(serviceDir, src.c.Name()+"/") + "/meta/image/" + src.Snapshot
	}
	get := func(t *testing.T, bucket, key string) []byte {
		o, err := client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
		require.NoError(t, err)
		defer o.Close()
		b, err := io.ReadAll(o)
		require.NoError(t, err)
		return b
	}
	put := func(t *testing.T, bucket, key string, b []byte) {
		_, err := client.PutObject(ctx, bucket, key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{})
		require.NoError(t, err)
	}
	manifest := func(t *testing.T, bucket string) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal(get(t, bucket, manifestKey), &m))
		return m
	}
	putManifest := func(t *testing.T, bucket string, m map[string]any) {
		b, err := json.Marshal(m)
		require.NoError(t, err)
		put(t, bucket, manifestKey, b)
	}
	rewrite := func(t *testing.T, bucket, name string, b []byte) {
		put(t, bucket, snapDir+name, b)
		m := manifest(t, bucket)
		sum := sha256.Sum256(b)
		for _, f := range m["files"].([]any) {
			if f := f.(map[string]any); f["name"] == name {
				f["size"], f["sha256"] = len(b), hex.EncodeToString(sum[:])
			}
		}
		putManifest(t, bucket, m)
	}
	image := func(t *testing.T, bucket string) (string, []byte) {
		name := manifest(t, bucket)["image"].(string)
		return name, get(t, bucket, snapDir+name)
	}
	t.Run("image truncated", func(t *testing.T) {
		bucket, loc := copyTo(t)
		name, b := image(t, bucket)
		put(t, bucket, snapDir+name, b[:len(b)/2])
		out := refusedRestore(t, c, restoreYAML(st, snapPath(loc), loc, nil, nil))
		require.Contains(t, out, "cluster snapshot "+src.Snapshot+" is not complete: "+relDir+name+": "+
			fmt.Sprintf("%s is %d bytes, the manifest says %d", name, len(b)/2, len(b)))
	})
	t.Run("image truncated and listed so", func(t *testing.T) {
		bucket, loc := copyTo(t)
		name, b := image(t, bucket)
		rewrite(t, bucket, name, b[:len(b)/2])
		out := refusedRestore(t, c, restoreYAML(st, snapPath(loc), loc, nil, nil))
		require.Contains(t, out, "cluster snapshot "+src.Snapshot+" is not complete: "+relDir+name+": image cannot be loaded")
		require.Contains(t, out, "journal: corrupt image: bad trailer magic (torn or truncated file)")
	})
	t.Run("image of a newer format version", func(t *testing.T) {
		bucket, loc := copyTo(t)
		name, b := image(t, bucket)
		require.Contains(t, string(b), `"format_version":1,`)
		rewrite(t, bucket, name, bytes.Replace(b, []byte(`"format_version":1,`), []byte(`"format_version":2,`), 1))
		out := refusedRestore(t, c, restoreYAML(st, snapPath(loc), loc, nil, nil))
		require.Contains(t, out, "cluster snapshot "+src.Snapshot+" is not complete: "+relDir+name+": image cannot be loaded")
		require.Contains(t, out, "image format version 2 is not supported (this build reads 1..1)")
	})
	t.Run("manifest of a newer format version", func(t *testing.T) {
		bucket, loc := copyTo(t)
		m := manifest(t, bucket)
		m["format_version"] = 99
		putManifest(t, bucket, m)
		out := refusedRestore(t, c, restoreYAML(st, snapPath(loc), loc, nil, nil))
		require.Contains(t, out, "cluster snapshot "+src.Snapshot+" is not complete or cannot be read: snapshot "+src.Snapshot+
			": manifest format version 99 is not supported (this build reads 1..1)")
	})
	t.Run("meta dir of another cluster", func(t *testing.T) {
		f := src.c.FEs()[1]
		require.NoError(t, f.Kill()) // its meta dir stays
		require.NoError(t, f.WriteFile("conf/cluster_snapshot.yaml", []byte(good)))
		require.NoError(t, f.StartWith(ctx, StartOptions{ClusterSnapshot: true}))
		code, err := f.ExitCode(time.Minute)
		require.NoError(t, err)
		require.NotZero(t, code)
		require.Contains(t, f.ReadLog()+f.LogTail(20), "already holds a cluster (its journal or images); a restore starts from an empty meta dir")
	})
}

// TestRestoreOperatorStyle is the Kubernetes operator's procedure: the
// same hosts, their meta dirs and storage wiped, RESTORE_CLUSTER_SNAPSHOT=
// true on the leader, no frontends or compute_nodes sections (the
// snapshot's nodes stay registered and rejoin), then the follower with a
// clean meta dir and --helper, the CN plainly. A restart of the leader
// with the variable still set keeps what was written after the restore.
func TestRestoreOperatorStyle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := startSnapshotSource(t)
	c := src.c
	killAll(t, c)
	leader, follower, cn := c.FEs()[0], c.FEs()[1], c.CNs()[0]
	require.NoError(t, leader.WipeMeta())
	require.NoError(t, follower.WipeMeta())
	require.NoError(t, cn.WipeStorage())

	location := "s3://" + c.Bucket() + "/" + c.Name()
	metaPath := strings.TrimSuffix(src.StoragePath, "/image/"+src.Snapshot)
	yaml := restoreYAML(c.ObjectStorage(), metaPath, location, nil, nil)
	require.NoError(t, leader.StartRestore(ctx, yaml, true))
	require.Contains(t, leader.ReadLog(), "FE start to restore from a cluster snapshot (RESTORE_CLUSTER_SNAPSHOT=true)")
	require.NoError(t, follower.Start(ctx))
	require.NoError(t, cn.Start(ctx))
	db := c.DB(t)
	checkRestored(t, db, leader.DSN("u1", "pw-u1", ""), src.Snapshot)
	waitFor(t, 30*time.Second, func() error {
		fes := map[string]string{}
		for _, r := range queryStrings(t, db, "SHOW FRONTENDS") {
			fes[r[1]] = r[6] + "/" + r[9]
		}
		want := map[string]string{leader.Host(): "LEADER/true", follower.Host(): "FOLLOWER/true"}
		if !mapsEqual(fes, want) {
			return fmt.Errorf("frontends %v, want %v", fes, want)
		}
		return nil
	})

	// The variable is still set at the next start: no rewind.
	require.NoError(t, leader.Stop())
	require.NoError(t, leader.StartRestore(ctx, "", true))
	require.Contains(t, leader.ReadLog(), "the restore from this cluster snapshot was done before; starting normally")
	db = c.DB(t)
	waitFor(t, 30*time.Second, func() error {
		_, err := db.Exec("SELECT 1")
		return err
	})
	require.Equal(t, [][]string{{"1"}, {"2"}, {"3"}, {"5"}}, queryStrings(t, db, "SELECT k FROM d.t ORDER BY k"))
}

// TestRestoreFromCopiedBucket: the data copied to another bucket, the
// original bucket deleted, the snapshot named explicitly; and a restore
// killed half-way is simply started again.
func TestRestoreFromCopiedBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := startSnapshotSource(t)
	killAll(t, src.c)
	m := src.c.MinIO()
	client, err := m.adminClient()
	require.NoError(t, err)
	bucket, err := m.NewBucket(ctx, "copied")
	require.NoError(t, err)
	for o := range client.ListObjects(ctx, src.c.Bucket(), minio.ListObjectsOptions{Prefix: src.c.Name() + "/", Recursive: true}) {
		require.NoError(t, o.Err)
		_, err := client.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "moved/" + o.Key}, minio.CopySrcOptions{Bucket: src.c.Bucket(), Object: o.Key})
		require.NoError(t, err)
		require.NoError(t, client.RemoveObject(ctx, src.c.Bucket(), o.Key, minio.RemoveObjectOptions{}))
	}
	// The original bucket is deleted.
	require.NoError(t, client.RemoveBucket(ctx, src.c.Bucket()))
	oldPrefix := "s3://" + src.c.Bucket() + "/" + src.c.Name()
	location := "s3://" + bucket + "/moved/" + src.c.Name()
	path := location + strings.TrimPrefix(src.StoragePath, oldPrefix)

	c := newRestoreCluster(t, src, "copied")
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	require.NoError(t, err)
	cn, err := c.DeployComputeNode(ctx)
	require.NoError(t, err)
	yaml := restoreYAML(src.c.ObjectStorage(), path, location, []string{}, []string{cn.HeartbeatAddr()})

	// Killed half-way: as soon as the restore marker says it began.
	require.NoError(t, leader.WriteFile("conf/cluster_snapshot.yaml", []byte(yaml)))
	require.NoError(t, leader.StartWith(ctx, StartOptions{ClusterSnapshot: true}))
	waitFor(t, 30*time.Second, func() error {
		names, err := leader.Node().ListDir("meta")
		if err != nil {
			return err
		}
		if !slices.Contains(names, "cluster_snapshot_restore.json") {
			return fmt.Errorf("no restore marker yet: %v", names)
		}
		return nil
	})
	require.NoError(t, leader.Kill())
	require.NoError(t, leader.StartRestore(ctx, "", false))
	require.NoError(t, cn.Start(ctx))
	db := c.DB(t)
	checkRestored(t, db, leader.DSN("u1", "pw-u1", ""), src.Snapshot)
	// The table's data is read from the copied bucket: the original one
	// is gone.
	exists, err := client.BucketExists(ctx, src.c.Bucket())
	require.NoError(t, err)
	require.False(t, exists)
	var loc string
	rows := queryStrings(t, db, "DESC STORAGE VOLUME builtin_storage_volume")
	for _, r := range rows {
		loc += strings.Join(r, " ")
	}
	require.Contains(t, loc, location)
	require.NotContains(t, loc, src.c.ObjectStorage().SecretKey)
}

// TestRestoreExactlyTheSnapshot: labelled loads and compactions run
// concurrently while snapshots are taken every second; the kept snapshot
// is restored onto new hosts. Every load acknowledged before the snapshot
// began is there and every load begun after it finished is not; each load
// present is there exactly once, row for row, and the loads present are
// exactly the ones the restored catalog lists as finished.
func TestRestoreExactlyTheSnapshot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	src := StartCluster(t, WithFEConf("automated_cluster_snapshot_interval_seconds = 1\nlake_compaction_score_selector_min_score = 3\nlake_autovacuum_partition_naptime_seconds = 1\nlake_autovacuum_grace_period_minutes = 0\n"))
	db := src.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (load INT, i INT) DUPLICATE KEY(load) DISTRIBUTED BY HASH(i) BUCKETS 4")
	mustExec(t, db, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")

	type load struct {
		rows       int
		begin, ack time.Time // ack is zero when the load was not acknowledged
	}
	var mu sync.Mutex
	loads := map[int]*load{}
	next := 0
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		rng := rand.New(rand.NewSource(seed + int64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for wctx.Err() == nil {
				if rng.Intn(10) == 0 {
					_, _ = db.ExecContext(wctx, "ALTER TABLE d.t COMPACT")
					continue
				}
				mu.Lock()
				id := next
				next++
				l := &load{rows: 1 + rng.Intn(20), begin: time.Now()}
				loads[id] = l
				mu.Unlock()
				var vals []string
				for i := 0; i < l.rows; i++ {
					vals = append(vals, fmt.Sprintf("(%d, %d)", id, i))
				}
				if _, err := db.ExecContext(wctx, fmt.Sprintf("INSERT INTO d.t WITH LABEL l_%d VALUES %s", id, strings.Join(vals, ", "))); err == nil {
					mu.Lock()
					l.ack = time.Now()
					mu.Unlock()
				}
			}
		}()
	}
	// Let a few snapshots be taken under the load.
	waitFor(t, 60*time.Second, func() error {
		n := 0
		for _, j := range snapshotJobs(t, db) {
			if j.State == "FINISHED" || j.State == "EXPIRED" || j.State == "DELETED" {
				n++
			}
		}
		if n < 4 {
			return fmt.Errorf("%d snapshots taken", n)
		}
		return nil
	})
	mustExec(t, db, `ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "86400")`)
	var snap snapshotJob
	var finishedBy time.Time
	waitFor(t, 30*time.Second, func() error {
		var kept []snapshotJob
		for _, j := range snapshotJobs(t, db) {
			if j.State == "INITIALIZING" || j.State == "SNAPSHOTING" {
				return fmt.Errorf("job %s is %s", j.Name, j.State)
			}
			if j.State == "FINISHED" {
				kept = append(kept, j)
			}
		}
		if len(kept) != 1 {
			return fmt.Errorf("kept %v", kept)
		}
		snap, finishedBy = kept[0], time.Now()
		return nil
	})
	// Loads go on until one begun after the snapshot is acknowledged,
	// then everything dies.
	waitFor(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range loads {
			if l.begin.After(finishedBy) && !l.ack.IsZero() {
				return nil
			}
		}
		return fmt.Errorf("no load acknowledged after the snapshot yet")
	})
	stop()
	wg.Wait()
	storagePath := queryStrings(t, db, "SELECT storage_path FROM information_schema.cluster_snapshots")[0][0]
	killAll(t, src)
	created, err := strconv.ParseInt(strings.TrimPrefix(snap.Name, "automated_cluster_snapshot_"), 10, 64)
	require.NoError(t, err)
	createdAt := time.UnixMilli(created)

	c := newRestoreCluster(t, &snapshotSource{c: src}, "exact")
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	require.NoError(t, err)
	cn, err := c.DeployComputeNode(ctx)
	require.NoError(t, err)
	location := "s3://" + src.Bucket() + "/" + src.Name()
	require.NoError(t, leader.StartRestore(ctx, restoreYAML(src.ObjectStorage(), storagePath, location, nil, []string{cn.HeartbeatAddr()}), false))
	require.NoError(t, cn.Start(ctx))
	rdb := c.DB(t)
	var got [][]string
	waitFor(t, 60*time.Second, func() error {
		var err error
		rows, err := rdb.Query("SELECT load, i FROM d.t")
		if err != nil {
			return err
		}
		defer rows.Close()
		got = nil
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				return err
			}
			got = append(got, []string{a, b})
		}
		return rows.Err()
	})
	present := map[int]map[int]int{}
	for _, r := range got {
		id, _ := strconv.Atoi(r[0])
		i, _ := strconv.Atoi(r[1])
		if present[id] == nil {
			present[id] = map[int]int{}
		}
		present[id][i]++
	}
	finished := map[int]bool{}
	for _, r := range queryStrings(t, rdb, "SELECT label FROM information_schema.loads WHERE db_name = 'd' AND state = 'FINISHED'") {
		id, err := strconv.Atoi(strings.TrimPrefix(r[0], "l_"))
		require.NoError(t, err)
		finished[id] = true
	}
	mu.Lock()
	defer mu.Unlock()
	var before, after int
	for id, l := range loads {
		rows, in := present[id]
		switch {
		case !l.ack.IsZero() && l.ack.Before(createdAt):
			before++
			require.True(t, in, "load %d was acknowledged before the snapshot began but is missing", id)
		case l.begin.After(finishedBy):
			after++
			require.False(t, in, "load %d began after the snapshot finished but is there", id)
		}
		if in {
			require.Len(t, rows, l.rows, "load %d is partial", id)
			for i, n := range rows {
				require.Equal(t, 1, n, "load %d row %d is there %d times", id, i, n)
			}
		}
		require.Equal(t, in, finished[id], "load %d: rows present %v, listed finished %v", id, in, finished[id])
	}
	t.Logf("%d loads, %d acknowledged before the snapshot, %d begun after it; %d restored", len(loads), before, after, len(present))
	require.Positive(t, before)
	require.Positive(t, after)
}

// TestRestoreFencesTheOldCluster: the original cluster is not dead but
// frozen while it is restored onto new hosts from the same bucket; when
// it comes back it finds the restored incarnation's lease, stops writing
// and deleting there, and refuses loads with a message saying why, while
// the restored cluster goes on.
func TestRestoreFencesTheOldCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := startSnapshotSource(t)
	for _, f := range src.c.FEs() {
		require.NoError(t, f.Pause())
	}
	c := newRestoreCluster(t, src, "fencing")
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	require.NoError(t, err)
	cn, err := c.DeployComputeNode(ctx)
	require.NoError(t, err)
	location := "s3://" + src.c.Bucket() + "/" + src.c.Name()
	require.NoError(t, leader.StartRestore(ctx, restoreYAML(src.c.ObjectStorage(), src.StoragePath, location, nil, []string{cn.HeartbeatAddr()}), false))
	require.NoError(t, cn.Start(ctx))
	db := c.DB(t)
	checkRestored(t, db, leader.DSN("u1", "pw-u1", ""), src.Snapshot)

	for _, f := range src.c.FEs() {
		require.NoError(t, f.Resume())
	}
	old := src.c.DB(t)
	waitFor(t, 60*time.Second, func() error {
		_, err := old.Exec("INSERT INTO d.t VALUES (9, 'old timeline')")
		if err == nil {
			return fmt.Errorf("the old cluster still loads")
		}
		if !strings.Contains(err.Error(), "a newer incarnation of this cluster (restored from a cluster snapshot: generation 1") {
			return err
		}
		return nil
	})
	fenced := false
	for _, f := range src.c.FEs() {
		fenced = fenced || strings.Contains(f.ReadLog(), "fenced: a newer incarnation of this cluster")
	}
	require.True(t, fenced, "the old leader logs that it is fenced")
	// The restored cluster keeps its storage.
	mustExec(t, db, "INSERT INTO d.t VALUES (6, 'still writing')")
	require.Equal(t, [][]string{{"1"}, {"2"}, {"3"}, {"5"}, {"6"}}, queryStrings(t, db, "SELECT k FROM d.t ORDER BY k"))
	require.NotContains(t, leader.ReadLog(), "fenced:")
}

// TestRestoreTransactionsInFlight: one of two compute nodes is frozen
// while single-row INSERTs run, so that some transactions are COMMITTED
// (their rows written on the live node, the publish waiting for the frozen
// one) and some still loading (writing to the frozen node) when a snapshot
// is taken. Restored onto new hosts: the COMMITTED ones are published
// again and their rows appear exactly once; the loading ones end
// CANCELLED and leave no row.
func TestRestoreTransactionsInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := StartCluster(t, WithComputeNodes(2), WithFEConf("automated_cluster_snapshot_interval_seconds = 1\npublish_version_timeout_second = 120\ntablet_rpc_timeout_second = 120\n"))
	db := src.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 8")
	mustExec(t, db, "INSERT INTO d.t VALUES (0)")
	mustExec(t, db, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	require.NoError(t, src.CNs()[1].Pause())
	for k := 1; k <= 12; k++ {
		go func() { _, _ = db.ExecContext(ctx, fmt.Sprintf("INSERT INTO d.t WITH LABEL c_%d VALUES (%d)", k, k)) }()
	}
	// Both kinds exist once every write to the live node is done.
	states := map[string]string{}
	waitFor(t, 60*time.Second, func() error {
		states = map[string]string{}
		prepared, loading := 0, 0
		for _, r := range queryStrings(t, db, "SELECT label, state FROM information_schema.loads WHERE label LIKE 'c_%'") {
			states[r[0]] = r[1]
			switch r[1] {
			case "PREPARED":
				prepared++
			case "LOADING":
				loading++
			}
		}
		if prepared == 0 || loading == 0 || prepared+loading != 12 {
			return fmt.Errorf("load states %v", states)
		}
		return nil
	})
	var name, path string
	// The kept snapshot must see the states above: they are read again
	// after a snapshot that began after the first reading, until both
	// readings agree (a load writing only to the live node may still be
	// committing at first).
	readStates := func() map[string]string {
		m := map[string]string{}
		for _, r := range queryStrings(t, db, "SELECT label, state FROM information_schema.loads WHERE label LIKE 'c_%'") {
			m[r[0]] = r[1]
		}
		return m
	}
	waitFor(t, 60*time.Second, func() error {
		before := readStates()
		mark := time.Now()
		err := WaitFor(ctx, 30*time.Second, func() error {
			rows := queryStrings(t, db, "SELECT snapshot_name FROM information_schema.cluster_snapshots")
			if len(rows) != 1 {
				return fmt.Errorf("snapshots %v", rows)
			}
			created, _ := strconv.ParseInt(strings.TrimPrefix(rows[0][0], "automated_cluster_snapshot_"), 10, 64)
			if !time.UnixMilli(created).After(mark) {
				return fmt.Errorf("snapshot %s is older than the states", rows[0][0])
			}
			return nil
		})
		if err != nil {
			return err
		}
		if after := readStates(); !mapsEqual(before, after) {
			return fmt.Errorf("load states changed across the snapshot: %v then %v", before, after)
		}
		states = before
		return nil
	})
	mustExec(t, db, `ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "86400")`)
	waitFor(t, 30*time.Second, func() error {
		rows := queryStrings(t, db, "SELECT snapshot_name, storage_path FROM information_schema.cluster_snapshots")
		for _, j := range snapshotJobs(t, db) {
			if j.State == "INITIALIZING" || j.State == "SNAPSHOTING" {
				return fmt.Errorf("job %s runs", j.Name)
			}
		}
		if len(rows) != 1 {
			return fmt.Errorf("snapshots %v", rows)
		}
		name, path = rows[0][0], rows[0][1]
		return nil
	})
	t.Logf("restoring %s; load states at the snapshot: %v", name, states)
	require.NoError(t, src.CNs()[1].Resume())
	killAll(t, src)

	c := newRestoreCluster(t, &snapshotSource{c: src}, "inflight")
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	require.NoError(t, err)
	cn1, err := c.DeployComputeNode(ctx)
	require.NoError(t, err)
	cn2, err := c.DeployComputeNode(ctx)
	require.NoError(t, err)
	location := "s3://" + src.Bucket() + "/" + src.Name()
	require.NoError(t, leader.StartRestore(ctx, restoreYAML(src.ObjectStorage(), path, location, nil, []string{cn1.HeartbeatAddr(), cn2.HeartbeatAddr()}), false))
	require.NoError(t, cn1.Start(ctx))
	require.NoError(t, cn2.Start(ctx))
	rdb := c.DB(t)
	var want []string
	want = append(want, "0")
	waitFor(t, 90*time.Second, func() error {
		got := map[string]string{}
		for _, r := range queryStrings(t, rdb, "SELECT label, state FROM information_schema.loads WHERE label LIKE 'c_%'") {
			got[r[0]] = r[1]
		}
		for label, st := range states {
			wantState := "FINISHED"
			if st == "LOADING" {
				wantState = "CANCELLED"
			}
			if got[label] != wantState {
				return fmt.Errorf("load %s was %s at the snapshot and is %s after the restore, want %s", label, st, got[label], wantState)
			}
		}
		return nil
	})
	for label, st := range states {
		if st == "PREPARED" {
			want = append(want, strings.TrimPrefix(label, "c_"))
		}
	}
	slices.SortFunc(want, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	got := flatten(queryStrings(t, rdb, "SELECT k FROM d.t ORDER BY k"))
	require.Equal(t, want, got, "the COMMITTED loads' rows exactly once, none of the loading ones")
}

// TestRestoreGoAPI runs the drill of ExampleRestore through the public
// API and checks what came back.
func TestRestoreGoAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := StartCluster(t)
	db := src.DB(t)
	mustExec(t, db, "CREATE DATABASE shop")
	mustExec(t, db, "CREATE TABLE shop.orders (id INT NOT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2")
	mustExec(t, db, "INSERT INTO shop.orders VALUES (1), (2)")
	snap, err := src.TakeSnapshot(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, "1800", queryStrings(t, db, "ADMIN SHOW FRONTEND CONFIG LIKE 'automated_cluster_snapshot_interval_seconds'")[0][2], "the interval is set back")
	require.Positive(t, snap.FEJournalID)
	require.True(t, strings.HasSuffix(snap.MetaPath(), "/meta"), snap.MetaPath())
	mustExec(t, db, "INSERT INTO shop.orders VALUES (3)")
	require.NoError(t, src.KillAll())

	restored, times, err := Restore(ctx, src, "api-restored", RestoreSpec{Snapshot: snap, Followers: 1, ComputeNodes: 1})
	if restored != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("restored cluster logs:\n%s", restored.Logs(40))
			}
			restored.Close()
		})
	}
	require.NoError(t, err)
	require.Positive(t, times.FirstQuery)
	require.GreaterOrEqual(t, times.AllServing, times.FirstQuery)
	require.Positive(t, times.Rebuild)
	rdb := restored.DB(t)
	require.Equal(t, [][]string{{"1"}, {"2"}}, queryStrings(t, rdb, "SELECT id FROM shop.orders ORDER BY id"))
	require.Len(t, restored.FEs(), 2)
	require.Len(t, restored.CNs(), 1)
}

// TestRestoreOfARestoredCluster: a restored cluster keeps its data where
// the lost one wrote it; lost in turn, it is restored again (its volume's
// location is the one its own restore gave), and the second restore, its
// leader killed half-way, serves every row of both generations.
func TestRestoreOfARestoredCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := StartCluster(t, WithComputeNodes(1), WithFEConf("automated_cluster_snapshot_interval_seconds = 1\n"))
	db := src.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	mustExec(t, db, "INSERT INTO d.t VALUES (1), (2)")
	mustExec(t, db, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	snap := snapshotAfter(t, src, time.Now())
	require.NoError(t, src.KillAll())

	first, _, err := Restore(ctx, src, src.Name()+"-r1", RestoreSpec{Snapshot: snap, ComputeNodes: 1}, WithDir(t.TempDir()))
	if first != nil {
		defer first.Close()
	}
	require.NoError(t, err)
	require.Equal(t, src.Location(), first.Location(), "the data stays where the lost cluster wrote it")
	mustExec(t, first.DB(t), "INSERT INTO d.t VALUES (3)")
	snap2 := snapshotAfter(t, first, time.Now())
	require.True(t, strings.HasPrefix(snap2.StoragePath, src.Location()+"/"), snap2.StoragePath)
	require.NoError(t, first.KillAll())

	second, times, err := Restore(ctx, first, src.Name()+"-r2", RestoreSpec{Snapshot: snap2, ComputeNodes: 1, KillHalfWay: true}, WithDir(t.TempDir()))
	if second != nil {
		defer second.Close()
	}
	require.NoError(t, err)
	require.Equal(t, snap2.Name, times.Restored(nil, snap2).Name)
	require.Equal(t, snap2.FEJournalID, times.FEJournalID)
	require.Equal(t, [][]string{{"1"}, {"2"}, {"3"}}, queryStrings(t, second.DB(t), "SELECT k FROM d.t ORDER BY k"))
}

// snapshotAfter waits for a snapshot of c whose job began after since.
func snapshotAfter(t *testing.T, c *Cluster, since time.Time) Snapshot {
	t.Helper()
	var s Snapshot
	waitFor(t, time.Minute, func() error {
		snaps, err := c.Snapshots(context.Background())
		if err != nil {
			return err
		}
		if len(snaps) == 0 || !snaps[len(snaps)-1].Created().After(since) {
			return fmt.Errorf("no snapshot begun after %v yet: %v", since, snaps)
		}
		s = snaps[len(snaps)-1]
		return nil
	})
	return s
}
