package catalog

import (
	"fmt"
	"slices"
	"sort"

	"github.com/minirocks/minirocks/fe/sqlerr"
)

// TxnState is a load transaction's state, named as StarRocks names them.
type TxnState string

// Transaction states: PREPARE until the data is written, COMMITTED once the
// FE has assigned partition versions, VISIBLE once every tablet has
// published them, or ABORTED.
const (
	TxnPrepare   TxnState = "PREPARE"
	TxnCommitted TxnState = "COMMITTED"
	TxnVisible   TxnState = "VISIBLE"
	TxnAborted   TxnState = "ABORTED"
)

// Transaction kinds (the load type shown in information_schema.loads).
const (
	TxnInsert     = "INSERT"
	TxnStreamLoad = "STREAM_LOAD"
	TxnCompaction = "COMPACTION"
)

// TxnPartition is a partition a transaction writes and the version its
// commit assigned there (0 before commit).
type TxnPartition struct {
	PartitionID int64 `json:"partition_id"`
	Version     int64 `json:"version,omitempty"`
}

// Transaction is a load (or compaction) transaction.
type Transaction struct {
	ID      int64  `json:"id"`
	DBID    int64  `json:"db_id"`
	TableID int64  `json:"table_id"`
	Label   string `json:"label"`
	Kind    string `json:"kind"`
	// GTID is unique across cluster incarnations; tablet metadata records the
	// GTID of the transaction that wrote it, so stale files are recognised.
	GTID         int64          `json:"gtid"`
	State        TxnState       `json:"state"`
	User         string         `json:"user,omitempty"`
	Partitions   []TxnPartition `json:"partitions,omitempty"`
	Rows         int64          `json:"rows,omitempty"`
	FilteredRows int64          `json:"filtered_rows,omitempty"`
	Bytes        int64          `json:"bytes,omitempty"`
	TimeoutSec   int64          `json:"timeout_sec,omitempty"`
	BeginTime    int64          `json:"begin_time"`
	CommitTime   int64          `json:"commit_time,omitempty"`
	FinishTime   int64          `json:"finish_time,omitempty"`
	Reason       string         `json:"reason,omitempty"`
	// DataTablets are the tablets the commit recorded as having received
	// data (a txn log each): publishing one of them without its txn log is
	// an error, never an empty version. Nil for transactions committed
	// before commits recorded them.
	DataTablets []int64 `json:"data_tablets,omitempty"`
	// CommitJournalID and VisibleJournalID are the journal ids (raft
	// indexes) of the entries that committed the transaction and made it
	// visible; zero when applied outside the journal. A cluster snapshot
	// whose fe_journal_id is at least CommitJournalID holds the load (a
	// committed load is published again after a restore).
	CommitJournalID  uint64 `json:"commit_journal_id,omitempty"`
	VisibleJournalID uint64 `json:"visible_journal_id,omitempty"`
}

// Version returns the version the transaction's commit assigned to partition id.
func (t *Transaction) Version(partitionID int64) int64 {
	for _, p := range t.Partitions {
		if p.PartitionID == partitionID {
			return p.Version
		}
	}
	return 0
}

// ErrLabelUsed is a load with a label already taken by a transaction that
// did not abort.
func ErrLabelUsed(label string) error {
	return sqlerr.Generic("Label [%s] has already been used.", label)
}

// BeginTxnOp starts a transaction (state PREPARE).
type BeginTxnOp struct {
	Txn Transaction `json:"txn"`
}

// CommitTxnOp commits a transaction: each partition it wrote gets the
// partition's next version.
type CommitTxnOp struct {
	TxnID        int64   `json:"txn_id"`
	PartitionIDs []int64 `json:"partition_ids"`
	Rows         int64   `json:"rows"`
	FilteredRows int64   `json:"filtered_rows,omitempty"`
	Bytes        int64   `json:"bytes,omitempty"`
	CommitTime   int64   `json:"commit_time"`
	// DataTablets are the tablets that received data (each has a txn log
	// to publish), sorted.
	DataTablets []int64 `json:"data_tablets,omitempty"`
	// CommitJournalID and VisibleJournalID are the journal ids (raft
	// indexes) of the entries that committed the transaction and made it
	// visible; zero when applied outside the journal. A cluster snapshot
	// whose fe_journal_id is at least CommitJournalID holds the load (a
	// committed load is published again after a restore).
	CommitJournalID  uint64 `json:"commit_journal_id,omitempty"`
	VisibleJournalID uint64 `json:"visible_journal_id,omitempty"`
}

// VisibleTxnOp makes a committed transaction visible: every partition's
// visible version moves to the version the commit assigned.
type VisibleTxnOp struct {
	TxnID       int64 `json:"txn_id"`
	VisibleTime int64 `json:"visible_time"`
	// Stats are the published partitions' sizes at their new versions
	// (absent in entries written before they were recorded).
	Stats []PartitionStats `json:"stats,omitempty"`
}

// PartitionStats is a partition's row count and data size at a version,
// summed over its tablets' metadata.
type PartitionStats struct {
	PartitionID int64 `json:"partition_id"`
	Rows        int64 `json:"rows"`
	DataSize    int64 `json:"data_size"`
}

