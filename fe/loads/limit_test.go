package loads

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/types"
)

// counter allocates ids.
type counter struct{ next atomic.Int64 }

func (c *counter) Alloc(_ context.Context, n int) (int64, error) {
	return c.next.Add(int64(n)) - int64(n) + 1, nil
}

// gated applies ops, holding each begin until the gate opens.
type gated struct {
	applier
	entered chan struct{}
	gate    chan struct{}
}

func (g gated) Propose(ctx context.Context, ops ...any) (uint64, error) {
	if _, ok := ops[0].(*catalog.BeginTxnOp); ok {
		g.entered <- struct{}{}
		<-g.gate
	}
	return g.applier.Propose(ctx, ops...)
}

// TestMaxRunningTxnNumPerDB: a database's running transactions (PREPARE or
// COMMITTED) are bounded by max_running_txn_num_per_db with StarRocks'
// message; compaction and other databases are not counted; concurrent
// begins cannot together pass the limit; a refused begin journals nothing.
func TestMaxRunningTxnNumPerDB(t *testing.T) {
	const first = catalog.FirstID
	cat := catalog.New()
	p := applier{cat}
	table := func(id, db int64) *catalog.CreateTableOp {
		return &catalog.CreateTableOp{Table: catalog.Table{ID: id, DBID: db, Name: "t", KeysType: catalog.DupKeys, KeyColumns: []string{"k"},
			Columns:      []catalog.Column{{Name: "k", Type: types.TInt, IsKey: true, Nullable: true}},
			Partitioning: catalog.PartitionInfo{Type: "UNPARTITIONED"}, Distribution: catalog.Distribution{Type: "HASH", Columns: []string{"k"}, Buckets: 1},
			StorageVolume: "builtin_storage_volume",
			Partitions:    []*catalog.Partition{{ID: id + 1, Name: "t", ShardGroupID: id + 3, Tablets: []int64{id + 2}, VisibleVersion: 1, NextVersion: 2}}}}
	}
	_, err := p.Propose(context.Background(),
		&catalog.BootstrapOp{ClusterID: "42", Frontend: catalog.Frontend{Name: "fe1", Host: "127.0.0.1", EditLogPort: 9010, Role: catalog.RoleFollower},
			Volume: &catalog.StorageVolume{ID: "v1", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://b/p"}, Enabled: true}},
		&catalog.SaveNextIDOp{NextID: first + 1000},
		&catalog.CreateDBOp{DB: catalog.Database{ID: first, Name: "d"}},
		&catalog.CreateDBOp{DB: catalog.Database{ID: first + 100, Name: "e"}},
		table(first+10, first), table(first+110, first+100))
	require.NoError(t, err)
	d, e := cat.DB("d"), cat.DB("e")
	td, te := cat.Table("d", "t"), cat.Table("e", "t")
	ids := &counter{}
	ids.next.Store(first + 1000)
	limit := atomic.Int64{}
	limit.Store(2)
	l := New(Config{Catalog: cat, Proposer: p, IDs: ids, Leader: leader{term: 1},
		MaxRunningTxnNumPerDB: func() int64 { return limit.Load() }})
	ctx := context.Background()
	begin := func(db *catalog.Database, tb *catalog.Table, label, kind string) (*catalog.Transaction, error) {
		return l.Begin(ctx, db, tb, label, kind, "'root'@'%'", 60)
	}
	wantRefusal := fmt.Sprintf("current running txns on db %d is 2, larger than limit 2", first)

	t1, err := begin(d, td, "l1", catalog.TxnStreamLoad)
	require.NoError(t, err)
	_, err = begin(d, td, "l2", catalog.TxnInsert)
	require.NoError(t, err)
	journaled := len(cat.Txns())
	for _, kind := range []string{catalog.TxnStreamLoad, catalog.TxnInsert} {
		_, err = begin(d, td, "l3", kind)
		require.EqualError(t, err, wantRefusal)
	}
	require.Len(t, cat.Txns(), journaled, "a refused begin journals nothing")
	require.Nil(t, cat.TxnByLabel(d.ID, "l3"), "the refused label stays free")
	// Compaction is not bounded, and other databases have their own count.
	_, err = begin(d, td, "compaction", catalog.TxnCompaction)
	require.NoError(t, err)
	_, err = begin(e, te, "l1", catalog.TxnStreamLoad)
	require.NoError(t, err)
	// A finished transaction frees its place; the limit is read at every begin.
	l.Abort(t1.ID, "test")
	_, err = begin(d, td, "l3", catalog.TxnStreamLoad)
	require.NoError(t, err)
	_, err = begin(d, td, "l4", catalog.TxnStreamLoad)
	require.EqualError(t, err, wantRefusal)
	limit.Store(3)
	_, err = begin(d, td, "l4", catalog.TxnStreamLoad)
	require.NoError(t, err)

	// Concurrent begins in a fresh database: while two are being journaled,
	// the others are refused.
	g := gated{applier: p, entered: make(chan struct{}, 16), gate: make(chan struct{})}
	lg := New(Config{Catalog: cat, Proposer: g, IDs: ids, Leader: leader{term: 1},
		MaxRunningTxnNumPerDB: func() int64 { return 2 }})
	f := &catalog.Database{ID: first + 200, Name: "f"}
	_, err = p.Propose(ctx, &catalog.CreateDBOp{DB: *f}, table(first+210, first+200))
	require.NoError(t, err)
	f, tf := cat.DB("f"), cat.Table("f", "t")
	var wg sync.WaitGroup
	var ok, refused atomic.Int32
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := lg.Begin(ctx, f, tf, fmt.Sprintf("c%d", i), catalog.TxnStreamLoad, "'root'@'%'", 60); err != nil {
				require.ErrorContains(t, err, "larger than limit 2")
				refused.Add(1)
			} else {
				ok.Add(1)
			}
		}()
	}
	<-g.entered
	<-g.entered
	close(g.gate)
	wg.Wait()
	require.Equal(t, int32(2), ok.Load())
	require.Equal(t, int32(8), refused.Load())
	require.Equal(t, 2, cat.RunningTxns(f.ID))
}
