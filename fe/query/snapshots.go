package query

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// keySnapshotInterval is the fe.conf key of the minimum time between two
// automated cluster snapshots (seconds); the FE declares it
// (fe.KeySnapshotInterval), the engine reads it to show the interval and
// the next snapshot time.
const keySnapshotInterval = "automated_cluster_snapshot_interval_seconds"

// errSnapshotSharedDataOnly refuses automated cluster snapshots outside
// shared-data mode, with StarRocks' text.
func errSnapshotSharedDataOnly() error {
	return sqlerr.Generic("Automated snapshot only support share data mode")
}

// requireClusterAdmin lets only root and the cluster_admin role through,
// as the project decided for automated cluster snapshots (StarRocks checks
// SYSTEM OPERATE; minirocks' db_admin holds OPERATE and must not turn
// snapshots on or off). A refusal names OPERATE on SYSTEM, as StarRocks'.
func (s *Session) requireClusterAdmin() error {
	if s.privs().IsRoot() || s.eng.cat.HasActiveRole(s.ident, s.roles, catalog.RoleClusterAdmin) {
		return nil
	}
	return s.errAccessDenied([]string{catalog.PrivOperate}, catalog.ObjSystem, "")
}

// execAdminSetClusterSnapshot turns automated cluster snapshots on or off
// with one journaled SetAutomatedSnapshotOp. Privileges are checked before
// any snapshot state is looked at, so a user without them cannot learn
// whether snapshots are on; then StarRocks' checks, in its order.
func (s *Session) execAdminSetClusterSnapshot(ctx context.Context, st *sql.AdminSetClusterSnapshotStmt) (*Result, error) {
	e := s.eng
	if e.conf.Get("run_mode") != "shared_data" {
		return nil, errSnapshotSharedDataOnly()
	}
	if err := s.requireClusterAdmin(); err != nil {
		return nil, err
	}
	op := &catalog.SetAutomatedSnapshotOp{On: st.On, Time: e.now().UnixMilli()}
	if st.On {
		op.Volume = e.cat.DefaultStorageVolume()
		if st.StorageVolume != nil {
			op.Volume = st.StorageVolume.Name
		}
		if err := s.requireVolume(op.Volume, catalog.PrivUsage); err != nil {
			return nil, err
		}
		if e.cat.AutomatedSnapshotVolume() != "" {
			return nil, catalog.ErrSnapshotAlreadyOn()
		}
		if e.cat.StorageVolume(op.Volume) == nil {
			return nil, catalog.ErrSnapshotUnknownVolume(op.Volume)
		}
	} else if e.cat.AutomatedSnapshotVolume() == "" {
		return nil, catalog.ErrSnapshotNotOn()
	}
	if _, err := e.writer.Propose(ctx, op); err != nil {
		return nil, err
	}
	if st.On {
		e.log.Info("automated cluster snapshot turned on", "storage_volume", op.Volume, "user", s.ident.String())
	} else {
		e.log.Info("automated cluster snapshot turned off", "user", s.ident.String())
	}
	return OK(), nil
}

// snapshotIntervalMs returns automated_cluster_snapshot_interval_seconds
// in milliseconds, as the engine reads it now (ADMIN SET FRONTEND CONFIG
// changes it at run time).
func (e *Engine) snapshotIntervalMs() int64 {
	return e.conf.Int(keySnapshotInterval) * int64(time.Second/time.Millisecond)
}

// execAdminShowClusterSnapshot answers ADMIN SHOW AUTOMATED CLUSTER
// SNAPSHOT as newer StarRocks does: one row; when off, Enabled is false and
// everything else NULL. Interval is in seconds; the times are the catalog's
// (LastAutomatedSnapshotTime, NextAutomatedSnapshotTime), the same the
// leader's scheduler uses, NULL while there is none.
func (s *Session) execAdminShowClusterSnapshot() (*Result, error) {
	if err := s.requireSystem(catalog.PrivOperate); err != nil {
		return nil, err
	}
	cat := s.eng.cat
	res := &Result{Columns: StringColumns("Enabled", "Interval", "StorageVolume", "LastSnapshotTime", "NextSnapshotTime")}
	vol := cat.AutomatedSnapshotVolume()
	if vol == "" {
		res.AddValues(types.StringValue("false"), types.NullValue, types.NullValue, types.NullValue, types.NullValue)
		return res, nil
	}
	interval := s.eng.snapshotIntervalMs()
	res.AddValues(types.StringValue("true"), types.StringValue(strconv.FormatInt(interval/1000, 10)), types.StringValue(vol),
		timeOrNull(cat.LastAutomatedSnapshotTime()), timeOrNull(cat.NextAutomatedSnapshotTime(interval)))
	return res, nil
}

