// Package computenodes is the FE's view of its compute nodes: the leader
// heartbeats every registered node and journals its state when it changes
// (catalog.ComputeNodeStateOp), every FE reads liveness from that journaled
// state, and tablets are placed on the live nodes by StarManager's rule.
// Its seams: a Proposer to journal state changes, a Leadership signal
// (only the leader heartbeats), and the catalog and StarManager replicas
// it reads.
package computenodes

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/starmgr"
)

// HeartbeatRetryTimes is StarRocks' heartbeat_retry_times: a node is dead
// after this many failed heartbeats plus one. FE heartbeats count the same.
const HeartbeatRetryTimes = 3

// ErrNoComputeNode is returned when data work finds no live compute node.
var ErrNoComputeNode = sqlerr.Generic("No alive compute node: add one with ALTER SYSTEM ADD COMPUTE NODE and start it")

// Proposer journals ops as one entry (meta.Writer).
type Proposer interface {
	Propose(ctx context.Context, ops ...any) (uint64, error)
}

// Leadership tells whether this FE leads and has finished taking over.
type Leadership interface {
	Leading() bool
	// Term is the raft term of this FE's leadership, sent with heartbeats
	// so that compute nodes refuse a deposed leader's requests.
	Term() int64
}

// Config is what a Monitor needs.
type Config struct {
	Catalog  *catalog.Catalog
	StarMgr  *starmgr.StarMgr
	Proposer Proposer
	Leader   Leadership
	// Interval is heartbeat_timeout_second, read at every round (it is
	// mutable): the time between heartbeats.
	Interval func() time.Duration
	// LeaderRPC is this FE's host:rpc_port, sent in heartbeats so compute
	// nodes know where to begin and commit Stream Loads.
	LeaderRPC string
	Logger    *slog.Logger
	// Token returns the cluster token the calls to compute nodes carry.
	Token func() string
}

// cnBeat is what the leader counts of a compute node's heartbeats. It is
// runtime state, not journaled: a new leader learns it afresh, starting
// from the journaled ComputeNodeState.
type cnBeat struct {
	lastHeartbeat time.Time // last successful heartbeat
	failures      int       // consecutive failed heartbeats
	firstTried    time.Time // this leader's first heartbeat of the node
}

// Monitor heartbeats the registered compute nodes from the leader and
// journals their state when it changes; it also answers which nodes are
// live and which serves a tablet.
type Monitor struct {
	cfg      Config
	log      *slog.Logger
	client   *http.Client
	mu       sync.Mutex
	beats    map[int64]*cnBeat
	inflight map[int64]bool // nodes being heartbeated now
	kick     chan struct{}  // HeartbeatNew's request to Run (1-buffered)
}

// New returns a Monitor; Run starts its heartbeats.
func New(cfg Config) *Monitor {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Monitor{cfg: cfg, log: log, client: rpc.WithToken(rpc.NewClient(), cfg.Token), beats: map[int64]*cnBeat{}, inflight: map[int64]bool{}, kick: make(chan struct{}, 1)}
}

// HeartbeatNew is a request to heartbeat now, rather than at the next
// round (up to heartbeat_timeout_second away), the nodes that are not
// alive and that this leader has not heard from yet: a node just
// registered, or every node of a cluster just restored, when this FE has
// just taken over. It does not block; on a non-leader it does nothing.
// See Run for how such nodes are retried.
func (m *Monitor) HeartbeatNew() {
	select {
	case m.kick <- struct{}{}:
	default: // a request is pending already
	}
}

// Run heartbeats every node while this node leads, every
// heartbeat_timeout_second (StarRocks heartbeats at that interval), until
// ctx ends. Between rounds, on HeartbeatNew and every tenth of the
// interval, it also heartbeats the pending nodes (heartbeatPending): not
// alive in the journal, never answered this leader, first tried less than
// an interval ago. A node registered before it was started, or a restored
// cluster's node started after its leader, then turns alive within a
// tenth of the interval of answering instead of at the next round. Nodes
// alive in the journal are heartbeated only by the rounds, so how many
// failed heartbeats make a node dead, and how soon, is unchanged; a node
// that never answers costs at most ten extra heartbeats per leadership.
func (m *Monitor) Run(ctx context.Context) {
	for {
		if m.cfg.Leader.Leading() {
			m.heartbeatAll(ctx)
		} else {
			m.forget()
		}
		interval := m.cfg.Interval()
		round := time.NewTimer(interval)
		retry := time.NewTicker(max(interval/10, 10*time.Millisecond))
	wait:
		for {
			select {
			case <-ctx.Done():
				round.Stop()
				retry.Stop()
				return
			case <-m.kick:
			case <-retry.C:
			case <-round.C:
				retry.Stop()
				break wait
			}
			if m.cfg.Leader.Leading() {
				m.heartbeatPending(ctx, interval)
			}
		}
	}
}

