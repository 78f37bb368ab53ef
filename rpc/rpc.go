// Package rpc defines the messages between frontends and compute nodes and
// the small HTTP transport they travel on. Control messages are JSON; row
// data travels as lake row blocks in the request or response body after a
// length-prefixed JSON header.
//
// FE -> CN, on the CN's heartbeat_service_port (heartbeats) and brpc_port
// (tablet work): heartbeat, write, publish, scan, compact, vacuum, drop.
// CN -> FE, on the FE's rpc_port: the Stream Load transaction calls (begin,
// commit, abort), as a StarRocks BE calls the FE's loadTxnBegin/Commit.
package rpc

import (
	"github.com/minirocks/minirocks/lake"
)

// Paths of the RPC endpoints.
const (
	PathHeartbeat = "/heartbeat"
	PathWrite     = "/tablet/write"
	PathPublish   = "/tablet/publish"
	PathScan      = "/tablet/scan"
	PathCompact   = "/tablet/compact"
	PathVacuum    = "/partition/vacuum"
	PathDrop      = "/partition/drop"

	PathLoadBegin  = "/load/begin"
	PathLoadCommit = "/load/commit"
	PathLoadAbort  = "/load/abort"
	PathLoadAuth   = "/load/auth"
)

// Volume is what a CN needs to open a storage volume: it learns volumes
// (credentials included) only from the FE's heartbeats, never from its own
// configuration.
type Volume struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Location   string            `json:"location"`
	Properties map[string]string `json:"properties"`
}

// HeartbeatRequest is the leader FE's periodic heartbeat to a compute node.
type HeartbeatRequest struct {
	ClusterID     string `json:"cluster_id"`
	ServiceID     string `json:"service_id"`
	ComputeNodeID int64  `json:"compute_node_id"`
	// LeaderRPC is host:rpc_port of the leader FE (Stream Load calls go there).
	LeaderRPC string `json:"leader_rpc"`
	// Volumes are every storage volume of the cluster.
	Volumes []Volume `json:"volumes"`
	// Term is the leader's raft term: a compute node remembers the highest
	// it has seen and refuses heartbeats, publishes, vacuums and drops
	// that carry a lower one (a deposed leader's).
	Term int64 `json:"term,omitempty"`
}

// HeartbeatResponse is the compute node's answer.
type HeartbeatResponse struct {
	Status        string `json:"status"`
	StartTime     int64  `json:"start_time"`
	Version       string `json:"version"`
	BePort        int    `json:"be_port"`
	HTTPPort      int    `json:"http_port"`
	BrpcPort      int    `json:"brpc_port"`
	CPUCores      int    `json:"cpu_cores"`
	MemLimitBytes int64  `json:"mem_limit_bytes"`
	// ClusterID is the cluster the node serves ("" before its first heartbeat).
	ClusterID string `json:"cluster_id"`
	ErrMsg    string `json:"err_msg,omitempty"`
}

// Tablet identifies a tablet and where its files live.
type Tablet struct {
	ID       int64  `json:"id"`
	VolumeID string `json:"volume_id"`
	// Dir is the partition directory relative to {location}/{service_id}/:
	// db{dbId}/{tableId}/{partitionId}/.
	Dir string `json:"dir"`
}

// WriteRequest writes rows of one transaction into one tablet: segment
// files and a txn log. The rows follow the JSON header as row blocks.
type WriteRequest struct {
	Tablet Tablet       `json:"tablet"`
	TxnID  int64        `json:"txn_id"`
	GTID   int64        `json:"gtid"`
	Schema *lake.Schema `json:"schema"`
}

// WriteResponse reports what a write produced.
type WriteResponse struct {
	Rows     int64 `json:"rows"`
	Bytes    int64 `json:"bytes"`
	Segments int   `json:"segments"`
}