// timeOrNull renders epoch milliseconds as a DATETIME, or NULL when unset
// (0 or less, as StarRocks stores an unset time as -1).
func timeOrNull(ms int64) types.Value {
	if ms <= 0 {
		return types.NullValue
	}
	return types.TextValue(types.DateTime, time.UnixMilli(ms).Format(timeLayout))
}

// snapshotNameLen is the length of the VARCHAR columns of the snapshot
// views (StarRocks' SystemTable.NAME_CHAR_LEN).
const snapshotNameLen = 2048

func snapshotCol(name string) Column {
	return Column{Name: name, Type: types.VarcharOf(snapshotNameLen)}
}

// clusterSnapshotsTable is information_schema.cluster_snapshots: the
// snapshots that exist (catalog.Snapshots), with the storage path computed
// now from the volume's first location and the StarManager service id
// ("" when the volume is gone, as in StarRocks). PROPERTIES is always
// empty, as in StarRocks.
func clusterSnapshotsTable() *sysTable {
	return &sysTable{
		cols: []Column{snapshotCol("SNAPSHOT_NAME"), snapshotCol("SNAPSHOT_TYPE"), col("CREATED_TIME", types.TDateTime),
			col("FE_JOURNAL_ID", types.TBigInt), col("STARMGR_JOURNAL_ID", types.TBigInt), snapshotCol("PROPERTIES"),
			snapshotCol("STORAGE_VOLUME"), snapshotCol("STORAGE_PATH")},
		rows: func(s *Session) [][]types.Value {
			cat := s.eng.cat
			serviceID := s.eng.sm.ServiceID()
			var out [][]types.Value
			for _, j := range cat.Snapshots() {
				out = append(out, []types.Value{types.StringValue(j.Name), types.StringValue(j.Type), timeOrNull(j.CreatedTime),
					types.IntValue(types.BigInt, int64(j.FEJournalID)), types.IntValue(types.BigInt, int64(j.StarMgrJournalID)),
					types.StringValue(""), types.StringValue(j.Volume), types.StringValue(SnapshotStoragePath(cat.StorageVolume(j.Volume), serviceID, j.Name))})
			}
			return out
		},
	}
}

// SnapshotStoragePath is where a snapshot's objects are:
// "<first location of v>/<service id>/meta/image/<name>", or "" when the
// volume does not exist (any more) or has no location.
func SnapshotStoragePath(v *catalog.StorageVolume, serviceID, name string) string {
	if v == nil || len(v.Locations) == 0 {
		return ""
	}
	return strings.TrimRight(v.Locations[0], "/") + "/" + strings.TrimSuffix(layout.SnapshotDir(serviceID, name), "/")
}

// clusterSnapshotJobsTable is information_schema.cluster_snapshot_jobs:
// every job the catalog keeps, by id, whatever ON or OFF says.
// FINISHED_TIME is NULL until the job is FINISHED.
func clusterSnapshotJobsTable() *sysTable {
	return &sysTable{
		cols: []Column{snapshotCol("SNAPSHOT_NAME"), col("JOB_ID", types.TBigInt), col("CREATED_TIME", types.TDateTime),
			col("FINISHED_TIME", types.TDateTime), snapshotCol("STATE"), snapshotCol("DETAIL_INFO"), snapshotCol("ERROR_MESSAGE")},
		rows: func(s *Session) [][]types.Value {
			var out [][]types.Value
			for _, j := range s.eng.cat.SnapshotJobs() {
				out = append(out, []types.Value{types.StringValue(j.Name), types.IntValue(types.BigInt, j.ID), timeOrNull(j.CreatedTime),
					timeOrNull(j.FinishedTime), types.StringValue(string(j.State)), types.StringValue(j.DetailInfo), types.StringValue(j.ErrorMessage)})
			}
			return out
		},
	}
}
