package catalog

import (
	"sort"
)

// ComputeNode is a CN registered with ALTER SYSTEM ADD COMPUTE NODE.
type ComputeNode struct {
	ID            int64  `json:"id"`
	Host          string `json:"host"`
	HeartbeatPort int    `json:"heartbeat_port"`
	// State is what the leader last learnt from heartbeats (nil until the
	// first). The leader journals it when it changes, as StarRocks journals
	// heartbeat results, so every FE places tablets on the same live nodes
	// and a new leader starts from its predecessor's view.
	State *ComputeNodeState `json:"state,omitempty"`
}

// ComputeNodeState is a compute node's liveness and what its heartbeat
// reports.
type ComputeNodeState struct {
	Alive bool `json:"alive"`
	// ErrMsg says why the node is not alive.
	ErrMsg        string `json:"err_msg,omitempty"`
	BePort        int    `json:"be_port,omitempty"`
	HTTPPort      int    `json:"http_port,omitempty"`
	BrpcPort      int    `json:"brpc_port,omitempty"`
	StartTime     int64  `json:"start_time,omitempty"` // ms
	Version       string `json:"version,omitempty"`
	CPUCores      int    `json:"cpu_cores,omitempty"`
	MemLimitBytes int64  `json:"mem_limit_bytes,omitempty"`
	// Since is when the leader saw the state begin (ms).
	Since int64 `json:"since,omitempty"`
}

// SameAs reports whether two states differ only in Since.
func (s *ComputeNodeState) SameAs(o *ComputeNodeState) bool {
	if s == nil || o == nil {
		return s == o
	}
	a, b := *s, *o
	a.Since, b.Since = 0, 0
	return a == b
}

// ComputeNodeStateOp records a compute node's new state.
type ComputeNodeStateOp struct {
	ID    int64            `json:"id"`
	State ComputeNodeState `json:"state"`
}

func (*ComputeNodeStateOp) OpType() OpType { return OpComputeNodeState }

// Addr is host:heartbeat_service_port, how the node was added.
func (n *ComputeNode) Addr() string { return joinHostPort(n.Host, n.HeartbeatPort) }

// AddComputeNodeOp registers a compute node.
type AddComputeNodeOp struct {
	Node ComputeNode `json:"node"`
}

// DropComputeNodeOp unregisters a compute node.
type DropComputeNodeOp struct {
	ID int64 `json:"id"`
}

func (*AddComputeNodeOp) OpType() OpType  { return OpAddComputeNode }
func (*DropComputeNodeOp) OpType() OpType { return OpDropComputeNode }

// ComputeNodes returns the registered compute nodes by id.
func (c *Catalog) ComputeNodes() []*ComputeNode {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*ComputeNode, 0, len(c.s.ComputeNodes))
	for _, n := range c.s.ComputeNodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ComputeNode returns the node with id, or nil.
func (c *Catalog) ComputeNode(id int64) *ComputeNode {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.ComputeNodes[id]
}

// ComputeNodeByAddr returns the node registered as host:port, or nil.
func (c *Catalog) ComputeNodeByAddr(host string, port int) *ComputeNode {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, n := range c.s.ComputeNodes {
		if n.Host == host && n.HeartbeatPort == port {
			return n
		}
	}
	return nil
}

func (c *Catalog) checkNode(op Op) error {
	switch o := op.(type) {
	case *AddComputeNodeOp:
		for _, n := range c.s.ComputeNodes {
			if n.Host == o.Node.Host && n.HeartbeatPort == o.Node.HeartbeatPort {
				return ErrInvalid("Compute node already exists with same host %s and heartbeat port %d", n.Host, n.HeartbeatPort)
			}
		}
		if c.s.ComputeNodes[o.Node.ID] != nil {
			return ErrInvalid("compute node id %d is already used", o.Node.ID)
		}
	case *DropComputeNodeOp:
		if c.s.ComputeNodes[o.ID] == nil {
			return ErrInvalid("compute node %d does not exist", o.ID)
		}
	case *ComputeNodeStateOp:
		if c.s.ComputeNodes[o.ID] == nil {
			return ErrInvalid("compute node %d does not exist", o.ID)
		}
	}
	return nil
}

func (c *Catalog) applyNode(op Op) {
	switch o := op.(type) {
	case *AddComputeNodeOp:
		n := o.Node
		c.s.ComputeNodes[n.ID] = &n
	case *DropComputeNodeOp:
		delete(c.s.ComputeNodes, o.ID)
	case *ComputeNodeStateOp:
		n := *c.s.ComputeNodes[o.ID]
		st := o.State
		n.State = &st
		c.s.ComputeNodes[o.ID] = &n
	}
}
