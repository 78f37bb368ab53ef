package harness_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
)

// snapshotInterval keeps the scheduler from taking a snapshot during the
// test, whatever it does: the statements and views are tested, not jobs.
const snapshotInterval = "86400"

// TestSnapshotSQL drives ADMIN SET|SHOW AUTOMATED CLUSTER SNAPSHOT and the
// two information_schema views on a cluster of two FEs, sending the
// statements through the follower (forwarded to the leader) and the
// leader: off by default, every refusal with StarRocks' exact text and
// nothing changed by it, the privilege refusals before any state check,
// then ON and OFF seen alike by both FEs.
func TestSnapshotSQL(t *testing.T) {
	c := harnesstest.Start(t, harness.WithFollowers(1),
		harness.WithFEConf("automated_cluster_snapshot_interval_seconds = "+snapshotInterval+"\n"))
	ctx := context.Background()
	leader, err := c.Leader(ctx)
	require.NoError(t, err)
	var follower *harness.FE
	for _, f := range c.FEs() {
		if f != leader {
			follower = f
		}
	}
	require.NotNil(t, follower)
	rootL := harnesstest.DB(t, leader.DSN("root", "", ""))
	rootF := harnesstest.DB(t, follower.DSN("root", "", ""))
	fes := map[string]*sql.DB{"leader": rootL, "follower": rootF}

	const (
		on   = "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON"
		off  = "ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF"
		show = "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT"
	)
	offRow := [][]string{{"false", "NULL", "NULL", "NULL", "NULL"}}
	// showOn waits until both FEs show automation on into the builtin
	// volume, due one interval after it was turned on (in [from, to]).
	showOn := func(from, to time.Time) {
		t.Helper()
		for name, db := range fes {
			harnesstest.WaitFor(t, 20*time.Second, func() error {
				rows := query(t, db, show)
				if len(rows) != 1 || !slices.Equal(rows[0][:4], []string{"true", snapshotInterval, "builtin_storage_volume", "NULL"}) {
					return fmt.Errorf("%s shows %v", name, rows)
				}
				next, err := time.ParseInLocation(time.DateTime, rows[0][4], time.Local)
				if err != nil {
					return fmt.Errorf("%s: NextSnapshotTime %q: %v", name, rows[0][4], err)
				}
				lo, hi := from.Add(24*time.Hour).Truncate(time.Second), to.Add(24*time.Hour)
				if next.Before(lo) || next.After(hi) {
					return fmt.Errorf("%s: NextSnapshotTime %s, want within [%s, %s]", name, next, lo, hi)
				}
				return nil
			})
		}
	}
	showOff := func() {
		t.Helper()
		for name, db := range fes {
			harnesstest.WaitFor(t, 20*time.Second, func() error {
				if rows := query(t, db, show); !slices.EqualFunc(rows, offRow, slices.Equal) {
					return fmt.Errorf("%s shows %v, want %v", name, rows, offRow)
				}
				return nil
			})
		}
	}

	// Off by default, on both FEs, with StarRocks' columns.
	cols, rows := queryCols(t, rootF, show)
	require.Equal(t, []string{"Enabled", "Interval", "StorageVolume", "LastSnapshotTime", "NextSnapshotTime"}, cols)
	require.Equal(t, offRow, rows)
	require.Equal(t, offRow, query(t, rootL, show))

	// Users: a db_admin, a cluster_admin, a plain user.
	for _, q := range []string{
		"CREATE USER dba IDENTIFIED BY 'pw-dba'", "GRANT db_admin TO dba", "SET DEFAULT ROLE db_admin TO dba",
		"CREATE USER ops IDENTIFIED BY 'pw-ops'", "GRANT cluster_admin TO ops", "SET DEFAULT ROLE cluster_admin TO ops",
		"CREATE USER plain IDENTIFIED BY 'pw-plain'",
	} {
		exec(t, rootL, q)
	}
	dba := harnesstest.DB(t, follower.DSN("dba", "pw-dba", ""))
	ops := harnesstest.DB(t, follower.DSN("ops", "pw-ops", ""))
	plain := harnesstest.DB(t, leader.DSN("plain", "pw-plain", ""))
	deny := func(priv, obj, roles string) string {
		return "Access denied; you need (at least one of) the " + priv + " privilege(s) on " + obj + " for this operation. " +
			"Please ask the admin to grant permission(s) or try activating existing roles using <set [default] role>. " +
			"Current role(s): " + roles + ". Inactivated role(s): NONE."
	}
	operate := func(roles string) string { return deny("OPERATE", "SYSTEM", roles) }

	// refused runs q on db and checks the exact error and that neither FE
	// changed what it shows.
	refused := func(db *sql.DB, q string, number uint16, msg string) {
		t.Helper()
		before := query(t, rootL, show)
		_, err := db.Exec(q)
		var me *mysql.MySQLError
		require.True(t, errors.As(err, &me), "%s: want error %q, got %v", q, msg, err)
		require.Equal(t, number, me.Number, "%s: %s", q, me.Message)
		require.Equal(t, msg, me.Message, q)
		require.Equal(t, before, query(t, rootL, show), q)
		require.Equal(t, before, query(t, rootF, show), q)
	}

	// While off.
	refused(rootF, off, 1064, "Automated snapshot has not been turn on")
	refused(rootL, off, 1064, "Automated snapshot has not been turn on")
	refused(rootF, on+" STORAGE VOLUME nope", 1064, "Unknown storage volume: nope")
	refused(dba, on, 5203, operate("[db_admin]"))
	refused(plain, on, 5203, operate("NONE"))
	// The privilege refusal comes first even where the state refuses too.
	refused(dba, off, 5203, operate("[db_admin]"))
	refused(plain, on+" STORAGE VOLUME nope", 5203, operate("NONE"))
	refused(plain, show, 5203, operate("NONE"))

	// A cluster_admin without USAGE on the volume.
	exec(t, rootL, "REVOKE ALL ON ALL STORAGE VOLUMES FROM ROLE cluster_admin")
	refused(ops, on, 5203, deny("USAGE", "STORAGE VOLUME builtin_storage_volume", "[cluster_admin]"))
	refused(ops, on+" STORAGE VOLUME nope", 5203, deny("USAGE", "STORAGE VOLUME nope", "[cluster_admin]"))
	exec(t, rootL, "GRANT ALL ON ALL STORAGE VOLUMES TO ROLE cluster_admin")

	// ON through the follower (forwarded), default volume; both FEs agree.
	from := time.Now()
	exec(t, ops, on)
	showOn(from, time.Now())
	refused(rootF, on, 1064, "Automated snapshot has been turn on")
	refused(rootL, on+" STORAGE VOLUME builtin_storage_volume", 1064, "Automated snapshot has been turn on")
	refused(dba, off, 5203, operate("[db_admin]"))
	refused(plain, on, 5203, operate("NONE"))
	refused(ops, on+" STORAGE VOLUME nope", 1064, "Automated snapshot has been turn on")

	// The views, on both FEs: columns, no snapshot yet, WHERE and ORDER BY.
	for name, db := range fes {
		require.Equal(t, [][]string{
			{"SNAPSHOT_NAME", "varchar(2048)"}, {"SNAPSHOT_TYPE", "varchar(2048)"}, {"CREATED_TIME", "datetime"},
			{"FE_JOURNAL_ID", "bigint"}, {"STARMGR_JOURNAL_ID", "bigint"}, {"PROPERTIES", "varchar(2048)"},
			{"STORAGE_VOLUME", "varchar(2048)"}, {"STORAGE_PATH", "varchar(2048)"},
		}, firstTwo(query(t, db, "DESC information_schema.cluster_snapshots")), name)
		require.Equal(t, [][]string{
			{"SNAPSHOT_NAME", "varchar(2048)"}, {"JOB_ID", "bigint"}, {"CREATED_TIME", "datetime"},
			{"FINISHED_TIME", "datetime"}, {"STATE", "varchar(2048)"}, {"DETAIL_INFO", "varchar(2048)"},
			{"ERROR_MESSAGE", "varchar(2048)"},
		}, firstTwo(query(t, db, "DESC information_schema.cluster_snapshot_jobs")), name)
		require.Empty(t, query(t, db, "SELECT * FROM information_schema.cluster_snapshots WHERE snapshot_type = 'AUTOMATED' ORDER BY created_time DESC"), name)
		require.Empty(t, query(t, db, "SELECT job_id, state FROM information_schema.cluster_snapshot_jobs WHERE state <> 'DELETED' ORDER BY job_id DESC LIMIT 5"), name)
	}

	// OFF through the leader; both FEs agree; OFF again is refused.
	exec(t, rootL, off)
	showOff()
	refused(rootF, off, 1064, "Automated snapshot has not been turn on")

	// ON again through the follower as root, then OFF through the follower.
	from = time.Now()
	exec(t, rootF, on+" STORAGE VOLUME builtin_storage_volume")
	showOn(from, time.Now())
	exec(t, ops, off)
	showOff()
}

func exec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	_, err := db.Exec(q)
	require.NoError(t, err, q)
}

func query(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	_, rows := queryCols(t, db, q)
	return rows
}

// queryCols returns the column names and the rows of q, NULL as "NULL".
func queryCols(t *testing.T, db *sql.DB, q string) ([]string, [][]string) {
	t.Helper()
	rows, err := db.Query(q)
	require.NoError(t, err, q)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return cols, out
}

func firstTwo(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r[:2]
	}
	return out
}
