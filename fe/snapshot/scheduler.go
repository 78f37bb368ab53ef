// Package snapshot takes StarRocks' automated cluster snapshots: on the
// leader FE only, when automation is on and the interval has passed, it
// forces a checkpoint, holds the image it wrote, uploads that image with
// the meta dir's VERSION and ROLE into
// {volume location}/{service_id}/meta/image/automated_cluster_snapshot_<ms>/,
// writes the manifest last, and keeps exactly one snapshot: the previous
// one expires and its objects are deleted. Every job transition is
// journaled (catalog.SnapshotJobOp), so every FE shows the same jobs.
//
// It consumes small interfaces: the journal's forced checkpoint and image
// hold (Images), a Proposer, the FE's id generator (IDs), a leadership
// signal (Leadership) and an object store opened with a storage volume's
// credentials (OpenStore). docs/snapshots.md describes the behaviour.
package snapshot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/volume"
)

// Proposer journals ops as one entry (meta.Writer).
type Proposer interface {
	Propose(ctx context.Context, ops ...any) (uint64, error)
}

// IDs hands out ids from the FE's id generator (meta.IDAllocator); a job's
// id is one of them, as in StarRocks.
type IDs interface {
	Alloc(ctx context.Context, n int) (int64, error)
}

// Leadership tells whether this FE leads and has finished taking over.
type Leadership interface {
	Leading() bool
}

// Image is an image file held open for reading (journal.HeldImage):
// local image retention does not delete it until Release.
type Image interface {
	Header() journal.ImageHeader
	Path() string
	Size() int64
	Reader() *io.SectionReader
	// Verify reads the whole file and checks its checksum.
	Verify() error
	Release() error
}

// Images is what a snapshot needs of the journal.
type Images interface {
	// CheckpointAndHold forces a checkpoint now and returns the image it
	// wrote (or the newest one, if nothing was applied since), held.
	CheckpointAndHold(ctx context.Context) (Image, error)
}

// Store is the object store of a storage volume location (volume.Store);
// keys are relative to the location.
type Store interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	PutBytes(ctx context.Context, key string, b []byte) error
	List(ctx context.Context, prefix string) ([]volume.ObjectInfo, error)
	Delete(ctx context.Context, keys ...string) error
	DeletePrefix(ctx context.Context, prefix string) (int, error)
	URL(key string) string
	Close()
}

// OpenStore opens the object store of a storage volume with the volume's
// own credentials.
type OpenStore func(ctx context.Context, v *catalog.StorageVolume) (Store, error)

// OpenVolumeStore is the OpenStore of real storage volumes: the volume's
// first location, opened with volume.Open.
func OpenVolumeStore(ctx context.Context, v *catalog.StorageVolume) (Store, error) {
	if len(v.Locations) == 0 {
		return nil, fmt.Errorf("storage volume %s has no location", v.Name)
	}
	s, err := volume.Open(ctx, v.Locations[0], v.Properties)
	if err != nil {
		return nil, fmt.Errorf("open storage volume %s: %w", v.Name, err)
	}
	return s, nil
}

// Config is what a Scheduler needs. Settings are functions because they
// are mutable (ADMIN SET FRONTEND CONFIG) and read when used.
type Config struct {
	Catalog   *catalog.Catalog
	ServiceID func() string
	Proposer  Proposer
	IDs       IDs
	Leader    Leadership
	Images    Images
	OpenStore OpenStore
	// MetaFiles returns the files of the meta dir's image/ directory that
	// travel with the image (VERSION and ROLE), by name.
	MetaFiles func() (map[string][]byte, error)
	// Interval is automated_cluster_snapshot_interval_seconds.
	Interval func() time.Duration
	// Timeout is automated_cluster_snapshot_timeout_seconds: a job still
	// running after it ends in ERROR.
	Timeout func() time.Duration
	// MaxHistory is max_historical_automated_cluster_snapshot_jobs.
	MaxHistory func() int
	Logger     *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Tick is how often the scheduler looks whether a job is due and
	// whether clean-up is pending (200 ms when zero).
	Tick time.Duration
	// ProgressEvery is how often a running upload journals its progress
	// into detail_info (2 s when zero).
	ProgressEvery time.Duration
}