// PublishRequest makes version Version of each tablet from version
// Version-1 plus the transaction's txn log (a tablet the transaction did
// not write just moves to the new version).
type PublishRequest struct {
	Tablets []Tablet `json:"tablets"`
	TxnID   int64    `json:"txn_id"`
	GTID    int64    `json:"gtid"`
	Version int64    `json:"version"`
	// DataTablets are the tablets of this request the commit recorded as
	// having received data: publishing one without its txn log (and without
	// version Version written by this transaction) is an error, never an
	// empty version. Nil: not recorded (an older commit), the log decides.
	DataTablets []int64 `json:"data_tablets,omitempty"`
	// Term is the leader's raft term (see HeartbeatRequest.Term).
	Term int64 `json:"term,omitempty"`
}

// PublishResponse reports the publish, with each tablet's size at the
// new version (what SHOW PARTITIONS sums up).
type PublishResponse struct {
	Published int           `json:"published"`
	Tablets   []TabletStats `json:"tablets,omitempty"`
}

// TabletStats is a tablet's row count and data size at one version.
type TabletStats struct {
	ID       int64 `json:"id"`
	Rows     int64 `json:"rows"`
	DataSize int64 `json:"data_size"`
}

// Predicate is a filter a compute node applies while scanning: column Op
// Values (=, !=, <, <=, >, >=, IN, IS NULL, IS NOT NULL). Scans keep every
// row for which all predicates hold; the FE evaluates the full WHERE again.
type Predicate struct {
	Column int    `json:"column"`
	Op     string `json:"op"`
	// Values are canonical text of the column's type; nil for IS [NOT] NULL.
	Values []string `json:"values,omitempty"`
}

// Aggregate is one aggregate a compute node computes per group:
// COUNT(*) (Column -1), COUNT, SUM, MIN, MAX over a column.
type Aggregate struct {
	Func   string `json:"func"`
	Column int    `json:"column"`
}

// ScanRequest reads tablets at a version. Without aggregation the
// response's rows are the merged rows projected to Columns; with GroupBy or
// Aggregates they are partial aggregates: the group-by values followed by
// one value per aggregate.
type ScanRequest struct {
	Tablets    []Tablet     `json:"tablets"`
	Version    int64        `json:"version"`
	Schema     *lake.Schema `json:"schema"`
	Columns    []int        `json:"columns"`
	Predicates []Predicate  `json:"predicates,omitempty"`
	GroupBy    []int        `json:"group_by,omitempty"`
	Aggregates []Aggregate  `json:"aggregates,omitempty"`
	// Limit stops a plain scan after this many rows (0: no limit).
	Limit int64 `json:"limit,omitempty"`
}

// CompactRequest merges all rowsets of a tablet at BaseVersion into one,
// writing the result as the compaction transaction's txn log.
type CompactRequest struct {
	Tablet      Tablet       `json:"tablet"`
	BaseVersion int64        `json:"base_version"`
	TxnID       int64        `json:"txn_id"`
	GTID        int64        `json:"gtid"`
	Schema      *lake.Schema `json:"schema"`
}

// CompactResponse reports a compaction.
type CompactResponse struct {
	InputRowsets int   `json:"input_rowsets"`
	Rows         int64 `json:"rows"`
}

// VacuumRequest deletes, in one partition directory, what no retained
// version needs (lake.PlanVacuum decides).
type VacuumRequest struct {
	VolumeID         string  `json:"volume_id"`
	Dir              string  `json:"dir"`
	MinRetainVersion int64   `json:"min_retain_version"`
	PinnedVersions   []int64 `json:"pinned_versions,omitempty"`
	PendingTxns      []int64 `json:"pending_txns,omitempty"`
	// GraceUnixMs: nothing modified after this moment is deleted.
	GraceUnixMs int64 `json:"grace_unix_ms"`
	// Term is the leader's raft term (see HeartbeatRequest.Term).
	Term int64 `json:"term,omitempty"`
}

