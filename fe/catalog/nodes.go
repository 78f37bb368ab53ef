package catalog

import (
	"sort"
)

// ComputeNode is a CN registered with ALTER SYSTEM ADD COMPUTE NODE. Its
// liveness is not catalog state: the leader learns it from heartbeats.
type ComputeNode struct {
	ID            int64  `json:"id"`
	Host          string `json:"host"`
	HeartbeatPort int    `json:"heartbeat_port"`
}

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
	}
}
