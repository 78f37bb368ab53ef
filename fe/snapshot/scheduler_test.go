package snapshot_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/fe/meta"
	"github.com/minirocks/minirocks/fe/snapshot"
	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
	"github.com/minirocks/minirocks/internal/poll"
	"github.com/minirocks/minirocks/starmgr"
	"github.com/minirocks/minirocks/volume"
	"github.com/minirocks/minirocks/volume/layout"
)

// These tests run the scheduler over a real single-node journal and a real
// MinIO, without FE processes.

const serviceID = "svc-test"

type leader struct{ on atomic.Bool }

func (l *leader) Leading() bool { return l.on.Load() }

type images struct{ jr *journal.Journal }

func (i images) CheckpointAndHold(ctx context.Context) (snapshot.Image, error) {
	h, err := i.jr.CheckpointAndHold(ctx)
	if err != nil {
		return nil, err
	}
	return h, nil
}

type fixture struct {
	t     *testing.T
	jr    *journal.Journal
	state *meta.State
	w     meta.Writer
	lead  *leader
	store *volume.Store
	minio *harness.MinIO
	s     *snapshot.Scheduler
	cfg   snapshot.Config
	stop  func()
}

// newFixture opens a journal with a bootstrapped cluster whose default
// storage volume is a fresh MinIO bucket, and a scheduler over it (not
// running yet).
func newFixture(t *testing.T, interval time.Duration) *fixture {
	t.Helper()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	bucket := harnesstest.NewBucket(t, m)
	loc := m.Location(bucket, "/lake")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mux := journal.NewMux(ln)
	t.Cleanup(func() { mux.Close() })
	st := meta.NewState()
	jr, err := journal.Open(journal.Config{MetaDir: t.TempDir(), NodeID: "fe1", Stream: mux.Stream(journal.TagRaft),
		Bootstrap: true, RollNum: 1 << 40, CheckpointInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)}, st)
	require.NoError(t, err)
	t.Cleanup(func() { jr.Close() })
	require.NoError(t, jr.WaitReady(ctx))
	f := &fixture{t: t, jr: jr, state: st, w: meta.Writer{Journal: jr}, lead: &leader{}, minio: m}
	f.lead.on.Store(true)
	f.propose(&catalog.BootstrapOp{ClusterID: "cluster-1", Frontend: catalog.Frontend{Name: "fe1"}}, &starmgr.InitOp{ServiceID: serviceID})
	f.propose(&catalog.CreateStorageVolumeOp{Volume: catalog.StorageVolume{ID: "v1", Name: "vol", Type: "S3",
		Locations: []string{loc}, Properties: m.VolumeProps(), Enabled: true}})
	f.propose(&catalog.SetDefaultStorageVolumeOp{Name: "vol"})
	f.store, err = volume.Open(ctx, loc, m.VolumeProps())
	require.NoError(t, err)
	t.Cleanup(f.store.Close)
	ids := meta.NewIDAllocator(st.Catalog, f.w)
	ids.Reset()
	f.cfg = snapshot.Config{Catalog: st.Catalog, ServiceID: st.StarMgr.ServiceID, Proposer: f.w,
		IDs: ids, Leader: f.lead, Images: images{jr},
		MetaFiles: func() (map[string][]byte, error) {
			return map[string][]byte{"VERSION": []byte("clusterId=cluster-1\n"), "ROLE": []byte("role=FOLLOWER\nname=fe1\n")}, nil
		},
		Interval:      func() time.Duration { return interval },
		Timeout:       func() time.Duration { return time.Minute },
		MaxHistory:    func() int { return 100 },
		Tick:          20 * time.Millisecond,
		ProgressEvery: 50 * time.Millisecond,
	}
	return f
}

func (f *fixture) propose(ops ...any) {
	f.t.Helper()
	_, err := f.w.Propose(context.Background(), ops...)
	require.NoError(f.t, err)
}