// AbortTxnOp aborts a prepared transaction.
type AbortTxnOp struct {
	TxnID     int64  `json:"txn_id"`
	Reason    string `json:"reason"`
	AbortTime int64  `json:"abort_time"`
}

// ForgetTxnsOp drops finished transactions from the catalog (and their
// labels become free), as StarRocks removes expired transactions every
// label_clean_interval_second. ExpireBefore is the leader's cut-off (now
// minus label_keep_max_second, in ms): every listed transaction must be
// VISIBLE or ABORTED with a finish time before it, so replaying the op
// decides the same on every replica without a clock. Ids no longer present
// are skipped, so a repeated op is harmless.
type ForgetTxnsOp struct {
	TxnIDs       []int64 `json:"txn_ids"`
	ExpireBefore int64   `json:"expire_before"`
}

func (*BeginTxnOp) OpType() OpType   { return OpBeginTxn }
func (*CommitTxnOp) OpType() OpType  { return OpCommitTxn }
func (*VisibleTxnOp) OpType() OpType { return OpVisibleTxn }
func (*AbortTxnOp) OpType() OpType   { return OpAbortTxn }
func (*ForgetTxnsOp) OpType() OpType { return OpForgetTxns }

// Txn returns the transaction with id, or nil.
func (c *Catalog) Txn(id int64) *Transaction {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Txns[id]
}

// TxnByLabel returns the live (not aborted) transaction of db with label, or nil.
func (c *Catalog) TxnByLabel(dbID int64, label string) *Transaction {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if id, ok := c.labels[labelKey(dbID, label)]; ok {
		return c.s.Txns[id]
	}
	return nil
}

