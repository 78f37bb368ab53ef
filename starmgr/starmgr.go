// Package starmgr is minirocks' StarManager: the registry that, in a
// StarRocks shared-data cluster, lives inside the leader FE and owns the
// cluster's service id, the compute-node workers, and the shard groups
// (one per partition) and shards (one per tablet) with their storage paths
// and their placement on workers.
//
// Like the FE catalog it is a pure state machine changed only by ops applied
// in journal order. Its ops travel through the FE's raft log but are counted
// by their own journal id sequence (the StarMgr journal id), and it has its
// own section in the image, so a cluster snapshot can record a consistent
// pair (FE journal id, StarMgr journal id) as StarRocks does.
package starmgr

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sort"
	"sync"

	"github.com/minirocks/minirocks/internal/jsonstream"
)

// OpType identifies a StarManager op; StarManager ops use 1000..1999.
type OpType uint16

// StarManager op types.
const (
	OpInit              OpType = 1000
	OpCreateShardGroups OpType = 1001
	OpDeleteShardGroups OpType = 1002
	OpAddWorker         OpType = 1010
	OpRemoveWorker      OpType = 1011
)

// IsStarMgrOp reports whether t is in the StarManager's op range.
func IsStarMgrOp(t uint16) bool { return t >= 1000 && t < 2000 }

// Op is a StarManager edit-log op.
type Op interface{ OpType() OpType }

// InitOp creates the service: its id is made once, at the first bootstrap,
// and is part of every object path the cluster writes.
type InitOp struct {
	ServiceID string `json:"service_id"`
}

// CreateShardGroupsOp creates shard groups with their shards.
type CreateShardGroupsOp struct {
	Groups []ShardGroup `json:"groups"`
}

// DeleteShardGroupsOp deletes shard groups and their shards.
type DeleteShardGroupsOp struct {
	IDs []int64 `json:"ids"`
}

// OpType implementations.
func (*InitOp) OpType() OpType              { return OpInit }
func (*CreateShardGroupsOp) OpType() OpType { return OpCreateShardGroups }
func (*DeleteShardGroupsOp) OpType() OpType { return OpDeleteShardGroups }

// ShardGroup is the set of shards of one partition, stored under one path.
type ShardGroup struct {
	ID int64 `json:"id"`
	// VolumeID is the id of the storage volume holding the group's files.
	VolumeID string `json:"volume_id"`
	// Path is relative to {volume location}/{service id}: db{dbId}/{tableId}/{partitionId}.
	Path   string  `json:"path"`
	Shards []int64 `json:"shards"`
}

// StarMgr is the StarManager state. Readers take a read lock; values
// returned are never mutated afterwards.
type StarMgr struct {
	mu sync.RWMutex
	s  state
	// shardGroup maps shard id -> group id (derived).
	shardGroup map[int64]int64
}

type state struct {
	ServiceID string `json:"service_id"`
	// JournalID counts applied StarManager ops: the StarMgr journal id.
	JournalID uint64                `json:"journal_id"`
	Groups    map[int64]*ShardGroup `json:"groups"`
	Workers   map[int64]*Worker     `json:"workers"`
}

// New returns an empty StarManager.
func New() *StarMgr {
	m := &StarMgr{s: state{Groups: map[int64]*ShardGroup{}, Workers: map[int64]*Worker{}}}
	m.reindex()
	return m
}

func (m *StarMgr) reindex() {
	m.shardGroup = map[int64]int64{}
	for id, g := range m.s.Groups {
		for _, sh := range g.Shards {
			m.shardGroup[sh] = id
		}
	}
}

// ServiceID returns the cluster's service id ("" before init).
func (m *StarMgr) ServiceID() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.s.ServiceID
}

// JournalID returns the StarMgr journal id: how many StarManager ops applied.
func (m *StarMgr) JournalID() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.s.JournalID
}

// ShardGroup returns group id, or nil.
func (m *StarMgr) ShardGroup(id int64) *ShardGroup {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.s.Groups[id]
}

// ShardGroups returns all groups ordered by id.
func (m *StarMgr) ShardGroups() []*ShardGroup {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*ShardGroup, 0, len(m.s.Groups))
	for _, g := range m.s.Groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ShardCount returns the number of shards.
func (m *StarMgr) ShardCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.shardGroup)
}

