package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/meta"
	"github.com/minirocks/minirocks/volume/layout"
)

// runJob creates one job and runs it to FINISHED or ERROR.
func (s *Scheduler) runJob(ctx context.Context) {
	cat := s.cfg.Catalog
	vol := cat.AutomatedSnapshotVolume()
	if vol == "" {
		return
	}
	start := s.cfg.Now()
	id, err := s.cfg.IDs.Alloc(ctx, 1)
	if err != nil {
		s.log.Warn("cannot allocate a snapshot job id", "err", err)
		return
	}
	job := catalog.SnapshotJob{
		ID:          id,
		Name:        layout.SnapshotName(start.UnixMilli()),
		Type:        catalog.SnapshotTypeAutomated,
		Volume:      vol,
		State:       catalog.SnapshotInitializing,
		CreatedTime: start.UnixMilli(),
		DetailInfo:  "taking a checkpoint",
	}
	if _, err := s.cfg.Proposer.Propose(ctx, &catalog.SnapshotJobOp{Job: job, MaxHistory: s.cfg.MaxHistory()}); err != nil {
		// Turned off meanwhile, or leadership lost: nothing was created.
		s.log.Warn("cannot create an automated cluster snapshot job", "err", err)
		return
	}
	s.log.Info(fmt.Sprintf("Create automated cluster snapshot job successfully, job id: %d", id), "job", job.Name, "volume", vol)

	jctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout())
	defer cancel()
	stop := s.watch(jctx, cancel, id)
	defer stop()
	bytes, uploadTime, err := s.take(jctx, &job)
	took := s.cfg.Now().Sub(start).Seconds()
	if err == nil {
		s.mu.Lock()
		s.stats.Finished++
		s.stats.ConsecutiveFailures = 0
		s.stats.UploadedBytes += bytes
		s.stats.UploadSeconds += uploadTime.Seconds()
		s.stats.LastJobSeconds = took
		s.mu.Unlock()
		s.log.Info("automated cluster snapshot finished", "job", job.Name, "fe_journal_id", job.FEJournalID,
			"starmgr_journal_id", job.StarMgrJournalID, "bytes", bytes, "seconds", took)
		return
	}
	if errors.Is(jctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("snapshot job %s did not finish within automated_cluster_snapshot_timeout_seconds (%d s)", job.Name, int64(s.cfg.Timeout().Seconds()))
	}
	s.mu.Lock()
	s.stats.Failed++
	s.stats.ConsecutiveFailures++
	s.stats.LastJobSeconds = took
	failures := s.stats.ConsecutiveFailures
	s.mu.Unlock()
	s.fail(ctx, job.ID, err)
	s.log.Warn("automated cluster snapshot failed", "job", job.Name, "err", err, "consecutive_failures", failures)
}

// watch cancels the job when this FE stops leading or when the job stops
// running in the catalog (ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF ends it
// in ERROR). The returned function stops watching.
func (s *Scheduler) watch(ctx context.Context, cancel context.CancelFunc, id int64) func() {
	return every(ctx, 50*time.Millisecond, func() bool {
		j, ok := s.cfg.Catalog.SnapshotJob(id)
		if !s.cfg.Leader.Leading() || !ok || !j.Unfinished() {
			cancel()
			return false
		}
		return true
	})
}

