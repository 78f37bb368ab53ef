package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// Errors returned by the journal. Test with errors.Is.
var (
	// ErrNotLeader: the operation needs the raft leader and this node is not
	// it. Writes are to be forwarded to Leader().
	ErrNotLeader = errors.New("journal: not the leader")
	// ErrMetaDirLocked: another process (or another Journal in this
	// process) holds the meta dir.
	ErrMetaDirLocked = errors.New("journal: meta dir locked")
	// ErrClosed: the journal was closed, or its raft shut down (a leader
	// that removed itself from the cluster).
	ErrClosed = errors.New("journal: closed")
	// ErrLeadershipLost: leadership was lost while a proposal was in flight;
	// the entry may or may not have been committed.
	ErrLeadershipLost = raft.ErrLeadershipLost
)

// Defaults for Config fields left zero.
const (
	DefaultRollNum            = 50000
	DefaultCheckpointInterval = 10 * time.Second
	DefaultImagesRetained     = 3
)

const (
	boltFile     = "raft.db"
	boltDirName  = "bdb"
	boltTimeout  = 2 * time.Second
	logCacheSize = 1024
	// compactionSlack: extra log entries kept beyond the trailing-logs rule
	// to absorb entries appended between computing TrailingLogs and raft's
	// compaction (a few append batches at most).
	compactionSlack = 256
	// maxGapScan bounds how many non-state entries (raft no-ops) WaitApplied
	// inspects to decide that a target id is effectively applied.
	maxGapScan = 64
)

// Config configures a Journal.
type Config struct {
	// MetaDir holds lock, bdb/ (raft log and stable store) and image/.
	MetaDir string
	// Lock, when set, is the caller's hold on MetaDir (LockMetaDir); the
	// journal owns it from then on and releases it on Close or failure.
	Lock *MetaLock
	// NodeID is the raft server id: the FE name, e.g. "127.0.0.11_9010_1732500000000".
	NodeID string
	// Advertise is host:edit_log_port that other nodes dial. Empty means
	// Stream.Addr().
	Advertise string
	// Stream is the raft transport's stream layer, normally
	// Mux.Stream(TagRaft) on the edit_log_port.
	Stream raft.StreamLayer
	// Bootstrap: when MetaDir holds no raft state, bootstrap a new one-node
	// cluster with this node as its only voter. Without it a node with no
	// state waits to be added by a leader (AddFollower/AddObserver).
	Bootstrap bool
	// RollNum: checkpoint once this many journal entries were applied
	// since the newest image (StarRocks edit_log_roll_num; default 50000).
	RollNum uint64
	// CheckpointInterval is how often RollNum is checked (default 10s).
	CheckpointInterval time.Duration
	// ImagesRetained is how many images are kept on disk (default 3). The
	// raft log is kept back to the oldest of them (see package doc).
	ImagesRetained int
	// Logger receives the journal's own messages and raft's, the latter at
	// WARN and above only. Nil means slog.Default().
	Logger *slog.Logger
	// Sync, when set, is called at every SyncPoint: after a log append or
	// an image was fsynced and before it counts as done; its error fails
	// that write as a failed fsync would. An FE leaves it nil. It is the
	// one seam through which a test shows a disk that refuses to flush
	// and that nothing unsynced is acknowledged.
	Sync SyncFunc
}

