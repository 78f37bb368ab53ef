// Package scan reads tables at their visible versions through the compute
// nodes: each partition at its version, tablets grouped by the node
// serving them, one row stream per node, with filters, partial aggregates
// and limits pushed down. Its seams: the catalog replica and the compute
// nodes.
package scan

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/computenodes"
	"github.com/minirocks/minirocks/fe/lakedesc"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
)

// ComputeNodes is what scans need of the compute nodes (computenodes.Monitor).
type ComputeNodes interface {
	Live() computenodes.Live
	Call(ctx context.Context, w computenodes.Worker, fn func() error) error
}

// Config is what a Scanner needs.
type Config struct {
	Catalog *catalog.Catalog
	Nodes   ComputeNodes
	// Token returns the cluster token the calls to compute nodes carry.
	Token func() string
	// RPCTimeout, when set, is tablet_rpc_timeout_second: the deadline of
	// each scan stream, so a frozen compute node cannot hang a query.
	RPCTimeout func() time.Duration
}

// Scanner runs scans.
type Scanner struct {
	cfg    Config
	cat    *catalog.Catalog
	nodes  ComputeNodes
	client *http.Client
}

// New returns a Scanner over the catalog replica and the compute nodes.
func New(cfg Config) *Scanner {
	return &Scanner{cfg: cfg, cat: cfg.Catalog, nodes: cfg.Nodes, client: rpc.WithToken(rpc.NewClient(), cfg.Token)}
}

// Scan reads req.Partitions of req.Table: each partition at its version, tablets
// grouped by the compute node serving them, one stream per node.
func (l *Scanner) Scan(ctx context.Context, req query.ScanRequest, emit func([][]types.Value) error) error {
	t := req.Table
	vid, err := lakedesc.VolumeID(l.cat, t)
	if err != nil {
		return err
	}
	schema := lakedesc.Schema(t)
	live := l.nodes.Live()
	type job struct {
		w   computenodes.Worker
		req rpc.ScanRequest
	}
	var jobs []job
	for _, p := range req.Partitions {
		if p.VisibleVersion <= 1 {
			continue // every tablet is empty at version 1
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
		for wid, tablets := range byWorker {
			jobs = append(jobs, job{w: workers[wid], req: rpc.ScanRequest{Tablets: tablets, Version: p.VisibleVersion, Schema: schema,
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
			gctx := gctx
			if l.cfg.RPCTimeout != nil {
				var cancel context.CancelFunc
				gctx, cancel = context.WithTimeout(gctx, l.cfg.RPCTimeout())
				defer cancel()
			}
			err := l.nodes.Call(gctx, j.w, func() (err error) {
				body, err = rpc.CallStream(gctx, l.client, "http://"+j.w.Addr+rpc.PathScan, j.req)
				return err
			})
			if err != nil {
				return scanError(j.w, err)
			}
			defer body.Close()
			sr := rpc.NewStreamReader(body, "compute node "+j.w.Addr)
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
func scanError(w computenodes.Worker, err error) error {
	var re *rpc.Error
	if errors.As(err, &re) {
		return sqlerr.Generic("%s (compute node %s)", re.Message, w.Addr)
	}
	return sqlerr.Generic("Failed to scan on compute node %s: %v", w.Addr, err)
}