// run starts the scheduler; the test's cleanup stops it.
func (f *fixture) run() {
	f.s = snapshot.New(f.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.s.Run(ctx)
	}()
	f.stop = func() { cancel(); <-done }
	f.t.Cleanup(f.stop)
}

func (f *fixture) jobs() []catalog.SnapshotJob { return f.state.Catalog.SnapshotJobs() }

// dirs lists the snapshot directories in the bucket: name -> object names.
func (f *fixture) dirs() map[string][]string {
	f.t.Helper()
	root := layout.SnapshotsDir(serviceID)
	objs, err := f.store.List(context.Background(), root)
	require.NoError(f.t, err)
	out := map[string][]string{}
	for _, o := range objs {
		dir, name, _ := strings.Cut(strings.TrimPrefix(o.Key, root), "/")
		out[dir] = append(out[dir], name)
	}
	return out
}

func countState(jobs []catalog.SnapshotJob, s catalog.SnapshotJobState) int {
	n := 0
	for _, j := range jobs {
		if j.State == s {
			n++
		}
	}
	return n
}

// TestSchedulerKeepsExactlyOne: with automation on, jobs finish one after
// the other; exactly one snapshot is kept (the newest), its directory holds
// the image, VERSION, ROLE and a manifest that checks out, and the journal
// ids recorded are the image's.
func TestSchedulerKeepsExactlyOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 300*time.Millisecond)
	f.propose(&catalog.SetAutomatedSnapshotOp{On: true, Volume: "vol", Time: time.Now().UnixMilli()})
	f.run()
	poll.For(t, 60*time.Second, func() error {
		if n := countState(f.jobs(), catalog.SnapshotDeleted); n < 2 {
			return fmt.Errorf("%d snapshots deleted so far: %+v", n, f.jobs())
		}
		return nil
	})
	f.stop()
	jobs := f.jobs()
	require.Equal(t, 1, countState(jobs, catalog.SnapshotFinished), "%+v", jobs)
	require.Zero(t, countState(jobs, catalog.SnapshotError), "%+v", jobs)
	kept := f.state.Catalog.Snapshots()
	require.Len(t, kept, 1)
	k := kept[0]
	require.Equal(t, layout.SnapshotName(k.CreatedTime), k.Name)
	require.NotZero(t, k.FEJournalID)
	require.NotZero(t, k.StarMgrJournalID)
	require.GreaterOrEqual(t, k.FinishedTime, k.CreatedTime)

	// Exactly one directory, the kept one's, complete.
	dirs := f.dirs()
	imageName := fmt.Sprintf("image.%d", k.FEJournalID)
	require.Equal(t, map[string][]string{k.Name: {"ROLE", "VERSION", imageName, "snapshot_meta.json"}}, dirs)
	ctx := context.Background()
	dir := layout.SnapshotDir(serviceID, k.Name)
	mb, err := f.store.Get(ctx, dir+layout.SnapshotManifest)
	require.NoError(t, err)
	m, err := snapshot.ParseManifest(k.Name, mb)
	require.NoError(t, err)
	require.Equal(t, k.FEJournalID, m.FEJournalID)
	require.Equal(t, k.StarMgrJournalID, m.StarMgrJournalID)
	require.Equal(t, "cluster-1", m.ClusterID)
	require.Equal(t, serviceID, m.ServiceID)
	require.Equal(t, k.ID, m.JobID)
	require.Equal(t, []string{imageName, "ROLE", "VERSION"}, func() []string {
		var names []string
		for _, mf := range m.Files {
			names = append(names, mf.Name)
		}
		return names
	}())
	for _, mf := range m.Files {
		b, err := f.store.Get(ctx, dir+mf.Name)
		require.NoError(t, err)
		require.NoError(t, snapshot.CheckFile(strings.NewReader(string(b)), mf))
	}
	// The uploaded image's header carries exactly the job's journal ids,
	// and the image records its own job as INITIALIZING.
	img, err := f.store.Get(ctx, dir+imageName)
	require.NoError(t, err)
	path := t.TempDir() + "/" + imageName
	require.NoError(t, writeFile(path, img))
	st, h, err := meta.LoadImage(path)
	require.NoError(t, err)
	require.Equal(t, k.FEJournalID, h.FEJournalID)
	require.Equal(t, k.StarMgrJournalID, h.JournalIDs["starmgr"])
	own, ok := st.Catalog.SnapshotJob(k.ID)
	require.True(t, ok)
	require.Equal(t, catalog.SnapshotInitializing, own.State)

	st2 := f.s.Stats()
	require.GreaterOrEqual(t, st2.Finished, int64(3))
	require.Positive(t, st2.UploadedBytes)
	require.Zero(t, st2.ConsecutiveFailures)
}

