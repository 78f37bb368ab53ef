package query

import (
	"context"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
)

// The engine's view of the FE is split into the few roles it uses; each
// is satisfied by the FE's wiring and, in tests, by small fakes. The
// replicas it reads (the catalog and StarManager) come as they are, in
// Config. The engine never talks to raft itself.

// Writer changes metadata through the journal (on the leader).
type Writer interface {
	// Propose journals catalog and StarManager ops as one entry and returns
	// once it is durable and applied; the error is the rejection, if any.
	Propose(ctx context.Context, ops ...any) (journalID uint64, err error)
	// AllocIDs reserves n consecutive catalog ids and returns the first.
	AllocIDs(ctx context.Context, n int) (first int64, err error)
}

// Membership is the cluster's frontends as this FE knows them.
type Membership interface {
	// Frontends describes every FE of the cluster as SHOW FRONTENDS shows it.
	Frontends() []FrontendStatus
	// RemoveJournalMember takes an FE out of the journal's membership
	// (ALTER SYSTEM DROP FOLLOWER|OBSERVER); an FE that is not a member
	// is not an error.
	RemoveJournalMember(ctx context.Context, name string) error
	// SetConfigOnOtherFEs applies mutable fe.conf changes (ADMIN SET
	// FRONTEND CONFIG) on every other FE; the error names the FEs that
	// could not apply them.
	SetConfigOnOtherFEs(ctx context.Context, changes map[string]string) error
	// IsLeader reports whether this FE leads: statements that change
	// metadata run here, elsewhere they are forwarded.
	IsLeader() bool
	// Forward runs one statement on the leader FE as the session state
	// describes and returns its result once this FE has replayed what the
	// statement journaled, so the session reads its own writes.
	Forward(ctx context.Context, st SessionState, text string) (*Result, error)
}

// Lake loads rows into tables and scans them, through the compute nodes.
type Lake interface {
	// Insert loads rows (in table column order) as one transaction and
	// waits until it is visible (or committed, when publishing is slow).
	Insert(ctx context.Context, req InsertRequest) (*InsertResult, error)
	// Scan reads partitions of a table at the versions given and calls emit
	// with batches of rows shaped as the request asks.
	Scan(ctx context.Context, req ScanRequest, emit func(rows [][]types.Value) error) error
	// RequestCompaction asks for a compaction of partitions of a table; it
	// runs in the background (ALTER TABLE ... COMPACT).
	RequestCompaction(tableID int64, partitionIDs []int64)
	// ComputeNodes describes every registered compute node.
	ComputeNodes() []ComputeNodeStatus
	// ComputeNodeAdded says that ALTER SYSTEM ADD COMPUTE NODE has just
	// registered nodes, so that the leader heartbeats them now instead of
	// at its next round.
	ComputeNodeAdded()
}

// InsertRequest is a load of rows into one table.
type InsertRequest struct {
	DB    *catalog.Database
	Table *catalog.Table
	// Label is the load label; empty means an automatic one.
	Label string
	User  string
	// Rows are in table column order, already converted to column types.
	Rows [][]types.Value
	// Partitions restricts the load to these partitions (INSERT ... PARTITION).
	Partitions []string
	// Overwrite replaces the partitions' data (INSERT OVERWRITE).
	Overwrite bool
}

// InsertResult is a finished load.
type InsertResult struct {
	TxnID  int64
	Label  string
	Status string
	Rows   int64
}

// ScanRequest reads a table. Partitions are read at PartitionVersions.
type ScanRequest struct {
	Table      *catalog.Table
	Partitions []*catalog.Partition
	// Columns are the table columns to return, in order.
	Columns    []int
	Predicates []rpc.Predicate
	// GroupBy and Aggregates ask the compute nodes for partial aggregates:
	// each row is the group-by values then one partial value per aggregate.
	GroupBy    []int
	Aggregates []rpc.Aggregate
	Limit      int64
}

// ComputeNodeStatus is one row of SHOW COMPUTE NODES.
type ComputeNodeStatus struct {
	ID            int64
	Host          string
	HeartbeatPort int
	BePort        int
	HTTPPort      int
	BrpcPort      int
	Alive         bool
	LastHeartbeat time.Time
	LastStartTime time.Time
	ErrMsg        string
	Version       string
	CPUCores      int
	MemLimitBytes int64
	TabletNum     int
}

// FrontendStatus is one row of SHOW FRONTENDS.
type FrontendStatus struct {
	Name              string
	Host              string
	EditLogPort       int
	HTTPPort          int
	QueryPort         int
	RPCPort           int
	Role              string
	IsLeader          bool
	ClusterID         string
	Join              bool
	Alive             bool
	ReplayedJournalID uint64
	ImageJournalID    uint64
	LastHeartbeat     time.Time
	StartTime         time.Time
	Version           string
	ErrMsg            string
}
