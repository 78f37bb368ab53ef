package catalog

import (
	"slices"
	"sort"

	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// The recycle bin keeps dropped databases, tables and partitions (and the
// partitions TRUNCATE replaced) until catalog_trash_expire_second has
// passed, so RECOVER can bring them back. Erasing them moves their data
// directories to the purge queue; the leader deletes the objects through a
// compute node and then journals PurgedOp. Data is deleted only after the
// catalog has forgotten the object, and a crash between the two leaves the
// directory in the queue to be deleted again.

// RecycledTable is a dropped table.
type RecycledTable struct {
	Table    *Table `json:"table"`
	DropTime int64  `json:"drop_time"`
}

// RecycledPartition is a dropped (or truncated) partition.
type RecycledPartition struct {
	DBID      int64      `json:"db_id"`
	TableID   int64      `json:"table_id"`
	Volume    string     `json:"volume"`
	Partition *Partition `json:"partition"`
	// Recoverable is false for partitions replaced by TRUNCATE.
	Recoverable bool  `json:"recoverable"`
	DropTime    int64 `json:"drop_time"`
}

// RecycledDB is a dropped database; its tables are in the table bin.
type RecycledDB struct {
	DB       *Database `json:"db"`
	TableIDs []int64   `json:"table_ids"`
	DropTime int64     `json:"drop_time"`
}

// PurgeEntry is a partition whose data directory is to be deleted.
type PurgeEntry struct {
	DBID         int64  `json:"db_id"`
	TableID      int64  `json:"table_id"`
	PartitionID  int64  `json:"partition_id"`
	ShardGroupID int64  `json:"shard_group_id"`
	Volume       string `json:"volume"`
}

// Dir is the partition directory relative to {location}/{service_id}/.
func (p PurgeEntry) Dir() string {
	return layout.PartitionDir(p.DBID, p.TableID, p.PartitionID)
}

// TruncateTableOp replaces a table's partitions (all, or those named) with
// new empty ones; the old ones go to the recycle bin.
type TruncateTableOp struct {
	TableID int64 `json:"table_id"`
	// NewPartitions replace the partitions with the same names.
	NewPartitions []*Partition `json:"new_partitions"`
	DropTime      int64        `json:"drop_time"`
}

// DropPartitionOp moves a partition to the recycle bin (Force: straight to purge).
type DropPartitionOp struct {
	TableID     int64 `json:"table_id"`
	PartitionID int64 `json:"partition_id"`
	Force       bool  `json:"force,omitempty"`
	DropTime    int64 `json:"drop_time"`
}

// RecoverTableOp brings a dropped table back.
type RecoverTableOp struct {
	TableID int64 `json:"table_id"`
}

// RecoverPartitionOp brings a dropped partition back.
type RecoverPartitionOp struct {
	PartitionID int64 `json:"partition_id"`
}

// RecoverDBOp brings a dropped database back with its tables.
type RecoverDBOp struct {
	DBID int64 `json:"db_id"`
}

// EraseRecycledOp forgets recycled objects for good and queues their data
// for deletion.
type EraseRecycledOp struct {
	DBIDs        []int64 `json:"db_ids,omitempty"`
	TableIDs     []int64 `json:"table_ids,omitempty"`
	PartitionIDs []int64 `json:"partition_ids,omitempty"`
}

// PurgedOp removes partitions whose data is deleted from the purge queue.
type PurgedOp struct {
	PartitionIDs []int64 `json:"partition_ids"`
}

func (*TruncateTableOp) OpType() OpType    { return OpTruncateTable }
func (*DropPartitionOp) OpType() OpType    { return OpDropPartition }
func (*RecoverTableOp) OpType() OpType     { return OpRecoverTable }
func (*RecoverPartitionOp) OpType() OpType { return OpRecoverPartition }
func (*RecoverDBOp) OpType() OpType        { return OpRecoverDB }
func (*EraseRecycledOp) OpType() OpType    { return OpEraseRecycled }
func (*PurgedOp) OpType() OpType           { return OpPurged }

// RecycledTables returns the table bin, oldest drop first.
func (c *Catalog) RecycledTables() []*RecycledTable {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*RecycledTable, 0, len(c.s.RecycledTables))
	for _, t := range c.s.RecycledTables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].DropTime < out[j].DropTime || (out[i].DropTime == out[j].DropTime && out[i].Table.ID < out[j].Table.ID)
	})
	return out
}