// TestSchedulerOffDeletesEverything: OFF expires the kept snapshot and the
// leader deletes its objects; nothing stays in the bucket and no job runs.
func TestSchedulerOffDeletesEverything(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 200*time.Millisecond)
	f.propose(&catalog.SetAutomatedSnapshotOp{On: true, Volume: "vol", Time: time.Now().UnixMilli()})
	f.run()
	poll.For(t, 30*time.Second, func() error {
		if countState(f.jobs(), catalog.SnapshotFinished) == 0 {
			return fmt.Errorf("no snapshot finished yet: %+v", f.jobs())
		}
		return nil
	})
	f.propose(&catalog.SetAutomatedSnapshotOp{On: false, Time: time.Now().UnixMilli()})
	poll.For(t, 30*time.Second, func() error {
		jobs := f.jobs()
		for _, j := range jobs {
			if j.State != catalog.SnapshotDeleted && !(j.State == catalog.SnapshotError && j.Cleaned) {
				return fmt.Errorf("job %s is %s", j.Name, j.State)
			}
		}
		if d := f.dirs(); len(d) != 0 {
			return fmt.Errorf("snapshot objects left: %v", d)
		}
		return nil
	})
	n := len(f.jobs())
	require.Empty(t, f.state.Catalog.Snapshots())
	// No job is created while automation is off (the scheduler ticks
	// every 20 ms and would be long due).
	never(t, time.Second, func() error {
		if len(f.jobs()) != n {
			return fmt.Errorf("a job was created while off: %+v", f.jobs())
		}
		return nil
	})
}

// TestSchedulerLeaderChangeEndsJob: a job left INITIALIZING or SNAPSHOTING
// by a previous leader ends in ERROR with StarRocks' message when this FE
// starts leading, and its partial directory is deleted.
func TestSchedulerLeaderChangeEndsJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Hour)
	f.propose(&catalog.SetAutomatedSnapshotOp{On: true, Volume: "vol", Time: time.Now().UnixMilli()})
	ctx := context.Background()
	name := layout.SnapshotName(time.Now().UnixMilli())
	job := catalog.SnapshotJob{ID: 900001, Name: name, Type: catalog.SnapshotTypeAutomated, Volume: "vol",
		State: catalog.SnapshotInitializing, CreatedTime: time.Now().UnixMilli()}
	f.propose(&catalog.SnapshotJobOp{Job: job})
	job.State = catalog.SnapshotSnapshoting
	job.FEJournalID = 5
	f.propose(&catalog.SnapshotJobOp{Job: job})
	// The previous leader's partial upload.
	dir := layout.SnapshotDir(serviceID, name)
	require.NoError(t, f.store.PutBytes(ctx, dir+"image.5", []byte("partial")))
	f.run()
	poll.For(t, 30*time.Second, func() error {
		j, _ := f.state.Catalog.SnapshotJob(job.ID)
		if j.State != catalog.SnapshotError || !j.Cleaned {
			return fmt.Errorf("job is %s (cleaned %v)", j.State, j.Cleaned)
		}
		return nil
	})
	j, _ := f.state.Catalog.SnapshotJob(job.ID)
	require.Equal(t, snapshot.ErrLeaderChange, j.ErrorMessage)
	require.Empty(t, j.Pins)
	require.Empty(t, f.dirs())
	require.True(t, f.state.Catalog.SnapshotGuard().MayVacuum())
}