// Journal is the FE edit log: a raft node whose committed entries are
// applied, in order, to a StateMachine on every member.
type Journal struct {
	cfg     Config
	log     *slog.Logger
	lock    *os.File
	bolt    *raftboltdb.BoltStore
	logs    raft.LogStore
	images  *imageStore
	trans   *raft.NetworkTransport
	raft    *raft.Raft
	fsm     *fsm
	applied appliedTracker
	rptr    atomic.Pointer[raft.Raft]

	// ckSem (capacity 1) is held while a checkpoint is taken, by the
	// periodic loop and by CheckpointAndHold: one raft snapshot at a time,
	// so the image that lastImage names after a snapshot is that snapshot's.
	ckSem chan struct{}
	// lastImage is the journal id of the image the last raft snapshot
	// taken on this node wrote (set by fsmSnapshot.Persist).
	lastImage atomic.Uint64

	subMu sync.Mutex
	subs  []chan bool

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// HasState reports whether metaDir holds raft state or images, i.e. whether
// this node has been part of a cluster before. It must not be called while
// another process has the meta dir open (bolt's lock makes it fail then).
func HasState(metaDir string) (bool, error) {
	ids, err := listImageIDs(filepath.Join(metaDir, imageDirName))
	if err != nil {
		return false, err
	}
	if len(ids) > 0 {
		return true, nil
	}
	path := filepath.Join(metaDir, boltDirName, boltFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: boltTimeout})
	if err != nil {
		return false, fmt.Errorf("journal: open %s: %w", path, err)
	}
	defer db.Close()
	has := false
	err = db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte("logs")); b != nil {
			if k, _ := b.Cursor().First(); k != nil {
				has = true
			}
		}
		if b := tx.Bucket([]byte("conf")); b != nil {
			if v := b.Get([]byte("CurrentTerm")); len(v) > 0 {
				has = true
			}
		}
		return nil
	})
	return has, err
}

// newRaftConfig is the raft configuration shared by the journal and its
// benchmarks: failover within a few seconds on one machine, batching on,
// raft's own snapshots disabled (the journal checkpoints itself).
func newRaftConfig(id string, logger hclog.Logger) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(id)
	c.HeartbeatTimeout = time.Second
	c.ElectionTimeout = time.Second
	c.LeaderLeaseTimeout = 500 * time.Millisecond
	c.CommitTimeout = 10 * time.Millisecond
	c.MaxAppendEntries = 64
	c.BatchApplyCh = true
	c.ShutdownOnRemove = true
	c.SnapshotThreshold = math.MaxUint64
	c.SnapshotInterval = time.Hour
	c.TrailingLogs = math.MaxUint64 / 2 // until the first image: keep all
	c.NoLegacyTelemetry = true
	c.Logger = logger
	return c
}

