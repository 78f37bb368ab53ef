package query

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/starmgr"
	"github.com/minirocks/minirocks/volume/layout"
)

// execTruncate replaces a table's partitions (or the ones named) with new
// empty ones; the old ones go to the recycle bin and their data is deleted
// when they are erased.
func (s *Session) execTruncate(ctx context.Context, st *sql.TruncateTableStmt) (*Result, error) {
	t, dbName, err := s.lookupTable(st.Table)
	if err != nil {
		return nil, err
	}
	if err := s.requireTable(dbName, t.Name, catalog.PrivDelete); err != nil {
		return nil, err
	}
	parts := t.Partitions
	if len(st.Partitions) > 0 {
		parts = nil
		for _, p := range st.Partitions {
			tp := t.Partition(p.Name)
			if tp == nil {
				return nil, at(p.At, "Unknown partition '%s' in table '%s'", p.Name, t.Name)
			}
			parts = append(parts, tp)
		}
	}
	n := 0
	for _, p := range parts {
		n += 2 + len(p.Tablets)
	}
	next, err := s.eng.writer.AllocIDs(ctx, n)
	if err != nil {
		return nil, err
	}
	take := func() int64 { id := next; next++; return id }
	vol := s.eng.cat.StorageVolume(t.StorageVolume)
	if vol == nil {
		return nil, fmt.Errorf("storage volume %s of table %s is gone", t.StorageVolume, t.Name)
	}
	now := s.eng.now().UnixMilli()
	var fresh []*catalog.Partition
	var groups []starmgr.ShardGroup
	for _, p := range parts {
		np := &catalog.Partition{ID: take(), Name: p.Name, Range: p.Range, ShardGroupID: take(),
			Tablets: make([]int64, len(p.Tablets)), VisibleVersion: 1, NextVersion: 2, VisibleVersionTime: now}
		for i := range np.Tablets {
			np.Tablets[i] = take()
		}
		fresh = append(fresh, np)
		groups = append(groups, starmgr.ShardGroup{ID: np.ShardGroupID, VolumeID: vol.ID,
			Path: layout.ShardGroupPath(t.DBID, t.ID, np.ID), Shards: slices.Clone(np.Tablets)})
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.TruncateTableOp{TableID: t.ID, NewPartitions: fresh, DropTime: now},
		&starmgr.CreateShardGroupsOp{Groups: groups}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execAlterTable(ctx context.Context, st *sql.AlterTableStmt) (*Result, error) {
	t, dbName, err := s.lookupTable(st.Table)
	if err != nil {
		return nil, err
	}
	if err := s.requireTable(dbName, t.Name, catalog.PrivAlter); err != nil {
		return nil, err
	}
	for _, c := range st.Clauses {
		switch c := c.(type) {
		case *sql.DropPartitionClause:
			p := t.Partition(c.Name.Name)
			if p == nil {
				if c.IfExists {
					continue
				}
				return nil, sqlerr.New(sqlerr.ErPartitionList, sqlerr.StateGeneral, "Error in list of partitions to [%s]", c.Name.Name)
			}
			op := &catalog.DropPartitionOp{TableID: t.ID, PartitionID: p.ID, Force: c.Force, DropTime: s.eng.now().UnixMilli()}
			if _, err := s.eng.writer.Propose(ctx, op); err != nil {
				return nil, err
			}
		case *sql.CompactClause:
			var ids []int64
			for _, pn := range c.Partitions {
				p := t.Partition(pn.Name)
				if p == nil {
					return nil, at(pn.At, "Partition '%s' does not exist", pn.Name)
				}
				ids = append(ids, p.ID)
			}
			if len(ids) == 0 {
				for _, p := range t.Partitions {
					ids = append(ids, p.ID)
				}
			}
			// As in StarRocks, the statement only asks for the compaction;
			// it runs in the background (SHOW PARTITIONS shows CompactVersion).
			s.eng.lake.RequestCompaction(t.ID, ids)
		default:
			return nil, errNotSupported(c.Pos(), "This ALTER TABLE clause")
		}
		t = s.eng.cat.TableByID(t.ID)
		if t == nil {
			return nil, errUnknownTable(st.Table.At, st.Table.Name)
		}
	}
	return OK(), nil
}

func (s *Session) execRecoverTable(ctx context.Context, st *sql.RecoverTableStmt) (*Result, error) {
	dbName, err := s.resolveDB(st.Table.At, st.Table.Db)
	if err != nil {
		return nil, err
	}
	cat := s.eng.cat
	db := cat.DB(dbName)
	if db == nil {
		return nil, errUnknownDB(st.Table.At, dbName)
	}
	if !s.privs().Database(dbName, catalog.PrivCreateTable) {
		return nil, s.errAccessDenied([]string{catalog.PrivCreateTable}, catalog.ObjDatabase, dbName)
	}
	// The most recently dropped table of that name.
	var found *catalog.RecycledTable
	for _, rt := range cat.RecycledTables() {
		if rt.Table.DBID == db.ID && rt.Table.Name == st.Table.Name {
			found = rt
		}
	}
	if found == nil {
		return nil, sqlerr.New(sqlerr.ErBadTable, sqlerr.StateBadTable, "Unknown table '%s'", st.Table.Name)
	}
	if cat.Table(dbName, st.Table.Name) != nil {
		return nil, catalog.ErrTableExists(st.Table.Name)
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.RecoverTableOp{TableID: found.Table.ID}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execRecoverPartition(ctx context.Context, st *sql.RecoverPartitionStmt) (*Result, error) {
	t, dbName, err := s.lookupTable(st.Table)
	if err != nil {
		return nil, err
	}
	if err := s.requireTable(dbName, t.Name, catalog.PrivAlter); err != nil {
		return nil, err
	}
	var found *catalog.RecycledPartition
	for _, rp := range s.eng.cat.RecycledPartitions() {
		if rp.TableID == t.ID && rp.Partition.Name == st.Partition.Name && rp.Recoverable {
			found = rp
		}
	}
	if found == nil {
		return nil, sqlerr.Generic("No partition named '%s' in recycle bin that belongs to table '%s'", st.Partition.Name, t.Name)
	}
	if t.Partition(st.Partition.Name) != nil {
		return nil, sqlerr.Generic("partition[%s] already exist in table[%s]", st.Partition.Name, t.Name)
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.RecoverPartitionOp{PartitionID: found.Partition.ID}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execRecoverDatabase(ctx context.Context, st *sql.RecoverDatabaseStmt) (*Result, error) {
	if !s.privs().Catalog(catalog.PrivCreateDatabase) {
		return nil, s.errAccessDenied([]string{catalog.PrivCreateDatabase}, catalog.ObjCatalog, catalog.InternalCatalog)
	}
	var found *catalog.RecycledDB
	for _, rd := range s.eng.cat.RecycledDBs() {
		if rd.DB.Name == st.Db.Name {
			found = rd
		}
	}
	if found == nil {
		return nil, sqlerr.New(sqlerr.ErBadDB, sqlerr.StateBadDB, "Unknown database '%s'", st.Db.Name)
	}
	if s.eng.cat.DB(st.Db.Name) != nil {
		return nil, sqlerr.Generic("Database[%s] already exist.", st.Db.Name)
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.RecoverDBOp{DBID: found.DB.ID}); err != nil {
		return nil, err
	}
	return OK(), nil
}

// execAlterSystemComputeNode adds or drops compute nodes. Adding journals
// the node and its StarManager worker in one entry.
func (s *Session) execAlterSystemComputeNode(ctx context.Context, st *sql.AlterSystemStmt) (*Result, error) {
	cat := s.eng.cat
	for _, hp := range st.Hosts {
		host, port, err := splitHostPort(hp)
		if err != nil {
			return nil, sqlerr.Analysis(0, 0, 0, "", err.Error())
		}
		switch st.Op {
		case sql.SystemAdd:
			if cat.ComputeNodeByAddr(host, port) != nil {
				return nil, sqlerr.Generic("Compute node already exists with same host %s and port %d", host, port)
			}
			id, err := s.eng.writer.AllocIDs(ctx, 1)
			if err != nil {
				return nil, err
			}
			node := catalog.ComputeNode{ID: id, Host: host, HeartbeatPort: port}
			if _, err := s.eng.writer.Propose(ctx, &catalog.AddComputeNodeOp{Node: node},
				&starmgr.AddWorkerOp{Worker: starmgr.Worker{ID: id, Addr: hp}}); err != nil {
				return nil, err
			}
			s.eng.lake.ComputeNodeAdded()
		case sql.SystemDrop:
			n := cat.ComputeNodeByAddr(host, port)
			if n == nil {
				return nil, sqlerr.Generic("compute node does not exists[%s:%d]", host, port)
			}
			if _, err := s.eng.writer.Propose(ctx, &catalog.DropComputeNodeOp{ID: n.ID}, &starmgr.RemoveWorkerOp{ID: n.ID}); err != nil {
				return nil, err
			}
		default:
			return nil, errNotSupported(st.Pos(), "ALTER SYSTEM DECOMMISSION COMPUTE NODE")
		}
	}
	return OK(), nil
}

// recycleRows lists the recycle bin (SHOW CATALOG RECYCLE BIN).
func (s *Session) recycleRows() [][]string {
	cat := s.eng.cat
	var rows [][]string
	for _, d := range cat.RecycledDBs() {
		rows = append(rows, []string{"Database", d.DB.Name, fmt.Sprint(d.DB.ID), "", "", fmtMillis(d.DropTime)})
	}
	for _, t := range cat.RecycledTables() {
		rows = append(rows, []string{"Table", t.Table.Name, fmt.Sprint(t.Table.DBID), fmt.Sprint(t.Table.ID), "", fmtMillis(t.DropTime)})
	}
	for _, p := range cat.RecycledPartitions() {
		rows = append(rows, []string{"Partition", p.Partition.Name, fmt.Sprint(p.DBID), fmt.Sprint(p.TableID), fmt.Sprint(p.Partition.ID), fmtMillis(p.DropTime)})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][5] < rows[j][5] })
	return rows
}