// every calls fn every d on a goroutine of its own until fn returns false,
// ctx ends or the returned function is called; that function returns once
// fn is not running any more.
func every(ctx context.Context, d time.Duration, fn func() bool) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if !fn() {
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// fail journals ERROR with err's message, unless the job already ended
// (OFF cancelled it, or another leader took over: their message stays).
func (s *Scheduler) fail(ctx context.Context, id int64, cause error) {
	j, ok := s.cfg.Catalog.SnapshotJob(id)
	if !ok || !j.Unfinished() {
		return
	}
	j.State = catalog.SnapshotError
	j.ErrorMessage = cause.Error()
	j.DetailInfo = ""
	if err := s.propose(ctx, j); err != nil {
		s.log.Warn("cannot record the snapshot job's failure", "job", j.Name, "err", err)
	}
}

// take runs a created job: checkpoint, pins, upload, manifest, FINISHED.
// It returns the bytes uploaded and the time the uploads took.
func (s *Scheduler) take(ctx context.Context, job *catalog.SnapshotJob) (int64, time.Duration, error) {
	img, err := s.cfg.Images.CheckpointAndHold(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint failed for FE image: %w", err)
	}
	defer img.Release()
	h := img.Header()
	job.FEJournalID = h.FEJournalID
	job.StarMgrJournalID = h.JournalIDs["starmgr"]
	s.log.Info(fmt.Sprintf("Successful capture consistent journal id, fe_journal_id: %d, starmgr_journal_id: %d", job.FEJournalID, job.StarMgrJournalID), "job", job.Name)

	// What the image refers to, read from the image itself.
	st, _, err := meta.LoadImage(img.Path())
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint failed for FE image: %w", err)
	}
	job.Pins = st.Catalog.SnapshotPins()
	st = nil

	v := s.cfg.Catalog.StorageVolume(job.Volume)
	if v == nil {
		return 0, 0, fmt.Errorf("storage volume %s does not exist", job.Volume)
	}
	files, err := s.cfg.MetaFiles()
	if err != nil {
		return 0, 0, fmt.Errorf("read the meta dir's VERSION and ROLE: %w", err)
	}
	imageName := "image." + strconv.FormatUint(h.FEJournalID, 10)
	total := img.Size()
	for _, b := range files {
		total += int64(len(b))
	}

	job.State = catalog.SnapshotSnapshoting
	job.DetailInfo = fmt.Sprintf("uploading %s (0 of %d bytes)", imageName, img.Size())
	if err := s.propose(ctx, *job); err != nil {
		return 0, 0, fmt.Errorf("record the snapshot's journal ids: %w", err)
	}

	store, err := s.cfg.OpenStore(ctx, v)
	if err != nil {
		return 0, 0, fmt.Errorf("upload image failed, err msg: %w", err)
	}
	defer store.Close()
	dir := layout.SnapshotDir(s.cfg.ServiceID(), job.Name)
	uploadStart := s.cfg.Now()

	// The image: hashed first (the local read is cheap), then uploaded
	// from the held file, journaling progress into detail_info.
	d := NewDigest()
	if _, err := io.Copy(d, img.Reader()); err != nil {
		return 0, 0, fmt.Errorf("checkpoint failed for FE image: read %s: %w", img.Path(), err)
	}
	manifest := Manifest{
		FormatVersion:    ManifestFormatVersion,
		SnapshotName:     job.Name,
		SnapshotType:     catalog.SnapshotTypeAutomated,
		StorageVolume:    job.Volume,
		ClusterID:        s.cfg.Catalog.ClusterID(),
		ServiceID:        s.cfg.ServiceID(),
		JobID:            job.ID,
		CreatedTime:      job.CreatedTime,
		FEJournalID:      job.FEJournalID,
		StarMgrJournalID: job.StarMgrJournalID,
		Image:            imageName,
		Files:            []ManifestFile{d.File(imageName)},
	}
	// The image and the small files go up side by side; the manifest
	// waits for all of them.
	pr := &progressReader{r: img.Reader()}
	stopProgress := s.journalProgress(ctx, *job, imageName, img.Size(), pr)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return store.Put(gctx, dir+imageName, pr, img.Size()) })
	uploaded := img.Size()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		b := files[name]
		d := NewDigest()
		d.Write(b)
		manifest.Files = append(manifest.Files, d.File(name))
		uploaded += int64(len(b))
		g.Go(func() error { return store.PutBytes(gctx, dir+name, b) })
	}
	err = g.Wait()
	stopProgress()
	if err != nil {
		return 0, 0, fmt.Errorf("upload image failed, err msg: %w", err)
	}

	// Confirm through the journal that this FE still leads before the
	// manifest makes the directory a snapshot: a deposed leader cannot
	// commit this record.
	job.DetailInfo = fmt.Sprintf("writing %s (%d of %d bytes uploaded)", "snapshot_meta.json", uploaded, total)
	job.Bytes = uploaded
	if err := s.propose(ctx, *job); err != nil {
		return 0, 0, fmt.Errorf("confirm leadership before the manifest: %w", err)
	}
	mb, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return 0, 0, fmt.Errorf("encode the manifest: %w", err)
	}
	if err := store.PutBytes(ctx, dir+layout.SnapshotManifest, mb); err != nil {
		return 0, 0, fmt.Errorf("upload image failed, err msg: %w", err)
	}
	uploaded += int64(len(mb))
	uploadTime := s.cfg.Now().Sub(uploadStart)
	s.log.Info("Finish upload image for Cluster Snapshot", "job", job.Name, "path", store.URL(dir), "bytes", uploaded, "seconds", uploadTime.Seconds())

	// FINISHED, and in the same entry the previous snapshot expires:
	// exactly one automated snapshot is kept.
	job.State = catalog.SnapshotFinished
	job.FinishedTime = s.cfg.Now().UnixMilli()
	job.Bytes = uploaded
	job.DetailInfo = fmt.Sprintf("uploaded %d objects, %d bytes in %s", len(manifest.Files)+1, uploaded, uploadTime.Round(time.Millisecond))
	recs := []catalog.SnapshotJob{*job}
	for _, old := range s.cfg.Catalog.SnapshotJobs() {
		if old.State == catalog.SnapshotFinished && old.ID != job.ID {
			old.State = catalog.SnapshotExpired
			old.DetailInfo = "replaced by " + job.Name + "; deleting the snapshot's objects"
			recs = append(recs, old)
		}
	}
	if err := s.propose(ctx, recs...); err != nil {
		return 0, 0, fmt.Errorf("record the finished snapshot: %w", err)
	}
	return uploaded, uploadTime, nil
}

// progressReader counts the bytes read through it; a rewind (a retried
// PUT) starts the count again.
type progressReader struct {
	r interface {
		io.Reader
		io.Seeker
	}
	n atomic.Int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n.Add(int64(n))
	return n, err
}

func (p *progressReader) Seek(off int64, whence int) (int64, error) {
	pos, err := p.r.Seek(off, whence)
	if err == nil {
		p.n.Store(pos)
	}
	return pos, err
}

// journalProgress journals the upload's progress into detail_info every
// ProgressEvery until the returned function is called.
func (s *Scheduler) journalProgress(ctx context.Context, job catalog.SnapshotJob, name string, size int64, pr *progressReader) func() {
	return every(ctx, s.cfg.ProgressEvery, func() bool {
		job.DetailInfo = fmt.Sprintf("uploading %s (%d of %d bytes)", name, pr.n.Load(), size)
		job.Bytes = pr.n.Load()
		return s.propose(ctx, job) == nil
	})
}
