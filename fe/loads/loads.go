// Package loads coordinates load transactions on the leader FE, the
// StarRocks shared-data way: begin (a label, journaled), write on the
// compute nodes serving the tablets, commit (partition versions assigned,
// journaled), publish (compute nodes turn version V-1 plus the txn log into
// V) and visible (journaled). It serves INSERT, the Stream Load calls that
// compute nodes make on the rpc_port, and the Stream Load redirect on the
// http_port, and lends its transactions to compaction. Its seams: a
// Proposer, an id allocator, a Leadership signal and the compute nodes.
package loads

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/computenodes"
	"github.com/minirocks/minirocks/fe/lakedesc"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
)

// insertTimeoutSec is StarRocks' insert_timeout default.
const insertTimeoutSec = 14400

// gtidEpoch is where GTIDs count milliseconds from (2020-01-01, as StarRocks).
var gtidEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Proposer journals ops as one entry (meta.Writer).
type Proposer interface {
	Propose(ctx context.Context, ops ...any) (uint64, error)
}

// IDAllocator reserves catalog ids (meta.IDAllocator).
type IDAllocator interface {
	Alloc(ctx context.Context, n int) (int64, error)
}

// Leadership tells whether this FE leads and has finished taking over.
type Leadership interface {
	Leading() bool
	// Term is the raft term of this FE's leadership, sent with publishes
	// so that compute nodes refuse a deposed leader's.
	Term() int64
}

// ComputeNodes is what loads need of the compute nodes (computenodes.Monitor).
type ComputeNodes interface {
	Live() computenodes.Live
	Call(ctx context.Context, w computenodes.Worker, fn func() error) error
}

// Config is what a Coordinator needs.
type Config struct {
	Catalog  *catalog.Catalog
	Proposer Proposer
	IDs      IDAllocator
	Leader   Leadership
	Nodes    ComputeNodes
	Logger   *slog.Logger
	// Fence, when set, says why this cluster may not write to its object
	// storage (a newer incarnation of it holds it; fe/fence): loads are
	// refused then.
	Fence func() error
	// PublishTimeout is publish_version_timeout_second: the deadline of one
	// transaction's publish calls (nil: 30 s).
	PublishTimeout func() time.Duration
	// RPCTimeout is tablet_rpc_timeout_second: the deadline of each tablet
	// write (nil: 300 s).
	RPCTimeout func() time.Duration
	// LabelKeepMax is label_keep_max_second: how long a finished
	// transaction and its label are kept. Mutable, so read at every round;
	// nil keeps them forever.
	LabelKeepMax func() time.Duration
	// LabelCleanInterval is label_clean_interval_second: the time between
	// removals of expired transactions. Mutable, read at every round.
	LabelCleanInterval func() time.Duration
	// Token returns the cluster token the calls to compute nodes carry.
	Token func() string
	// MaxRunningTxnNumPerDB is max_running_txn_num_per_db: the most
	// transactions of one database that may be running (PREPARE or
	// COMMITTED) at once; a load beyond it is refused. Compaction is not
	// counted. Mutable, so read at every begin; nil: 1000.
	MaxRunningTxnNumPerDB func() int64
}

// defaultMaxRunningTxnNumPerDB is StarRocks' max_running_txn_num_per_db.
const defaultMaxRunningTxnNumPerDB = 1000

// forgetBatch bounds the transactions one ForgetTxnsOp removes, so an
// entry stays small however long the history is.
const forgetBatch = 10000

// Coordinator runs load transactions. Only the leader coordinates loads;
// every step that changes metadata is a journal entry.
type Coordinator struct {
	cfg    Config
	cat    *catalog.Catalog
	log    *slog.Logger
	client *http.Client

	gtidMu        sync.Mutex
	lastGTID      int64 // the largest gtid issued or seen in the catalog
	gtidTerm      int64 // the leadership term the catalog's gtids were read in
	gtidFloorRead bool
	incarnation   uint8 // the middle bits of this coordinator's gtids

	// wake nudges the publisher; visible is closed and replaced whenever a
	// transaction becomes visible.
	wake    chan struct{}
	visMu   sync.Mutex
	visible chan struct{}

	next atomic.Uint64 // Stream Load redirects, round robin

	pubMu      sync.Mutex
	publishing map[int64]bool // transactions being published now

	lastClean time.Time // when Run last removed expired transactions

	// beginMu guards beginning: begins of each database that passed the
	// running-transaction limit and are being journaled, counted with the
	// catalog's running transactions so that concurrent begins cannot
	// together exceed the limit.
	beginMu   sync.Mutex
	beginning map[int64]int
}