// DecodeOp decodes the journal payload of an op of type t.
func DecodeOp(t OpType, data []byte) (Op, error) {
	var op Op
	switch t {
	case OpInit:
		op = &InitOp{}
	case OpCreateShardGroups:
		op = &CreateShardGroupsOp{}
	case OpDeleteShardGroups:
		op = &DeleteShardGroupsOp{}
	case OpAddWorker:
		op = &AddWorkerOp{}
	case OpRemoveWorker:
		op = &RemoveWorkerOp{}
	default:
		return nil, fmt.Errorf("unknown starmgr op type %d", t)
	}
	if err := json.Unmarshal(data, op); err != nil {
		return nil, fmt.Errorf("decode starmgr op %d: %w", t, err)
	}
	return op, nil
}

// Check tells whether op would apply, without changing anything.
func (m *StarMgr) Check(op Op) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.check(op)
}

// Apply checks op and applies it when it passes; each applied op advances
// the StarMgr journal id by one.
func (m *StarMgr) Apply(op Op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(op); err != nil {
		return err
	}
	m.apply(op)
	m.s.JournalID++
	return nil
}

func (m *StarMgr) check(op Op) error {
	switch o := op.(type) {
	case *InitOp:
		if m.s.ServiceID != "" {
			return fmt.Errorf("starmgr service already initialised")
		}
		if o.ServiceID == "" {
			return fmt.Errorf("empty service id")
		}
	case *CreateShardGroupsOp:
		seen := map[int64]bool{}
		for _, g := range o.Groups {
			if m.s.Groups[g.ID] != nil || seen[g.ID] {
				return fmt.Errorf("shard group %d already exists", g.ID)
			}
			seen[g.ID] = true
			for _, sh := range g.Shards {
				if _, ok := m.shardGroup[sh]; ok || seen[sh] {
					return fmt.Errorf("shard %d already exists", sh)
				}
				seen[sh] = true
			}
		}
	case *DeleteShardGroupsOp:
		// Deleting an absent group is a no-op, so retries are harmless.
	case *AddWorkerOp:
		if m.s.Workers[o.Worker.ID] != nil {
			return fmt.Errorf("worker %d already exists", o.Worker.ID)
		}
	case *RemoveWorkerOp:
		if m.s.Workers[o.ID] == nil {
			return fmt.Errorf("worker %d does not exist", o.ID)
		}
	default:
		return fmt.Errorf("starmgr cannot apply op %T", op)
	}
	return nil
}

func (m *StarMgr) apply(op Op) {
	switch o := op.(type) {
	case *InitOp:
		m.s.ServiceID = o.ServiceID
	case *CreateShardGroupsOp:
		for _, g := range o.Groups {
			g := g
			m.s.Groups[g.ID] = &g
			for _, sh := range g.Shards {
				m.shardGroup[sh] = g.ID
			}
		}
	case *DeleteShardGroupsOp:
		for _, id := range o.IDs {
			if g := m.s.Groups[id]; g != nil {
				for _, sh := range g.Shards {
					delete(m.shardGroup, sh)
				}
				delete(m.s.Groups, id)
			}
		}
	case *AddWorkerOp:
		w := o.Worker
		m.s.Workers[w.ID] = &w
	case *RemoveWorkerOp:
		delete(m.s.Workers, o.ID)
	}
}

// Snapshot is the StarManager as it was at one moment, for writing an
// image while ops go on being applied. Groups and workers are never
// modified once published, so it shares them and copies only the maps.
type Snapshot struct {
	s state
}

// Snapshot captures the StarManager as it is now, cheaply (the maps, not
// the groups); Snapshot.MarshalImage encodes it later.
func (m *StarMgr) Snapshot() *Snapshot {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.s
	s.Groups = maps.Clone(s.Groups)
	s.Workers = maps.Clone(s.Workers)
	return &Snapshot{s: s}
}

// JournalID is the StarMgr journal id of the captured state.
func (s *Snapshot) JournalID() uint64 { return s.s.JournalID }

// MarshalImage returns the image section of the captured state: the same
// bytes StarMgr.MarshalImage returns.
func (s *Snapshot) MarshalImage() ([]byte, error) { return json.Marshal(&s.s) }

// WriteImage writes the bytes MarshalImage returns, streaming them group
// by group (jsonstream), so the writer can pace a large image.
func (s *Snapshot) WriteImage(w io.Writer) error { return jsonstream.WriteStruct(w, &s.s) }

// MarshalImage returns the StarManager image section.
func (m *StarMgr) MarshalImage() ([]byte, error) {
	return m.Snapshot().MarshalImage()
}

// RestoreImage replaces the state with an image section.
func (m *StarMgr) RestoreImage(data []byte) error {
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("decode starmgr image: %w", err)
	}
	if s.Groups == nil {
		s.Groups = map[int64]*ShardGroup{}
	}
	if s.Workers == nil {
		s.Workers = map[int64]*Worker{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
	m.reindex()
	return nil
}