// TestSchedulerFollowerDoesNothing: an FE that does not lead never creates
// a job.
func TestSchedulerFollowerDoesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10*time.Millisecond)
	f.lead.on.Store(false)
	f.propose(&catalog.SetAutomatedSnapshotOp{On: true, Volume: "vol", Time: time.Now().UnixMilli() - 60_000})
	f.run()
	// The scheduler ticks every 20 ms and the job is long due: had it
	// been the leader, a job would appear within a tick.
	never(t, time.Second, func() error {
		if jobs := f.jobs(); len(jobs) > 0 {
			return fmt.Errorf("a follower created jobs: %+v", jobs)
		}
		return nil
	})
	f.lead.on.Store(true)
	poll.For(t, 30*time.Second, func() error {
		if countState(f.jobs(), catalog.SnapshotFinished) == 0 {
			return fmt.Errorf("no job finished after becoming leader: %+v", f.jobs())
		}
		return nil
	})
	require.True(t, slices.ContainsFunc(f.jobs(), func(j catalog.SnapshotJob) bool { return j.Bytes > 0 }))
}

// never checks cond every 10 ms for d and fails the test the first time it
// returns an error: a bounded observation that something does not happen.
func never(t *testing.T, d time.Duration, cond func() error) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	end := time.After(d)
	for {
		if err := cond(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-end:
			return
		case <-tick.C:
		}
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

// TestSchedulerOffWhileStorageDown: OFF succeeds at once while object
// storage is unreachable; the snapshot is EXPIRED with the reason its
// objects are not deleted yet in error_message, and once storage returns
// the background clean-up deletes them and the job becomes DELETED.
func TestSchedulerOffWhileStorageDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 200*time.Millisecond)
	f.propose(&catalog.SetAutomatedSnapshotOp{On: true, Volume: "vol", Time: time.Now().UnixMilli()})
	f.run()
	var kept catalog.SnapshotJob
	poll.For(t, 30*time.Second, func() error {
		if s := f.state.Catalog.Snapshots(); len(s) == 1 && s[0].State == catalog.SnapshotFinished {
			kept = s[0]
			return nil
		}
		return fmt.Errorf("no snapshot finished yet: %+v", f.jobs())
	})
	require.NoError(t, f.minio.Stop())
	f.propose(&catalog.SetAutomatedSnapshotOp{On: false, Time: time.Now().UnixMilli()})
	poll.For(t, 30*time.Second, func() error {
		j, _ := f.state.Catalog.SnapshotJob(kept.ID)
		if j.State != catalog.SnapshotExpired || !strings.Contains(j.ErrorMessage, "delete snapshot objects failed, retrying: ") {
			return fmt.Errorf("kept snapshot is %s: %q", j.State, j.ErrorMessage)
		}
		return nil
	})
	j, _ := f.state.Catalog.SnapshotJob(kept.ID)
	require.Contains(t, j.ErrorMessage, "is unreachable")
	require.NotContains(t, j.ErrorMessage, f.minio.SecretKey)
	require.NoError(t, f.minio.Start(context.Background()))
	poll.For(t, 60*time.Second, func() error {
		j, _ := f.state.Catalog.SnapshotJob(kept.ID)
		if j.State != catalog.SnapshotDeleted {
			return fmt.Errorf("kept snapshot is %s: %q", j.State, j.ErrorMessage)
		}
		return nil
	})
	j, _ = f.state.Catalog.SnapshotJob(kept.ID)
	require.Empty(t, j.ErrorMessage)
	require.Empty(t, f.dirs())
	require.Empty(t, f.state.Catalog.SnapshotGuard().Pins)
}
