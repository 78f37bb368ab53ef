package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Snapshot is one row of information_schema.cluster_snapshots.
type Snapshot struct {
	Name             string
	CreatedTime      string
	FEJournalID      uint64
	StarMgrJournalID uint64
	StorageVolume    string
	// StoragePath is s3://bucket/prefix/<service_id>/meta/image/<name>.
	StoragePath string
}

// Created is when the snapshot's job was created (from its name).
func (s Snapshot) Created() time.Time {
	ms, _ := strconv.ParseInt(strings.TrimPrefix(s.Name, "automated_cluster_snapshot_"), 10, 64)
	return time.UnixMilli(ms)
}

// MetaPath is the snapshot's meta directory (s3://.../<service_id>/meta):
// what cluster_snapshot.yaml names to restore the newest complete snapshot.
func (s Snapshot) MetaPath() string {
	return strings.TrimSuffix(s.StoragePath, "/image/"+s.Name)
}

// Snapshots lists the cluster's snapshots as the leader shows them.
func (c *Cluster) Snapshots(ctx context.Context) ([]Snapshot, error) {
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT snapshot_name, created_time, fe_journal_id, starmgr_journal_id, storage_volume, storage_path FROM information_schema.cluster_snapshots ORDER BY snapshot_name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		var s Snapshot
		if err := rows.Scan(&s.Name, &s.CreatedTime, &s.FEJournalID, &s.StarMgrJournalID, &s.StorageVolume, &s.StoragePath); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TakeSnapshot turns automated cluster snapshots on (if they are off),
// makes the leader take one now and waits until it is FINISHED; the
// schedule is then set back to the interval it had (or to interval when
// that is not zero). It returns the snapshot.
func (c *Cluster) TakeSnapshot(ctx context.Context, interval time.Duration) (Snapshot, error) {
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return Snapshot{}, err
	}
	defer db.Close()
	var enabled string
	if err := db.QueryRowContext(ctx, "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT").Scan(&enabled, new(sql.NullString), new(sql.NullString), new(sql.NullString), new(sql.NullString)); err != nil {
		return Snapshot{}, fmt.Errorf("take snapshot: %w", err)
	}
	var key, alias, had string
	var rest [3]sql.NullString
	if err := db.QueryRowContext(ctx, "ADMIN SHOW FRONTEND CONFIG LIKE 'automated_cluster_snapshot_interval_seconds'").Scan(&key, &alias, &had, &rest[0], &rest[1], &rest[2]); err != nil {
		return Snapshot{}, fmt.Errorf("take snapshot: %w", err)
	}
	var last int64
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(job_id), 0) FROM information_schema.cluster_snapshot_jobs").Scan(&last); err != nil {
		return Snapshot{}, fmt.Errorf("take snapshot: %w", err)
	}
	setInterval := func(s int64) error {
		_, err := db.ExecContext(ctx, fmt.Sprintf(`ADMIN SET FRONTEND CONFIG ("automated_cluster_snapshot_interval_seconds" = "%d")`, s))
		return err
	}
	if err := setInterval(1); err != nil {
		return Snapshot{}, fmt.Errorf("take snapshot: %w", err)
	}
	if enabled != "true" {
		if _, err := db.ExecContext(ctx, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON"); err != nil {
			return Snapshot{}, fmt.Errorf("take snapshot: %w", err)
		}
	}
	var name, state, msg string
	var failed error
	wctx, cancel := context.WithCancel(ctx)
	err = WaitFor(wctx, 5*time.Minute, func() error {
		err := db.QueryRowContext(wctx, "SELECT snapshot_name, state, error_message FROM information_schema.cluster_snapshot_jobs WHERE job_id > ? ORDER BY job_id LIMIT 1", last).Scan(&name, &state, &msg)
		if err != nil {
			return err
		}
		switch state {
		case "FINISHED", "EXPIRED", "DELETED":
			return nil
		case "ERROR":
			failed = fmt.Errorf("snapshot job %s failed: %s", name, msg)
			cancel() // no use waiting longer
			return failed
		}
		return fmt.Errorf("snapshot job %s is %s", name, state)
	})
	cancel()
	if failed != nil {
		err = failed
	}
	restore, _ := strconv.ParseInt(had, 10, 64)
	if interval > 0 {
		restore = int64(interval / time.Second)
	}
	if serr := setInterval(restore); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("take snapshot: %w", err)
	}
	snaps, err := c.Snapshots(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	for _, s := range snaps {
		if s.Name == name {
			return s, nil
		}
	}
	return Snapshot{}, fmt.Errorf("take snapshot: %s finished but is no longer listed (a newer one replaced it)", name)
}

