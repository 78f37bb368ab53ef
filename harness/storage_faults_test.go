package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness/s3proxy"
)

// imageGlob matches the keys of the image uploads of c's automated
// snapshots: <cluster>/<service_id>/meta/image/<snapshot>/image.<id>.
func imageGlob(c *Cluster) string {
	return c.Name() + "/*/meta/image/automated_cluster_snapshot_*/image.*"
}

// failImageUploads turns automated snapshots on with every image upload
// failing with SlowDown at c's storage fault proxy: the job must end in
// ERROR with the S3 error, having reached the proxy; then the fault is
// lifted and the next job must finish. It returns the failed job and the
// keys of the uploads the proxy failed.
func failImageUploads(t *testing.T, c *Cluster, db *sql.DB) (snapshotJob, []string) {
	t.Helper()
	p := c.StorageFaults()
	id, err := p.Add(s3proxy.Rule{Action: s3proxy.Fail, Methods: []string{"PUT"}, KeyGlob: imageGlob(c), Code: "SlowDown"})
	require.NoError(t, err)
	_, err = db.Exec("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	require.NoError(t, err)
	failed := waitJob(t, db, 2*time.Minute, 0, "ERROR", inState("ERROR"))
	require.Contains(t, failed.Error, "SlowDown")
	h, ok := p.Hits(id)
	require.True(t, ok)
	require.GreaterOrEqual(t, h.Count, 1)
	require.True(t, p.Remove(id))
	waitJob(t, db, 2*time.Minute, failed.ID, "FINISHED", func(j snapshotJob) bool { return j.State == "FINISHED" || j.State == "EXPIRED" })
	return failed, h.Keys
}

// jobsNow reads the snapshot jobs, by job id, returning errors instead of
// failing (the leader may be changing).
func jobsNow(ctx context.Context, db *sql.DB) ([]snapshotJob, error) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rows, err := db.QueryContext(qctx, "SELECT snapshot_name, job_id, state, detail_info, error_message FROM information_schema.cluster_snapshot_jobs ORDER BY job_id")
	if err != nil {
		return nil, fmt.Errorf("read snapshot jobs: %w", err)
	}
	defer rows.Close()
	var out []snapshotJob
	for rows.Next() {
		var j snapshotJob
		var detail, msg sql.NullString
		if err := rows.Scan(&j.Name, &j.ID, &j.State, &detail, &msg); err != nil {
			return nil, fmt.Errorf("read snapshot jobs: %w", err)
		}
		j.Detail, j.Error = detail.String, msg.String
		out = append(out, j)
	}
	return out, rows.Err()
}

