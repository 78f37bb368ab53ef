package cn

import "github.com/minirocks/minirocks/rpc"

// fence checks the leader term a request carries against the highest term
// this node has seen, and raises that to it. A lower term comes from a
// deposed leader FE (one that has not noticed yet, or is cut off from the
// others): its heartbeats, publishes, vacuums and drops are refused, so it
// can neither re-point the node nor overwrite what the new leader
// published. The term lives in memory: a restarted node learns it afresh
// from the first heartbeat.
func (n *Node) fence(term int64, what string) error {
	for {
		cur := n.term.Load()
		if term < cur {
			return rpc.Errorf(rpc.CodeStaleTerm, "%s refused: it carries leader term %d but this compute node has seen term %d; the sender is no longer the leader FE", what, term, cur)
		}
		if term == cur || n.term.CompareAndSwap(cur, term) {
			return nil
		}
	}
}