// heartbeatPending starts a heartbeat of every pending node (see Run),
// each on its own as heartbeatAll does; a node already being heartbeated
// is left to that heartbeat.
func (m *Monitor) heartbeatPending(ctx context.Context, window time.Duration) {
	for _, cn := range m.cfg.Catalog.ComputeNodes() {
		if cn.State != nil && cn.State.Alive {
			continue
		}
		m.mu.Lock()
		b := m.beats[cn.ID]
		pending := b == nil || (b.lastHeartbeat.IsZero() && time.Since(b.firstTried) < window)
		m.mu.Unlock()
		if pending {
			go m.heartbeat(ctx, cn)
		}
	}
}

// forget drops the heartbeat counts when this node is not the leader.
func (m *Monitor) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.beats)
}

// heartbeatRequest builds the heartbeat: cluster identity, the leader's RPC
// address and every storage volume with its credentials.
func (m *Monitor) heartbeatRequest(id int64) rpc.HeartbeatRequest {
	req := rpc.HeartbeatRequest{
		ClusterID:     m.cfg.Catalog.ClusterID(),
		ServiceID:     m.cfg.StarMgr.ServiceID(),
		ComputeNodeID: id,
		LeaderRPC:     m.cfg.LeaderRPC,
		Term:          m.cfg.Leader.Term(),
	}
	for _, v := range m.cfg.Catalog.StorageVolumes() {
		req.Volumes = append(req.Volumes, rpc.Volume{ID: v.ID, Name: v.Name, Location: v.Locations[0], Properties: v.Properties})
	}
	return req
}

// heartbeatAll starts a heartbeat of every node, each on its own: the
// round does not wait for them, so a node that does not answer (frozen, a
// half-open connection) delays neither the others' heartbeats nor the next
// round; its own heartbeat ends at its deadline, and a node still being
// heartbeated is skipped.
func (m *Monitor) heartbeatAll(ctx context.Context) {
	nodes := m.cfg.Catalog.ComputeNodes()
	for _, cn := range nodes {
		go m.heartbeat(ctx, cn)
	}
	// Forget nodes that were dropped.
	m.mu.Lock()
	for id := range m.beats {
		if !slices.ContainsFunc(nodes, func(cn *catalog.ComputeNode) bool { return cn.ID == id }) {
			delete(m.beats, id)
		}
	}
	m.mu.Unlock()
}

// heartbeat heartbeats one node, counts the outcome and journals the
// node's state when it changed. A node already being heartbeated is left
// to that heartbeat.
func (m *Monitor) heartbeat(ctx context.Context, cn *catalog.ComputeNode) {
	m.mu.Lock()
	if m.inflight[cn.ID] {
		m.mu.Unlock()
		return
	}
	m.inflight[cn.ID] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.inflight, cn.ID)
		m.mu.Unlock()
	}()
	timeout := min(m.cfg.Interval(), 3*time.Second)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var resp rpc.HeartbeatResponse
	err := rpc.Call(hctx, m.client, "http://"+cn.Addr()+rpc.PathHeartbeat, m.heartbeatRequest(cn.ID), &resp)
	next := m.record(cn, resp, err)
	if next == nil || next.SameAs(cn.State) {
		return
	}
	pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
	defer pcancel()
	if _, err := m.cfg.Proposer.Propose(pctx, &catalog.ComputeNodeStateOp{ID: cn.ID, State: *next}); err != nil {
		m.log.Warn("journal compute node state failed", "id", cn.ID, "err", err)
		return
	}
	if next.Alive != (cn.State != nil && cn.State.Alive) {
		if next.Alive {
			m.log.Info("compute node is alive", "id", cn.ID, "addr", cn.Addr())
		} else {
			m.log.Warn("compute node is dead", "id", cn.ID, "addr", cn.Addr(), "err", next.ErrMsg)
		}
	}
}

// heartbeatOne heartbeats one node now (a node that just restarted and
// does not know the cluster yet). Only the leader heartbeats.
func (m *Monitor) heartbeatOne(ctx context.Context, id int64) {
	if !m.cfg.Leader.Leading() {
		return
	}
	if cn := m.cfg.Catalog.ComputeNode(id); cn != nil {
		m.heartbeat(ctx, cn)
	}
}

// Call runs an RPC to a worker; when the worker has just restarted and has
// not had a heartbeat yet, the leader heartbeats it and tries once more
// (elsewhere the caller's retry, or the next heartbeat, covers it).
func (m *Monitor) Call(ctx context.Context, w Worker, fn func() error) error {
	err := fn()
	if rpc.IsNotReady(err) && m.cfg.Leader.Leading() {
		m.heartbeatOne(ctx, w.ID)
		err = fn()
	}
	return err
}

