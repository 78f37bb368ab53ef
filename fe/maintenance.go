package fe

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/starmgr"
)

// The leader's background work on the lake: automatic compaction, vacuum,
// erasing the recycle bin and purging erased partitions' data. Each runs
// only while this FE leads.

func placeID(shard int64, ids []int64) int64 { return starmgr.Place(shard, ids) }

// Compact implements query.Lake: one compaction transaction for the
// partitions; every tablet's rowsets at the visible version are merged into
// one, published as the next version.
func (l *lakeService) Compact(ctx context.Context, tableID int64, partitionIDs []int64) error {
	l.compactMu.Lock()
	defer l.compactMu.Unlock()
	cat := l.n.meta.cat
	t := cat.TableByID(tableID)
	if t == nil {
		return sqlerr.Generic("Unknown table id %d", tableID)
	}
	db := cat.DBByID(t.DBID)
	if db == nil {
		return sqlerr.Generic("Unknown database id %d", t.DBID)
	}
	var parts []*catalog.Partition
	for _, p := range t.Partitions {
		for _, id := range partitionIDs {
			if p.ID == id && p.VisibleVersion > 1 {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		return nil
	}
	vid, err := l.volumeID(t)
	if err != nil {
		return err
	}
	txn, err := l.beginTxn(ctx, db, t, fmt.Sprintf("compaction_%d_%d", t.ID, time.Now().UnixNano()), catalog.TxnCompaction, "", 86400)
	if err != nil {
		return err
	}
	schema := schemaOf(t)
	live, ids := l.cns.live()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	var writes []rpc.TabletWrite
	for _, p := range parts {
		for _, tb := range p.Tablets {
			w, err := l.cns.place(tb, live, ids)
			if err != nil {
				l.abortTxn(txn.ID, err.Error())
				return err
			}
			writes = append(writes, rpc.TabletWrite{PartitionID: p.ID, TabletID: tb})
			req := rpc.CompactRequest{Tablet: rpc.Tablet{ID: tb, VolumeID: vid, Dir: partitionDir(t, p)},
				BaseVersion: p.VisibleVersion, TxnID: txn.ID, GTID: txn.GTID, Schema: schema}
			g.Go(func() error {
				var resp rpc.CompactResponse
				if err := l.cns.call(gctx, w, func() error {
					return rpc.Call(gctx, l.client, "http://"+w.addr+rpc.PathCompact, req, &resp)
				}); err != nil {
					return sqlerr.Generic("Failed to compact tablet %d on compute node %s: %v", req.Tablet.ID, w.addr, err)
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		l.abortTxn(txn.ID, err.Error())
		return err
	}
	status, err := l.commitAndPublish(ctx, txn.ID, writes, 0, 0, 0)
	if err != nil {
		return err
	}
	if status != string(catalog.TxnVisible) {
		return sqlerr.Generic("compaction transaction %d committed but not yet visible", txn.ID)
	}
	l.n.log.Info("compacted", "table", t.Name, "partitions", len(parts), "txn", txn.ID)
	return nil
}

// RequestCompaction implements query.Lake: the compaction runs in the
// background, as StarRocks' ALTER TABLE ... COMPACT returns at once.
func (l *lakeService) RequestCompaction(tableID int64, partitionIDs []int64) {
	l.n.wg.Add(1)
	go func() {
		defer l.n.wg.Done()
		ctx, cancel := context.WithTimeout(l.n.ctx, 10*time.Minute)
		defer cancel()
		if err := l.Compact(ctx, tableID, partitionIDs); err != nil {
			l.n.log.Warn("requested compaction failed", "table", tableID, "err", err)
		}
	}()
}

// maintenanceLoop runs compaction, vacuum and the recycle bin while this FE
// leads, every lake_autovacuum_partition_naptime_seconds.
func (l *lakeService) maintenanceLoop(ctx context.Context) {
	for {
		nap := time.Duration(l.n.cfg.Int(KeyVacuumNaptime)) * time.Second
		select {
		case <-ctx.Done():
			return
		case <-time.After(nap):
		}
		if !l.n.leading.Load() {
			continue
		}
		if _, ids := l.cns.live(); len(ids) > 0 {
			l.autoCompact(ctx)
			l.vacuumAll(ctx)
		}
		// The recycle bin expires with or without compute nodes; purge
		// waits for one only where there is data to delete.
		l.eraseExpired(ctx)
		l.purge(ctx)
	}
}

// autoCompact compacts partitions with at least
// lake_compaction_score_selector_min_score versions since their last
// compaction (each load adds at most one rowset per tablet).
func (l *lakeService) autoCompact(ctx context.Context) {
	min := l.n.cfg.Int(KeyCompactionMinScore)
	for _, db := range l.n.meta.cat.DBs() {
		for _, t := range l.n.meta.cat.Tables(db.Name) {
			var ids []int64
			for _, p := range t.Partitions {
				base := max(p.CompactedVersion, 1)
				if p.VisibleVersion-base >= min {
					ids = append(ids, p.ID)
				}
			}
			if len(ids) > 0 {
				if err := l.Compact(ctx, t.ID, ids); err != nil {
					l.n.log.Warn("automatic compaction failed", "table", t.Name, "err", err)
				}
			}
		}
	}
}

// vacuumAll vacuums every partition whose visible version moved since its
// last vacuum.
func (l *lakeService) vacuumAll(ctx context.Context) {
	for _, db := range l.n.meta.cat.DBs() {
		for _, t := range l.n.meta.cat.Tables(db.Name) {
			for _, p := range t.Partitions {
				l.vacuumMu.Lock()
				done := l.vacuumed[p.ID]
				l.vacuumMu.Unlock()
				if p.VisibleVersion <= 1 || p.VisibleVersion == done {
					continue
				}
				if _, err := l.Vacuum(ctx, t, p); err != nil {
					l.n.log.Warn("vacuum failed", "table", t.Name, "partition", p.Name, "err", err)
				}
			}
		}
	}
}

// Vacuum deletes from one partition's directory the metadata and data no
// retained version needs: versions below the visible one, files of aborted
// loads, txn logs already published — never anything younger than
// lake_autovacuum_grace_period_minutes, nor what a pending transaction uses.
func (l *lakeService) Vacuum(ctx context.Context, t *catalog.Table, p *catalog.Partition) (*rpc.VacuumResponse, error) {
	vid, err := l.volumeID(t)
	if err != nil {
		return nil, err
	}
	var pending []int64
	for _, txn := range l.n.meta.cat.Txns(catalog.TxnPrepare, catalog.TxnCommitted) {
		if txn.TableID == t.ID {
			pending = append(pending, txn.ID)
		}
	}
	grace := time.Now().Add(-time.Duration(l.n.cfg.Int(KeyVacuumGrace)) * time.Minute)
	req := rpc.VacuumRequest{VolumeID: vid, Dir: partitionDir(t, p), MinRetainVersion: p.VisibleVersion,
		PendingTxns: pending, GraceUnixMs: grace.UnixMilli()}
	live, ids := l.cns.live()
	w, err := l.cns.place(p.ID, live, ids)
	if err != nil {
		return nil, err
	}
	var resp rpc.VacuumResponse
	if err := l.cns.call(ctx, w, func() error {
		return rpc.Call(ctx, l.client, "http://"+w.addr+rpc.PathVacuum, req, &resp)
	}); err != nil {
		return nil, err
	}
	l.vacuumMu.Lock()
	l.vacuumed[p.ID] = p.VisibleVersion
	l.vacuumMu.Unlock()
	if resp.Deleted > 0 {
		l.n.log.Info("vacuumed", "table", t.Name, "partition", p.Name, "deleted", resp.Deleted, "kept", resp.Kept)
	}
	return &resp, nil
}

// eraseExpired forgets recycle-bin entries older than
// catalog_trash_expire_second; their data joins the purge queue.
func (l *lakeService) eraseExpired(ctx context.Context) {
	cat := l.n.meta.cat
	cutoff := time.Now().UnixMilli() - l.n.cfg.Int(KeyTrashExpire)*1000
	op := &catalog.EraseRecycledOp{}
	for _, d := range cat.RecycledDBs() {
		if d.DropTime <= cutoff {
			op.DBIDs = append(op.DBIDs, d.DB.ID)
		}
	}
	for _, t := range cat.RecycledTables() {
		if t.DropTime <= cutoff {
			op.TableIDs = append(op.TableIDs, t.Table.ID)
		}
	}
	for _, p := range cat.RecycledPartitions() {
		if p.DropTime <= cutoff {
			op.PartitionIDs = append(op.PartitionIDs, p.Partition.ID)
		}
	}
	if len(op.DBIDs)+len(op.TableIDs)+len(op.PartitionIDs) == 0 {
		return
	}
	if _, err := l.n.Propose(ctx, op); err != nil {
		l.n.log.Warn("erase recycle bin failed", "err", err)
	}
}

// purge deletes the data of erased partitions, then drops them from the
// purge queue and their shard groups from StarManager in one entry.
func (l *lakeService) purge(ctx context.Context) {
	queue := l.n.meta.cat.PurgeQueue()
	if len(queue) == 0 {
		return
	}
	live, ids := l.cns.live()
	var done []int64
	var groups []int64
	for _, e := range queue {
		v := l.n.meta.cat.StorageVolume(e.Volume)
		if v != nil {
			w, err := l.cns.place(e.PartitionID, live, ids)
			if err != nil {
				return
			}
			var resp rpc.DropResponse
			if err := l.cns.call(ctx, w, func() error {
				return rpc.Call(ctx, l.client, "http://"+w.addr+rpc.PathDrop, rpc.DropRequest{VolumeID: v.ID, Dir: e.Dir()}, &resp)
			}); err != nil {
				l.n.log.Warn("purge failed; will retry", "dir", e.Dir(), "err", err)
				continue
			}
			l.n.log.Info("purged partition data", "dir", e.Dir(), "objects", resp.Deleted)
		}
		done = append(done, e.PartitionID)
		groups = append(groups, e.ShardGroupID)
	}
	if len(done) == 0 {
		return
	}
	if _, err := l.n.Propose(ctx, &catalog.PurgedOp{PartitionIDs: done}, &starmgr.DeleteShardGroupsOp{IDs: groups}); err != nil {
		l.n.log.Warn("journal purge failed", "err", err)
	}
}