// openBolt opens the raft-boltdb store (fsync on every write, bounded wait
// for bolt's own file lock) wrapped in a log cache; with sync, every
// append passes the SyncLog point before the cache and raft see it stored.
func openBolt(dir string, sync SyncFunc) (*raftboltdb.BoltStore, raft.LogStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, boltFile)
	store, err := raftboltdb.New(raftboltdb.Options{
		Path:        path,
		BoltOptions: &bbolt.Options{Timeout: boltTimeout},
		NoSync:      false,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	var ls raft.LogStore = store
	if sync != nil {
		ls = &syncedLogStore{LogStore: store, path: path, sync: sync}
	}
	logs, err := raft.NewLogCache(logCacheSize, ls)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, logs, nil
}

// Open opens (or creates) the journal in cfg.MetaDir and starts its raft
// node: it locks the meta dir, restores the newest valid image, replays the
// log after it (as entries get committed) and, with Bootstrap and no state,
// bootstraps a one-node cluster. Use WaitReady before serving.
func Open(cfg Config, sm StateMachine) (j *Journal, err error) {
	if cfg.MetaDir == "" || cfg.NodeID == "" || cfg.Stream == nil || sm == nil {
		return nil, errors.New("journal: MetaDir, NodeID, Stream and a state machine are required")
	}
	if cfg.RollNum == 0 {
		cfg.RollNum = DefaultRollNum
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = DefaultCheckpointInterval
	}
	if cfg.ImagesRetained <= 0 {
		cfg.ImagesRetained = DefaultImagesRetained
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Advertise == "" {
		cfg.Advertise = cfg.Stream.Addr().String()
	}
	if err := os.MkdirAll(cfg.MetaDir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var lock *os.File
	if cfg.Lock != nil {
		lock = cfg.Lock.f
	} else if lock, err = lockMetaDir(cfg.MetaDir); err != nil {
		return nil, err
	}
	j = &Journal{cfg: cfg, log: cfg.Logger, lock: lock, stop: make(chan struct{}), ckSem: make(chan struct{}, 1)}
	var cleanup []func()
	defer func() {
		if err != nil {
			for i := len(cleanup) - 1; i >= 0; i-- {
				cleanup[i]()
			}
			unlockMetaDir(lock)
		}
	}()

	j.bolt, j.logs, err = openBolt(filepath.Join(cfg.MetaDir, boltDirName), cfg.Sync)
	if err != nil {
		return nil, err
	}
	bolt := j.bolt // j itself is nil once an error is returned
	cleanup = append(cleanup, func() { bolt.Close() })

	j.images, err = newImageStore(filepath.Join(cfg.MetaDir, imageDirName), cfg.ImagesRetained, j.log)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j.images.onFinal = j.adjustTrailingLogs
	j.images.sync = cfg.Sync

	hasState, err := raft.HasExistingState(j.logs, j.bolt, j.images)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	// An image of a newer format stops the start; verify the others now
	// (cached for raft's own List calls) so that a corrupt newest image is
	// reported and skipped before raft starts.
	if err := j.images.refuseNewerFormat(); err != nil {
		return nil, err
	}
	if _, err := j.images.List(); err != nil {
		return nil, fmt.Errorf("journal: listing images: %w", err)
	}
	if err := j.checkLogCoverage(); err != nil {
		return nil, err
	}

	hl := newHclogAdapter(j.log, "raft", hclog.Warn)
	var stream raft.StreamLayer = cfg.Stream
	if cfg.Stream.Addr().String() != cfg.Advertise {
		stream = &advertisedStream{StreamLayer: cfg.Stream, addr: tcpAddrString(cfg.Advertise)}
	}
	j.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: stream, MaxPool: 3, Timeout: 10 * time.Second, Logger: hl.Named("net"),
	})
	trans := j.trans
	cleanup = append(cleanup, func() { trans.Close() })

	notify := make(chan bool, 16)
	rc := newRaftConfig(cfg.NodeID, hl)
	rc.NotifyCh = notify
	j.fsm = &fsm{j: j, sm: sm}
	r, err := raft.NewRaft(rc, j.fsm, j.logs, j.bolt, j.images, j.trans)
	if err != nil {
		return nil, fmt.Errorf("journal: starting raft: %w", err)
	}
	j.raft = r
	j.rptr.Store(r)
	cleanup = append(cleanup, func() { r.Shutdown().Error() })

	if !hasState && cfg.Bootstrap {
		bc := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: raft.ServerID(cfg.NodeID), Address: raft.ServerAddress(cfg.Advertise),
		}}}
		if err := r.BootstrapCluster(bc).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return nil, fmt.Errorf("journal: bootstrap: %w", err)
		}
	}

	j.electAloneNow()

	j.wg.Add(2)
	go j.leaderLoop(notify)
	go j.checkpointLoop()
	return j, nil
}

