package fe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"minirocks/fe/catalog"
	"minirocks/fe/query"
	"minirocks/rpc"
	"minirocks/starmgr"
)

// heartbeatRetryTimes is StarRocks' heartbeat_retry_times: a node is dead
// after this many failed heartbeats plus one.
const heartbeatRetryTimes = 3

// cnState is what the leader knows of a compute node from its heartbeats.
// It is runtime state, not journaled: a new leader learns it afresh.
type cnState struct {
	alive         bool
	lastHeartbeat time.Time // last successful heartbeat
	lastAttempt   time.Time
	failures      int // consecutive failed heartbeats
	resp          rpc.HeartbeatResponse
	errMsg        string
}

// computeNodes heartbeats the registered compute nodes from the leader,
// tracks which are alive, and places tablets on live ones (StarManager
// placement over the live workers).
type computeNodes struct {
	n      *Node
	client *http.Client

	mu     sync.Mutex
	states map[int64]*cnState
	// changed is closed and replaced whenever liveness changes.
	changed chan struct{}
}

func newComputeNodes(n *Node) *computeNodes {
	return &computeNodes{n: n, client: rpc.NewClient(), states: map[int64]*cnState{}, changed: make(chan struct{})}
}

// run heartbeats while this node leads, every heartbeat_timeout_second
// (StarRocks heartbeats at that interval), until ctx ends.
func (m *computeNodes) run(ctx context.Context) {
	for {
		if m.n.jr.IsLeader() {
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

// forget drops runtime state when this node is not the leader.
func (m *computeNodes) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.states) > 0 {
		m.states = map[int64]*cnState{}
		m.notifyLocked()
	}
}

func (m *computeNodes) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
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
	timeout := time.Duration(m.n.cfg.Int(KeyHeartbeatTimeout)) * time.Second
	var wg sync.WaitGroup
	for _, cn := range nodes {
		wg.Add(1)
		go func(cn *catalog.ComputeNode) {
			defer wg.Done()
			hctx, cancel := context.WithTimeout(ctx, min(timeout, 3*time.Second))
			defer cancel()
			var resp rpc.HeartbeatResponse
			err := rpc.Call(hctx, m.client, "http://"+cn.Addr()+rpc.PathHeartbeat, m.heartbeatRequest(cn.ID), &resp)
			m.record(cn, resp, err)
		}(cn)
	}
	wg.Wait()
	// Forget nodes that were dropped.
	m.mu.Lock()
	for id := range m.states {
		found := false
		for _, cn := range nodes {
			found = found || cn.ID == id
		}
		if !found {
			delete(m.states, id)
			m.notifyLocked()
		}
	}
	m.mu.Unlock()
}

// heartbeatOne heartbeats one node now (a node that just restarted and
// does not know the cluster yet).
func (m *computeNodes) heartbeatOne(ctx context.Context, id int64) {
	for _, cn := range m.n.meta.cat.ComputeNodes() {
		if cn.ID == id {
			hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			var resp rpc.HeartbeatResponse
			err := rpc.Call(hctx, m.client, "http://"+cn.Addr()+rpc.PathHeartbeat, m.heartbeatRequest(cn.ID), &resp)
			m.record(cn, resp, err)
		}
	}
}

// call runs an RPC to a worker; when the worker has just restarted and has
// not had a heartbeat yet, it heartbeats it and tries once more.
func (m *computeNodes) call(ctx context.Context, w worker, fn func() error) error {
	err := fn()
	if rpc.IsNotReady(err) {
		m.heartbeatOne(ctx, w.id)
		err = fn()
	}
	return err
}

// record applies a heartbeat's outcome. As in StarRocks, a node is alive
// from its first successful heartbeat and dead after heartbeat_retry_times+1
// consecutive failures; ErrMsg is set when it dies and cleared when it
// answers again.
func (m *computeNodes) record(cn *catalog.ComputeNode, resp rpc.HeartbeatResponse, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.states[cn.ID]
	if st == nil {
		st = &cnState{}
		m.states[cn.ID] = st
	}
	now := time.Now()
	st.lastAttempt = now
	wasAlive := st.alive
	if err == nil && resp.ClusterID != "" && resp.ClusterID != m.n.meta.cat.ClusterID() {
		err = fmt.Errorf("compute node belongs to cluster %s", resp.ClusterID)
	}
	if err == nil {
		st.resp, st.lastHeartbeat, st.errMsg, st.alive, st.failures = resp, now, "", true, 0
	} else {
		st.failures++
		if st.failures > heartbeatRetryTimes || st.lastHeartbeat.IsZero() {
			st.alive = false
			st.errMsg = err.Error()
		}
	}
	if wasAlive != st.alive {
		if st.alive {
			m.n.log.Info("compute node is alive", "id", cn.ID, "addr", cn.Addr())
		} else {
			m.n.log.Warn("compute node is dead", "id", cn.ID, "addr", cn.Addr(), "err", st.errMsg)
		}
		m.notifyLocked()
	}
}

// alive returns the ids of live compute nodes, sorted.
func (m *computeNodes) alive() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int64
	for _, cn := range m.n.meta.cat.ComputeNodes() {
		if st := m.states[cn.ID]; st != nil && st.alive {
			out = append(out, cn.ID)
		}
	}
	return out
}

// worker is a live compute node's RPC endpoint.
type worker struct {
	id   int64
	addr string // host:brpc_port
	http string // host:webserver_port
}

// workers returns the live compute nodes' endpoints by id.
func (m *computeNodes) workers() map[int64]worker {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int64]worker{}
	for _, cn := range m.n.meta.cat.ComputeNodes() {
		st := m.states[cn.ID]
		if st == nil || !st.alive {
			continue
		}
		out[cn.ID] = worker{id: cn.ID,
			addr: net.JoinHostPort(cn.Host, strconv.Itoa(st.resp.BrpcPort)),
			http: net.JoinHostPort(cn.Host, strconv.Itoa(st.resp.HTTPPort))}
	}
	return out
}

// place returns the live worker serving a tablet (StarManager placement).
func (m *computeNodes) place(tabletID int64, live map[int64]worker, ids []int64) (worker, error) {
	id := starmgr.Place(tabletID, ids)
	if id < 0 {
		return worker{}, errNoComputeNode
	}
	return live[id], nil
}

// waitAlive waits until at least n compute nodes are alive or ctx ends.
func (m *computeNodes) waitAlive(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		ch := m.changed
		m.mu.Unlock()
		if len(m.alive()) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// status describes every registered compute node for SHOW COMPUTE NODES.
func (m *computeNodes) status() []query.ComputeNodeStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []query.ComputeNodeStatus
	for _, cn := range m.n.meta.cat.ComputeNodes() {
		s := query.ComputeNodeStatus{ID: cn.ID, Host: cn.Host, HeartbeatPort: cn.HeartbeatPort}
		if st := m.states[cn.ID]; st != nil {
			s.Alive = st.alive
			s.LastHeartbeat = st.lastHeartbeat
			s.ErrMsg = st.errMsg
			s.BePort, s.HTTPPort, s.BrpcPort = st.resp.BePort, st.resp.HTTPPort, st.resp.BrpcPort
			s.Version = st.resp.Version
			s.CPUCores = st.resp.CPUCores
			s.MemLimitBytes = st.resp.MemLimitBytes
			if st.resp.StartTime > 0 {
				s.LastStartTime = time.UnixMilli(st.resp.StartTime)
			}
		}
		out = append(out, s)
	}
	return out
}
