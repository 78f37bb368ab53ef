package cn

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/harness/harnesstest"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume"
	"github.com/minirocks/minirocks/volume/layout"
)

// These tests run the real tablet code against a real MinIO: a compute
// node that has had its heartbeat (service id, one storage volume), writes
// of a load into tablets, and publishes.

const testVolume = "vol1"

func testNode(t *testing.T) *Node {
	t.Helper()
	m := harnesstest.StartMinIO(t)
	bucket := harnesstest.NewBucket(t, m)
	n := &Node{cfg: conf.New(ConfigSpecs()), log: slog.New(slog.DiscardHandler), cache: &cache{dir: t.TempDir()}, serviceID: "svc", clusterID: "c1",
		volumes: map[string]rpc.Volume{testVolume: {ID: testVolume, Name: "v", Location: m.Location(bucket, "/lake"), Properties: m.VolumeProps()}},
		stores:  map[string]*volume.Store{}}
	t.Cleanup(func() {
		for _, s := range n.stores {
			s.Close()
		}
	})
	return n
}

var testSchema = &lake.Schema{KeysType: lake.KeysDuplicate, Columns: []lake.Column{
	{Name: "k", Type: types.TBigInt, IsKey: true},
	{Name: "v", Type: types.TBigInt},
}}

func testTablet(id int64) rpc.Tablet {
	return rpc.Tablet{ID: id, VolumeID: testVolume, Dir: layout.PartitionDir(1, 2, 3)}
}

// load writes rows into a tablet as transaction txnID (segments and a txn log).
func load(t *testing.T, n *Node, tb rpc.Tablet, txnID, gtid int64, rows int) {
	t.Helper()
	ctx := context.Background()
	st, svc, err := n.store(ctx, tb.VolumeID)
	require.NoError(t, err)
	w := n.newTabletWriter(st, svc, tb, txnID, gtid, testSchema, newUploader(ctx, 2*segmentTarget))
	var rs []lake.Row
	for i := range rows {
		rs = append(rs, lake.Row{types.IntValue(types.BigInt, int64(i)), types.IntValue(types.BigInt, txnID)})
	}
	_, err = w.add(rs)
	require.NoError(t, err)
	log, err := w.finish(ctx, "write", nil)
	require.NoError(t, err)
	require.NotNil(t, log)
}

func metaAt(t *testing.T, n *Node, tb rpc.Tablet, version int64) *lake.TabletMeta {
	t.Helper()
	ctx := context.Background()
	st, svc, err := n.store(ctx, tb.VolumeID)
	require.NoError(t, err)
	m, err := n.readMeta(ctx, st, svc, tb, version)
	require.NoError(t, err)
	return m
}

func rowsAt(t *testing.T, n *Node, tb rpc.Tablet, version int64) int64 {
	rows, _ := metaAt(t, n, tb, version).Stats()
	return rows
}

// TestPublishRacingPublishers forces the interleaving of issue 8: publisher
// B finds no version V, then publisher A publishes V and deletes the txn
// log, then B looks for the log. B must answer with A's version, never
// overwrite V with an empty copy of V-1.
func TestPublishRacingPublishers(t *testing.T) {
	n := testNode(t)
	ctx := context.Background()
	tb := testTablet(10)
	load(t, n, tb, 100, 1000, 5)
	req := &rpc.PublishRequest{Tablets: []rpc.Tablet{tb}, TxnID: 100, GTID: 1000, Version: 2, DataTablets: []int64{tb.ID}}

	var first atomic.Bool
	inB := make(chan struct{})
	aDone := make(chan struct{})
	testHookPublishChecked = func(int64) {
		if first.CompareAndSwap(false, true) { // only B stops here
			close(inB)
			<-aDone
		}
	}
	t.Cleanup(func() { testHookPublishChecked = nil })

	bResp := make(chan error, 1)
	go func() {
		resp, err := n.publish(ctx, req)
		if err == nil && resp.Tablets[0].Rows != 5 {
			err = errorf("publisher B answered %d rows, want 5", resp.Tablets[0].Rows)
		}
		bResp <- err
	}()
	<-inB
	// A publishes the whole way (the hook runs once) and deletes the log.
	resp, err := n.publish(ctx, req)
	require.NoError(t, err)
	require.Equal(t, int64(5), resp.Tablets[0].Rows)
	close(aDone)
	require.NoError(t, <-bResp)
	require.Equal(t, int64(5), rowsAt(t, n, tb, 2), "version 2 must keep the load's rows")
	// Publishing again (a retry, a third publisher) changes nothing.
	_, err = n.publish(ctx, req)
	require.NoError(t, err)
	require.Equal(t, int64(5), rowsAt(t, n, tb, 2))
}

