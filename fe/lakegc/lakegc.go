// Package lakegc is the leader's background work on the lake: automatic
// and requested compaction, vacuum of metadata versions and data files no
// retained version needs, erasing expired recycle-bin entries and purging
// erased partitions' data. Each runs only while this FE leads. Its seams: a
// Proposer, a Leadership signal, the compute nodes, load transactions (a
// compaction is one) and the mutable settings it reads at every round.
// Cluster snapshots' pin rule (catalog.SnapshotGuard) is applied here, to
// every deleting path: vacuum keeps every pinned version and the files it
// lists, purge keeps the directories of pinned partitions, and both wait
// while a snapshot job is taking its image.
package lakegc

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/computenodes"
	"github.com/minirocks/minirocks/fe/lakedesc"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/starmgr"
	"github.com/minirocks/minirocks/volume/layout"
)

// Proposer journals ops as one entry (meta.Writer).
type Proposer interface {
	Propose(ctx context.Context, ops ...any) (uint64, error)
}

// Leadership tells whether this FE leads and has finished taking over.
type Leadership interface {
	Leading() bool
	// Term is the raft term of this FE's leadership, sent with vacuums and
	// drops so that compute nodes refuse a deposed leader's.
	Term() int64
}

// ComputeNodes is what lake maintenance needs of the compute nodes
// (computenodes.Monitor).
type ComputeNodes interface {
	Live() computenodes.Live
	Call(ctx context.Context, w computenodes.Worker, fn func() error) error
}

// Transactions runs the transaction a compaction publishes as
// (loads.Coordinator).
type Transactions interface {
	Begin(ctx context.Context, db *catalog.Database, t *catalog.Table, label, kind, user string, timeoutSec int64) (*catalog.Transaction, error)
	Abort(txnID int64, reason string)
	CommitAndPublish(ctx context.Context, txnID int64, writes []rpc.TabletWrite, rows, filtered, bytes int64) (string, error)
}

// Config is what a Collector needs. The settings are functions because
// they are mutable (ADMIN SET FRONTEND CONFIG) and read at every round.
type Config struct {
	Catalog  *catalog.Catalog
	Proposer Proposer
	Leader   Leadership
	Nodes    ComputeNodes
	Txns     Transactions
	Logger   *slog.Logger
	// Naptime is lake_autovacuum_partition_naptime_seconds: the time
	// between rounds.
	Naptime func() time.Duration
	// CompactionMinScore is lake_compaction_score_selector_min_score:
	// versions since the last compaction that trigger one.
	CompactionMinScore func() int64
	// VacuumGrace is lake_autovacuum_grace_period_minutes: nothing younger
	// is vacuumed.
	VacuumGrace func() time.Duration
	// TrashExpire is catalog_trash_expire_second: how long a dropped object
	// stays recoverable.
	TrashExpire func() time.Duration
	// RPCTimeout is tablet_rpc_timeout_second: the deadline of each
	// compaction, vacuum and drop call to a compute node.
	RPCTimeout func() time.Duration
	// Token returns the cluster token the calls to compute nodes carry.
	Token func() string
}

// Collector runs compaction, vacuum, recycle-bin erasing and purge.
type Collector struct {
	cfg    Config
	cat    *catalog.Catalog
	log    *slog.Logger
	client *http.Client
	ctx    context.Context // ends background compactions
	wg     sync.WaitGroup

	vacuumMu  sync.Mutex
	vacuumed  map[int64]vacuumMark // by partition id
	pinLogged map[int64]string     // by partition id: the PinKey last logged
	compactMu sync.Mutex           // one compaction at a time
}

// New returns a Collector; Run starts its rounds. Compactions requested
// with RequestCompaction end when ctx does; Wait waits for them.
func New(ctx context.Context, cfg Config) *Collector {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Collector{cfg: cfg, cat: cfg.Catalog, log: log, client: rpc.WithToken(rpc.NewClient(), cfg.Token), ctx: ctx,
		vacuumed: map[int64]vacuumMark{}, pinLogged: map[int64]string{}}
}

