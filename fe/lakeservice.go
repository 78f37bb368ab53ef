package fe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// errNoComputeNode is returned when data work finds no live compute node.
var errNoComputeNode = sqlerr.Generic("No alive compute node: add one with ALTER SYSTEM ADD COMPUTE NODE and start it")

// insertTimeoutSec is StarRocks' insert_timeout default.
const insertTimeoutSec = 14400

// gtidEpoch is where GTIDs count milliseconds from (2020-01-01, as StarRocks).
var gtidEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// lakeService is the FE's data path: load transactions (begin, write on
// compute nodes, commit, publish, visible), scans, compaction, vacuum and
// the purge of erased partitions. It implements query.Lake. Only the leader
// coordinates loads; every step that changes metadata is a journal entry.
type lakeService struct {
	n      *Node
	cns    *computeNodes
	client *http.Client

	gtidMu   sync.Mutex
	lastGTID int64

	// wake nudges the publisher; visible is closed and replaced whenever a
	// transaction becomes visible.
	wake      chan struct{}
	visMu     sync.Mutex
	visible   chan struct{}
	vacuumMu  sync.Mutex
	vacuumed  map[int64]int64 // partition id -> visible version last vacuumed
	compactMu sync.Mutex      // one compaction at a time
}

func newLakeService(n *Node, cns *computeNodes) *lakeService {
	return &lakeService{n: n, cns: cns, client: rpc.NewClient(), wake: make(chan struct{}, 1),
		visible: make(chan struct{}), vacuumed: map[int64]int64{}}
}

// newGTID returns a cluster-unique, increasing transaction token: the
// milliseconds since 2020 shifted left 20 bits plus a sequence.
func (l *lakeService) newGTID() int64 {
	l.gtidMu.Lock()
	defer l.gtidMu.Unlock()
	g := time.Since(gtidEpoch).Milliseconds() << 20
	if g <= l.lastGTID {
		g = l.lastGTID + 1
	}
	l.lastGTID = g
	return g
}

// Schema is the data layer's view of a table.
func schemaOf(t *catalog.Table) *lake.Schema {
	s := &lake.Schema{KeysType: string(t.KeysType)}
	for _, c := range t.Columns {
		s.Columns = append(s.Columns, lake.Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable, IsKey: c.IsKey, AggType: c.AggType, Default: c.Default})
	}
	return s
}

// partitionDir is a partition's directory under {location}/{service_id}/.
func partitionDir(t *catalog.Table, p *catalog.Partition) string {
	return layout.PartitionDir(t.DBID, t.ID, p.ID)
}

func (l *lakeService) volumeID(t *catalog.Table) (string, error) {
	v := l.n.meta.cat.StorageVolume(t.StorageVolume)
	if v == nil {
		return "", sqlerr.Generic("Storage volume '%s' of table '%s' does not exist", t.StorageVolume, t.Name)
	}
	return v.ID, nil
}

// targets describes a table's partitions for routing and writing.
func (l *lakeService) targets(t *catalog.Table, parts []*catalog.Partition) ([]rpc.PartitionTarget, int, []int, error) {
	vid, err := l.volumeID(t)
	if err != nil {
		return nil, 0, nil, err
	}
	pcol := -1
	var ptype types.Type
	for i, c := range t.Columns {
		if t.Partitioning.Type == "RANGE" && c.Name == t.Partitioning.Column {
			pcol, ptype = i, c.Type
		}
	}
	var dist []int
	if t.Distribution.Type == "HASH" {
		for _, dc := range t.Distribution.Columns {
			for i, c := range t.Columns {
				if c.Name == dc {
					dist = append(dist, i)
				}
			}
		}
	}
	var out []rpc.PartitionTarget
	for _, p := range parts {
		route := lake.PartitionRoute{ID: p.ID, Name: p.Name, Tablets: p.Tablets}
		if p.Range != nil && !p.Range.MaxValue {
			v, err := types.ParseValue(ptype, p.Range.Upper)
			if err != nil {
				return nil, 0, nil, fmt.Errorf("partition %s bound: %w", p.Name, err)
			}
			route.Upper = &v
		}
		pt := rpc.PartitionTarget{Route: route}
		for _, tb := range p.Tablets {
			pt.Tablets = append(pt.Tablets, rpc.Tablet{ID: tb, VolumeID: vid, Dir: partitionDir(t, p)})
		}
		out = append(out, pt)
	}
	return out, pcol, dist, nil
}

