package starmgr

import (
	"sort"
)

// Worker is a compute node known to StarManager: shards are placed on
// workers. Its id is the compute node's id.
type Worker struct {
	ID   int64  `json:"id"`
	Addr string `json:"addr"`
}

// AddWorkerOp registers a worker.
type AddWorkerOp struct {
	Worker Worker `json:"worker"`
}

// RemoveWorkerOp unregisters a worker.
type RemoveWorkerOp struct {
	ID int64 `json:"id"`
}

func (*AddWorkerOp) OpType() OpType    { return OpAddWorker }
func (*RemoveWorkerOp) OpType() OpType { return OpRemoveWorker }

// Workers returns the registered workers by id.
func (m *StarMgr) Workers() []Worker {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Worker, 0, len(m.s.Workers))
	for _, w := range m.s.Workers {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Place chooses the worker serving a shard among the workers that are up,
// by rendezvous hashing: each shard goes to the worker with the highest
// score mix(shard, worker). The choice needs no stored state, spreads
// shards evenly, and when a worker goes down only its shards move (each to
// its next-highest worker), so caches stay warm. It returns -1 when no
// worker is up.
func Place(shardID int64, up []int64) int64 {
	best, bestScore := int64(-1), uint64(0)
	for _, w := range up {
		score := mix64(uint64(shardID)*0x9E3779B97F4A7C15 ^ uint64(w))
		if best < 0 || score > bestScore || (score == bestScore && w < best) {
			best, bestScore = w, score
		}
	}
	return best
}

// mix64 is the splitmix64 finaliser: a fixed, well-mixing 64-bit hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