// Scheduler runs automated cluster snapshot jobs on the leader.
type Scheduler struct {
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	stats Stats

	// cleanup backoff: the next time clean-up may run and the current delay.
	nextCleanup  time.Time
	cleanupDelay time.Duration
}

// Stats are what this FE's scheduler did since it started (the leader's
// figures; a follower's stay zero). /metrics exports them.
type Stats struct {
	// UploadedBytes and UploadSeconds add up every finished job's upload.
	UploadedBytes int64
	UploadSeconds float64
	// Finished and Failed count the jobs this FE ran to FINISHED or ERROR.
	Finished int64
	Failed   int64
	// ConsecutiveFailures counts the jobs that failed since the last one
	// that finished.
	ConsecutiveFailures int64
	// LastJobSeconds is how long the last job took from creation to its
	// end.
	LastJobSeconds float64
}

// New returns a Scheduler; Run starts it.
func New(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick == 0 {
		cfg.Tick = 200 * time.Millisecond
	}
	if cfg.ProgressEvery == 0 {
		cfg.ProgressEvery = 2 * time.Second
	}
	if cfg.OpenStore == nil {
		cfg.OpenStore = OpenVolumeStore
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{cfg: cfg, log: cfg.Logger}
}

// Stats returns a copy of the scheduler's figures.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Run schedules jobs until ctx ends. On becoming leader it first ends in
// ERROR any job a previous leader left running (StarRocks' reset after a
// restart or leader change), then takes a job whenever one is due and
// deletes the objects of expired and failed snapshots.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	leading := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.cfg.Leader.Leading() {
			leading = false
			continue
		}
		if !leading {
			if err := s.resetAfterLeaderChange(ctx); err != nil {
				s.log.Warn("cannot end the snapshot jobs of the previous leader; retrying", "err", err)
				continue
			}
			leading = true
			s.nextCleanup = time.Time{}
			s.sweep(ctx)
		}
		s.cleanupIfDue(ctx)
		if s.due() {
			s.runJob(ctx)
			s.nextCleanup = time.Time{}
			s.cleanupIfDue(ctx)
			s.sweep(ctx)
		}
	}
}

// due reports whether automation is on and the next job's time has come.
func (s *Scheduler) due() bool {
	cat := s.cfg.Catalog
	if cat.AutomatedSnapshotVolume() == "" {
		return false
	}
	next := cat.NextAutomatedSnapshotTime(s.cfg.Interval().Milliseconds())
	return s.cfg.Now().UnixMilli() >= next
}

// sweep runs sweepLateUploads and logs its failure (the next job retries).
func (s *Scheduler) sweep(ctx context.Context) {
	if err := s.sweepLateUploads(ctx); err != nil {
		s.log.Warn("sweeping the directories of failed snapshot jobs failed", "err", err)
	}
}

// ErrLeaderChange is the error_message of a job a previous leader left
// running (StarRocks' text).
const ErrLeaderChange = "Snapshot job has been failed because of FE restart or leader change"

// resetAfterLeaderChange journals ERROR for every unfinished job: only the
// leader that created a job runs it, and that leader is gone (or is this
// FE before a restart).
func (s *Scheduler) resetAfterLeaderChange(ctx context.Context) error {
	for _, j := range s.cfg.Catalog.SnapshotJobs() {
		if !j.Unfinished() {
			continue
		}
		j.State = catalog.SnapshotError
		j.ErrorMessage = ErrLeaderChange
		j.DetailInfo = ""
		if _, err := s.cfg.Proposer.Propose(ctx, &catalog.SnapshotJobOp{Job: j}); err != nil {
			return fmt.Errorf("end snapshot job %s: %w", j.Name, err)
		}
		s.log.Warn("snapshot job left running by the previous leader is ERROR", "job", j.Name, "job_id", j.ID)
	}
	return nil
}

// propose journals a job record.
func (s *Scheduler) propose(ctx context.Context, jobs ...catalog.SnapshotJob) error {
	ops := make([]any, 0, len(jobs))
	for _, j := range jobs {
		ops = append(ops, &catalog.SnapshotJobOp{Job: j})
	}
	_, err := s.cfg.Proposer.Propose(ctx, ops...)
	return err
}
