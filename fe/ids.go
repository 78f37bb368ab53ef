package fe

import (
	"context"
	"sync"

	"github.com/minirocks/minirocks/fe/catalog"
)

// idBatch is how many ids one journaled watermark bump reserves, as
// StarRocks' id generator does.
const idBatch = 1000

// idAllocator hands out catalog ids on the leader. Ids below the journaled
// watermark (catalog.NextID) are reserved; the allocator raises the
// watermark through the journal a batch at a time, so most allocations cost
// no journal write, and a new leader, starting from the watermark, can never
// reuse an id an old leader handed out.
type idAllocator struct {
	mu      sync.Mutex
	next    int64
	limit   int64
	cat     *catalog.Catalog
	propose func(ctx context.Context, ops ...any) (uint64, error)
}

// reset makes the allocator start from the journaled watermark; called when
// this node becomes leader.
func (a *idAllocator) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next = a.cat.NextID()
	a.limit = a.next
}

// alloc reserves n consecutive ids and returns the first.
func (a *idAllocator) alloc(ctx context.Context, n int) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next+int64(n) > a.limit {
		newLimit := a.next + int64(max(n, idBatch))
		if _, err := a.propose(ctx, &catalog.SaveNextIDOp{NextID: newLimit}); err != nil {
			return 0, err
		}
		a.limit = newLimit
	}
	first := a.next
	a.next += int64(n)
	return first, nil
}
