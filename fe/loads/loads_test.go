package loads

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/computenodes"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/starmgr"
	"github.com/minirocks/minirocks/types"
)

// applier journals ops by applying them to the catalog at once.
type applier struct{ cat *catalog.Catalog }

func (a applier) Propose(_ context.Context, ops ...any) (uint64, error) {
	for _, op := range ops {
		if err := a.cat.Apply(op.(catalog.Op)); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

type leader struct{ term int64 }

func (l leader) Leading() bool { return true }
func (l leader) Term() int64   { return l.term }

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPublishMissingTxnLogStaysCommitted: a compute node refuses to publish
// a tablet whose txn log is lost. The commit recorded which tablets got
// data and the publish request carries them with the leader's term; the
// transaction stays COMMITTED (never VISIBLE with an empty version), and
// the FE logs the error naming the tablet and retries.
func TestPublishMissingTxnLogStaysCommitted(t *testing.T) {
	const first = catalog.FirstID
	dataTablet, emptyTablet := int64(first+13), int64(first+14)
	var mu sync.Mutex
	var reqs []rpc.PublishRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rpc.Handle(func(_ context.Context, req *rpc.PublishRequest) (*rpc.PublishResponse, error) {
			mu.Lock()
			reqs = append(reqs, *req)
			mu.Unlock()
			return nil, rpc.Errorf(rpc.CodeMissingTxnLog, "tablet %d: cannot publish version %d of transaction %d: the tablet received data but its txn log is missing", dataTablet, req.Version, req.TxnID)
		})(w, r)
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	brpc, _ := strconv.Atoi(port)

	cat := catalog.New()
	p := applier{cat}
	_, err := p.Propose(context.Background(),
		&catalog.BootstrapOp{ClusterID: "42", Frontend: catalog.Frontend{Name: "fe1", Host: "127.0.0.1", EditLogPort: 9010, Role: catalog.RoleFollower},
			Volume: &catalog.StorageVolume{ID: "v1", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://b/p"}, Enabled: true}},
		&catalog.SaveNextIDOp{NextID: first + 1000},
		&catalog.CreateDBOp{DB: catalog.Database{ID: first, Name: "d"}},
		&catalog.CreateTableOp{Table: catalog.Table{ID: first + 10, DBID: first, Name: "t", KeysType: catalog.DupKeys, KeyColumns: []string{"k"},
			Columns:       []catalog.Column{{Name: "k", Type: types.TInt, IsKey: true, Nullable: true}},
			Partitioning:  catalog.PartitionInfo{Type: "UNPARTITIONED"},
			Distribution:  catalog.Distribution{Type: "HASH", Columns: []string{"k"}, Buckets: 2},
			StorageVolume: "builtin_storage_volume",
			Partitions:    []*catalog.Partition{{ID: first + 11, Name: "t", ShardGroupID: first + 12, Tablets: []int64{dataTablet, emptyTablet}, VisibleVersion: 1, NextVersion: 2}}}},
		&catalog.AddComputeNodeOp{Node: catalog.ComputeNode{ID: first + 20, Host: host, HeartbeatPort: 1}},
		&catalog.ComputeNodeStateOp{ID: first + 20, State: catalog.ComputeNodeState{Alive: true, BrpcPort: brpc}},
		&catalog.BeginTxnOp{Txn: catalog.Transaction{ID: first + 30, DBID: first, TableID: first + 10, Label: "l1", Kind: catalog.TxnInsert, GTID: 777}},
	)
	require.NoError(t, err)

	var logs syncBuffer
	lead := leader{term: 7}
	nodes := computenodes.New(computenodes.Config{Catalog: cat, StarMgr: starmgr.New(), Proposer: p, Leader: lead, Interval: func() time.Duration { return time.Hour }})
	l := New(Config{Catalog: cat, Proposer: p, Leader: lead, Nodes: nodes, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		PublishTimeout: func() time.Duration { return 2 * time.Second }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)

	cctx, ccancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer ccancel()
	status, err := l.CommitAndPublish(cctx, first+30, []rpc.TabletWrite{{PartitionID: first + 11, TabletID: dataTablet, Rows: 3}}, 3, 0, 0)
	require.NoError(t, err)
	require.Equal(t, string(catalog.TxnCommitted), status, "never visible without the tablet's data")
	require.Equal(t, []int64{dataTablet}, cat.Txn(first+30).DataTablets, "the commit records the tablets that received data")

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(reqs) >= 2
	}, 10*time.Second, 50*time.Millisecond, "the FE retries the publish")
	mu.Lock()
	got := reqs[0]
	mu.Unlock()
	require.Equal(t, []int64{dataTablet}, got.DataTablets)
	require.Equal(t, int64(7), got.Term)
	require.Equal(t, int64(2), got.Version)
	require.Equal(t, catalog.TxnCommitted, cat.Txn(first+30).State)
	require.Equal(t, int64(1), cat.TableByID(first + 10).Partitions[0].VisibleVersion)
	require.Contains(t, logs.String(), "publish failed; will retry")
	require.Contains(t, logs.String(), "tablet "+strconv.FormatInt(dataTablet, 10))
}