// VacuumResponse reports a vacuum.
type VacuumResponse struct {
	Deleted int `json:"deleted"`
	Kept    int `json:"kept"`
}

// DropRequest deletes every object of a partition directory (a purged
// partition).
type DropRequest struct {
	VolumeID string `json:"volume_id"`
	Dir      string `json:"dir"`
	// Term is the leader's raft term (see HeartbeatRequest.Term).
	Term int64 `json:"term,omitempty"`
}

// DropResponse reports a drop.
type DropResponse struct {
	Deleted int `json:"deleted"`
}

// LoadBeginRequest opens a Stream Load transaction. Authorization is the
// client's HTTP Authorization header, checked by the FE.
type LoadBeginRequest struct {
	Authorization string `json:"authorization"`
	RemoteAddr    string `json:"remote_addr"`
	DB            string `json:"db"`
	Table         string `json:"table"`
	Label         string `json:"label"`
	TimeoutSec    int64  `json:"timeout_sec,omitempty"`
}

// PartitionTarget is a partition of the load's table: its route and tablets.
type PartitionTarget struct {
	Route   lake.PartitionRoute `json:"route"`
	Tablets []Tablet            `json:"tablets"`
}

// LoadBeginResponse gives the CN everything it needs to route and write.
type LoadBeginResponse struct {
	TxnID           int64             `json:"txn_id"`
	GTID            int64             `json:"gtid"`
	Label           string            `json:"label"`
	Schema          *lake.Schema      `json:"schema"`
	PartitionColumn int               `json:"partition_column"`
	DistColumns     []int             `json:"dist_columns,omitempty"`
	Partitions      []PartitionTarget `json:"partitions"`
	// Status is "OK", or StarRocks' load status when the FE refused
	// ("Label Already Exists", "Fail") with Message saying why.
	Status           string `json:"status"`
	Message          string `json:"message,omitempty"`
	ExistingJobState string `json:"existing_job_state,omitempty"`
}

// TabletWrite reports what a load wrote into one tablet.
type TabletWrite struct {
	PartitionID int64 `json:"partition_id"`
	TabletID    int64 `json:"tablet_id"`
	Rows        int64 `json:"rows"`
}

// LoadCommitRequest commits a Stream Load transaction; the FE publishes it
// and answers once it is visible.
type LoadCommitRequest struct {
	TxnID        int64         `json:"txn_id"`
	Writes       []TabletWrite `json:"writes"`
	Rows         int64         `json:"rows"`
	FilteredRows int64         `json:"filtered_rows"`
	Bytes        int64         `json:"bytes"`
}

// LoadCommitResponse reports the outcome: Status is VISIBLE, COMMITTED
// (published later) or an error with Message.
type LoadCommitResponse struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// LoadAbortRequest aborts a Stream Load transaction.
type LoadAbortRequest struct {
	TxnID  int64  `json:"txn_id"`
	Reason string `json:"reason"`
}

// LoadAuthRequest asks the leader FE whether a request to a compute node's
// webserver_port may read the data of a load into DB.Table: Authorization
// is the client's HTTP Authorization header.
type LoadAuthRequest struct {
	Authorization string `json:"authorization"`
	RemoteAddr    string `json:"remote_addr"`
	DB            string `json:"db"`
	Table         string `json:"table"`
}

// LoadAuthResponse is "OK", or "Unauthorized" (no such user or a wrong
// password) or "Forbidden" (no privilege on the table) with Message.
type LoadAuthResponse struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Codes of refusals that callers recognise.
const (
	// CodeStaleTerm: the request carries a leader term lower than one the
	// compute node has seen; its sender is no longer the leader FE.
	CodeStaleTerm = "stale_term"
	// CodeMissingTxnLog: a tablet that received data has no txn log and no
	// version written by the transaction; publish refuses to make an empty
	// version of it.
	CodeMissingTxnLog = "missing_txn_log"
)

// Empty is the response of calls that return nothing.
type Empty struct{}