// record counts a heartbeat's outcome and returns the node's state as it
// should now be journaled (nil: keep the journaled one). As in StarRocks,
// a node is alive from its first successful heartbeat and dead after
// heartbeat_retry_times+1 consecutive failures; ErrMsg is set when it
// dies and cleared when it answers again.
func (m *Monitor) record(cn *catalog.ComputeNode, resp rpc.HeartbeatResponse, err error) *catalog.ComputeNodeState {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	b := m.beats[cn.ID]
	if b == nil {
		b = &cnBeat{firstTried: now}
		m.beats[cn.ID] = b
	}
	if err == nil && resp.ClusterID != "" && resp.ClusterID != m.cfg.Catalog.ClusterID() {
		err = fmt.Errorf("compute node belongs to cluster %s", resp.ClusterID)
	}
	prev := cn.State
	if err == nil {
		b.lastHeartbeat, b.failures = now, 0
		next := &catalog.ComputeNodeState{Alive: true, BePort: resp.BePort, HTTPPort: resp.HTTPPort, BrpcPort: resp.BrpcPort,
			StartTime: resp.StartTime, Version: resp.Version, CPUCores: resp.CPUCores, MemLimitBytes: resp.MemLimitBytes, Since: now.UnixMilli()}
		if next.SameAs(prev) {
			return nil
		}
		return next
	}
	b.failures++
	if prev != nil && !prev.Alive {
		return nil // already dead: the reason recorded when it died stands
	}
	if prev != nil && b.failures <= HeartbeatRetryTimes {
		return nil // not dead yet
	}
	next := &catalog.ComputeNodeState{ErrMsg: err.Error(), Since: now.UnixMilli()}
	if prev != nil {
		// Keep what the node last reported; only liveness and the reason change.
		kept := *prev
		kept.Alive, kept.ErrMsg, kept.Since = false, err.Error(), now.UnixMilli()
		next = &kept
	}
	if next.SameAs(prev) {
		return nil
	}
	return next
}

// Worker is a live compute node's RPC endpoints.
type Worker struct {
	ID   int64
	Addr string // host:brpc_port: tablet RPCs
	HTTP string // host:webserver_port: Stream Load
}

// Live is one reading of the live compute nodes, so that every tablet of a
// statement is placed against the same set.
type Live struct {
	byID map[int64]Worker
	ids  []int64 // sorted
}

// Live returns the live compute nodes from one reading of the journaled
// state.
func (m *Monitor) Live() Live {
	l := Live{byID: map[int64]Worker{}}
	for _, cn := range m.cfg.Catalog.ComputeNodes() {
		if cn.State == nil || !cn.State.Alive {
			continue
		}
		l.ids = append(l.ids, cn.ID)
		l.byID[cn.ID] = Worker{ID: cn.ID,
			Addr: net.JoinHostPort(cn.Host, strconv.Itoa(cn.State.BrpcPort)),
			HTTP: net.JoinHostPort(cn.Host, strconv.Itoa(cn.State.HTTPPort))}
	}
	return l
}

// Len is the number of live nodes.
func (l Live) Len() int { return len(l.ids) }

// Nth is the i-th live node (modulo their number) in id order, for
// spreading work such as Stream Load redirects. There must be one.
func (l Live) Nth(i uint64) Worker { return l.byID[l.ids[i%uint64(len(l.ids))]] }

// Place returns the live worker serving a tablet or partition (StarManager
// placement), or ErrNoComputeNode.
func (l Live) Place(shard int64) (Worker, error) {
	w, ok := l.byID[starmgr.Place(shard, l.ids)]
	if !ok {
		return Worker{}, ErrNoComputeNode
	}
	return w, nil
}

// Status describes every registered compute node for SHOW COMPUTE NODES:
// the journaled state, on the leader the time of the last heartbeat, and
// how many tablets each live node serves.
func (m *Monitor) Status() []query.ComputeNodeStatus {
	live := m.Live()
	count := map[int64]int{}
	if live.Len() > 0 {
		for _, g := range m.cfg.StarMgr.ShardGroups() {
			for _, sh := range g.Shards {
				count[starmgr.Place(sh, live.ids)]++
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []query.ComputeNodeStatus
	for _, cn := range m.cfg.Catalog.ComputeNodes() {
		s := query.ComputeNodeStatus{ID: cn.ID, Host: cn.Host, HeartbeatPort: cn.HeartbeatPort, TabletNum: count[cn.ID]}
		if st := cn.State; st != nil {
			s.Alive = st.Alive
			s.ErrMsg = st.ErrMsg
			s.BePort, s.HTTPPort, s.BrpcPort = st.BePort, st.HTTPPort, st.BrpcPort
			s.Version = st.Version
			s.CPUCores = st.CPUCores
			s.MemLimitBytes = st.MemLimitBytes
			if st.StartTime > 0 {
				s.LastStartTime = time.UnixMilli(st.StartTime)
			}
			if st.Alive {
				s.LastHeartbeat = time.UnixMilli(st.Since)
			}
		}
		if b := m.beats[cn.ID]; b != nil && !b.lastHeartbeat.IsZero() {
			s.LastHeartbeat = b.lastHeartbeat
		}
		out = append(out, s)
	}
	return out
}