// RecycledPartitions returns the partition bin, oldest drop first.
func (c *Catalog) RecycledPartitions() []*RecycledPartition {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*RecycledPartition, 0, len(c.s.RecycledPartitions))
	for _, p := range c.s.RecycledPartitions {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition.ID < out[j].Partition.ID })
	return out
}

// RecycledDBs returns the database bin.
func (c *Catalog) RecycledDBs() []*RecycledDB {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*RecycledDB, 0, len(c.s.RecycledDBs))
	for _, d := range c.s.RecycledDBs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DB.ID < out[j].DB.ID })
	return out
}

// PurgeQueue returns the partitions whose data awaits deletion.
func (c *Catalog) PurgeQueue() []PurgeEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.s.PurgeQueue)
}

// purgeEntries lists the purge entries of a table's partitions.
func purgeEntries(t *Table) []PurgeEntry {
	var out []PurgeEntry
	for _, p := range t.Partitions {
		out = append(out, PurgeEntry{DBID: t.DBID, TableID: t.ID, PartitionID: p.ID, ShardGroupID: p.ShardGroupID, Volume: t.StorageVolume})
	}
	return out
}

func (c *Catalog) checkRecycle(op Op) error {
	switch o := op.(type) {
	case *TruncateTableOp:
		t := c.s.Tables[o.TableID]
		if t == nil {
			return ErrInvalid("Unknown table id %d", o.TableID)
		}
		for _, np := range o.NewPartitions {
			if t.Partition(np.Name) == nil {
				return ErrInvalid("Unknown partition '%s' of table '%s'", np.Name, t.Name)
			}
			ids := append([]int64{np.ID, np.ShardGroupID}, np.Tablets...)
			if err := c.idFree(ids...); err != nil {
				return err
			}
		}
		if c.hasLiveTxn(o.TableID) {
			return ErrInvalid("table '%s' has transactions in progress; try again when they finish", t.Name)
		}
	case *DropPartitionOp:
		t := c.s.Tables[o.TableID]
		if t == nil || c.partitionOf(t, o.PartitionID) == nil {
			return ErrInvalid("Unknown partition id %d", o.PartitionID)
		}
		if len(t.Partitions) == 1 {
			return ErrInvalid("Can not drop the last partition of table '%s'", t.Name)
		}
	case *RecoverTableOp:
		rt := c.s.RecycledTables[o.TableID]
		if rt == nil {
			return ErrInvalid("Unknown table id %d in the recycle bin", o.TableID)
		}
		if c.s.DBs[rt.Table.DBID] == nil {
			return ErrInvalid("Unknown database id %d", rt.Table.DBID)
		}
		if _, ok := c.tblByName[rt.Table.DBID][rt.Table.Name]; ok {
			return ErrTableExists(rt.Table.Name)
		}
	case *RecoverPartitionOp:
		rp := c.s.RecycledPartitions[o.PartitionID]
		if rp == nil || !rp.Recoverable {
			return ErrInvalid("No partition with id %d in the recycle bin", o.PartitionID)
		}
		t := c.s.Tables[rp.TableID]
		if t == nil {
			return ErrInvalid("Unknown table id %d", rp.TableID)
		}
		if t.Partition(rp.Partition.Name) != nil {
			return ErrInvalid("Partition '%s' already exists in table '%s'", rp.Partition.Name, t.Name)
		}
		if rp.Partition.Range != nil {
			for _, p := range t.Partitions {
				if p.Range != nil && p.Range.MaxValue == rp.Partition.Range.MaxValue && p.Range.Upper == rp.Partition.Range.Upper {
					return ErrInvalid("Partition '%s' overlaps partition '%s'", rp.Partition.Name, p.Name)
				}
			}
		}
	case *RecoverDBOp:
		rd := c.s.RecycledDBs[o.DBID]
		if rd == nil {
			return ErrInvalid("Unknown database id %d in the recycle bin", o.DBID)
		}
		if _, ok := c.dbByName[rd.DB.Name]; ok {
			return ErrDBExists(rd.DB.Name)
		}
	case *EraseRecycledOp, *PurgedOp:
	}
	return nil
}

// hasLiveTxn reports whether a PREPARE or COMMITTED transaction writes table id.
func (c *Catalog) hasLiveTxn(tableID int64) bool {
	for _, t := range c.s.Txns {
		if t.TableID == tableID && (t.State == TxnPrepare || t.State == TxnCommitted) {
			return true
		}
	}
	return false
}