// New returns a Coordinator; Run starts its publisher.
func New(cfg Config) *Coordinator {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	var inc [1]byte
	_, _ = rand.Read(inc[:]) // crypto/rand.Read never fails (it aborts the program instead)
	return &Coordinator{cfg: cfg, cat: cfg.Catalog, log: log, client: rpc.WithToken(rpc.NewClient(), cfg.Token),
		wake: make(chan struct{}, 1), visible: make(chan struct{}), publishing: map[int64]bool{}, incarnation: inc[0],
		beginning: map[int64]int{}}
}

// publishTimeout is publish_version_timeout_second.
func (l *Coordinator) publishTimeout() time.Duration {
	if l.cfg.PublishTimeout == nil {
		return 30 * time.Second
	}
	return l.cfg.PublishTimeout()
}

// rpcTimeout is tablet_rpc_timeout_second.
func (l *Coordinator) rpcTimeout() time.Duration {
	if l.cfg.RPCTimeout == nil {
		return 300 * time.Second
	}
	return l.cfg.RPCTimeout()
}

// TakeOver runs when this FE becomes leader: the loads the previous leader
// coordinated can never commit now, so they are aborted, and the publisher
// looks for committed transactions at once.
func (l *Coordinator) TakeOver(ctx context.Context) {
	l.abortOrphans(ctx)
	l.wakePublisher()
}

// GTIDs. Every transaction gets a gtid, and every tablet metadata version
// and txn log records its writer's (lake.TabletMeta.WrittenBy,
// lake.TxnLog.BelongsTo): a compute node accepts a version or applies a log
// only when its gtid is the publishing transaction's. That is what keeps a
// cluster restored from a cluster snapshot clear of what the lost cluster
// wrote after the snapshot: the restored cluster allocates the same txn ids
// and versions again (ids restart from the snapshot's watermark), so only
// the gtid tells a leftover from a new file. A gtid therefore must differ
// from every gtid any incarnation of the cluster gave the same txn id.
//
// Layout (63 bits, StarRocks' GtidGenerator has the same three parts):
//
//	bits 20..62  milliseconds since 2020-01-01 (until the year 2298)
//	bits 12..19  the incarnation: bits 16..19 are the cluster's generation (the
//	             restores from cluster snapshots it went through, modulo 16),
//	             bits 12..15 4 random bits this coordinator drew when it started
//	bits  0..11  a sequence within the millisecond
//
// Rules, in order of what they defend against:
//
//   - The leader issues strictly increasing gtids, never one at or below
//     the largest gtid in its catalog (read once per leadership term), so a
//     new leader or a restored cluster whose clock is behind the previous
//     leader's never repeats a gtid the catalog knows.
//   - The transactions a restored cluster gives reused ids began on the
//     lost cluster after the snapshot and are not in its catalog. A restore
//     comes after the lost cluster stopped, so with a clock that is not
//     behind the lost one's, every new gtid is larger than all of theirs.
//   - Should the restored cluster's clock be behind the lost one's, its
//     gtids still differ from the lost cluster's: a restore raises the
//     generation, which every gtid carries (the lost timeline's gtids have
//     the generation before it).
const (
	gtidMsShift  = 20
	gtidIncShift = 12
	gtidSeqMask  = 1<<gtidIncShift - 1
)

// nextGTID returns the gtid after last at nowMs (milliseconds since
// gtidEpoch) for incarnation inc: the first of nowMs, or of the millisecond
// of last when the clock is behind it, that is above last and carries inc.
func nextGTID(nowMs, last int64, inc uint8) int64 {
	ms := max(nowMs, last>>gtidMsShift)
	g := ms<<gtidMsShift | int64(inc)<<gtidIncShift
	if g > last {
		return g
	}
	if last>>gtidIncShift&0xff == int64(inc) && last&gtidSeqMask < gtidSeqMask {
		return last + 1 // same millisecond and incarnation: next in sequence
	}
	return (ms+1)<<gtidMsShift | int64(inc)<<gtidIncShift
}