// electAloneNow makes a node that is the only voter of its configuration
// (a one-FE cluster just bootstrapped, restarted, or restored from a
// cluster snapshot) start its election at once instead of after raft's
// randomised heartbeat timeout (1 to 2 s with newRaftConfig's 1 s): with no
// other voter there is no leader to hear from and no one to split the
// vote with, so the wait only delays the first write. raft offers no
// "campaign now"; lowering HeartbeatTimeout with ReloadConfig wakes the
// follower loop at once (hashicorp/raft re-arms its timer on a shorter
// value) and, having never heard from a leader, it starts the election.
// The timeout is then set back, so the node's timeouts as a leader and
// later as a follower are unchanged. Nodes with other voters, or with no
// configuration yet (a follower waiting to be added), wait as before.
func (j *Journal) electAloneNow() {
	f := j.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	voters, self := 0, false
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
			self = self || s.ID == raft.ServerID(j.cfg.NodeID)
		}
	}
	if voters != 1 || !self {
		return
	}
	rc := j.raft.ReloadableConfig()
	short := rc
	short.HeartbeatTimeout = newRaftConfig(j.cfg.NodeID, nil).LeaderLeaseTimeout // the least raft accepts
	if err := j.raft.ReloadConfig(short); err != nil {
		j.log.Warn("journal: cannot start the election at once", "err", err)
		return
	}
	if err := j.raft.ReloadConfig(rc); err != nil {
		j.log.Warn("journal: cannot set the raft heartbeat timeout back", "err", err)
	}
}

// checkLogCoverage refuses to start (instead of letting raft panic) when no
// valid image reaches the first entry of the trimmed log.
func (j *Journal) checkLogCoverage() error {
	first, err := j.logs.FirstIndex()
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	last, err := j.logs.LastIndex()
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if last == 0 || first <= 1 {
		return nil
	}
	if img := j.images.newest.Load(); img+1 < first {
		return fmt.Errorf("journal: meta dir %s unusable: the raft log starts at %d but the newest valid image is %d; restore the meta dir or rejoin with a clean one",
			j.cfg.MetaDir, first, img)
	}
	return nil
}

// adjustTrailingLogs applies the trailing-logs rule (package doc) right
// before raft compacts the log after an image was finalised.
func (j *Journal) adjustTrailingLogs() {
	r := j.rptr.Load()
	if r == nil {
		return
	}
	floor := j.images.floor()
	last := r.LastIndex()
	trailing := last + compactionSlack // keep everything
	if floor > 0 && floor <= last {
		trailing = last - floor + compactionSlack
	}
	rc := r.ReloadableConfig()
	rc.TrailingLogs = trailing
	if err := r.ReloadConfig(rc); err != nil {
		j.log.Warn("journal: cannot set raft TrailingLogs", "err", err)
	}
}

func (j *Journal) leaderLoop(notify <-chan bool) {
	defer j.wg.Done()
	for {
		select {
		case v := <-notify:
			if v {
				j.log.Info("journal: this node is now the raft leader", "node", j.cfg.NodeID)
			} else {
				j.log.Info("journal: this node is no longer the raft leader", "node", j.cfg.NodeID)
			}
			j.subMu.Lock()
			for _, ch := range j.subs {
				sendLatest(ch, v)
			}
			j.subMu.Unlock()
		case <-j.stop:
			return
		}
	}
}

// sendLatest replaces any unread value in a 1-buffered channel with v.
func sendLatest(ch chan bool, v bool) {
	select {
	case <-ch:
	default:
	}
	ch <- v
}

func (j *Journal) checkpointLoop() {
	defer j.wg.Done()
	t := time.NewTicker(j.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			select {
			case j.ckSem <- struct{}{}:
			default:
				continue // a forced checkpoint is being taken; look again next tick
			}
			applied, image := j.AppliedID(), j.ImageID()
			if applied > image && applied-image >= j.cfg.RollNum {
				if err := j.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrRaftShutdown) {
					j.log.Warn("journal: checkpoint failed", "applied_id", applied, "image_id", image, "err", err)
				}
			}
			<-j.ckSem
		case <-j.stop:
			return
		}
	}
}

// Propose appends one entry made of ops and returns the state machine's
// Apply result and the entry's journal id. It returns only after the entry
// is committed (durable on a quorum) and applied locally. On a non-leader it
// fails with ErrNotLeader. If ctx ends first the entry may still commit.
// Proposing no ops appends an empty entry that acts as a barrier.
func (j *Journal) Propose(ctx context.Context, ops ...Op) (result any, journalID uint64, err error) {
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		if timeout = time.Until(dl); timeout <= 0 {
			return nil, 0, context.DeadlineExceeded
		}
	}
	f := j.raft.Apply(EncodeEntry(ops), timeout)
	if err := waitFuture(ctx, f); err != nil {
		return nil, 0, j.mapErr(err)
	}
	resp := f.Response()
	if ae, ok := resp.(applyError); ok {
		return nil, f.Index(), ae.err
	}
	return resp, f.Index(), nil
}