// beginTxn journals a new transaction.
func (l *lakeService) beginTxn(ctx context.Context, db *catalog.Database, t *catalog.Table, label, kind, user string, timeoutSec int64) (*catalog.Transaction, error) {
	if !l.n.leading.Load() {
		return nil, sqlerr.Generic("This FE is not the leader; loads are coordinated by the leader FE")
	}
	id, err := l.n.ids.alloc(ctx, 1)
	if err != nil {
		return nil, err
	}
	txn := catalog.Transaction{ID: id, DBID: db.ID, TableID: t.ID, Label: label, Kind: kind, GTID: l.newGTID(),
		User: user, TimeoutSec: timeoutSec, BeginTime: time.Now().UnixMilli()}
	if _, err := l.n.Propose(ctx, &catalog.BeginTxnOp{Txn: txn}); err != nil {
		return nil, err
	}
	return &txn, nil
}

// abortTxn journals an abort; failures to do so are logged (the txn then
// aborts when its coordinator's leadership ends).
func (l *lakeService) abortTxn(txnID int64, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := l.n.Propose(ctx, &catalog.AbortTxnOp{TxnID: txnID, Reason: reason, AbortTime: time.Now().UnixMilli()}); err != nil {
		l.n.log.Warn("abort transaction failed", "txn", txnID, "err", err)
	}
}

// Insert implements query.Lake: route the rows, write each tablet's rows on
// the compute node serving it, commit, publish, and wait until visible.
func (l *lakeService) Insert(ctx context.Context, req query.InsertRequest) (*query.InsertResult, error) {
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
	targets, pcol, dist, err := l.targets(t, parts)
	if err != nil {
		return nil, err
	}
	schema := schemaOf(t)
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
	txn, err := l.beginTxn(ctx, req.DB, t, label, catalog.TxnInsert, req.User, insertTimeoutSec)
	if err != nil {
		if se, ok := sqlerr.As(err); ok && strings.Contains(se.Message, "has already been used") {
			return nil, sqlerr.Analysis(0, 0, 0, "", "fail to begin transaction. "+se.Message)
		}
		return nil, err
	}
	live, ids := l.cns.live()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	var writes []rpc.TabletWrite
	for k, rows := range byTablet {
		tablet := targets[k.p].Tablets[k.t]
		writes = append(writes, rpc.TabletWrite{PartitionID: targets[k.p].Route.ID, TabletID: tablet.ID, Rows: int64(len(rows))})
		g.Go(func() error { return l.writeTablet(gctx, live, ids, tablet, txn, schema, rows) })
	}
	if err := g.Wait(); err != nil {
		l.abortTxn(txn.ID, err.Error())
		return nil, err
	}
	status, err := l.commitAndPublish(ctx, txn.ID, writes, int64(len(req.Rows)), 0, 0)
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
func (l *lakeService) writeTablet(ctx context.Context, live map[int64]worker, ids []int64, tablet rpc.Tablet, txn *catalog.Transaction, schema *lake.Schema, rows []lake.Row) error {
	w, err := l.cns.place(tablet.ID, live, ids)
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
	err = l.cns.call(ctx, w, func() error {
		return rpc.CallWithBody(ctx, l.client, "http://"+w.addr+rpc.PathWrite, req, bytes.NewReader(payload), &resp)
	})
	if err != nil {
		return sqlerr.Generic("Failed to write tablet %d on compute node %s: %v", tablet.ID, w.addr, err)
	}
	return nil
}

// commitAndPublish commits a transaction (assigning partition versions),
// wakes the publisher and waits up to 30 s for the transaction to become
// visible. It returns VISIBLE, or COMMITTED when publishing takes longer
// (the data becomes visible later, as in StarRocks).
func (l *lakeService) commitAndPublish(ctx context.Context, txnID int64, writes []rpc.TabletWrite, rows, filtered, bytes int64) (string, error) {
	var pids []int64
	seen := map[int64]bool{}
	for _, w := range writes {
		if !seen[w.PartitionID] {
			seen[w.PartitionID] = true
			pids = append(pids, w.PartitionID)
		}
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	op := &catalog.CommitTxnOp{TxnID: txnID, PartitionIDs: pids, Rows: rows, FilteredRows: filtered, Bytes: bytes, CommitTime: time.Now().UnixMilli()}
	if _, err := l.n.Propose(ctx, op); err != nil {
		l.abortTxn(txnID, err.Error())
		return "", err
	}
	l.wakePublisher()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		l.visMu.Lock()
		ch := l.visible
		l.visMu.Unlock()
		if t := l.n.meta.cat.Txn(txnID); t == nil || t.State == catalog.TxnVisible {
			return string(catalog.TxnVisible), nil
		}
		select {
		case <-ch:
		case <-wctx.Done():
			return string(catalog.TxnCommitted), nil
		}
	}
}

func (l *lakeService) wakePublisher() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// publishLoop publishes committed transactions while this FE leads: a
// transaction is ready when every partition it wrote is at the version
// just before the one its commit assigned, so versions publish in order.
func (l *lakeService) publishLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-t.C:
		}
		if !l.n.leading.Load() {
			continue
		}
		l.abortTimedOut(ctx)
		for l.publishReady(ctx) > 0 {
		}
	}
}