// Txns returns the transactions in states (all when none given), by id.
// Asking only for live states (PREPARE, COMMITTED) reads the live index,
// whatever the size of the history.
func (c *Catalog) Txns(states ...TxnState) []*Transaction {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Transaction
	add := func(t *Transaction) {
		if len(states) == 0 || slices.Contains(states, t.State) {
			out = append(out, t)
		}
	}
	if len(states) > 0 && !slices.ContainsFunc(states, func(s TxnState) bool { return !isLive(s) }) {
		for id := range c.liveTxns {
			add(c.s.Txns[id])
		}
	} else {
		for _, t := range c.s.Txns {
			add(t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// RunningTxns counts the transactions of database dbID that are running
// (PREPARE or COMMITTED, not yet VISIBLE or ABORTED), leaving out those of
// the kinds in except: StarRocks' runningTxnNums, which
// max_running_txn_num_per_db bounds. It reads the live index.
func (c *Catalog) RunningTxns(dbID int64, except ...string) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for id := range c.liveTxns {
		if t := c.s.Txns[id]; t.DBID == dbID && !slices.Contains(except, t.Kind) {
			n++
		}
	}
	return n
}

// ExpiredTxns returns the ids of the finished (VISIBLE or ABORTED)
// transactions whose finish time is before expireBefore (ms), in id order,
// at most limit of them (all when limit <= 0): what a ForgetTxnsOp with
// that cut-off may remove.
func (c *Catalog) ExpiredTxns(expireBefore int64, limit int) []int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := []int64{}
	for id, t := range c.s.Txns {
		if !isLive(t.State) && t.FinishTime < expireBefore {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// isLive tells whether a transaction in state s may still change: the
// publish and timeout loops work on these only.
func isLive(s TxnState) bool { return s == TxnPrepare || s == TxnCommitted }

// indexTxnLocked keeps the live index in step with t's state.
func (c *Catalog) indexTxnLocked(t *Transaction) {
	if isLive(t.State) {
		c.liveTxns[t.ID] = struct{}{}
	} else {
		delete(c.liveTxns, t.ID)
	}
}

func labelKey(dbID int64, label string) string { return fmt.Sprintf("%d/%s", dbID, label) }

func (c *Catalog) checkTxn(op Op) error {
	switch o := op.(type) {
	case *BeginTxnOp:
		t := &o.Txn
		if c.s.Txns[t.ID] != nil {
			return ErrInvalid("transaction %d already exists", t.ID)
		}
		if c.s.DBs[t.DBID] == nil {
			return ErrInvalid("Unknown database id %d", t.DBID)
		}
		if tbl := c.s.Tables[t.TableID]; tbl == nil || tbl.DBID != t.DBID {
			return ErrInvalid("Unknown table id %d", t.TableID)
		}
		if _, ok := c.labels[labelKey(t.DBID, t.Label)]; ok {
			return ErrLabelUsed(t.Label)
		}
	case *CommitTxnOp:
		t := c.s.Txns[o.TxnID]
		if t == nil {
			return ErrInvalid("transaction %d not found", o.TxnID)
		}
		if t.State != TxnPrepare {
			return ErrInvalid("transaction %d is %s, cannot commit", o.TxnID, t.State)
		}
		tbl := c.s.Tables[t.TableID]
		if tbl == nil {
			return ErrInvalid("table of transaction %d was dropped", o.TxnID)
		}
		for _, pid := range o.PartitionIDs {
			if c.partitionOf(tbl, pid) == nil {
				return ErrInvalid("partition %d of transaction %d was dropped", pid, o.TxnID)
			}
		}
	case *VisibleTxnOp:
		t := c.s.Txns[o.TxnID]
		if t == nil {
			return ErrInvalid("transaction %d not found", o.TxnID)
		}
		if t.State != TxnCommitted {
			return ErrInvalid("transaction %d is %s, cannot make it visible", o.TxnID, t.State)
		}
		tbl := c.s.Tables[t.TableID]
		if tbl == nil {
			return nil // table dropped after commit: nothing to move
		}
		for _, tp := range t.Partitions {
			p := c.partitionOf(tbl, tp.PartitionID)
			if p != nil && p.VisibleVersion != tp.Version-1 {
				return ErrInvalid("transaction %d: partition %d is at version %d, cannot publish version %d", o.TxnID, p.ID, p.VisibleVersion, tp.Version)
			}
		}
	case *AbortTxnOp:
		t := c.s.Txns[o.TxnID]
		if t == nil {
			return ErrInvalid("transaction %d not found", o.TxnID)
		}
		if t.State != TxnPrepare {
			return ErrInvalid("transaction %d is %s, cannot abort", o.TxnID, t.State)
		}
	case *ForgetTxnsOp:
		for _, id := range o.TxnIDs {
			t := c.s.Txns[id]
			if t == nil {
				continue
			}
			if isLive(t.State) {
				return ErrInvalid("transaction %d is %s, cannot forget it", id, t.State)
			}
			if t.FinishTime >= o.ExpireBefore {
				return ErrInvalid("transaction %d finished at %d, not before the cut-off %d", id, t.FinishTime, o.ExpireBefore)
			}
		}
	}
	return nil
}

func (c *Catalog) partitionOf(t *Table, id int64) *Partition {
	for _, p := range t.Partitions {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (c *Catalog) applyTxn(op Op) {
	switch o := op.(type) {
	case *BeginTxnOp:
		t := o.Txn
		t.State = TxnPrepare
		c.s.Txns[t.ID] = &t
		c.labels[labelKey(t.DBID, t.Label)] = t.ID
		c.indexTxnLocked(&t)
	case *CommitTxnOp:
		t := *c.s.Txns[o.TxnID]
		t.CommitJournalID = c.applying
		tbl := *c.s.Tables[t.TableID]
		tbl.Partitions = slices.Clone(tbl.Partitions)
		t.Partitions = nil
		for _, pid := range o.PartitionIDs {
			for i, p := range tbl.Partitions {
				if p.ID != pid {
					continue
				}
				np := *p
				t.Partitions = append(t.Partitions, TxnPartition{PartitionID: pid, Version: np.NextVersion})
				np.NextVersion++
				tbl.Partitions[i] = &np
			}
		}
		c.s.Tables[tbl.ID] = &tbl
		t.State = TxnCommitted
		t.Rows, t.FilteredRows, t.Bytes, t.CommitTime = o.Rows, o.FilteredRows, o.Bytes, o.CommitTime
		t.DataTablets = o.DataTablets
		c.s.Txns[t.ID] = &t
	case *VisibleTxnOp:
		t := *c.s.Txns[o.TxnID]
		if old := c.s.Tables[t.TableID]; old != nil {
			tbl := *old
			tbl.Partitions = slices.Clone(tbl.Partitions)
			for _, tp := range t.Partitions {
				for i, p := range tbl.Partitions {
					if p.ID == tp.PartitionID {
						np := *p
						np.VisibleVersion = tp.Version
						np.VisibleVersionTime = o.VisibleTime
						for _, st := range o.Stats {
							if st.PartitionID == p.ID {
								np.RowCount, np.DataSize = st.Rows, st.DataSize
							}
						}
						if t.Kind == TxnCompaction {
							np.CompactedVersion = tp.Version
						}
						tbl.Partitions[i] = &np
					}
				}
			}
			c.s.Tables[tbl.ID] = &tbl
		}
		t.State = TxnVisible
		t.FinishTime = o.VisibleTime
		t.VisibleJournalID = c.applying
		c.s.Txns[t.ID] = &t
		c.indexTxnLocked(&t)
	case *AbortTxnOp:
		t := *c.s.Txns[o.TxnID]
		t.State = TxnAborted
		t.Reason = o.Reason
		t.FinishTime = o.AbortTime
		c.s.Txns[t.ID] = &t
		c.indexTxnLocked(&t)
		// An aborted transaction's label may be used again.
		if c.labels[labelKey(t.DBID, t.Label)] == t.ID {
			delete(c.labels, labelKey(t.DBID, t.Label))
		}
	case *ForgetTxnsOp:
		for _, id := range o.TxnIDs {
			if t := c.s.Txns[id]; t != nil {
				if c.labels[labelKey(t.DBID, t.Label)] == id {
					delete(c.labels, labelKey(t.DBID, t.Label))
				}
				delete(c.s.Txns, id)
				delete(c.liveTxns, id)
			}
		}
	}
}