// waitFuture waits for a raft future, giving up when ctx ends.
func waitFuture(ctx context.Context, f raft.Future) error {
	if ctx.Done() == nil {
		return f.Error()
	}
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (j *Journal) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader):
		id, addr := j.Leader()
		if id == "" {
			return fmt.Errorf("%w (no leader known)", ErrNotLeader)
		}
		return fmt.Errorf("%w (leader is %s at %s)", ErrNotLeader, id, addr)
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("journal: %w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// Barrier waits, on the leader, until everything committed so far is
// applied locally (it appends and waits for an empty entry).
func (j *Journal) Barrier(ctx context.Context) error {
	_, _, err := j.Propose(ctx)
	return err
}

// WaitApplied waits until the local state includes journal id id.
func (j *Journal) WaitApplied(ctx context.Context, id uint64) error {
	var tick *time.Ticker
	for {
		ch := j.applied.waitCh()
		if j.reached(id) {
			return nil
		}
		if tick == nil {
			// Polls only matter for targets that are raft no-ops (see reached).
			tick = time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-j.stop:
			return ErrClosed
		}
	}
}

// reached reports whether the state includes id: either an entry at or
// after id was applied, or every entry after the last applied one up to id
// is a committed raft-internal entry (leader no-op) that never reaches the
// state machine.
func (j *Journal) reached(id uint64) bool {
	a := j.applied.get()
	if a >= id {
		return true
	}
	if id > j.raft.CommitIndex() || id-a > maxGapScan {
		return false
	}
	var l raft.Log
	for i := a + 1; i <= id; i++ {
		if err := j.logs.GetLog(i, &l); err != nil {
			return false
		}
		if l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return false
		}
	}
	return true
}

// WaitReady waits until the node can serve: a leader is known and the local
// state is current — on the leader after a Barrier, elsewhere once the
// commit index the node has learnt from the leader is applied.
func (j *Journal) WaitReady(ctx context.Context) error {
	for {
		if id, _ := j.Leader(); id != "" {
			if j.IsLeader() {
				err := j.Barrier(ctx)
				if err == nil || !(errors.Is(err, ErrNotLeader) || errors.Is(err, ErrLeadershipLost)) {
					return err
				}
			} else if ci := j.raft.CommitIndex(); ci > 0 || j.raft.LastIndex() == 0 {
				return j.WaitApplied(ctx, ci)
			}
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		case <-j.stop:
			return ErrClosed
		}
	}
}

// IsLeader reports whether this node is the raft leader now.
func (j *Journal) IsLeader() bool { return j.raft.State() == raft.Leader }

// Term is the current raft term: a leader's term while it leads.
func (j *Journal) Term() uint64 { return j.raft.CurrentTerm() }

// Leader returns the current leader's node id and address ("" if unknown).
func (j *Journal) Leader() (id, addr string) {
	a, i := j.raft.LeaderWithID()
	return string(i), string(a)
}

// LeaderChanges subscribes to leadership changes of this node: the returned
// channel first receives the current state, then true/false on each change.
// It holds at most one value; a slow reader only ever sees the latest state.
// It is closed when the journal closes. Each call makes a new subscription.
func (j *Journal) LeaderChanges() <-chan bool {
	ch := make(chan bool, 1)
	j.subMu.Lock()
	defer j.subMu.Unlock()
	select {
	case <-j.stop:
		close(ch)
		return ch
	default:
	}
	ch <- j.IsLeader()
	j.subs = append(j.subs, ch)
	return ch
}

