package cn

import (
	"sync"
	"time"

	"github.com/minirocks/minirocks/rpc"
)

// termLease is how long the highest leader term a node has seen holds
// without a request carrying it: after that a heartbeat with a lower term
// is believed. A live leader heartbeats every few seconds, so only a
// cluster restored with a new journal (whose terms start again) waits it
// out; a deposed leader is fenced as long as its successor lives.
const termLease = time.Minute

// termFence is the highest leader term a node has seen and when a request
// last carried it.
type termFence struct {
	mu   sync.Mutex
	term int64
	seen time.Time
}

// fence checks the leader term a request carries against the highest term
// this node has seen, and raises that to it. A lower term comes from a
// deposed leader FE (one that has not noticed yet, or is cut off from the
// others): its heartbeats, publishes, vacuums and drops are refused, so it
// can neither re-point the node nor overwrite what the new leader
// published. The term lives in memory: a restarted node learns it afresh
// from the first heartbeat.
func (n *Node) fence(term int64, what string) error {
	f := &n.terms
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	switch {
	case term >= f.term:
		f.term, f.seen = term, now
	case what == "heartbeat" && now.Sub(f.seen) > termLease:
		n.log.Warn("believing a heartbeat with a lower leader term: no request carried the higher one for a while (a restored cluster?)",
			"term", term, "highest_seen", f.term, "last_seen", f.seen)
		f.term, f.seen = term, now
	default:
		return rpc.Errorf(rpc.CodeStaleTerm, "%s refused: it carries leader term %d but this compute node has seen term %d; the sender is no longer the leader FE", what, term, f.term)
	}
	return nil
}