// newGTID returns the next gtid of this leader (see "GTIDs" above).
func (l *Coordinator) newGTID() int64 {
	l.gtidMu.Lock()
	defer l.gtidMu.Unlock()
	if term := l.cfg.Leader.Term(); term != l.gtidTerm || !l.gtidFloorRead {
		// A new leadership: another leader (or the lost cluster, for a
		// restored catalog) issued the catalog's gtids.
		for _, t := range l.cat.Txns() {
			l.lastGTID = max(l.lastGTID, t.GTID)
		}
		l.gtidTerm, l.gtidFloorRead = term, true
	}
	gen, _ := l.cat.Generation()
	inc := uint8(gen&0xf)<<4 | l.incarnation&0xf
	l.lastGTID = nextGTID(time.Since(gtidEpoch).Milliseconds(), l.lastGTID, inc)
	return l.lastGTID
}

// Begin journals a new transaction.
func (l *Coordinator) Begin(ctx context.Context, db *catalog.Database, t *catalog.Table, label, kind, user string, timeoutSec int64) (*catalog.Transaction, error) {
	if !l.cfg.Leader.Leading() {
		return nil, sqlerr.Generic("This FE is not the leader; loads are coordinated by the leader FE")
	}
	if l.cfg.Fence != nil {
		if err := l.cfg.Fence(); err != nil {
			return nil, sqlerr.Generic("%s", err.Error())
		}
	}
	if kind != catalog.TxnCompaction {
		release, err := l.admit(db)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	id, err := l.cfg.IDs.Alloc(ctx, 1)
	if err != nil {
		return nil, err
	}
	txn := catalog.Transaction{ID: id, DBID: db.ID, TableID: t.ID, Label: label, Kind: kind, GTID: l.newGTID(),
		User: user, TimeoutSec: timeoutSec, BeginTime: time.Now().UnixMilli()}
	if _, err := l.cfg.Proposer.Propose(ctx, &catalog.BeginTxnOp{Txn: txn}); err != nil {
		return nil, err
	}
	return &txn, nil
}

// admit applies max_running_txn_num_per_db to a begin in db: refused with
// StarRocks' message when the database's running transactions (and the
// begins of it in flight) reach the limit; else counted until release.
func (l *Coordinator) admit(db *catalog.Database) (release func(), err error) {
	limit := int64(defaultMaxRunningTxnNumPerDB)
	if l.cfg.MaxRunningTxnNumPerDB != nil {
		limit = l.cfg.MaxRunningTxnNumPerDB()
	}
	l.beginMu.Lock()
	defer l.beginMu.Unlock()
	running := int64(l.cat.RunningTxns(db.ID, catalog.TxnCompaction) + l.beginning[db.ID])
	if running >= limit {
		return nil, sqlerr.Generic("current running txns on db %d is %d, larger than limit %d", db.ID, running, limit)
	}
	l.beginning[db.ID]++
	return func() {
		l.beginMu.Lock()
		defer l.beginMu.Unlock()
		if l.beginning[db.ID]--; l.beginning[db.ID] <= 0 {
			delete(l.beginning, db.ID)
		}
	}, nil
}

// Abort journals an abort; failures to do so are logged (the txn then
// aborts when its coordinator's leadership ends).
func (l *Coordinator) Abort(txnID int64, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := l.cfg.Proposer.Propose(ctx, &catalog.AbortTxnOp{TxnID: txnID, Reason: reason, AbortTime: time.Now().UnixMilli()}); err != nil {
		l.log.Warn("abort transaction failed", "txn", txnID, "err", err)
	}
}

// Insert loads rows as one transaction: route the rows, write each tablet's rows on
// the compute node serving it, commit, publish, and wait until visible.
func (l *Coordinator) Insert(ctx context.Context, req query.InsertRequest) (*query.InsertResult, error) {
	t := req.Table
	parts := t.Partitions
	if len(req.Partitions) > 0 {
		parts = nil
		for _, name := range req.Partitions {
			parts = append(parts, t.Partition(name))
		}
	}
	label := req.Label
	if label == "" {
		label = query.AutoLabel()
	}
	targets, pcol, dist, err := lakedesc.Targets(l.cat, t, parts)
	if err != nil {
		return nil, err
	}
	schema := lakedesc.Schema(t)
	routes := make([]lake.PartitionRoute, len(targets))
	for i, pt := range targets {
		routes[i] = pt.Route
	}
	router, err := lake.NewRouter(schema, pcol, routes, dist)
	if err != nil {
		return nil, err
	}
	// Route before the transaction starts: a row outside every partition
	// fails the statement without journaling anything.
	type key struct{ p, t int }
	byTablet := map[key][]lake.Row{}
	for _, row := range req.Rows {
		pi, ti, err := router.Route(row)
		if err != nil {
			return nil, sqlerr.Generic("Insert has filtered data in strict mode. Error: The row is out of partition ranges. Please add a new partition. Row: %s (%v)", fmtRow(row), err)
		}
		byTablet[key{pi, ti}] = append(byTablet[key{pi, ti}], row)
	}
	txn, err := l.Begin(ctx, req.DB, t, label, catalog.TxnInsert, req.User, insertTimeoutSec)
	if err != nil {
		if se, ok := sqlerr.As(err); ok && strings.Contains(se.Message, "has already been used") {
			return nil, sqlerr.Analysis(0, 0, 0, "", "fail to begin transaction. "+se.Message)
		}
		return nil, err
	}
	live := l.cfg.Nodes.Live()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	var writes []rpc.TabletWrite
	for k, rows := range byTablet {
		tablet := targets[k.p].Tablets[k.t]
		writes = append(writes, rpc.TabletWrite{PartitionID: targets[k.p].Route.ID, TabletID: tablet.ID, Rows: int64(len(rows))})
		g.Go(func() error { return l.writeTablet(gctx, live, tablet, txn, schema, rows) })
	}
	if err := g.Wait(); err != nil {
		l.Abort(txn.ID, err.Error())
		return nil, err
	}
	status, err := l.CommitAndPublish(ctx, txn.ID, writes, int64(len(req.Rows)), 0, 0)
	if err != nil {
		return nil, err
	}
	return &query.InsertResult{TxnID: txn.ID, Label: label, Status: status, Rows: int64(len(req.Rows))}, nil
}

// fmtRow renders a row for error messages: [v1, v2, ...].
func fmtRow(row lake.Row) string {
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = v.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// writeTablet sends one tablet's rows to the compute node serving it.
func (l *Coordinator) writeTablet(ctx context.Context, live computenodes.Live, tablet rpc.Tablet, txn *catalog.Transaction, schema *lake.Schema, rows []lake.Row) error {
	w, err := live.Place(tablet.ID)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	sw := rpc.NewStreamWriter(&body)
	enc := lake.NewBlockEncoder(schema)
	var buf []byte
	for start := 0; start < len(rows); start += 4096 {
		end := min(start+4096, len(rows))
		if buf, err = enc.Encode(buf[:0], rows[start:end]); err != nil {
			return err
		}
		if err := sw.WriteBlock(buf); err != nil {
			return err
		}
	}
	if err := sw.Finish(); err != nil {
		return err
	}
	req := rpc.WriteRequest{Tablet: tablet, TxnID: txn.ID, GTID: txn.GTID, Schema: schema}
	var resp rpc.WriteResponse
	payload := body.Bytes()
	timeout := l.rpcTimeout()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = l.cfg.Nodes.Call(wctx, w, func() error {
		return rpc.CallWithBody(wctx, l.client, "http://"+w.Addr+rpc.PathWrite, req, bytes.NewReader(payload), &resp)
	})
	if err != nil {
		if wctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return sqlerr.Generic("Failed to write tablet %d on compute node %s: the node did not answer within %s (tablet_rpc_timeout_second); it may be overloaded or frozen, retry once it is declared dead or answers again", tablet.ID, w.Addr, timeout)
		}
		return sqlerr.Generic("Failed to write tablet %d on compute node %s: %v", tablet.ID, w.Addr, err)
	}
	return nil
}

// CommitAndPublish commits a transaction (assigning partition versions),
// wakes the publisher and waits up to 30 s for the transaction to become
// visible. It returns VISIBLE, or COMMITTED when publishing takes longer
// (the data becomes visible later, as in StarRocks).
func (l *Coordinator) CommitAndPublish(ctx context.Context, txnID int64, writes []rpc.TabletWrite, rows, filtered, bytes int64) (string, error) {
	var pids, data []int64
	seen := map[int64]bool{}
	for _, w := range writes {
		if !seen[w.PartitionID] {
			seen[w.PartitionID] = true
			pids = append(pids, w.PartitionID)
		}
		if w.Rows > 0 {
			data = append(data, w.TabletID)
		}
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	slices.Sort(data)
	data = slices.Compact(data)
	op := &catalog.CommitTxnOp{TxnID: txnID, PartitionIDs: pids, Rows: rows, FilteredRows: filtered, Bytes: bytes, CommitTime: time.Now().UnixMilli(),
		DataTablets: data}
	if _, err := l.cfg.Proposer.Propose(ctx, op); err != nil {
		l.Abort(txnID, err.Error())
		return "", err
	}
	l.wakePublisher()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		l.visMu.Lock()
		ch := l.visible
		l.visMu.Unlock()
		if t := l.cat.Txn(txnID); t == nil || t.State == catalog.TxnVisible {
			return string(catalog.TxnVisible), nil
		}
		select {
		case <-ch:
		case <-wctx.Done():
			return string(catalog.TxnCommitted), nil
		}
	}
}

func (l *Coordinator) wakePublisher() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run publishes committed transactions while this FE leads: a
// transaction is ready when every partition it wrote is at the version
// just before the one its commit assigned, so versions publish in order.
func (l *Coordinator) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-t.C:
		}
		if !l.cfg.Leader.Leading() {
			continue
		}
		l.abortTimedOut(ctx)
		l.publishReady(ctx)
		l.cleanLabels(ctx, time.Now())
	}
}

