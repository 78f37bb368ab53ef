package fe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/starmgr"
)

// heartbeatRetryTimes is StarRocks' heartbeat_retry_times: a node is dead
// after this many failed heartbeats plus one.
const heartbeatRetryTimes = 3

// cnBeat is what the leader counts of a compute node's heartbeats. It is
// runtime state, not journaled: a new leader learns it afresh, starting
// from the journaled ComputeNodeState.
type cnBeat struct {
	lastHeartbeat time.Time // last successful heartbeat
	failures      int       // consecutive failed heartbeats
}

// computeNodes heartbeats the registered compute nodes from the leader and
// journals their state when it changes (catalog.ComputeNodeStateOp); every
// FE reads liveness from that journaled state and places tablets on the
// live nodes (StarManager placement).
type computeNodes struct {
	n        *Node
	client   *http.Client
	mu       sync.Mutex
	beats    map[int64]*cnBeat
	inflight map[int64]bool // nodes being heartbeated now
}

func newComputeNodes(n *Node) *computeNodes {
	return &computeNodes{n: n, client: rpc.NewClient(), beats: map[int64]*cnBeat{}, inflight: map[int64]bool{}}
}

// run heartbeats while this node leads, every heartbeat_timeout_second
// (StarRocks heartbeats at that interval), until ctx ends.
func (m *computeNodes) run(ctx context.Context) {
	for {
		if m.n.leading.Load() {
			m.heartbeatAll(ctx)
		} else {
			m.forget()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(m.n.cfg.Int(KeyHeartbeatTimeout)) * time.Second):
		}
	}
}

// forget drops the heartbeat counts when this node is not the leader.
func (m *computeNodes) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.beats)
}

// heartbeatRequest builds the heartbeat: cluster identity, the leader's RPC
// address and every storage volume with its credentials.
func (m *computeNodes) heartbeatRequest(id int64) rpc.HeartbeatRequest {
	n := m.n
	req := rpc.HeartbeatRequest{
		ClusterID:     n.meta.cat.ClusterID(),
		ServiceID:     n.meta.sm.ServiceID(),
		ComputeNodeID: id,
		LeaderRPC:     net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyRPCPort)))),
	}
	for _, v := range n.meta.cat.StorageVolumes() {
		req.Volumes = append(req.Volumes, rpc.Volume{ID: v.ID, Name: v.Name, Location: v.Locations[0], Properties: v.Properties})
	}
	return req
}

func (m *computeNodes) heartbeatAll(ctx context.Context) {
	nodes := m.n.meta.cat.ComputeNodes()
	var wg sync.WaitGroup
	for _, cn := range nodes {
		wg.Add(1)
		go func(cn *catalog.ComputeNode) {
			defer wg.Done()
			m.heartbeat(ctx, cn)
		}(cn)
	}
	wg.Wait()
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
func (m *computeNodes) heartbeat(ctx context.Context, cn *catalog.ComputeNode) {
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
	timeout := min(time.Duration(m.n.cfg.Int(KeyHeartbeatTimeout))*time.Second, 3*time.Second)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var resp rpc.HeartbeatResponse
	err := rpc.Call(hctx, m.client, "http://"+cn.Addr()+rpc.PathHeartbeat, m.heartbeatRequest(cn.ID), &resp)
	next := m.record(cn, resp, err)
	if next == nil || next.SameAs(cn.State) {
		return
	}
	if _, err := m.n.Propose(ctx, &catalog.ComputeNodeStateOp{ID: cn.ID, State: *next}); err != nil {
		m.n.log.Warn("journal compute node state failed", "id", cn.ID, "err", err)
		return
	}
	if next.Alive != (cn.State != nil && cn.State.Alive) {
		if next.Alive {
			m.n.log.Info("compute node is alive", "id", cn.ID, "addr", cn.Addr())
		} else {
			m.n.log.Warn("compute node is dead", "id", cn.ID, "addr", cn.Addr(), "err", next.ErrMsg)
		}
	}
}

// heartbeatOne heartbeats one node now (a node that just restarted and
// does not know the cluster yet). Only the leader heartbeats.
func (m *computeNodes) heartbeatOne(ctx context.Context, id int64) {
	if !m.n.leading.Load() {
		return
	}
	if cn := m.n.meta.cat.ComputeNode(id); cn != nil {
		m.heartbeat(ctx, cn)
	}
}

// call runs an RPC to a worker; when the worker has just restarted and has
// not had a heartbeat yet, the leader heartbeats it and tries once more
// (elsewhere the caller's retry, or the next heartbeat, covers it).
func (m *computeNodes) call(ctx context.Context, w worker, fn func() error) error {
	err := fn()
	if rpc.IsNotReady(err) && m.n.leading.Load() {
		m.heartbeatOne(ctx, w.id)
		err = fn()
	}
	return err
}

// record counts a heartbeat's outcome and returns the node's state as it
// should now be journaled (nil: keep the journaled one). As in StarRocks,
// a node is alive from its first successful heartbeat and dead after
// heartbeat_retry_times+1 consecutive failures; ErrMsg is set when it
// dies and cleared when it answers again.
func (m *computeNodes) record(cn *catalog.ComputeNode, resp rpc.HeartbeatResponse, err error) *catalog.ComputeNodeState {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.beats[cn.ID]
	if b == nil {
		b = &cnBeat{}
		m.beats[cn.ID] = b
	}
	now := time.Now()
	if err == nil && resp.ClusterID != "" && resp.ClusterID != m.n.meta.cat.ClusterID() {
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
	if prev != nil && b.failures <= heartbeatRetryTimes {
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

// worker is a live compute node's RPC endpoint.
type worker struct {
	id   int64
	addr string // host:brpc_port
	http string // host:webserver_port
}

// live returns the live compute nodes' endpoints by id and their ids,
// sorted, from one reading of the journaled state.
func (m *computeNodes) live() (map[int64]worker, []int64) {
	out := map[int64]worker{}
	var ids []int64
	for _, cn := range m.n.meta.cat.ComputeNodes() {
		if cn.State == nil || !cn.State.Alive {
			continue
		}
		ids = append(ids, cn.ID)
		out[cn.ID] = worker{id: cn.ID,
			addr: net.JoinHostPort(cn.Host, strconv.Itoa(cn.State.BrpcPort)),
			http: net.JoinHostPort(cn.Host, strconv.Itoa(cn.State.HTTPPort))}
	}
	return out, ids
}

// place returns the live worker serving a tablet (StarManager placement).
func (m *computeNodes) place(tabletID int64, live map[int64]worker, ids []int64) (worker, error) {
	w, ok := live[starmgr.Place(tabletID, ids)]
	if !ok {
		return worker{}, errNoComputeNode
	}
	return w, nil
}

// status describes every registered compute node for SHOW COMPUTE NODES:
// the journaled state, and on the leader the time of the last heartbeat.
func (m *computeNodes) status() []query.ComputeNodeStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []query.ComputeNodeStatus
	for _, cn := range m.n.meta.cat.ComputeNodes() {
		s := query.ComputeNodeStatus{ID: cn.ID, Host: cn.Host, HeartbeatPort: cn.HeartbeatPort}
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