// TestPublishMissingTxnLog: a committed load whose txn log was deleted
// before publish. Publish fails naming the tablet; no version is made; a
// tablet of the same publish that received no data still moves on.
func TestPublishMissingTxnLog(t *testing.T) {
	n := testNode(t)
	ctx := context.Background()
	tb, empty := testTablet(20), testTablet(21)
	load(t, n, tb, 200, 2000, 3)
	st, svc, err := n.store(ctx, testVolume)
	require.NoError(t, err)
	require.NoError(t, st.Delete(ctx, objKey(svc, tb, layout.TxnLogKey(tb.ID, 200))))

	req := &rpc.PublishRequest{Tablets: []rpc.Tablet{tb, empty}, TxnID: 200, GTID: 2000, Version: 2, DataTablets: []int64{tb.ID}}
	_, err = n.publish(ctx, req)
	require.Error(t, err)
	require.True(t, isCode(err, rpc.CodeMissingTxnLog), "%v", err)
	require.ErrorContains(t, err, "tablet 20")
	require.ErrorContains(t, err, "refusing to publish an empty version")
	_, err = st.Get(ctx, objKey(svc, tb, layout.MetaKey(tb.ID, 2)))
	require.ErrorIs(t, err, volume.ErrNotFound, "no version 2 may exist for the tablet that lost its log")

	// Without the commit's record (an older commit), the tablet that got
	// no data moves to version 2 unchanged, as before.
	_, err = n.publish(ctx, &rpc.PublishRequest{Tablets: []rpc.Tablet{empty}, TxnID: 200, GTID: 2000, Version: 2})
	require.NoError(t, err)
	require.Equal(t, int64(0), rowsAt(t, n, empty, 2))
}

// TestPublishStaleTerm: once a node has seen term 5 (a heartbeat of the new
// leader), a publish, vacuum or drop carrying term 4 (the deposed leader's)
// is refused, and nothing is written.
func TestPublishStaleTerm(t *testing.T) {
	n := testNode(t)
	ctx := context.Background()
	tb := testTablet(30)
	load(t, n, tb, 300, 3000, 2)
	_, err := n.heartbeat(ctx, &rpc.HeartbeatRequest{ClusterID: "c1", ServiceID: "svc", Term: 5,
		Volumes: []rpc.Volume{n.volumes[testVolume]}})
	require.NoError(t, err)

	req := &rpc.PublishRequest{Tablets: []rpc.Tablet{tb}, TxnID: 300, GTID: 3000, Version: 2, DataTablets: []int64{tb.ID}, Term: 4}
	_, err = n.publish(ctx, req)
	require.True(t, isCode(err, rpc.CodeStaleTerm), "%v", err)
	require.ErrorContains(t, err, "term 4")
	st, svc, err := n.store(ctx, testVolume)
	require.NoError(t, err)
	_, err = st.Get(ctx, objKey(svc, tb, layout.MetaKey(tb.ID, 2)))
	require.ErrorIs(t, err, volume.ErrNotFound)
	_, err = n.vacuum(ctx, &rpc.VacuumRequest{VolumeID: testVolume, Dir: tb.Dir, Term: 4})
	require.True(t, isCode(err, rpc.CodeStaleTerm), "%v", err)
	_, err = n.drop(ctx, &rpc.DropRequest{VolumeID: testVolume, Dir: tb.Dir, Term: 4})
	require.True(t, isCode(err, rpc.CodeStaleTerm), "%v", err)
	_, err = n.heartbeat(ctx, &rpc.HeartbeatRequest{ClusterID: "c1", ServiceID: "svc", Term: 4, LeaderRPC: "deposed:9020"})
	require.True(t, isCode(err, rpc.CodeStaleTerm), "%v", err)
	require.Empty(t, n.leaderRPC, "a deposed leader's heartbeat must not re-point the node")

	// A lower term is believed again only from a heartbeat, and only once
	// no request has carried the higher one for termLease (a cluster
	// restored with a new journal, whose terms start again).
	n.terms.mu.Lock()
	n.terms.seen = time.Now().Add(-2 * termLease)
	n.terms.mu.Unlock()
	_, err = n.publish(ctx, req)
	require.True(t, isCode(err, rpc.CodeStaleTerm), "%v", err)
	_, err = n.heartbeat(ctx, &rpc.HeartbeatRequest{ClusterID: "c1", ServiceID: "svc", Term: 2, LeaderRPC: "restored:9020",
		Volumes: []rpc.Volume{n.volumes[testVolume]}})
	require.NoError(t, err)
	require.Equal(t, "restored:9020", n.leaderRPC)
	_, err = n.heartbeat(ctx, &rpc.HeartbeatRequest{ClusterID: "c1", ServiceID: "svc", Term: 5,
		Volumes: []rpc.Volume{n.volumes[testVolume]}})
	require.NoError(t, err)

	// The current leader's publish (term 5, or a later one) goes through.
	req.Term = 5
	_, err = n.publish(ctx, req)
	require.NoError(t, err)
	require.Equal(t, int64(2), rowsAt(t, n, tb, 2))
}

func isCode(err error, code string) bool {
	e, ok := err.(*rpc.Error)
	return ok && e.Code == code
}

func errorf(format string, args ...any) error { return rpc.Errorf("test", format, args...) }
