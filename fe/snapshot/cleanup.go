package snapshot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/volume/layout"
)

// Clean-up retries back off from cleanupMinDelay to cleanupMaxDelay while
// object storage keeps failing.
const (
	cleanupMinDelay = time.Second
	cleanupMaxDelay = 30 * time.Second
)

// cleanupIfDue runs a clean-up pass when one is pending and the backoff
// allows it.
func (s *Scheduler) cleanupIfDue(ctx context.Context) {
	if !s.cleanupPending() || s.cfg.Now().Before(s.nextCleanup) {
		return
	}
	if err := s.cleanup(ctx); err != nil {
		s.cleanupDelay = min(max(2*s.cleanupDelay, cleanupMinDelay), cleanupMaxDelay)
		s.nextCleanup = s.cfg.Now().Add(s.cleanupDelay)
		s.log.Warn("deleting snapshot objects failed; retrying", "err", err, "retry_in", s.cleanupDelay.String())
		return
	}
	s.cleanupDelay = 0
	s.nextCleanup = time.Time{}
}

// cleanupPending reports whether some job's objects still need deleting:
// an EXPIRED snapshot, or an ERROR job whose partial directory is not
// known to be gone.
func (s *Scheduler) cleanupPending() bool {
	for _, j := range s.cfg.Catalog.SnapshotJobs() {
		if j.State == catalog.SnapshotExpired || (j.State == catalog.SnapshotError && !j.Cleaned) {
			return true
		}
	}
	return false
}

// cleanup deletes the objects of EXPIRED snapshots (then journals them
// DELETED) and of failed jobs (then journals them cleaned). A snapshot's
// manifest goes first, so a half-deleted directory is never a snapshot.
// Deletion failures are recorded in the EXPIRED job's error_message and
// retried by the next pass.
func (s *Scheduler) cleanup(ctx context.Context) error {
	var firstErr error
	for _, j := range s.cfg.Catalog.SnapshotJobs() {
		expired := j.State == catalog.SnapshotExpired
		if !expired && !(j.State == catalog.SnapshotError && !j.Cleaned) {
			continue
		}
		err := s.deleteSnapshotDir(ctx, j)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("delete snapshot %s: %w", j.Name, err)
			}
			msg := "delete snapshot objects failed, retrying: " + err.Error()
			if expired && j.ErrorMessage != msg {
				j.ErrorMessage = msg
				if perr := s.propose(ctx, j); perr != nil {
					return perr
				}
			}
			continue
		}
		if expired {
			j.State = catalog.SnapshotDeleted
			j.ErrorMessage = ""
			j.DetailInfo = "the snapshot's objects are deleted"
		} else {
			j.Cleaned = true
		}
		if err := s.propose(ctx, j); err != nil {
			return fmt.Errorf("record the deletion of snapshot %s: %w", j.Name, err)
		}
		s.log.Info("deleted the objects of cluster snapshot", "job", j.Name, "state", j.State)
	}
	return firstErr
}

// deleteSnapshotDir deletes a job's directory, manifest first, and checks
// that nothing is left.
func (s *Scheduler) deleteSnapshotDir(ctx context.Context, j catalog.SnapshotJob) error {
	v := s.cfg.Catalog.StorageVolume(j.Volume)
	if v == nil {
		// The volume cannot be dropped while it holds a snapshot; a
		// failed job's volume may be gone, and its objects with it.
		return nil
	}
	store, err := s.cfg.OpenStore(ctx, v)
	if err != nil {
		return err
	}
	defer store.Close()
	dir := layout.SnapshotDir(s.cfg.ServiceID(), j.Name)
	if err := store.Delete(ctx, dir+layout.SnapshotManifest); err != nil {
		return err
	}
	if _, err := store.DeletePrefix(ctx, dir); err != nil {
		return err
	}
	left, err := store.List(ctx, dir)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("%d objects are still under %s", len(left), store.URL(dir))
	}
	return nil
}

// sweepLateUploads deletes, under the snapshots directory of the volume
// automated snapshots write to, the directories of jobs that ended in
// ERROR or DELETED: a deposed leader's upload that landed after the
// clean-up of its job. It runs after every job.
func (s *Scheduler) sweepLateUploads(ctx context.Context) error {
	v := s.cfg.Catalog.StorageVolume(s.cfg.Catalog.AutomatedSnapshotVolume())
	if v == nil {
		return nil
	}
	ended := map[string]catalog.SnapshotJob{}
	for _, j := range s.cfg.Catalog.SnapshotJobs() {
		if j.State == catalog.SnapshotError || j.State == catalog.SnapshotDeleted {
			ended[j.Name] = j
		}
	}
	if len(ended) == 0 {
		return nil
	}
	store, err := s.cfg.OpenStore(ctx, v)
	if err != nil {
		return err
	}
	defer store.Close()
	root := layout.SnapshotsDir(s.cfg.ServiceID())
	objs, err := store.List(ctx, root)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, o := range objs {
		name, _, _ := strings.Cut(strings.TrimPrefix(o.Key, root), "/")
		if j, ok := ended[name]; ok && !seen[name] && j.Volume == v.Name {
			seen[name] = true
			if err := s.deleteSnapshotDir(ctx, j); err != nil {
				return fmt.Errorf("delete the late upload of snapshot job %s: %w", name, err)
			}
			s.log.Warn("deleted objects uploaded after the clean-up of a failed snapshot job", "job", name)
		}
	}
	return nil
}