func (c *Catalog) applyRecycle(op Op) {
	switch o := op.(type) {
	case *TruncateTableOp:
		t := *c.s.Tables[o.TableID]
		t.Partitions = slices.Clone(t.Partitions)
		for _, np := range o.NewPartitions {
			for i, p := range t.Partitions {
				if p.Name != np.Name {
					continue
				}
				c.s.RecycledPartitions[p.ID] = &RecycledPartition{DBID: t.DBID, TableID: t.ID, Volume: t.StorageVolume, Partition: p, DropTime: o.DropTime}
				n := *np
				t.Partitions[i] = &n
			}
		}
		c.s.Tables[t.ID] = &t
		c.reindex()
	case *DropPartitionOp:
		t := *c.s.Tables[o.TableID]
		p := c.partitionOf(&t, o.PartitionID)
		t.Partitions = slices.DeleteFunc(slices.Clone(t.Partitions), func(x *Partition) bool { return x.ID == o.PartitionID })
		c.s.Tables[t.ID] = &t
		if o.Force {
			c.s.PurgeQueue = append(c.s.PurgeQueue, PurgeEntry{DBID: t.DBID, TableID: t.ID, PartitionID: p.ID, ShardGroupID: p.ShardGroupID, Volume: t.StorageVolume})
		} else {
			c.s.RecycledPartitions[p.ID] = &RecycledPartition{DBID: t.DBID, TableID: t.ID, Volume: t.StorageVolume, Partition: p, Recoverable: true, DropTime: o.DropTime}
		}
		c.reindex()
	case *RecoverTableOp:
		rt := c.s.RecycledTables[o.TableID]
		delete(c.s.RecycledTables, o.TableID)
		c.s.Tables[rt.Table.ID] = rt.Table
		c.reindex()
	case *RecoverPartitionOp:
		rp := c.s.RecycledPartitions[o.PartitionID]
		delete(c.s.RecycledPartitions, o.PartitionID)
		t := *c.s.Tables[rp.TableID]
		t.Partitions = append(slices.Clone(t.Partitions), rp.Partition)
		sortPartitions(&t)
		c.s.Tables[t.ID] = &t
		c.reindex()
	case *RecoverDBOp:
		rd := c.s.RecycledDBs[o.DBID]
		delete(c.s.RecycledDBs, o.DBID)
		c.s.DBs[rd.DB.ID] = rd.DB
		for _, tid := range rd.TableIDs {
			if rt := c.s.RecycledTables[tid]; rt != nil {
				delete(c.s.RecycledTables, tid)
				c.s.Tables[tid] = rt.Table
			}
		}
		c.reindex()
	case *EraseRecycledOp:
		for _, id := range o.DBIDs {
			delete(c.s.RecycledDBs, id)
		}
		for _, id := range o.TableIDs {
			if rt := c.s.RecycledTables[id]; rt != nil {
				c.s.PurgeQueue = append(c.s.PurgeQueue, purgeEntries(rt.Table)...)
				delete(c.s.RecycledTables, id)
			}
		}
		for _, id := range o.PartitionIDs {
			if rp := c.s.RecycledPartitions[id]; rp != nil {
				c.s.PurgeQueue = append(c.s.PurgeQueue, PurgeEntry{DBID: rp.DBID, TableID: rp.TableID, PartitionID: id, ShardGroupID: rp.Partition.ShardGroupID, Volume: rp.Volume})
				delete(c.s.RecycledPartitions, id)
			}
		}
		c.reindex()
	case *PurgedOp:
		c.s.PurgeQueue = slices.DeleteFunc(slices.Clone(c.s.PurgeQueue), func(e PurgeEntry) bool { return slices.Contains(o.PartitionIDs, e.PartitionID) })
	}
}

// sortPartitions orders a RANGE table's partitions by upper bound, compared
// as values of the partition column's type (MAXVALUE last).
func sortPartitions(t *Table) {
	col := t.Column(t.Partitioning.Column)
	if col == nil {
		return
	}
	key := func(p *Partition) (types.Value, bool) {
		if p.Range == nil || p.Range.MaxValue {
			return types.Value{}, true
		}
		v, err := types.ParseValue(col.Type, p.Range.Upper)
		if err != nil {
			return types.Value{}, true
		}
		return v, false
	}
	sort.SliceStable(t.Partitions, func(i, j int) bool {
		a, amax := key(t.Partitions[i])
		b, bmax := key(t.Partitions[j])
		switch {
		case amax:
			return false
		case bmax:
			return true
		}
		return types.Compare(a, b) < 0
	})
}
