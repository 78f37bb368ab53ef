package query

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/volume/layout"
)

// engineNow is the time newEngine's clock always shows (ms).
const engineNow = 1700000000000

func dt(ms int64) string { return time.UnixMilli(ms).Format(timeLayout) }

func denied(priv, obj, active string) string {
	return "Access denied; you need (at least one of) the " + priv + " privilege(s) on " + obj + " for this operation. " +
		"Please ask the admin to grant permission(s) or try activating existing roles using <set [default] role>. " +
		"Current role(s): " + active + ". Inactivated role(s): NONE."
}

// TestAutomatedSnapshotOnOff walks ON and OFF through every refusal and
// checks the journaled state and ADMIN SHOW's row at each step.
func TestAutomatedSnapshotOnOff(t *testing.T) {
	e, m := newEngine(t)
	root := rootSession(e)
	run(t, root, "CREATE STORAGE VOLUME backup TYPE = S3 LOCATIONS = ('s3://bk/snaps/') PROPERTIES ('aws.s3.region' = 'r', 'aws.s3.endpoint' = 'h:1', 'aws.s3.access_key' = 'a', 'aws.s3.secret_key' = 's')")
	show := "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT"
	res := run(t, root, show)
	require.Equal(t, []string{"Enabled", "Interval", "StorageVolume", "LastSnapshotTime", "NextSnapshotTime"}, columnNames(res))
	require.Equal(t, [][]string{{"false", "NULL", "NULL", "NULL", "NULL"}}, rowsOf(res))

	refuse := func(q, msg string) {
		t.Helper()
		before, err := m.cat.MarshalImage()
		require.NoError(t, err)
		err = runErr(root, q)
		require.Error(t, err, q)
		se, ok := sqlerr.As(err)
		require.True(t, ok, "not a SQL error: %v", err)
		require.Equal(t, msg, se.Message, q)
		after, err := m.cat.MarshalImage()
		require.NoError(t, err)
		require.JSONEq(t, string(before), string(after), "a refused statement changed the catalog")
	}
	refuse("ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF", "Automated snapshot has not been turn on")
	refuse("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME nope", "Unknown storage volume: nope")

	// ON without a volume takes the default one.
	run(t, root, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	require.Equal(t, BuiltinVolume, m.cat.AutomatedSnapshotVolume())
	require.Equal(t, int64(engineNow), m.cat.AutomatedSnapshotOnTime())
	require.Equal(t, [][]string{{"true", "1800", BuiltinVolume, "NULL", dt(engineNow + 1800_000)}}, rowsOf(run(t, root, show)))
	refuse("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON", "Automated snapshot has been turn on")
	refuse("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME backup", "Automated snapshot has been turn on")
	// Already on is found before an unknown volume, as in StarRocks.
	refuse("ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME nope", "Automated snapshot has been turn on")

	// The interval follows ADMIN SET FRONTEND CONFIG at once.
	run(t, root, "ADMIN SET FRONTEND CONFIG ('automated_cluster_snapshot_interval_seconds' = '60')")
	require.Equal(t, [][]string{{"true", "60", BuiltinVolume, "NULL", dt(engineNow + 60_000)}}, rowsOf(run(t, root, show)))

	run(t, root, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF")
	require.Equal(t, "", m.cat.AutomatedSnapshotVolume())
	require.Equal(t, [][]string{{"false", "NULL", "NULL", "NULL", "NULL"}}, rowsOf(run(t, root, show)))

	run(t, root, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME backup")
	require.Equal(t, "backup", m.cat.AutomatedSnapshotVolume())
	// A volume snapshots write to cannot be dropped.
	require.ErrorContains(t, runErr(root, "DROP STORAGE VOLUME backup"), "is used by automated cluster snapshots")
}

func columnNames(r *Result) []string {
	var out []string
	for _, c := range r.Columns {
		out = append(out, c.Name)
	}
	return out
}

// TestAutomatedSnapshotPrivileges: only root and cluster_admin may turn
// snapshots on or off, ON also needs USAGE on the volume, and the checks
// come before any state is looked at.
func TestAutomatedSnapshotPrivileges(t *testing.T) {
	e, m := newEngine(t)
	root := rootSession(e)
	run(t, root,
		"CREATE USER dba", "GRANT db_admin TO dba", "SET DEFAULT ROLE db_admin TO dba",
		"CREATE USER ops", "GRANT cluster_admin TO ops", "SET DEFAULT ROLE cluster_admin TO ops",
		"CREATE USER op2", "GRANT OPERATE ON SYSTEM TO op2",
		"CREATE USER plain")
	session := func(id uint32, user string) *Session {
		return e.NewSession(ConnInfo{ConnectionID: id, User: user, Account: "'" + user + "'@'%'", Host: "10.0.0.1"})
	}
	dba, ops, op2, plain := session(2, "dba"), session(3, "ops"), session(4, "op2"), session(5, "plain")
	on, off := "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON", "ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF"

	for _, tc := range []struct {
		s      *Session
		q, msg string
	}{
		{dba, on, denied("OPERATE", "SYSTEM", "[db_admin]")},
		{dba, off, denied("OPERATE", "SYSTEM", "[db_admin]")},
		{op2, on, denied("OPERATE", "SYSTEM", "NONE")},
		{plain, on, denied("OPERATE", "SYSTEM", "NONE")},
		// OFF while off: the privilege refusal, not the state's.
		{plain, off, denied("OPERATE", "SYSTEM", "NONE")},
		// An unknown volume: the privilege refusal, not the volume's.
		{plain, on + " STORAGE VOLUME nope", denied("OPERATE", "SYSTEM", "NONE")},
		{plain, "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT", denied("OPERATE", "SYSTEM", "NONE")},
	} {
		err := runErr(tc.s, tc.q)
		require.Error(t, err, tc.q)
		se, ok := sqlerr.As(err)
		require.True(t, ok)
		require.Equal(t, uint16(sqlerr.ErSpecificAccessDeny), se.Number, tc.q)
		require.Equal(t, tc.msg, se.Message, tc.q)
	}
	require.Equal(t, "", m.cat.AutomatedSnapshotVolume())

	// cluster_admin without USAGE on the volume is refused, even where
	// the state would refuse too.
	run(t, root, "REVOKE ALL ON ALL STORAGE VOLUMES FROM ROLE cluster_admin")
	err := runErr(ops, on)
	require.Error(t, err)
	require.Equal(t, denied("USAGE", "STORAGE VOLUME "+BuiltinVolume, "[cluster_admin]"), err.Error())
	require.Equal(t, denied("USAGE", "STORAGE VOLUME nope", "[cluster_admin]"), runErr(ops, on+" STORAGE VOLUME nope").Error())
	run(t, root, "GRANT USAGE ON STORAGE VOLUME "+BuiltinVolume+" TO ROLE cluster_admin")
	run(t, ops, on)
	require.Equal(t, BuiltinVolume, m.cat.AutomatedSnapshotVolume())
	require.Equal(t, denied("USAGE", "STORAGE VOLUME nope", "[cluster_admin]"), runErr(ops, on+" STORAGE VOLUME nope").Error())
	require.Equal(t, "Automated snapshot has been turn on", runErr(ops, on).Error())
	// db_admin may read the state (OPERATE), not change it.
	require.Equal(t, "true", rowsOf(run(t, dba, "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT"))[0][0])
	require.Equal(t, denied("OPERATE", "SYSTEM", "[db_admin]"), runErr(dba, off).Error())
	run(t, ops, off)
	require.Equal(t, "", m.cat.AutomatedSnapshotVolume())
}

// TestAutomatedSnapshotForwarded: on a follower the SET statements go to
// the leader unchanged; ADMIN SHOW answers locally.
func TestAutomatedSnapshotForwarded(t *testing.T) {
	e, m := newEngine(t)
	m.follower = true
	s := rootSession(e)
	for _, q := range []string{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME v", "ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF"} {
		run(t, s, q)
		require.Equal(t, q, m.forwarded[len(m.forwarded)-1].text)
	}
	require.Len(t, m.forwarded, 2)
	require.Equal(t, "false", rowsOf(run(t, s, "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT"))[0][0])
	require.Len(t, m.forwarded, 2)
}

// TestAutomatedSnapshotSharedDataOnly refuses the statements in
// shared-nothing mode with StarRocks' text.
func TestAutomatedSnapshotSharedDataOnly(t *testing.T) {
	m := newTestMeta(t)
	m.cfg = conf.New([]conf.Spec{{Key: "run_mode", Kind: conf.Enum, Default: "shared_nothing", Choices: []string{"shared_data", "shared_nothing"}}})
	e := NewEngine(Config{Catalog: m.cat, StarMgr: m.sm, Writer: m, Frontends: m, Lake: emptyLake{}, Conf: m.cfg})
	s := rootSession(e)
	for _, q := range []string{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON", "ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF"} {
		require.Equal(t, "Automated snapshot only support share data mode", runErr(s, q).Error())
	}
}

// TestClusterSnapshotViews checks both information_schema views against
// jobs journaled as the scheduler journals them.
func TestClusterSnapshotViews(t *testing.T) {
	e, m := newEngine(t)
	root := rootSession(e)
	ctx := context.Background()
	run(t, root, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON")
	job := func(id, created int64) catalog.SnapshotJob {
		return catalog.SnapshotJob{ID: id, Name: layout.SnapshotName(created), Type: catalog.SnapshotTypeAutomated,
			Volume: BuiltinVolume, State: catalog.SnapshotInitializing, CreatedTime: created}
	}
	apply := func(j catalog.SnapshotJob) {
		t.Helper()
		_, err := m.Propose(ctx, &catalog.SnapshotJobOp{Job: j, MaxHistory: 100})
		require.NoError(t, err)
	}
	// Job 1: finished. Job 2: failed. Job 3: finished, so job 1 expires.
	t1, t2, t3 := int64(engineNow+1000), int64(engineNow+2000), int64(engineNow+3000)
	j1 := job(101, t1)
	apply(j1)
	j1.State, j1.FEJournalID, j1.StarMgrJournalID, j1.DetailInfo = catalog.SnapshotSnapshoting, 40, 12, "uploading image.40"
	apply(j1)
	j1.State, j1.FinishedTime, j1.DetailInfo = catalog.SnapshotFinished, t1+500, ""
	apply(j1)
	j2 := job(102, t2)
	apply(j2)
	j2.State, j2.ErrorMessage = catalog.SnapshotError, "upload image failed, err msg: connection refused"
	apply(j2)
	j3 := job(103, t3)
	apply(j3)
	j3.State, j3.FEJournalID, j3.StarMgrJournalID = catalog.SnapshotSnapshoting, 55, 14
	apply(j3)
	j3.State, j3.FinishedTime = catalog.SnapshotFinished, t3+700
	apply(j3)
	j1.State, j1.DetailInfo = catalog.SnapshotExpired, "deleting"
	apply(j1)

	n1, n2, n3 := layout.SnapshotName(t1), layout.SnapshotName(t2), layout.SnapshotName(t3)
	path := func(n string) string { return "s3://bucket/prefix/svc/meta/image/" + n }
	require.Equal(t, [][]string{
		{n1, "AUTOMATED", dt(t1), "40", "12", "", BuiltinVolume, path(n1)},
		{n3, "AUTOMATED", dt(t3), "55", "14", "", BuiltinVolume, path(n3)},
	}, rowsOf(run(t, root, "SELECT * FROM information_schema.cluster_snapshots")))
	require.Equal(t, [][]string{{n3, path(n3)}}, rowsOf(run(t, root,
		"SELECT snapshot_name, storage_path FROM information_schema.cluster_snapshots WHERE fe_journal_id > 50")))
	require.Equal(t, [][]string{
		{n1, "101", dt(t1), dt(t1 + 500), "EXPIRED", "deleting", ""},
		{n2, "102", dt(t2), "NULL", "ERROR", "", "upload image failed, err msg: connection refused"},
		{n3, "103", dt(t3), dt(t3 + 700), "FINISHED", "", ""},
	}, rowsOf(run(t, root, "SELECT * FROM information_schema.cluster_snapshot_jobs")))
	require.Equal(t, [][]string{{"103", "FINISHED"}, {"102", "ERROR"}}, rowsOf(run(t, root,
		"SELECT job_id, state FROM information_schema.cluster_snapshot_jobs WHERE state <> 'EXPIRED' ORDER BY job_id DESC LIMIT 5")))
	require.Equal(t, [][]string{{"2"}}, rowsOf(run(t, root,
		"SELECT COUNT(*) FROM information_schema.cluster_snapshot_jobs WHERE finished_time IS NOT NULL")))

	// ADMIN SHOW: the last FINISHED snapshot and the next one due.
	require.Equal(t, [][]string{{"true", "1800", BuiltinVolume, dt(t3), dt(t3 + 1800_000)}},
		rowsOf(run(t, root, "ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT")))

	// DESC and the table list.
	require.Equal(t, [][]string{
		{"SNAPSHOT_NAME", "varchar(2048)", "YES", "false", "NULL", ""},
		{"SNAPSHOT_TYPE", "varchar(2048)", "YES", "false", "NULL", ""},
		{"CREATED_TIME", "datetime", "YES", "false", "NULL", ""},
		{"FE_JOURNAL_ID", "bigint", "YES", "false", "NULL", ""},
		{"STARMGR_JOURNAL_ID", "bigint", "YES", "false", "NULL", ""},
		{"PROPERTIES", "varchar(2048)", "YES", "false", "NULL", ""},
		{"STORAGE_VOLUME", "varchar(2048)", "YES", "false", "NULL", ""},
		{"STORAGE_PATH", "varchar(2048)", "YES", "false", "NULL", ""},
	}, rowsOf(run(t, root, "DESC information_schema.cluster_snapshots")))
	require.Equal(t, [][]string{
		{"SNAPSHOT_NAME", "varchar(2048)", "YES", "false", "NULL", ""},
		{"JOB_ID", "bigint", "YES", "false", "NULL", ""},
		{"CREATED_TIME", "datetime", "YES", "false", "NULL", ""},
		{"FINISHED_TIME", "datetime", "YES", "false", "NULL", ""},
		{"STATE", "varchar(2048)", "YES", "false", "NULL", ""},
		{"DETAIL_INFO", "varchar(2048)", "YES", "false", "NULL", ""},
		{"ERROR_MESSAGE", "varchar(2048)", "YES", "false", "NULL", ""},
	}, rowsOf(run(t, root, "DESC information_schema.cluster_snapshot_jobs")))
	require.Equal(t, [][]string{{"cluster_snapshot_jobs"}, {"cluster_snapshots"}}, rowsOf(run(t, root,
		"SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'cluster_snapshot%' ORDER BY table_name")))

	// OFF expires the FINISHED snapshot; the jobs stay listed.
	run(t, root, "ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF")
	require.Equal(t, [][]string{{"101", "EXPIRED"}, {"102", "ERROR"}, {"103", "EXPIRED"}}, rowsOf(run(t, root,
		"SELECT job_id, state FROM information_schema.cluster_snapshot_jobs")))
	require.Len(t, run(t, root, "SELECT * FROM information_schema.cluster_snapshots").Rows, 2)
}

func TestSnapshotStoragePath(t *testing.T) {
	for _, tc := range []struct {
		locs []string
		want string
	}{
		{[]string{"s3://b/p"}, "s3://b/p/svc/meta/image/n"},
		{[]string{"s3://b/p/", "s3://c/q"}, "s3://b/p/svc/meta/image/n"},
		{[]string{"s3://b"}, "s3://b/svc/meta/image/n"},
		{nil, ""},
	} {
		require.Equal(t, tc.want, SnapshotStoragePath(&catalog.StorageVolume{Locations: tc.locs}, "svc", "n"), tc.locs)
	}
	require.Equal(t, "", SnapshotStoragePath(nil, "svc", "n"))
}