// cleanLabels removes, through the journal, the finished transactions
// older than label_keep_max_second, once every label_clean_interval_second;
// their labels become free. The cut-off travels in the op, so every
// replica removes exactly the same transactions.
func (l *Coordinator) cleanLabels(ctx context.Context, now time.Time) {
	if l.cfg.LabelKeepMax == nil || l.cfg.LabelCleanInterval == nil {
		return
	}
	if !l.lastClean.IsZero() && now.Sub(l.lastClean) < l.cfg.LabelCleanInterval() {
		return
	}
	l.lastClean = now
	cutoff := now.Add(-l.cfg.LabelKeepMax()).UnixMilli()
	removed := 0
	for {
		ids := l.cat.ExpiredTxns(cutoff, forgetBatch)
		if len(ids) == 0 {
			break
		}
		if _, err := l.cfg.Proposer.Propose(ctx, &catalog.ForgetTxnsOp{TxnIDs: ids, ExpireBefore: cutoff}); err != nil {
			l.log.Warn("removing expired transactions failed; will retry", "err", err)
			l.lastClean = time.Time{}
			return
		}
		removed += len(ids)
	}
	if removed > 0 {
		l.log.Info("removed expired transactions", "count", removed, "label_keep_max_second", int64(l.cfg.LabelKeepMax()/time.Second))
	}
}

