package computenodes

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/internal/poll"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/starmgr"
)

// applyProposer journals by applying to the catalog at once.
type applyProposer struct {
	mu  sync.Mutex
	cat *catalog.Catalog
}

func (p *applyProposer) Propose(_ context.Context, ops ...any) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, op := range ops {
		if err := p.cat.Apply(op.(catalog.Op)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

type alwaysLeader struct{}

func (alwaysLeader) Leading() bool { return true }
func (alwaysLeader) Term() int64   { return 1 }

// fakeCN answers heartbeats and counts them once started.
func fakeCN(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == rpc.PathHeartbeat {
			n.Add(1)
		}
		json.NewEncoder(w).Encode(rpc.HeartbeatResponse{BrpcPort: 8060, HTTPPort: 8040})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestHeartbeatNew: with an interval far longer than the test, a node
// registered after Run's round is heartbeated, and turns alive, at once
// on HeartbeatNew, while the node already counted is not heartbeated
// again before its round.
func TestHeartbeatNew(t *testing.T) {
	cat := catalog.New()
	p := &applyProposer{cat: cat}
	add := func(id int64, srv *httptest.Server) {
		host, port, err := net.SplitHostPort(srv.Listener.Addr().String())
		require.NoError(t, err)
		pn, _ := strconv.Atoi(port)
		_, err = p.Propose(context.Background(), &catalog.AddComputeNodeOp{Node: catalog.ComputeNode{ID: id, Host: host, HeartbeatPort: pn}})
		require.NoError(t, err)
	}
	alive := func(id int64) error {
		if cn := cat.ComputeNode(id); cn == nil || cn.State == nil || !cn.State.Alive {
			return fmt.Errorf("compute node %d is not alive", id)
		}
		return nil
	}
	first, firstBeats := fakeCN(t)
	second, secondBeats := fakeCN(t)
	first.Start()
	second.Start()
	add(1, first)
	m := New(Config{Catalog: cat, StarMgr: starmgr.New(), Proposer: p, Leader: alwaysLeader{},
		Interval: func() time.Duration { return time.Hour }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	poll.For(t, 10*time.Second, func() error { return alive(1) })
	add(2, second)
	m.HeartbeatNew()
	poll.For(t, 10*time.Second, func() error { return alive(2) })
	require.Equal(t, int64(1), secondBeats.Load())
	require.Equal(t, int64(1), firstBeats.Load(), "a node already counted waits for its round")
}

// TestHeartbeatPending: between rounds only nodes that are not alive in the
// journal and never answered this leader are retried, and only within the
// window after their first heartbeat; a node alive in the journal is left
// to the rounds.
func TestHeartbeatPending(t *testing.T) {
	cat := catalog.New()
	p := &applyProposer{cat: cat}
	m := New(Config{Catalog: cat, StarMgr: starmgr.New(), Proposer: p, Leader: alwaysLeader{},
		Interval: func() time.Duration { return time.Hour }})
	ctx := context.Background()
	up, upBeats := fakeCN(t)
	up.Start()
	late, lateBeats := fakeCN(t)
	// The late node is not up yet: its address refuses connections.
	lateAddr := late.Listener.Addr().String()
	late.Listener.Close()
	for id, addr := range map[int64]string{1: up.Listener.Addr().String(), 2: lateAddr} {
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		pn, _ := strconv.Atoi(port)
		_, err = p.Propose(ctx, &catalog.AddComputeNodeOp{Node: catalog.ComputeNode{ID: id, Host: host, HeartbeatPort: pn}})
		require.NoError(t, err)
	}
	state := func(id int64) *catalog.ComputeNodeState { return cat.ComputeNode(id).State }
	m.heartbeatAll(ctx)
	poll.For(t, 10*time.Second, func() error {
		if s := state(1); s == nil || !s.Alive {
			return fmt.Errorf("node 1 is not alive")
		}
		if s := state(2); s == nil || s.ErrMsg == "" {
			return fmt.Errorf("node 2 has no failed heartbeat journaled")
		}
		return nil
	})

	// The late node starts.
	ln, err := net.Listen("tcp", lateAddr)
	require.NoError(t, err)
	late.Listener = ln
	late.Start()
	// Past the window it is left to the rounds: nothing is started.
	m.heartbeatPending(ctx, 0)
	// Within it, it is heartbeated and turns alive.
	m.heartbeatPending(ctx, time.Hour)
	poll.For(t, 10*time.Second, func() error {
		if !state(2).Alive {
			return fmt.Errorf("node 2 is not alive")
		}
		return nil
	})
	require.Equal(t, int64(1), lateBeats.Load(), "node 2: one heartbeat, within the window")
	require.Equal(t, int64(1), upBeats.Load(), "node 1, alive in the journal, only by the round")
}