// AppliedID returns the journal id of the last applied entry (or of the
// image the state was restored from).
func (j *Journal) AppliedID() uint64 { return j.applied.get() }

// ImageID returns the journal id of the newest valid image on disk, 0 if none.
func (j *Journal) ImageID() uint64 { return j.images.newest.Load() }

// Checkpoint takes an image now and describes the image it wrote: path,
// size and the header read back from that file (FE journal id, the state
// machine's named journal ids, created time, raft metadata). The ids are
// exactly those of the state as of the image: everything applied when
// Checkpoint was called is in it.
//
// When nothing was applied since the newest image, no image is written and
// Checkpoint describes the newest image as it is on disk (an existing image
// is never rewritten). When nothing was ever applied and there is no image,
// the error wraps ErrImageNotFound.
//
// Checkpoint runs on any node (each FE writes its own images). It is safe to
// call concurrently with Propose, with the periodic checkpoint loop and with
// itself: checkpoints are taken one at a time. If ctx ends first, the
// checkpoint may still complete. The image may be deleted by retention once
// ImagesRetained newer ones exist; to read it later, use CheckpointAndHold.
func (j *Journal) Checkpoint(ctx context.Context) (ImageInfo, error) {
	h, err := j.CheckpointAndHold(ctx)
	if err != nil {
		return ImageInfo{}, err
	}
	info := h.Info()
	if err := h.Release(); err != nil {
		return ImageInfo{}, err
	}
	return info, nil
}

// CheckpointAndHold is Checkpoint, and it holds the image it describes (see
// HoldImage) before any other checkpoint can run, so retention cannot delete
// the image between the checkpoint and the hold. The caller must Release
// the returned image.
func (j *Journal) CheckpointAndHold(ctx context.Context) (*HeldImage, error) {
	select {
	case j.ckSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("journal: checkpoint: %w", ctx.Err())
	case <-j.stop:
		return nil, fmt.Errorf("journal: checkpoint: %w", ErrClosed)
	}
	defer func() { <-j.ckSem }()

	id := j.ImageID()
	if applied := j.AppliedID(); applied > id || id == 0 {
		err := waitFuture(ctx, j.raft.Snapshot())
		switch {
		case errors.Is(err, raft.ErrNothingNewToSnapshot):
			return nil, fmt.Errorf("journal: checkpoint: nothing applied yet: %w", ErrImageNotFound)
		case err != nil:
			return nil, fmt.Errorf("journal: checkpoint at applied id %d: %w", applied, j.mapErr(err))
		}
		// Snapshots are taken one at a time (ckSem) and raft's own are
		// disabled, so the last one persisted is this one.
		id = j.lastImage.Load()
	}
	h, err := j.images.hold(id)
	if err != nil {
		return nil, fmt.Errorf("journal: checkpoint: %w", err)
	}
	return h, nil
}

// HoldImage holds image id (its journal id, as in image.<id>) open for
// reading: until the returned HeldImage is released, image retention does
// not delete the file, however many newer images are taken. Holds nest: the
// file is kept while any is outstanding. A missing image (never taken, or
// already deleted by retention) is an error wrapping ErrImageNotFound; a
// file whose header or footer cannot be read is one wrapping
// ErrCorruptImage. Use HeldImage.Verify to check the checksum.
func (j *Journal) HoldImage(id uint64) (*HeldImage, error) { return j.images.hold(id) }

// AddFollower adds node id at addr (its edit_log address) as a voter. Only
// the leader can do it; the new node then starts with no state and no
// Bootstrap and is caught up by the leader.
func (j *Journal) AddFollower(ctx context.Context, id, addr string) error {
	return j.mapErr(waitFuture(ctx, j.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, ctxTimeout(ctx))))
}

