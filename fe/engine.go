package fe

import (
	"context"

	"github.com/minirocks/minirocks/fe/computenodes"
	"github.com/minirocks/minirocks/fe/lakegc"
	"github.com/minirocks/minirocks/fe/loads"
	"github.com/minirocks/minirocks/fe/meta"
	"github.com/minirocks/minirocks/fe/mysqlserver"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/scan"
	"github.com/minirocks/minirocks/types"
)

// The adapters the SQL engine and the MySQL front use: each role the engine
// consumes (query.Writer, query.Membership, query.Lake) is served by the
// package that owns the job.

// mysqlEngine adapts the query engine to the MySQL front.
type mysqlEngine struct{ *query.Engine }

func (e mysqlEngine) Open(c mysqlserver.ConnInfo) mysqlserver.Session { return e.NewSession(c) }

// engineWriter is query.Writer: ops through the journal, ids from the
// leader's allocator.
type engineWriter struct {
	meta.Writer
	ids *meta.IDAllocator
}

func (w engineWriter) AllocIDs(ctx context.Context, n int) (int64, error) { return w.ids.Alloc(ctx, n) }

// engineLake is query.Lake: loads, scans, compaction and the compute
// nodes' status, each from its own package.
type engineLake struct {
	loads *loads.Coordinator
	scan  *scan.Scanner
	gc    *lakegc.Collector
	cns   *computenodes.Monitor
}

func (l engineLake) Insert(ctx context.Context, req query.InsertRequest) (*query.InsertResult, error) {
	return l.loads.Insert(ctx, req)
}

func (l engineLake) Scan(ctx context.Context, req query.ScanRequest, emit func([][]types.Value) error) error {
	return l.scan.Scan(ctx, req, emit)
}

func (l engineLake) RequestCompaction(tableID int64, partitionIDs []int64) {
	l.gc.RequestCompaction(tableID, partitionIDs)
}

func (l engineLake) ComputeNodes() []query.ComputeNodeStatus { return l.cns.Status() }

func (l engineLake) ComputeNodeAdded() { l.cns.HeartbeatNew() }