// waitJob waits until a job with an id above after satisfies match.
func waitJob(t *testing.T, db *sql.DB, timeout time.Duration, after int64, what string, match func(snapshotJob) bool) snapshotJob {
	t.Helper()
	var found snapshotJob
	waitFor(t, timeout, func() error {
		jobs, err := jobsNow(context.Background(), db)
		if err != nil {
			return err
		}
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

func TestStorageFaultsOption(t *testing.T) {
	c := newBareCluster(t, t.Name())
	require.Nil(t, c.StorageFaults(), "no proxy without WithStorageFaults")
	require.Equal(t, c.ObjectStorage(), c.nodeStorage())
}

// TestStorageFaultFailsImageUpload: every PUT of the snapshot image
// failing with SlowDown ends the job in ERROR with the S3 error; once the
// rule is removed the next job FINISHES.
func TestStorageFaultFailsImageUpload(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithStorageFaults(), WithComputeNodes(0), WithFEConf("automated_cluster_snapshot_interval_seconds = 1\n"))
	p := c.StorageFaults()
	require.NotNil(t, p)
	require.Equal(t, c.MinIO().Endpoint, p.Target())
	require.NotEqual(t, c.ObjectStorage().Endpoint, p.Addr(), "the harness itself goes to MinIO directly")
	db := c.DB(t)
	failed, keys := failImageUploads(t, c, db)
	require.Contains(t, failed.Error, "upload image failed, err msg:")
	require.Contains(t, failed.Error, "Please reduce your request rate.")
	for _, k := range keys {
		ok, err := path.Match(imageGlob(c), k)
		require.NoError(t, err)
		require.True(t, ok, k)
	}
	require.Contains(t, keys[0], "/"+failed.Name+"/image.", "the failed job's image: %v", keys)
	snaps, err := c.Snapshots(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, snaps)

	// A restore onto new hosts reaches MinIO directly, even with the lost
	// cluster's proxy down, unless it is given a proxy of its own.
	ctx := context.Background()
	require.NoError(t, c.KillAll())
	p.Down(true)
	spec := RestoreSpec{Snapshot: snaps[len(snaps)-1]}
	for _, faults := range []bool{false, true} {
		opts := []Option{WithDir(t.TempDir())}
		if faults {
			opts = append(opts, WithStorageFaults())
		}
		r, _, err := Restore(ctx, c, fmt.Sprintf("%s-restored-%t", c.Name(), faults), spec, opts...)
		if r != nil {
			defer r.Close()
		}
		require.NoError(t, err)
		var n int
		require.NoError(t, r.DB(t).QueryRow("SELECT COUNT(*) FROM information_schema.cluster_snapshots").Scan(&n))
		if !faults {
			require.Nil(t, r.StorageFaults())
			require.NoError(t, r.Close())
			continue
		}
		rp := r.StorageFaults()
		require.NotNil(t, rp)
		require.NotEqual(t, p.Addr(), rp.Addr())
		// Its nodes go through its proxy: taking it down stops its snapshots.
		id, err := rp.Add(s3proxy.Rule{Action: s3proxy.Fail, Methods: []string{"PUT"}, KeyContains: "/meta/image/"})
		require.NoError(t, err)
		// The restored image has automated snapshots on, every second
		// as the lost cluster's fe.conf says; ON again is refused then.
		_, _ = r.DB(t).Exec("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
		waitFor(t, time.Minute, func() error {
			if h, _ := rp.Hits(id); h.Count == 0 {
				return errors.New("the restored cluster's image upload has not reached its proxy")
			}
			return nil
		})
	}
}

// TestStorageFaultLeaderKilledDuringUpload: the image upload is held at
// the storage while the leader is killed; the new leader ends that job in
// ERROR (leader change) and its next job FINISHES.
func TestStorageFaultLeaderKilledDuringUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := StartCluster(t, WithStorageFaults(), WithFollowers(2), WithComputeNodes(0), WithFEConf("automated_cluster_snapshot_interval_seconds = 2\n"))
	p := c.StorageFaults()
	id, err := p.Add(s3proxy.Rule{Action: s3proxy.Delay, Methods: []string{"PUT"}, KeyGlob: imageGlob(c), First: 1, Delay: 10 * time.Minute})
	require.NoError(t, err)
	db := c.DB(t)
	_, err = db.Exec("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	require.NoError(t, err)

	waitFor(t, time.Minute, func() error {
		if h, _ := p.Hits(id); h.Count == 0 {
			return errors.New("no image upload has reached the storage yet")
		}
		return nil
	})
	held := waitJob(t, db, time.Minute, 0, "SNAPSHOTING", inState("SNAPSHOTING"))
	require.Contains(t, held.Detail, "uploading image.", "the upload happens while SNAPSHOTING")
	h, _ := p.Hits(id)
	require.Contains(t, h.Keys[0], "/"+held.Name+"/image.")

	leader, err := c.Leader(ctx)
	require.NoError(t, err)
	require.NoError(t, leader.Kill())
	require.True(t, p.Remove(id))

	failed := waitJob(t, db, 2*time.Minute, held.ID-1, "ERROR", func(j snapshotJob) bool { return j.ID == held.ID && j.State == "ERROR" })
	require.Equal(t, "Snapshot job has been failed because of FE restart or leader change", failed.Error)
	next := waitJob(t, db, 2*time.Minute, held.ID, "FINISHED", func(j snapshotJob) bool { return j.State == "FINISHED" || j.State == "EXPIRED" })
	newLeader, err := c.Leader(ctx)
	require.NoError(t, err)
	require.NotEqual(t, leader.Name(), newLeader.Name())
	require.True(t, strings.HasPrefix(next.Name, "automated_cluster_snapshot_"))
}