// publishReady starts publishing every ready transaction that is not
// being published already. Each publish runs on its own, bounded by
// publish_version_timeout_second, so that a frozen compute node holds back
// only the transactions whose tablets it serves (until it is declared dead
// and they move); one that becomes visible wakes the publisher, since the
// next version of its partitions may now be ready.
func (l *Coordinator) publishReady(ctx context.Context) {
	cat := l.cat
	for _, txn := range cat.Txns(catalog.TxnCommitted) {
		t := cat.TableByID(txn.TableID)
		ok := true
		if t != nil {
			for _, tp := range txn.Partitions {
				for _, p := range t.Partitions {
					if p.ID == tp.PartitionID && p.VisibleVersion != tp.Version-1 {
						ok = false
					}
				}
			}
		}
		if !ok {
			continue
		}
		l.pubMu.Lock()
		busy := l.publishing[txn.ID]
		l.publishing[txn.ID] = true
		l.pubMu.Unlock()
		if busy {
			continue
		}
		go func() {
			defer func() {
				l.pubMu.Lock()
				delete(l.publishing, txn.ID)
				l.pubMu.Unlock()
			}()
			pctx, cancel := context.WithTimeout(ctx, l.publishTimeout())
			defer cancel()
			if err := l.publish(pctx, txn); err != nil {
				if pctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
					err = fmt.Errorf("not published within %s (publish_version_timeout_second): %w", l.publishTimeout(), err)
				}
				l.log.Warn("publish failed; will retry", "txn", txn.ID, "label", txn.Label, "err", err)
				return
			}
			l.wakePublisher()
		}()
	}
}