// KillAll kills every FE and CN of the cluster (SIGKILL); its object
// storage stays.
func (c *Cluster) KillAll() error {
	var errs []error
	for _, f := range c.FEs() {
		if f.Running() {
			errs = append(errs, f.Kill())
		}
	}
	for _, n := range c.CNs() {
		if n.Running() {
			errs = append(errs, n.Kill())
		}
	}
	return errors.Join(errs...)
}

// RestoreSpec says how to restore a cluster from a snapshot.
type RestoreSpec struct {
	// Snapshot is the snapshot to restore; with only MetaPath set (or
	// nothing) the newest complete one under the meta directory is taken.
	Snapshot Snapshot
	// ByName names the snapshot's own directory in cluster_snapshot.yaml
	// instead of the meta directory.
	ByName bool
	// Location is the location of the storage volume the data is in
	// (s3://bucket/prefix); the source cluster's when empty.
	Location string
	// Followers and ComputeNodes are how many of each the restored cluster
	// gets on new hosts (named in cluster_snapshot.yaml).
	Followers, ComputeNodes int
	// Volume is the storage volume the snapshot is read with
	// (builtin_storage_volume when empty).
	Volume string
	// KillHalfWay kills the restoring leader (SIGKILL) as soon as its
	// restore is under way (meta/cluster_snapshot_restore.json exists),
	// then starts it again with --cluster_snapshot, as an operator does
	// after a crash cut a restore off. RestoreTimes.KilledHalfWay tells
	// whether the kill came before the restore had finished.
	KillHalfWay bool
}

// RestoreTimes are the phases of a restore as the new leader logged them,
// and what the client saw.
type RestoreTimes struct {
	// Download and Verify are reading the snapshot's files and checking
	// its table data; Rebuild is from then until the restore finished.
	Download, Verify, Rebuild time.Duration
	// FirstQuery is from the leader's start to its first answered query;
	// AllServing until every node of the restored cluster serves.
	FirstQuery, AllServing time.Duration
	// Started is when the restoring leader was started.
	Started time.Time
	// Snapshot is the name of the snapshot the leader restored (from its
	// log): the newest complete one when the yaml named the meta directory.
	Snapshot string
	// FEJournalID and StarMgrJournalID are the journal ids it restored.
	FEJournalID, StarMgrJournalID uint64
	// KilledHalfWay: with RestoreSpec.KillHalfWay, the leader was killed
	// before its log said the restore had finished. The phases above are
	// then those of the restore started again; when the kill came after
	// the restore had finished, those of the killed run.
	KilledHalfWay bool
}

// Restored is the snapshot the leader restored: requested when the log
// names no other, the one of listed (the source cluster's snapshots) it
// names, or, when it finished after that listing, one built from the
// log's name and journal ids. The restored cluster's own listing is no
// guide: its first automated job may already have replaced the snapshot.
func (t RestoreTimes) Restored(listed []Snapshot, requested Snapshot) Snapshot {
	if t.Snapshot == "" || t.Snapshot == requested.Name {
		return requested
	}
	for _, s := range listed {
		if s.Name == t.Snapshot {
			return s
		}
	}
	return Snapshot{Name: t.Snapshot, FEJournalID: t.FEJournalID, StarMgrJournalID: t.StarMgrJournalID,
		StorageVolume: requested.StorageVolume, StoragePath: requested.MetaPath() + "/image/" + t.Snapshot}
}

