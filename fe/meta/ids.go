package meta

import (
	"context"
	"sync"

	"github.com/minirocks/minirocks/fe/catalog"
)

// idBatch is how many ids one journaled watermark bump reserves, as
// StarRocks' id generator does.
const idBatch = 1000

// Proposer journals ops as one entry and returns once it is durable and
// applied; the error is the state machine's rejection, if any. Writer is
// the FE's implementation; tests may use any other.
type Proposer interface {
	Propose(ctx context.Context, ops ...any) (journalID uint64, err error)
}

// IDAllocator hands out catalog ids on the leader. Ids below the journaled
// watermark (catalog.NextID) are reserved; the allocator raises the
// watermark through the journal a batch at a time, so most allocations cost
// no journal write, and a new leader, starting from the watermark, can never
// reuse an id an old leader handed out.
type IDAllocator struct {
	cat      *catalog.Catalog
	proposer Proposer

	mu    sync.Mutex
	next  int64
	limit int64
}

// NewIDAllocator returns an allocator over the catalog's watermark that
// journals new watermarks through p. Call Reset before the first Alloc.
func NewIDAllocator(cat *catalog.Catalog, p Proposer) *IDAllocator {
	return &IDAllocator{cat: cat, proposer: p}
}

// Reset makes the allocator start from the journaled watermark; called when
// this node becomes leader.
func (a *IDAllocator) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next = a.cat.NextID()
	a.limit = a.next
}

// Alloc reserves n consecutive ids and returns the first.
func (a *IDAllocator) Alloc(ctx context.Context, n int) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next+int64(n) > a.limit {
		newLimit := a.next + int64(max(n, idBatch))
		if _, err := a.proposer.Propose(ctx, &catalog.SaveNextIDOp{NextID: newLimit}); err != nil {
			return 0, err
		}
		a.limit = newLimit
	}
	first := a.next
	a.next += int64(n)
	return first, nil
}