// AddObserver adds node id at addr as a non-voter (an observer): it
// receives and applies the log but does not vote.
func (j *Journal) AddObserver(ctx context.Context, id, addr string) error {
	return j.mapErr(waitFuture(ctx, j.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, ctxTimeout(ctx))))
}

// RemoveNode removes node id from the cluster membership (leader only). The
// removed node is not told: it stops receiving entries and should be shut
// down (Close) by its operator, as with ALTER SYSTEM DROP in StarRocks. If
// the leader removes itself it steps down and closes its raft.
func (j *Journal) RemoveNode(ctx context.Context, id string) error {
	return j.mapErr(waitFuture(ctx, j.raft.RemoveServer(raft.ServerID(id), 0, ctxTimeout(ctx))))
}

func ctxTimeout(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d > 0 {
			return d
		}
		return time.Millisecond
	}
	return 0
}

// Servers returns the latest raft membership as known by this node.
func (j *Journal) Servers() ([]Server, error) {
	f := j.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, j.mapErr(err)
	}
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{ID: string(s.ID), Addr: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	return out, nil
}

// Stats is a point-in-time view of the journal for introspection.
type Stats struct {
	AppliedID   uint64 // last applied journal id
	ImageID     uint64 // newest image on disk
	FirstIndex  uint64 // first entry still in the raft log (0 if empty)
	LastIndex   uint64 // last entry in the raft log (or last image)
	CommitIndex uint64 // highest committed entry known here
	Term        uint64 // current raft term
	State       string // Leader, Follower, Candidate, Shutdown
	LeaderID    string // current leader's node id, "" if unknown
	LeaderAddr  string // current leader's address
}

// Stats returns the journal's current Stats.
func (j *Journal) Stats() Stats {
	first, _ := j.logs.FirstIndex()
	id, addr := j.Leader()
	return Stats{
		AppliedID: j.AppliedID(), ImageID: j.ImageID(), FirstIndex: first,
		LastIndex: j.raft.LastIndex(), CommitIndex: j.raft.CommitIndex(), Term: j.raft.CurrentTerm(),
		State: j.raft.State().String(), LeaderID: id, LeaderAddr: addr,
	}
}

// Close shuts the raft node down, closes the transport and stores and
// releases the meta dir lock. It does not close the Mux. Safe to call twice.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		j.subMu.Lock()
		close(j.stop)
		for _, ch := range j.subs {
			close(ch)
		}
		j.subs = nil
		j.subMu.Unlock()
		err := j.raft.Shutdown().Error()
		j.wg.Wait()
		if terr := j.trans.Close(); err == nil {
			err = terr
		}
		if berr := j.bolt.Close(); err == nil {
			err = berr
		}
		if lerr := unlockMetaDir(j.lock); err == nil {
			err = lerr
		}
		j.closeErr = err
	})
	return j.closeErr
}

// appliedTracker holds the last applied journal id and wakes waiters.
type appliedTracker struct {
	v       atomic.Uint64
	mu      sync.Mutex
	ch      chan struct{}
	waiting bool
}

func (a *appliedTracker) get() uint64 { return a.v.Load() }

// advance raises the applied id to x if it is higher.
func (a *appliedTracker) advance(x uint64) {
	for {
		cur := a.v.Load()
		if x <= cur {
			return
		}
		if a.v.CompareAndSwap(cur, x) {
			break
		}
	}
	a.wake()
}

// set replaces the applied id (after restoring an image).
func (a *appliedTracker) set(x uint64) {
	a.v.Store(x)
	a.wake()
}

func (a *appliedTracker) wake() {
	a.mu.Lock()
	if a.waiting {
		close(a.ch)
		a.ch = nil
		a.waiting = false
	}
	a.mu.Unlock()
}

// waitCh returns a channel closed at the next change.
func (a *appliedTracker) waitCh() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ch == nil {
		a.ch = make(chan struct{})
	}
	a.waiting = true
	return a.ch
}

var _ net.Addr = tcpAddrString("")