// publishReady publishes every ready transaction once and returns how many
// became visible.
func (l *lakeService) publishReady(ctx context.Context) int {
	cat := l.n.meta.cat
	var ready []*catalog.Transaction
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
		if ok {
			ready = append(ready, txn)
		}
	}
	done := 0
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, txn := range ready {
		g.Go(func() error {
			if err := l.publish(gctx, txn); err != nil {
				l.n.log.Warn("publish failed; will retry", "txn", txn.ID, "label", txn.Label, "err", err)
				return nil
			}
			mu.Lock()
			done++
			mu.Unlock()
			return nil
		})
	}
	g.Wait()
	return done
}

// publish asks the compute nodes to make the transaction's versions of
// every tablet of its partitions, then journals it visible.
func (l *lakeService) publish(ctx context.Context, txn *catalog.Transaction) error {
	t := l.n.meta.cat.TableByID(txn.TableID)
	// One entry per partition, appended before its goroutines start and
	// never reallocated (the capacity is fixed), so they may add to it.
	stats := make([]catalog.PartitionStats, 0, len(txn.Partitions))
	if t != nil && len(txn.Partitions) > 0 {
		live, ids := l.cns.live()
		vid, err := l.volumeID(t)
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
			for _, tb := range p.Tablets {
				w, err := l.cns.place(tb, live, ids)
				if err != nil {
					return err
				}
				byWorker[w.id] = append(byWorker[w.id], rpc.Tablet{ID: tb, VolumeID: vid, Dir: partitionDir(t, p)})
			}
			stats = append(stats, catalog.PartitionStats{PartitionID: p.ID})
			ps := &stats[len(stats)-1]
			for wid, tablets := range byWorker {
				w := live[wid]
				req := rpc.PublishRequest{Tablets: tablets, TxnID: txn.ID, GTID: txn.GTID, Version: tp.Version}
				g.Go(func() error {
					var resp rpc.PublishResponse
					if err := l.cns.call(gctx, w, func() error {
						return rpc.Call(gctx, l.client, "http://"+w.addr+rpc.PathPublish, req, &resp)
					}); err != nil {
						return fmt.Errorf("publish version %d on compute node %s: %w", req.Version, w.addr, err)
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
	if _, err := l.n.Propose(ctx, &catalog.VisibleTxnOp{TxnID: txn.ID, VisibleTime: time.Now().UnixMilli(), Stats: stats}); err != nil {
		return err
	}
	l.visMu.Lock()
	close(l.visible)
	l.visible = make(chan struct{})
	l.visMu.Unlock()
	return nil
}

// abortTimedOut aborts prepared transactions older than their timeout (a
// Stream Load whose compute node died, say), freeing their labels.
func (l *lakeService) abortTimedOut(ctx context.Context) {
	now := time.Now().UnixMilli()
	for _, txn := range l.n.meta.cat.Txns(catalog.TxnPrepare) {
		if txn.TimeoutSec > 0 && txn.BeginTime+txn.TimeoutSec*1000 < now {
			reason := fmt.Sprintf("timeout by txn manager: the transaction did not finish within %d seconds", txn.TimeoutSec)
			if _, err := l.n.Propose(ctx, &catalog.AbortTxnOp{TxnID: txn.ID, Reason: reason, AbortTime: now}); err != nil {
				l.n.log.Warn("abort timed-out transaction failed", "txn", txn.ID, "err", err)
			}
		}
	}
}

// abortOrphans aborts the transactions left in PREPARE by a previous
// leader: their coordinator is gone, so they can never commit.
func (l *lakeService) abortOrphans(ctx context.Context) {
	for _, txn := range l.n.meta.cat.Txns(catalog.TxnPrepare) {
		if _, err := l.n.Propose(ctx, &catalog.AbortTxnOp{TxnID: txn.ID, Reason: "coordinator FE restarted or lost leadership", AbortTime: time.Now().UnixMilli()}); err != nil {
			l.n.log.Warn("abort orphan transaction failed", "txn", txn.ID, "err", err)
		}
	}
}

// Scan implements query.Lake: each partition at its version, tablets
// grouped by the compute node serving them, one stream per node.
func (l *lakeService) Scan(ctx context.Context, req query.ScanRequest, emit func([][]types.Value) error) error {
	t := req.Table
	vid, err := l.volumeID(t)
	if err != nil {
		return err
	}
	schema := schemaOf(t)
	live, ids := l.cns.live()
	type job struct {
		w   worker
		req rpc.ScanRequest
	}
	var jobs []job
	for _, p := range req.Partitions {
		if p.VisibleVersion <= 1 {
			continue // every tablet is empty at version 1
		}
		byWorker := map[int64][]rpc.Tablet{}
		for _, tb := range p.Tablets {
			w, err := l.cns.place(tb, live, ids)
			if err != nil {
				return err
			}
			byWorker[w.id] = append(byWorker[w.id], rpc.Tablet{ID: tb, VolumeID: vid, Dir: partitionDir(t, p)})
		}
		for wid, tablets := range byWorker {
			jobs = append(jobs, job{w: live[wid], req: rpc.ScanRequest{Tablets: tablets, Version: p.VisibleVersion, Schema: schema,
				Columns: req.Columns, Predicates: req.Predicates, GroupBy: req.GroupBy, Aggregates: req.Aggregates, Limit: req.Limit}})
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	out := rpc.ScanOutputSchema(&jobs[0].req)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, j := range jobs {
		g.Go(func() error {
			var body io.ReadCloser
			err := l.cns.call(gctx, j.w, func() (err error) {
				body, err = rpc.CallStream(gctx, l.client, "http://"+j.w.addr+rpc.PathScan, j.req)
				return err
			})
			if err != nil {
				return scanError(j.w, err)
			}
			defer body.Close()
			sr := rpc.NewStreamReader(body, "compute node "+j.w.addr)
			for {
				b, err := sr.Next()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return scanError(j.w, err)
				}
				rows, err := lake.DecodeBlock(out, b)
				if err != nil {
					return scanError(j.w, err)
				}
				mu.Lock()
				err = emit(rows)
				mu.Unlock()
				if err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// scanError keeps a compute node's own message (it names the object at
// fault) and says which node.
func scanError(w worker, err error) error {
	var re *rpc.Error
	if errors.As(err, &re) {
		return sqlerr.Generic("%s (compute node %s)", re.Message, w.addr)
	}
	return sqlerr.Generic("Failed to scan on compute node %s: %v", w.addr, err)
}

// ComputeNodes implements query.Lake.
func (l *lakeService) ComputeNodes() []query.ComputeNodeStatus {
	st := l.cns.status()
	_, ids := l.cns.live()
	count := map[int64]int{}
	if len(ids) > 0 {
		for _, g := range l.n.meta.sm.ShardGroups() {
			for _, sh := range g.Shards {
				count[placeID(sh, ids)]++
			}
		}
	}
	for i := range st {
		st[i].TabletNum = count[st[i].ID]
	}
	return st
}