// YAML renders the cluster_snapshot.yaml of spec with the object storage
// s; srcLocation is the source cluster's volume location (the snapshot's
// path is moved under spec.Location when that differs), frontends and
// computeNodes (host:port) are named when not nil.
func (spec RestoreSpec) YAML(s ObjectStorage, srcLocation string, frontends, computeNodes []string) string {
	path := spec.Snapshot.MetaPath()
	if spec.ByName {
		path = spec.Snapshot.StoragePath
	}
	location := spec.Location
	if location == "" {
		location = srcLocation
	} else if srcLocation != "" {
		path = location + strings.TrimPrefix(path, srcLocation)
	}
	return ClusterSnapshotYAML(s, path, location, spec.Volume, frontends, computeNodes)
}

// ClusterSnapshotYAML renders a cluster_snapshot.yaml: the snapshot (or
// meta directory) at path, read with the storage volume volume
// (builtin_storage_volume when empty) at location on the object storage
// s, and the frontends and compute nodes (host:port) when not nil.
func ClusterSnapshotYAML(s ObjectStorage, path, location, volume string, frontends, computeNodes []string) string {
	if volume == "" {
		volume = "builtin_storage_volume"
	}
	if s.NodeEndpoint != "" { // the yaml is read by the nodes
		s.Endpoint = s.NodeEndpoint
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cluster_snapshot:\n  cluster_snapshot_path: %s\n  storage_volume_name: %s\n", path, volume)
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
  - name: %s
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
`, volume, location, s.Endpoint, MinIORegion, s.AccessKey, s.SecretKey)
	return b.String()
}

// Restore restores src's snapshot onto new hosts as StarRocks' runbook
// says: a new cluster (named name, on src's object storage) whose leader
// starts with --cluster_snapshot and a cluster_snapshot.yaml naming the
// new followers and compute nodes, then the followers with --helper and
// the compute nodes plainly. The new hosts get src's fe.conf and cn.conf
// additions (WithFEConf, WithCNConf), as an operator copies the old
// configuration onto them; opts add to them. It returns once every node
// serves.
func Restore(ctx context.Context, src *Cluster, name string, spec RestoreSpec, opts ...Option) (*Cluster, RestoreTimes, error) {
	var times RestoreTimes
	base := []Option{WithName(name), WithObjectStorage(src.ObjectStorage()), WithBinary(src.Binary()), WithBackend(src.Backend()),
		WithFEConf(src.cfg.feConf), WithCNConf(src.cfg.cnConf)}
	c, err := New(ctx, append(base, opts...)...)
	if err != nil {
		return nil, times, err
	}
	fail := func(err error) (*Cluster, RestoreTimes, error) {
		return c, times, fmt.Errorf("restore %s: %w", name, err)
	}
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	if err != nil {
		return fail(err)
	}
	var fes []*FE
	var feAddrs, cnAddrs []string
	for i := 0; i < spec.Followers; i++ {
		f, err := c.DeployFE(ctx, FESpec{Role: RoleFollower, Helper: leader.EditLogAddr()})
		if err != nil {
			return fail(err)
		}
		fes = append(fes, f)
		feAddrs = append(feAddrs, f.EditLogAddr())
	}
	var cns []*CN
	for i := 0; i < spec.ComputeNodes; i++ {
		n, err := c.DeployComputeNode(ctx)
		if err != nil {
			return fail(err)
		}
		cns = append(cns, n)
		cnAddrs = append(cnAddrs, n.HeartbeatAddr())
	}
	srcLocation := src.Location()
	c.location = spec.Location
	if c.location == "" {
		c.location = srcLocation
	}
	// The storage as the new nodes reach it: directly, or through the
	// new cluster's own proxy when opts asked for storage faults.
	yaml := spec.YAML(c.nodeStorage(), srcLocation, feAddrs, cnAddrs)
	start := time.Now()
	times.Started = start
	logFrom := 0
	if spec.KillHalfWay {
		if logFrom, times.KilledHalfWay, err = killRestoreHalfWay(ctx, leader, yaml); err != nil {
			return fail(err)
		}
		yaml = "" // written already; the restore starts again from it
	}
	if err := leader.StartRestore(ctx, yaml, false); err != nil {
		return fail(err)
	}
	times.FirstQuery = time.Since(start)
	for _, f := range fes {
		if err := f.Start(ctx); err != nil {
			return fail(err)
		}
	}
	for _, n := range cns {
		if err := n.Start(ctx); err != nil {
			return fail(err)
		}
	}
	if err := c.WaitComputeNodes(ctx, len(cns)); err != nil {
		return fail(err)
	}
	times.AllServing = time.Since(start)
	log := leader.ReadLog()
	if !times.KilledHalfWay || strings.Contains(log[min(logFrom, len(log)):], restoreDoneBeforeLine) {
		// The killed run had finished (before its last line, in the
		// second case): its lines are the restore's.
		logFrom = 0
	}
	times.fromLog(log[min(logFrom, len(log)):])
	return c, times, nil
}

// restoreFinishedLine is what a restoring leader logs once its restore is
// done.
const restoreFinishedLine = "FE finished to restore from a cluster snapshot"

// restoreDoneBeforeLine is what a leader started with --cluster_snapshot
// logs when its meta dir holds that restore, finished.
const restoreDoneBeforeLine = "the restore from this cluster snapshot was done before"

// killRestoreHalfWay starts leader restoring with yaml, kills it as soon as
// its restore marker is in its meta dir, and returns how long its log was
// then (the restarted run's lines follow) and whether the restore had not
// finished yet at the kill.
func killRestoreHalfWay(ctx context.Context, leader *FE, yaml string) (logLen int, halfWay bool, err error) {
	if err := leader.WriteFile("conf/cluster_snapshot.yaml", []byte(yaml)); err != nil {
		return 0, false, err
	}
	if err := leader.StartWith(ctx, StartOptions{ClusterSnapshot: true}); err != nil {
		return 0, false, err
	}
	if err := WaitFor(ctx, time.Minute, func() error {
		names, err := leader.Node().ListDir("meta")
		if err != nil {
			return err
		}
		if !slices.Contains(names, "cluster_snapshot_restore.json") {
			return fmt.Errorf("the restoring leader %s wrote no restore marker yet (meta: %v)", leader.Name(), names)
		}
		return nil
	}); err != nil {
		return 0, false, fmt.Errorf("kill the restore half-way: %w", err)
	}
	if err := leader.Kill(); err != nil {
		return 0, false, fmt.Errorf("kill the restoring leader %s: %w", leader.Name(), err)
	}
	log := leader.ReadLog()
	return len(log), !strings.Contains(log, restoreFinishedLine), nil
}

// fromLog fills the phases the restoring leader logged: download and
// verify from its "downloaded and checked" line, rebuild from then until
// it finished.
func (t *RestoreTimes) fromLog(log string) {
	t.Download = logSeconds(log, "cluster snapshot downloaded and checked", "download_seconds")
	t.Verify = logSeconds(log, "cluster snapshot downloaded and checked", "verify_seconds")
	if a, b := logLineTime(log, "cluster snapshot downloaded and checked"), logLineTime(log, restoreFinishedLine); !a.IsZero() && !b.IsZero() {
		t.Rebuild = b.Sub(a)
	}
	if m := regexp.MustCompile(`cluster snapshot downloaded and checked.* snapshot=(\S+)`).FindStringSubmatch(log); m != nil {
		t.Snapshot = m[1]
	}
	if m := regexp.MustCompile(`(?:` + restoreFinishedLine + `|` + restoreDoneBeforeLine + `).* fe_journal_id=(\d+) starmgr_journal_id=(\d+)`).FindStringSubmatch(log); m != nil {
		t.FEJournalID, _ = strconv.ParseUint(m[1], 10, 64)
		t.StarMgrJournalID, _ = strconv.ParseUint(m[2], 10, 64)
	}
}

var logTimeRE = regexp.MustCompile(`^time=(\S+) `)

// logLineTime is the time of the first log line containing s (zero when none).
func logLineTime(log, s string) time.Time {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, s) {
			if m := logTimeRE.FindStringSubmatch(l); m != nil {
				if t, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
					return t
				}
			}
		}
	}
	return time.Time{}
}

// logSeconds is the duration in key=<seconds> on the first log line
// containing s (zero when none).
func logSeconds(log, s, key string) time.Duration {
	re := regexp.MustCompile(key + `=([0-9.e+-]+)`)
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, s) {
			if m := re.FindStringSubmatch(l); m != nil {
				v, _ := strconv.ParseFloat(m[1], 64)
				return time.Duration(v * float64(time.Second))
			}
		}
	}
	return 0
}