// Wait waits for the compactions RequestCompaction started.
func (l *Collector) Wait() { l.wg.Wait() }

// Compact runs one compaction transaction for the
// partitions; every tablet's rowsets at the visible version are merged into
// one, published as the next version.
func (l *Collector) Compact(ctx context.Context, tableID int64, partitionIDs []int64) error {
	l.compactMu.Lock()
	defer l.compactMu.Unlock()
	cat := l.cat
	t := cat.TableByID(tableID)
	if t == nil {
		return sqlerr.Generic("Unknown table id %d", tableID)
	}
	db := cat.DBByID(t.DBID)
	if db == nil {
		return sqlerr.Generic("Unknown database id %d", t.DBID)
	}
	var parts []*catalog.Partition
	for _, p := range t.Partitions {
		for _, id := range partitionIDs {
			if p.ID == id && p.VisibleVersion > 1 {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		return nil
	}
	vid, err := lakedesc.VolumeID(l.cat, t)
	if err != nil {
		return err
	}
	txn, err := l.cfg.Txns.Begin(ctx, db, t, fmt.Sprintf("compaction_%d_%d", t.ID, time.Now().UnixNano()), catalog.TxnCompaction, "", 86400)
	if err != nil {
		return err
	}
	schema := lakedesc.Schema(t)
	live := l.cfg.Nodes.Live()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	// Each goroutine fills in its own entry (Rows of a tablet that got a
	// compaction txn log: the commit records it as having received data);
	// the capacity is fixed, so appends never move the entries.
	ntablets := 0
	for _, p := range parts {
		ntablets += len(p.Tablets)
	}
	writes := make([]rpc.TabletWrite, 0, ntablets)
	for _, p := range parts {
		for _, tb := range p.Tablets {
			w, err := live.Place(tb)
			if err != nil {
				l.cfg.Txns.Abort(txn.ID, err.Error())
				return err
			}
			writes = append(writes, rpc.TabletWrite{PartitionID: p.ID, TabletID: tb})
			tw := &writes[len(writes)-1]
			req := rpc.CompactRequest{Tablet: lakedesc.Tablet(t, p, tb, vid),
				BaseVersion: p.VisibleVersion, TxnID: txn.ID, GTID: txn.GTID, Schema: schema}
			g.Go(func() error {
				var resp rpc.CompactResponse
				cctx, cancel := l.rpcContext(gctx)
				defer cancel()
				if err := l.cfg.Nodes.Call(cctx, w, func() error {
					return rpc.Call(cctx, l.client, "http://"+w.Addr+rpc.PathCompact, req, &resp)
				}); err != nil {
					return sqlerr.Generic("Failed to compact tablet %d on compute node %s: %v", req.Tablet.ID, w.Addr, err)
				}
				if resp.InputRowsets > 1 {
					tw.Rows = resp.Rows
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		l.cfg.Txns.Abort(txn.ID, err.Error())
		return err
	}
	status, err := l.cfg.Txns.CommitAndPublish(ctx, txn.ID, writes, 0, 0, 0)
	if err != nil {
		return err
	}
	if status != string(catalog.TxnVisible) {
		return sqlerr.Generic("compaction transaction %d committed but not yet visible", txn.ID)
	}
	l.log.Info("compacted", "table", t.Name, "partitions", len(parts), "txn", txn.ID)
	return nil
}

// RequestCompaction compacts in the background: the compaction runs in the
// background, as StarRocks' ALTER TABLE ... COMPACT returns at once.
func (l *Collector) RequestCompaction(tableID int64, partitionIDs []int64) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		ctx, cancel := context.WithTimeout(l.ctx, 10*time.Minute)
		defer cancel()
		if err := l.Compact(ctx, tableID, partitionIDs); err != nil {
			l.log.Warn("requested compaction failed", "table", tableID, "err", err)
		}
	}()
}

// Run runs compaction, vacuum and the recycle bin while this FE
// leads, every lake_autovacuum_partition_naptime_seconds.
func (l *Collector) Run(ctx context.Context) {
	for {
		nap := l.cfg.Naptime()
		select {
		case <-ctx.Done():
			return
		case <-time.After(nap):
		}
		if !l.cfg.Leader.Leading() {
			continue
		}
		if l.cfg.Nodes.Live().Len() > 0 {
			l.autoCompact(ctx)
			l.vacuumAll(ctx)
		}
		// The recycle bin expires with or without compute nodes; purge
		// waits for one only where there is data to delete.
		l.eraseExpired(ctx)
		l.purge(ctx)
	}
}

// autoCompact compacts partitions with at least
// lake_compaction_score_selector_min_score versions since their last
// compaction (each load adds at most one rowset per tablet).
func (l *Collector) autoCompact(ctx context.Context) {
	min := l.cfg.CompactionMinScore()
	for _, db := range l.cat.DBs() {
		for _, t := range l.cat.Tables(db.Name) {
			var ids []int64
			for _, p := range t.Partitions {
				base := max(p.CompactedVersion, 1)
				if p.VisibleVersion-base >= min {
					ids = append(ids, p.ID)
				}
			}
			if len(ids) > 0 {
				if err := l.Compact(ctx, t.ID, ids); err != nil {
					l.log.Warn("automatic compaction failed", "table", t.Name, "err", err)
				}
			}
		}
	}
}

// vacuumMark is a partition's last vacuum: the visible version it kept,
// the versions cluster snapshots pinned then, whether a version pinned at
// the vacuum before was pinned no more, and when it ran (its grace cut-off
// was At minus the grace period).
type vacuumMark struct {
	Version  int64
	Pinned   []int64
	Released bool
	At       time.Time
}

// released reports whether a version of before (ascending) is not in
// after (ascending): a pin went.
func released(before, after []int64) bool {
	for _, v := range before {
		if _, found := slices.BinarySearch(after, v); !found {
			return true
		}
	}
	return false
}

// needsVacuum decides whether a partition is worth a vacuum round: its
// visible version moved since its last vacuum (older versions and
// compacted-away segments can go), a version a cluster snapshot pinned at
// the last vacuum is pinned no more (pinned, ascending, is the pin set now;
// the snapshot was deleted, so what only it kept can go; and once more a
// grace period after such a vacuum, for what was too young then), or a load of its
// table was aborted (lastAbort, ms; 0 for none) whose files the last vacuum
// could not yet delete, being younger than the grace period then, and can
// now. A pin that is added never makes anything deletable, so it alone
// needs no vacuum.
func needsVacuum(last vacuumMark, vacuumed bool, visible int64, pinned []int64, lastAbort int64, grace time.Duration, now time.Time) bool {
	abortPending := lastAbort > 0 && lastAbort < now.Add(-grace).UnixMilli()
	if !vacuumed {
		return visible > 1 || abortPending
	}
	if visible != last.Version {
		return true
	}
	if released(last.Pinned, pinned) || last.Released && !now.Before(last.At.Add(grace)) {
		return true
	}
	return abortPending && lastAbort >= last.At.Add(-grace).UnixMilli()
}

// pinnedMessage is logged once per partition and pin set when a cluster
// snapshot's pins keep data of a partition that vacuum or purge would
// otherwise delete.
const pinnedMessage = "partition %d is pinned by a cluster snapshot; keeping its data"

// logPinned logs pinnedMessage for the partition unless it was logged for
// the same pin set already.
func (l *Collector) logPinned(g catalog.SnapshotGuard, partitionID int64) {
	key := g.PinKey(partitionID)
	l.vacuumMu.Lock()
	last, logged := l.pinLogged[partitionID]
	if !logged || last != key {
		l.pinLogged[partitionID] = key
	}
	l.vacuumMu.Unlock()
	if !logged || last != key {
		l.log.Info(fmt.Sprintf(pinnedMessage, partitionID), "versions", g.PinnedVersions(partitionID))
	}
}

// forgetPinLogs forgets the logged pin sets of partitions no longer pinned,
// so a later pin is logged again.
func (l *Collector) forgetPinLogs(g catalog.SnapshotGuard) {
	l.vacuumMu.Lock()
	defer l.vacuumMu.Unlock()
	for id := range l.pinLogged {
		if len(g.PinnedVersions(id)) == 0 {
			delete(l.pinLogged, id)
		}
	}
}

// vacuumAll vacuums every partition that needsVacuum. While a cluster
// snapshot job is taking its image (the guard holds) nothing is vacuumed.
func (l *Collector) vacuumAll(ctx context.Context) {
	g := l.cat.SnapshotGuard()
	if !g.MayVacuum() {
		l.log.Debug("vacuum waits: a cluster snapshot job is taking its image")
		return
	}
	l.forgetPinLogs(g)
	lastAbort := map[int64]int64{} // by table id
	for _, txn := range l.cat.Txns(catalog.TxnAborted) {
		lastAbort[txn.TableID] = max(lastAbort[txn.TableID], txn.FinishTime)
	}
	grace, now := l.cfg.VacuumGrace(), time.Now()
	for _, db := range l.cat.DBs() {
		for _, t := range l.cat.Tables(db.Name) {
			for _, p := range t.Partitions {
				l.vacuumMu.Lock()
				last, ok := l.vacuumed[p.ID]
				l.vacuumMu.Unlock()
				if !needsVacuum(last, ok, p.VisibleVersion, g.PinnedVersions(p.ID), lastAbort[t.ID], grace, now) {
					continue
				}
				if _, err := l.vacuum(ctx, t, p, g); err != nil {
					l.log.Warn("vacuum failed", "table", t.Name, "partition", p.Name, "err", err)
				}
			}
		}
	}
}

// Vacuum deletes from one partition's directory the metadata and data no
// retained version needs: versions below the visible one, files of aborted
// loads, txn logs already published — never anything younger than
// lake_autovacuum_grace_period_minutes, nor what a pending transaction uses,
// nor any version a cluster snapshot pins (catalog.SnapshotGuard) with the
// files it lists. While a snapshot job is taking its image it refuses.
func (l *Collector) Vacuum(ctx context.Context, t *catalog.Table, p *catalog.Partition) (*rpc.VacuumResponse, error) {
	g := l.cat.SnapshotGuard()
	if !g.MayVacuum() {
		return nil, fmt.Errorf("vacuum of partition %d waits: a cluster snapshot job is taking its image", p.ID)
	}
	return l.vacuum(ctx, t, p, g)
}

// vacuum is Vacuum under the guard g, read once per round.
func (l *Collector) vacuum(ctx context.Context, t *catalog.Table, p *catalog.Partition, g catalog.SnapshotGuard) (*rpc.VacuumResponse, error) {
	vid, err := lakedesc.VolumeID(l.cat, t)
	if err != nil {
		return nil, err
	}
	var pending []int64
	for _, txn := range l.cat.Txns(catalog.TxnPrepare, catalog.TxnCommitted) {
		if txn.TableID == t.ID {
			pending = append(pending, txn.ID)
		}
	}
	started := time.Now()
	grace := started.Add(-l.cfg.VacuumGrace())
	pinned := g.PinnedVersions(p.ID)
	req := rpc.VacuumRequest{VolumeID: vid, Dir: layout.PartitionDir(t.DBID, t.ID, p.ID), MinRetainVersion: p.VisibleVersion,
		PinnedVersions: pinned, PendingTxns: pending, GraceUnixMs: grace.UnixMilli(), Term: l.cfg.Leader.Term()}
	if len(pinned) > 0 {
		l.logPinned(g, p.ID)
	}
	live := l.cfg.Nodes.Live()
	w, err := live.Place(p.ID)
	if err != nil {
		return nil, err
	}
	var resp rpc.VacuumResponse
	cctx, cancel := l.rpcContext(ctx)
	defer cancel()
	if err := l.cfg.Nodes.Call(cctx, w, func() error {
		return rpc.Call(cctx, l.client, "http://"+w.Addr+rpc.PathVacuum, req, &resp)
	}); err != nil {
		return nil, err
	}
	l.vacuumMu.Lock()
	prev, ok := l.vacuumed[p.ID]
	l.vacuumed[p.ID] = vacuumMark{Version: p.VisibleVersion, Pinned: pinned, Released: ok && released(prev.Pinned, pinned), At: started}
	l.vacuumMu.Unlock()
	if resp.Deleted > 0 {
		l.log.Info("vacuumed", "table", t.Name, "partition", p.Name, "deleted", resp.Deleted, "kept", resp.Kept)
	}
	return &resp, nil
}

// eraseExpired forgets recycle-bin entries older than
// catalog_trash_expire_second; their data joins the purge queue.
func (l *Collector) eraseExpired(ctx context.Context) {
	cat := l.cat
	cutoff := time.Now().Add(-l.cfg.TrashExpire()).UnixMilli()
	op := &catalog.EraseRecycledOp{}
	for _, d := range cat.RecycledDBs() {
		if d.DropTime <= cutoff {
			op.DBIDs = append(op.DBIDs, d.DB.ID)
		}
	}
	for _, t := range cat.RecycledTables() {
		if t.DropTime <= cutoff {
			op.TableIDs = append(op.TableIDs, t.Table.ID)
		}
	}
	for _, p := range cat.RecycledPartitions() {
		if p.DropTime <= cutoff {
			op.PartitionIDs = append(op.PartitionIDs, p.Partition.ID)
		}
	}
	if len(op.DBIDs)+len(op.TableIDs)+len(op.PartitionIDs) == 0 {
		return
	}
	if _, err := l.cfg.Proposer.Propose(ctx, op); err != nil {
		l.log.Warn("erase recycle bin failed", "err", err)
	}
}

// purge deletes the data of erased partitions, then drops them from the
// purge queue and their shard groups from StarManager in one entry. A
// partition a cluster snapshot pins stays in the queue, its data kept, and
// is purged in a later round once the pin is gone; while a snapshot job is
// taking its image nothing is purged.
func (l *Collector) purge(ctx context.Context) {
	queue := l.cat.PurgeQueue()
	if len(queue) == 0 {
		return
	}
	g := l.cat.SnapshotGuard()
	if !g.MayVacuum() {
		l.log.Debug("purge waits: a cluster snapshot job is taking its image")
		return
	}
	live := l.cfg.Nodes.Live()
	var done []int64
	var groups []int64
	for _, e := range queue {
		if !g.MayPurge(e.PartitionID) {
			l.logPinned(g, e.PartitionID)
			continue
		}
		v := l.cat.StorageVolume(e.Volume)
		if v != nil {
			w, err := live.Place(e.PartitionID)
			if err != nil {
				return
			}
			var resp rpc.DropResponse
			cctx, cancel := l.rpcContext(ctx)
			err = l.cfg.Nodes.Call(cctx, w, func() error {
				return rpc.Call(cctx, l.client, "http://"+w.Addr+rpc.PathDrop, rpc.DropRequest{VolumeID: v.ID, Dir: e.Dir(), Term: l.cfg.Leader.Term()}, &resp)
			})
			cancel()
			if err != nil {
				l.log.Warn("purge failed; will retry", "dir", e.Dir(), "err", err)
				continue
			}
			l.log.Info("purged partition data", "dir", e.Dir(), "objects", resp.Deleted)
		}
		done = append(done, e.PartitionID)
		groups = append(groups, e.ShardGroupID)
	}
	if len(done) == 0 {
		return
	}
	if _, err := l.cfg.Proposer.Propose(ctx, &catalog.PurgedOp{PartitionIDs: done}, &starmgr.DeleteShardGroupsOp{IDs: groups}); err != nil {
		l.log.Warn("journal purge failed", "err", err)
	}
}

// rpcContext bounds one call to a compute node by tablet_rpc_timeout_second,
// so that a frozen node stalls neither maintenance nor the FE.
func (l *Collector) rpcContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if l.cfg.RPCTimeout == nil {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, l.cfg.RPCTimeout())
}