// publish asks the compute nodes to make the transaction's versions of
// every tablet of its partitions, then journals it visible.
func (l *Coordinator) publish(ctx context.Context, txn *catalog.Transaction) error {
	t := l.cat.TableByID(txn.TableID)
	// One entry per partition, appended before its goroutines start and
	// never reallocated (the capacity is fixed), so they may add to it.
	stats := make([]catalog.PartitionStats, 0, len(txn.Partitions))
	if t != nil && len(txn.Partitions) > 0 {
		live := l.cfg.Nodes.Live()
		vid, err := lakedesc.VolumeID(l.cat, t)
		if err != nil {
			return err
		}
		g, gctx := errgroup.WithContext(ctx)
		var statsMu sync.Mutex
		for _, tp := range txn.Partitions {
			var p *catalog.Partition
			for _, x := range t.Partitions {
				if x.ID == tp.PartitionID {
					p = x
				}
			}
			if p == nil {
				continue
			}
			byWorker := map[int64][]rpc.Tablet{}
			workers := map[int64]computenodes.Worker{}
			for _, tb := range p.Tablets {
				w, err := live.Place(tb)
				if err != nil {
					return err
				}
				byWorker[w.ID] = append(byWorker[w.ID], lakedesc.Tablet(t, p, tb, vid))
				workers[w.ID] = w
			}
			stats = append(stats, catalog.PartitionStats{PartitionID: p.ID})
			ps := &stats[len(stats)-1]
			for wid, tablets := range byWorker {
				w := workers[wid]
				req := rpc.PublishRequest{Tablets: tablets, TxnID: txn.ID, GTID: txn.GTID, Version: tp.Version,
					DataTablets: dataTablets(txn, tablets), Term: l.cfg.Leader.Term()}
				g.Go(func() error {
					var resp rpc.PublishResponse
					if err := l.cfg.Nodes.Call(gctx, w, func() error {
						return rpc.Call(gctx, l.client, "http://"+w.Addr+rpc.PathPublish, req, &resp)
					}); err != nil {
						return fmt.Errorf("publish version %d on compute node %s: %w", req.Version, w.Addr, err)
					}
					statsMu.Lock()
					for _, ts := range resp.Tablets {
						ps.Rows += ts.Rows
						ps.DataSize += ts.DataSize
					}
					statsMu.Unlock()
					return nil
				})
			}
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	if _, err := l.cfg.Proposer.Propose(ctx, &catalog.VisibleTxnOp{TxnID: txn.ID, VisibleTime: time.Now().UnixMilli(), Stats: stats}); err != nil {
		return err
	}
	l.visMu.Lock()
	close(l.visible)
	l.visible = make(chan struct{})
	l.visMu.Unlock()
	return nil
}

// dataTablets are those of tablets the transaction's commit recorded as
// having received data.
func dataTablets(txn *catalog.Transaction, tablets []rpc.Tablet) []int64 {
	var out []int64
	for _, t := range tablets {
		if _, ok := slices.BinarySearch(txn.DataTablets, t.ID); ok {
			out = append(out, t.ID)
		}
	}
	return out
}

// abortTimedOut aborts prepared transactions older than their timeout (a
// Stream Load whose compute node died, say), freeing their labels.
func (l *Coordinator) abortTimedOut(ctx context.Context) {
	now := time.Now().UnixMilli()
	for _, txn := range l.cat.Txns(catalog.TxnPrepare) {
		if txn.TimeoutSec > 0 && txn.BeginTime+txn.TimeoutSec*1000 < now {
			reason := fmt.Sprintf("timeout by txn manager: the transaction did not finish within %d seconds", txn.TimeoutSec)
			if _, err := l.cfg.Proposer.Propose(ctx, &catalog.AbortTxnOp{TxnID: txn.ID, Reason: reason, AbortTime: now}); err != nil {
				l.log.Warn("abort timed-out transaction failed", "txn", txn.ID, "err", err)
			}
		}
	}
}

// abortOrphans aborts the transactions left in PREPARE by a previous
// leader: their coordinator is gone, so they can never commit.
func (l *Coordinator) abortOrphans(ctx context.Context) {
	for _, txn := range l.cat.Txns(catalog.TxnPrepare) {
		if _, err := l.cfg.Proposer.Propose(ctx, &catalog.AbortTxnOp{TxnID: txn.ID, Reason: "coordinator FE restarted or lost leadership", AbortTime: time.Now().UnixMilli()}); err != nil {
			l.log.Warn("abort orphan transaction failed", "txn", txn.ID, "err", err)
		}
	}
}
