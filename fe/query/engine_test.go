package query

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/starmgr"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// testMeta applies ops straight to a catalog and a StarManager, with the
// same check-all-then-apply rule as the FE's journal state machine. It lets
// the engine be tested without a journal.
type testMeta struct {
	mu   sync.Mutex
	cat  *catalog.Catalog
	sm   *starmgr.StarMgr
	cfg  *conf.Config
	next int64
	// follower makes the engine forward what needs the leader to forward.
	follower  bool
	forwarded []forwardCall
}

// forwardCall is one statement the engine forwarded.
type forwardCall struct {
	state SessionState
	text  string
}

func newTestMeta(t *testing.T) *testMeta {
	m := &testMeta{cat: catalog.New(), sm: starmgr.New(), cfg: conf.New([]conf.Spec{
		{Key: "run_mode", Kind: conf.Enum, Default: "shared_data", Choices: []string{"shared_data", "shared_nothing"}},
		{Key: "edit_log_roll_num", Kind: conf.Int, Default: "50000", Mutable: true},
		{Key: "aws_s3_secret_key", Default: "top-secret", Secret: true},
		{Key: "query_port", Kind: conf.Int, Default: "9030"},
		{Key: keySnapshotInterval, Kind: conf.Int, Default: "1800", Min: 1, Mutable: true},
	})}
	vol := catalog.StorageVolume{ID: "v-1", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://bucket/prefix"},
		Properties: map[string]string{"aws.s3.endpoint": "127.0.0.1:9000", "aws.s3.access_key": "ak", "aws.s3.secret_key": "sk-secret"}, Enabled: true}
	_, err := m.Propose(context.Background(),
		&catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "fe1", Host: "127.0.0.1", EditLogPort: 9010, Role: "FOLLOWER"}, Volume: &vol},
		&starmgr.InitOp{ServiceID: "svc"})
	require.NoError(t, err)
	return m
}

func (m *testMeta) Frontends() []FrontendStatus {
	return []FrontendStatus{{Name: "fe1", Host: "127.0.0.1", EditLogPort: 9010, HTTPPort: 8030, QueryPort: 9030, RPCPort: 9020,
		Role: "LEADER", IsLeader: true, Alive: true, ClusterID: "1", Join: true, ReplayedJournalID: 7, Version: "v"}}
}

func (m *testMeta) IsLeader() bool { return !m.follower }

func (m *testMeta) RemoveJournalMember(context.Context, string) error { return nil }

func (m *testMeta) SetConfigOnOtherFEs(context.Context, map[string]string) error { return nil }

// Forward records the statement and answers OK, as a leader would.
func (m *testMeta) Forward(_ context.Context, st SessionState, text string) (*Result, error) {
	m.forwarded = append(m.forwarded, forwardCall{state: st, text: text})
	return &Result{AffectedRows: 1}, nil
}

// emptyLake stands in for the data path, which is tested end to end with
// real compute nodes.
type emptyLake struct{}

func (emptyLake) Insert(context.Context, InsertRequest) (*InsertResult, error) {
	return nil, fmt.Errorf("no compute nodes in unit tests")
}
func (emptyLake) Scan(context.Context, ScanRequest, func([][]types.Value) error) error { return nil }
func (emptyLake) RequestCompaction(int64, []int64)                                     {}
func (emptyLake) ComputeNodes() []ComputeNodeStatus                                    { return nil }
func (emptyLake) ComputeNodeAdded()                                                    {}

func (m *testMeta) Propose(_ context.Context, ops ...any) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, op := range ops {
		var err error
		switch o := op.(type) {
		case catalog.Op:
			err = m.cat.Check(o)
		case starmgr.Op:
			err = m.sm.Check(o)
		}
		if err != nil {
			return 0, err
		}
	}
	for _, op := range ops {
		switch o := op.(type) {
		case catalog.Op:
			m.cat.Apply(o)
		case starmgr.Op:
			m.sm.Apply(o)
		}
	}
	return 1, nil
}

func (m *testMeta) AllocIDs(ctx context.Context, n int) (int64, error) {
	first := max(m.cat.NextID(), m.next)
	if _, err := m.Propose(ctx, &catalog.SaveNextIDOp{NextID: first + int64(n)}); err != nil {
		return 0, err
	}
	m.next = first + int64(n)
	return first, nil
}

// run executes statements as root and returns the last result.
func run(t *testing.T, s *Session, stmts ...string) *Result {
	t.Helper()
	var res *Result
	for _, q := range stmts {
		r, rest, err := s.Run(context.Background(), q)
		require.NoError(t, err, q)
		require.Empty(t, strings.TrimSpace(rest))
		res = r
	}
	return res
}

func runErr(s *Session, q string) error {
	_, _, err := s.Run(context.Background(), q)
	return err
}

func rowsOf(r *Result) [][]string {
	var out [][]string
	for _, row := range r.Rows {
		var cells []string
		for _, v := range row {
			cells = append(cells, v.String())
		}
		out = append(out, cells)
	}
	return out
}

func newEngine(t *testing.T) (*Engine, *testMeta) {
	m := newTestMeta(t)
	return NewEngine(Config{Catalog: m.cat, StarMgr: m.sm, Writer: m, Frontends: m, Lake: emptyLake{}, Conf: m.cfg,
		Now: func() time.Time { return time.UnixMilli(1700000000000) }, VersionComment: "3.4.2-minirocks"}), m
}

func rootSession(e *Engine) *Session {
	return e.NewSession(ConnInfo{ConnectionID: 1, User: "root", Account: "'root'@'%'", Host: "127.0.0.1"})
}

// TestStatementErrors runs failing statements and checks the MySQL error
// number and StarRocks' text, and that they change nothing.
func TestStatementErrors(t *testing.T) {
	setup := []string{
		"CREATE DATABASE d1",
		"CREATE TABLE d1.t (k INT, v VARCHAR(10)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2",
		"CREATE USER 'u1' IDENTIFIED BY 'p1'",
	}
	cases := []struct {
		sql    string
		number uint16
		msg    string
	}{
		{"SELEC 1", 1064, "Getting syntax error at line 1, column 0. Detail message: Unexpected input 'SELEC'"},
		{"SELECT * FROM d1.t WHERE", 1064, "Getting syntax error at line 1, column 24. Detail message: Unexpected input '<EOF>'"},
		{"CREATE DATABASE d1", 1007, "Can't create database 'd1'; database exists"},
		{"DROP DATABASE nope", 1008, "Can't drop database 'nope'; database doesn't exist"},
		{"USE nope", 5501, "Unknown database 'nope'"},
		{"SELECT * FROM nope.t", 5501, "Getting analyzing error at line 1, column 14. Detail message: Unknown database 'nope'."},
		{"SELECT * FROM d1.nope", 5502, "Getting analyzing error at line 1, column 14. Detail message: Unknown table 'd1.nope'."},
		{"SELECT nope FROM d1.t", 1064, "Getting analyzing error at line 1, column 7. Detail message: Column 'nope' cannot be resolved."},
		{"DESC d1.nope", 5502, "Unknown table 'nope'"},
		{"SHOW TABLES", 1046, "No database selected"},
		{"CREATE TABLE t2 (a INT)", 1064, "No database selected"},
		{"CREATE TABLE d1.t (k INT)", 1050, "Table 't' already exists"},
		{"CREATE TABLE d1.t2 (a INT, A INT)", 1060, "Duplicate column name 'A'"},
		{"CREATE TABLE d1.t2 (a INT) DUPLICATE KEY(b)", 1064, "Key column(b) doesn't exist."},
		{"CREATE TABLE d1.t2 (a INT, b INT) DUPLICATE KEY(b)", 1064, "Key columns must be the first few columns of the schema"},
		{"CREATE TABLE d1.t2 (a INT) DISTRIBUTED BY HASH(z)", 1064, "Distribution column(z) doesn't exist."},
		{"CREATE TABLE d1.t2 (a INT) PARTITION BY RANGE(z) (PARTITION p VALUES LESS THAN ('1'))", 1064, "Partition column[z] does not exist in column list."},
		{"CREATE TABLE d1.t2 (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES LESS THAN ('x'))", 1064, "Invalid range value format"},
		{"CREATE TABLE d1.t2 (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES LESS THAN ('1'), PARTITION q VALUES LESS THAN ('1'))", 1064, "is intersected with range of partition"},
		{"CREATE TABLE d1.t2 (a INT, b INT SUM) AGGREGATE KEY(a) DISTRIBUTED BY RANDOM", 1064, "Random distribution must be used in DUP_KEYS"},
		{"CREATE TABLE d1.t2 (a INT DEFAULT 'x')", 1064, "Invalid default value for 'a'"},
		{"CREATE TABLE d1.t2 (a JSON)", 1064, "Type JSON is not supported by minirocks"},
		{"CREATE TABLE d1.t2 (a INT) PROPERTIES ('colour' = 'red')", 1064, "Unknown properties: {colour=red}"},
		{"CREATE TABLE d1.t2 (a INT) PROPERTIES ('storage_volume' = 'nope')", 1064, `Unknown storage volume "nope"`},
		{"CREATE TABLE d1.t2 (a INT, b INT) AGGREGATE KEY(a)", 1064, "AGG_KEYS table should specify aggregate type for non-key column[b]"},
		{"CREATE STORAGE VOLUME builtin_storage_volume TYPE = S3 LOCATIONS = ('s3://b/p')", 1064, "is a reserved storage volume name"},
		{"CREATE STORAGE VOLUME v1 TYPE = S3 LOCATIONS = ('s3://b/p') PROPERTIES ('aws.s3.colour' = 'x', 'aws.s3.region' = 'r')", 1064, "Invalid properties aws.s3.colour"},
		{"CREATE STORAGE VOLUME v1 TYPE = HDFS LOCATIONS = ('hdfs://b/p')", 1064, "not supported by minirocks"},
		{"CREATE STORAGE VOLUME v1 TYPE = S3 LOCATIONS = ('hdfs://b/p') PROPERTIES ('aws.s3.region' = 'r', 'aws.s3.use_instance_profile' = 'true')", 1064, "Invalid location hdfs://b/p"},
		{"DESC STORAGE VOLUME nope", 1064, "Unknown storage volume: nope"},
		{"DROP STORAGE VOLUME nope", 1064, "Storage volume 'nope' does not exist"},
		{"DROP STORAGE VOLUME builtin_storage_volume", 1064, "default storage volume can not be removed"},
		{"SET nope AS DEFAULT STORAGE VOLUME", 1064, "Storage volume 'nope' does not exist"},
		{"CREATE USER 'u1' IDENTIFIED BY 'x'", 1064, "Operation CREATE USER failed for 'u1'@'%' : user already exists"},
		{"DROP USER 'nope'", 1064, "Operation DROP USER failed for 'nope'@'%' : user not exists"},
		{"DROP USER root", 1064, "cannot drop user 'root'@'%'"},
		{"GRANT SELECT ON d1.* TO 'nope'", 1064, "cannot find user 'nope'@'%'!"},
		{"GRANT SELECT ON d1.nope TO 'u1'", 5502, "Unknown table 'd1.nope'"},
		{"GRANT nope_role TO 'u1'", 1064, "cannot find role nope_role!"},
		{"SET PASSWORD FOR 'u1' = 'plain'", 5201, "Password hash should be a 41-digit hexadecimal number"},
		{"SET PASSWORD FOR 'nope' = PASSWORD('x')", 1064, "authentication info for user 'nope'@'%' not found"},
		{"SELECT @@nope", 1193, "Unknown system variable 'nope', the most similar variables are {"},
		{"SET nope = 1", 1193, "Unknown system variable 'nope'"},
		{"SET version = 'x'", 1621, "Variable 'version' is a read only variable"},
		{"ADMIN SET FRONTEND CONFIG ('nope' = '1')", 1064, "Config 'nope' does not exist or is not mutable"},
		{"ADMIN SET FRONTEND CONFIG ('query_port' = '1')", 1064, "Config 'query_port' does not exist or is not mutable"},
		{"ADMIN SET FRONTEND CONFIG ('edit_log_roll_num' = 'x')", 1064, "Failed to set config 'edit_log_roll_num'. err: invalid value \"x\": not an integer"},
		{"ALTER SYSTEM ADD BACKEND '127.0.0.1:9050'", 1064, "has no backends"},
		{"SHOW PROC '/nope'", 1064, "Proc path '/nope' doesn't exist"},
		{"SELECT COUNT(*) FROM d1.t WHERE COUNT(*) > 1", 1064, "WHERE clause cannot contain aggregations"},
		{"SELECT k, COUNT(*) FROM d1.t", 1064, "'k' must be an aggregate expression or appear in GROUP BY clause"},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			e, m := newEngine(t)
			s := rootSession(e)
			run(t, s, setup...)
			before, err := m.cat.MarshalImage()
			require.NoError(t, err)
			err = runErr(s, tc.sql)
			require.Error(t, err)
			se, ok := sqlerr.As(err)
			require.True(t, ok, "not a SQL error: %v", err)
			require.Equal(t, tc.number, se.Number, se.Message)
			require.Contains(t, se.Message, tc.msg)
			after, err := m.cat.MarshalImage()
			require.NoError(t, err)
			require.JSONEq(t, string(before), string(after), "a failed statement changed the catalog")
		})
	}
}

func TestShowCreateTableAndDesc(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	run(t, s, "CREATE DATABASE d", "USE d", `CREATE TABLE orders (
		id BIGINT NOT NULL COMMENT "order id",
		dt DATE NOT NULL,
		amount DECIMAL(10, 2) DEFAULT "0",
		note STRING
	) DUPLICATE KEY(id, dt) COMMENT "orders table"
	PARTITION BY RANGE(dt) (PARTITION p1 VALUES LESS THAN ("2024-01-01"), PARTITION p2 VALUES LESS THAN MAXVALUE)
	DISTRIBUTED BY HASH(id) BUCKETS 3 PROPERTIES ("compression" = "zstd")`)
	res := run(t, s, "SHOW CREATE TABLE orders")
	require.Equal(t, "CREATE TABLE `orders` (\n"+
		"  `id` bigint(20) NOT NULL COMMENT \"order id\",\n"+
		"  `dt` date NOT NULL COMMENT \"\",\n"+
		"  `amount` decimal(10, 2) NULL DEFAULT \"0\" COMMENT \"\",\n"+
		"  `note` varchar(65533) NULL COMMENT \"\"\n"+
		") ENGINE=OLAP \n"+
		"DUPLICATE KEY(`id`, `dt`)\n"+
		"COMMENT \"orders table\"\n"+
		"PARTITION BY RANGE(`dt`)\n"+
		"(PARTITION p1 VALUES [(\"0000-01-01\"), (\"2024-01-01\")),\n"+
		"PARTITION p2 VALUES [(\"2024-01-01\"), (MAXVALUE)))\n"+
		"DISTRIBUTED BY HASH(`id`) BUCKETS 3 \n"+
		"PROPERTIES (\n"+
		"\"compression\" = \"ZSTD\",\n"+
		"\"datacache.enable\" = \"true\",\n"+
		"\"enable_async_write_back\" = \"false\",\n"+
		"\"replication_num\" = \"1\",\n"+
		"\"storage_volume\" = \"builtin_storage_volume\"\n"+
		");", res.Rows[0][1].String())
	require.Equal(t, [][]string{
		{"id", "bigint", "NO", "true", "NULL", ""},
		{"dt", "date", "NO", "true", "NULL", ""},
		{"amount", "decimal(10,2)", "YES", "false", "0", ""},
		{"note", "varchar(65533)", "YES", "false", "NULL", ""},
	}, rowsOf(run(t, s, "DESC orders")))
	// Tablets and shard groups: 2 partitions x 3 buckets.
	tbl := e.cat.Table("d", "orders")
	require.Len(t, tbl.Partitions, 2)
	require.Equal(t, 6, tbl.TabletCount())
	require.Len(t, e.sm.ShardGroups(), 2)
	require.Equal(t, 6, e.sm.ShardCount())
	g := e.sm.ShardGroup(tbl.Partitions[0].ShardGroupID)
	require.Equal(t, layout.ShardGroupPath(tbl.DBID, tbl.ID, tbl.Partitions[0].ID), g.Path)
	require.Equal(t, tbl.Partitions[0].Tablets, g.Shards)

	// Without BUCKETS: automatic count, no BUCKETS clause shown; no KEY: default keys.
	run(t, s, "CREATE TABLE auto (a INT, b BIGINT, c VARCHAR(5), d INT)")
	res = run(t, s, "SHOW CREATE TABLE auto")
	require.Contains(t, res.Rows[0][1].String(), "DUPLICATE KEY(`a`, `b`, `c`)\nDISTRIBUTED BY RANDOM\n")
	require.Equal(t, 16, e.cat.Table("d", "auto").TabletCount())
	run(t, s, "DROP TABLE auto")
	require.Nil(t, e.cat.Table("d", "auto"))
	// The dropped table waits in the recycle bin; its shard group stays
	// until its data is purged.
	require.Len(t, e.cat.RecycledTables(), 1)
	require.Len(t, e.sm.ShardGroups(), 3)
	run(t, s, "RECOVER TABLE auto")
	require.NotNil(t, e.cat.Table("d", "auto"))
	require.Empty(t, e.cat.RecycledTables())
}

func TestBatchPartitions(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	run(t, s, "CREATE DATABASE d", `CREATE TABLE d.ev (dt DATE, v INT) PARTITION BY RANGE(dt)
		(START ("2024-01-01") END ("2024-01-04") EVERY (INTERVAL 1 DAY)) DISTRIBUTED BY HASH(v) BUCKETS 1`)
	res := run(t, s, "SHOW PARTITIONS FROM d.ev")
	var got [][]string
	for _, r := range rowsOf(res) {
		got = append(got, []string{r[1], r[7]})
	}
	require.Equal(t, [][]string{
		{"p20240101", "[0000-01-01, 2024-01-02)"},
		{"p20240102", "[2024-01-02, 2024-01-03)"},
		{"p20240103", "[2024-01-03, 2024-01-04)"},
	}, got)
}

func TestVolumes(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	run(t, s, `CREATE STORAGE VOLUME backup TYPE = S3 LOCATIONS = ("s3://bk/dr") COMMENT "dr copy"
		PROPERTIES ("aws.s3.region" = "us-west-2", "aws.s3.endpoint" = "minio:9000", "aws.s3.access_key" = "AK", "aws.s3.secret_key" = "SK")`)
	require.Equal(t, [][]string{{"backup"}, {"builtin_storage_volume"}}, rowsOf(run(t, s, "SHOW STORAGE VOLUMES")))
	require.Equal(t, [][]string{{"backup"}}, rowsOf(run(t, s, "SHOW STORAGE VOLUMES LIKE 'back%'")))
	desc := rowsOf(run(t, s, "DESC STORAGE VOLUME backup"))
	require.Equal(t, [][]string{{"backup", "S3", "false", "s3://bk/dr",
		`{"aws.s3.access_key":"******","aws.s3.endpoint":"minio:9000","aws.s3.region":"us-west-2","aws.s3.secret_key":"******"}`,
		"true", "dr copy"}}, desc)
	run(t, s, `ALTER STORAGE VOLUME backup SET ("aws.s3.region" = "eu-west-1")`, "ALTER STORAGE VOLUME backup COMMENT = 'moved'")
	desc = rowsOf(run(t, s, "DESC STORAGE VOLUME backup"))
	require.Contains(t, desc[0][4], `"aws.s3.region":"eu-west-1"`)
	require.Equal(t, "moved", desc[0][6])
	run(t, s, "SET backup AS DEFAULT STORAGE VOLUME")
	require.Equal(t, "true", rowsOf(run(t, s, "DESC STORAGE VOLUME backup"))[0][2])
	run(t, s, "CREATE DATABASE d", "CREATE TABLE d.t (a INT)")
	require.Equal(t, "backup", e.cat.Table("d", "t").StorageVolume)
	run(t, s, "SET builtin_storage_volume AS DEFAULT STORAGE VOLUME")
	err := runErr(s, "DROP STORAGE VOLUME backup")
	require.ErrorContains(t, err, "Storage volume 'backup' is referenced by dbs or tables, dbs: [], tables: [d.t]")
	err = runErr(s, `ALTER STORAGE VOLUME builtin_storage_volume SET ("enabled" = "false")`)
	require.ErrorContains(t, err, "Default volume can not be disabled")
	run(t, s, "DROP TABLE d.t", "DROP STORAGE VOLUME backup", "DROP STORAGE VOLUME IF EXISTS backup")
	require.Equal(t, [][]string{{"builtin_storage_volume"}}, rowsOf(run(t, s, "SHOW STORAGE VOLUMES")))
}

func TestUsersAndPrivileges(t *testing.T) {
	e, m := newEngine(t)
	root := rootSession(e)
	run(t, root, "CREATE DATABASE sales", "CREATE DATABASE hr",
		"CREATE TABLE sales.orders (id INT)", "CREATE TABLE hr.people (id INT)",
		"CREATE USER 'ana'@'%' IDENTIFIED BY 'pw'",
		"GRANT SELECT, INSERT ON TABLE sales.orders TO USER 'ana'@'%'",
		"CREATE USER ops IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
		"GRANT cluster_admin TO USER ops")
	require.Equal(t, catalog.HashPassword("pw"), m.cat.User(catalog.UserIdent{User: "ana", Host: "%"}).Password)
	require.Equal(t, "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", catalog.FormatPasswordHash(catalog.HashPassword("password")))

	require.Equal(t, [][]string{
		{"'ana'@'%'", "default_catalog", "GRANT SELECT, INSERT ON TABLE sales.orders TO USER 'ana'@'%'"},
	}, rowsOf(run(t, root, "SHOW GRANTS FOR 'ana'@'%'")))
	require.Equal(t, [][]string{
		{"'ops'@'%'", "NULL", "GRANT 'cluster_admin' TO 'ops'@'%'"},
	}, rowsOf(run(t, root, "SHOW GRANTS FOR ops")))

	ana := e.NewSession(ConnInfo{ConnectionID: 2, User: "ana", Account: "'ana'@'%'", Host: "10.0.0.1"})
	require.Equal(t, [][]string{{"information_schema"}, {"sales"}}, rowsOf(run(t, ana, "SHOW DATABASES")))
	run(t, ana, "SELECT * FROM sales.orders")
	for q, want := range map[string]string{
		"SELECT * FROM hr.people":                "the SELECT privilege(s) on TABLE people",
		"CREATE DATABASE x":                      "the CREATE DATABASE privilege(s) on CATALOG default_catalog",
		"CREATE TABLE sales.t2 (a INT)":          "the CREATE TABLE privilege(s) on DATABASE sales",
		"DROP TABLE sales.orders":                "the DROP privilege(s) on TABLE orders",
		"CREATE USER x":                          "the GRANT privilege(s) on SYSTEM for this operation",
		"SHOW FRONTENDS":                         "the OPERATE OR NODE privilege(s) on SYSTEM",
		"ADMIN SHOW FRONTEND CONFIG":             "the OPERATE privilege(s) on SYSTEM",
		"ALTER SYSTEM ADD COMPUTE NODE 'h:9050'": "the NODE privilege(s) on SYSTEM",
		"CREATE STORAGE VOLUME v TYPE = S3 LOCATIONS = ('s3://a/b')": "the CREATE STORAGE VOLUME privilege(s) on SYSTEM",
		"USE hr": "Access denied",
	} {
		err := runErr(ana, q)
		require.Error(t, err, q)
		se, _ := sqlerr.As(err)
		require.Equal(t, uint16(sqlerr.ErSpecificAccessDeny), se.Number, q)
		require.Contains(t, se.Message, want, q)
		require.Contains(t, se.Message, "Current role(s): NONE. Inactivated role(s): NONE.", q)
	}

	// Granted roles are inactive until activated (StarRocks' rule).
	ops := e.NewSession(ConnInfo{ConnectionID: 3, User: "ops", Account: "'ops'@'%'", Host: "10.0.0.2"})
	err := runErr(ops, "SHOW FRONTENDS")
	require.ErrorContains(t, err, "Inactivated role(s): [cluster_admin].")
	run(t, ops, "SET ROLE cluster_admin")
	require.Len(t, run(t, ops, "SHOW FRONTENDS").Rows, 1)
	require.Equal(t, [][]string{{"cluster_admin"}}, rowsOf(run(t, ops, "SELECT CURRENT_ROLE()")))
	err = runErr(ops, "GRANT cluster_admin TO ana")
	require.ErrorContains(t, err, "the GRANT privilege(s) on SYSTEM")

	// Default roles apply at login.
	run(t, root, "SET DEFAULT ROLE cluster_admin TO ops")
	ops2 := e.NewSession(ConnInfo{ConnectionID: 4, User: "ops", Account: "'ops'@'%'", Host: "10.0.0.2"})
	require.Len(t, run(t, ops2, "SHOW FRONTENDS").Rows, 1)

	// Revoke, password change, drop.
	run(t, root, "REVOKE INSERT ON TABLE sales.orders FROM 'ana'@'%'")
	require.Equal(t, [][]string{
		{"'ana'@'%'", "default_catalog", "GRANT SELECT ON TABLE sales.orders TO USER 'ana'@'%'"},
	}, rowsOf(run(t, root, "SHOW GRANTS FOR 'ana'@'%'")))
	run(t, ana, "SET PASSWORD = PASSWORD('new')")
	require.Equal(t, catalog.HashPassword("new"), m.cat.User(catalog.UserIdent{User: "ana", Host: "%"}).Password)
	run(t, root, "DROP USER 'ana'@'%'")
	_, _, err = ana.Run(context.Background(), "SELECT 1")
	require.ErrorContains(t, err, "Access denied for user 'ana'")
}

func TestSelectWithoutTables(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	cases := []struct {
		sql  string
		cols []string
		rows [][]string
	}{
		{"select @@version_comment limit 1", []string{"@@version_comment"}, [][]string{{"3.4.2-minirocks"}}},
		{"SELECT 1", []string{"1"}, [][]string{{"1"}}},
		{"SELECT DATABASE()", []string{"DATABASE()"}, [][]string{{"NULL"}}},
		{"SELECT 1 + 2 * 3 AS x, 7 / 2, 7 DIV 2, 7 % 3, -5", []string{"x", "7 / 2", "7 DIV 2", "7 % 3", "-5"}, [][]string{{"7", "3.5", "3", "1", "-5"}}},
		{"SELECT 1.10 + 2.205, 0.1 * 3", []string{"1.10 + 2.205", "0.1 * 3"}, [][]string{{"3.305", "0.3"}}},
		{"SELECT 'a' LIKE 'A%', 'abc' LIKE 'a_c', 3 IN (1, 2, 3), 2 BETWEEN 3 AND 4, NULL IS NULL", nil, [][]string{{"0", "1", "1", "0", "1"}}},
		{"SELECT CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END, IFNULL(NULL, 'z'), COALESCE(NULL, NULL, 3), CONCAT('a', 'b', 'c')", nil, [][]string{{"b", "z", "3", "abc"}}},
		{"SELECT NULL = NULL, NULL <=> NULL, TRUE AND NULL, FALSE AND NULL, TRUE OR NULL", nil, [][]string{{"NULL", "1", "NULL", "0", "1"}}},
		{"SELECT CAST('12' AS INT) + 1, CAST('x' AS INT), UPPER('ab'), SUBSTR('hello', 2, 3)", nil, [][]string{{"13", "NULL", "AB", "ell"}}},
		{"SELECT DATE_ADD('2024-01-31', INTERVAL 1 MONTH), '2024-01-01' + INTERVAL 1 DAY", nil, [][]string{{"2024-02-29 00:00:00", "2024-01-02 00:00:00"}}},
		{"SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, @@max_allowed_packet AS max_allowed_packet, @@transaction_isolation AS transaction_isolation",
			[]string{"auto_increment_increment", "character_set_client", "max_allowed_packet", "transaction_isolation"}, [][]string{{"1", "utf8", "33554432", "REPEATABLE-READ"}}},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			res := run(t, s, tc.sql)
			if tc.cols != nil {
				var names []string
				for _, c := range res.Columns {
					names = append(names, c.Name)
				}
				require.Equal(t, tc.cols, names)
			}
			require.Equal(t, tc.rows, rowsOf(res))
		})
	}
}

func TestSessionVariablesAndInfoSchema(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	run(t, s, "SET NAMES utf8mb4", "SET character_set_results = NULL", "SET autocommit=1", "SET SESSION query_timeout = 600")
	require.Equal(t, [][]string{{"query_timeout", "600"}}, rowsOf(run(t, s, "SHOW VARIABLES LIKE 'query_timeout'")))
	require.Equal(t, [][]string{{"300"}}, rowsOf(run(t, s, "SELECT @@global.query_timeout")))
	other := e.NewSession(ConnInfo{ConnectionID: 9, User: "root", Account: "'root'@'%'", Host: "h"})
	require.Equal(t, [][]string{{"300"}}, rowsOf(run(t, other, "SELECT @@query_timeout")))
	run(t, s, "SET GLOBAL query_timeout = 900")
	require.Equal(t, [][]string{{"900"}}, rowsOf(run(t, other, "SELECT @@query_timeout")))
	run(t, s, "SET @x = 'hello'")
	require.Equal(t, [][]string{{"hello"}}, rowsOf(run(t, s, "SELECT @x")))

	run(t, s, "CREATE DATABASE a", "CREATE DATABASE b", "CREATE TABLE a.t1 (x INT, y VARCHAR(3))", "CREATE TABLE a.t2 (x INT)", "CREATE TABLE b.t3 (x INT)")
	require.Equal(t, [][]string{{"a", "2"}, {"b", "1"}},
		rowsOf(run(t, s, "SELECT table_schema, COUNT(*) AS n FROM information_schema.tables WHERE table_type = 'BASE TABLE' GROUP BY table_schema ORDER BY table_schema")))
	require.Equal(t, [][]string{{"t1", "y", "varchar(3)", "2"}},
		rowsOf(run(t, s, "SELECT table_name, column_name, column_type, ordinal_position FROM information_schema.columns WHERE table_schema = 'a' ORDER BY 1, 4 DESC LIMIT 1")))
	require.Equal(t, [][]string{{"a"}, {"b"}, {"information_schema"}},
		rowsOf(run(t, s, "SELECT schema_name FROM information_schema.schemata ORDER BY schema_name")))
	run(t, s, "USE information_schema")
	require.Contains(t, rowsOf(run(t, s, "SHOW TABLES")), []string{"tables"})
}

func TestMultiStatementText(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	res, rest, err := s.Run(context.Background(), "SELECT 1; SELECT 2 ;  ")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"1"}}, rowsOf(res))
	res, rest, err = s.Run(context.Background(), rest)
	require.NoError(t, err)
	require.Equal(t, [][]string{{"2"}}, rowsOf(res))
	require.Empty(t, strings.TrimSpace(rest))
}

func TestAutoBuckets(t *testing.T) {
	for _, tc := range []struct {
		partitioned bool
		nodes, want int
	}{
		{true, 0, 2}, {true, 1, 2}, {true, 3, 6}, {true, 12, 24}, {true, 20, 30}, {true, 30, 36}, {true, 40, 40}, {true, 100, 48},
		{false, 1, 16}, {false, 12, 24},
	} {
		require.Equal(t, tc.want, AutoBuckets(tc.partitioned, tc.nodes), "%+v", tc)
	}
}

// TestForwardingOnFollower: on a non-leader FE the statements that change
// metadata are forwarded whole, with the session's state; everything else
// runs locally; a forwarded statement never forwards again.
func TestForwardingOnFollower(t *testing.T) {
	e, m := newEngine(t)
	s := rootSession(e)
	run(t, s, "CREATE DATABASE d1")
	run(t, s, "USE d1")
	run(t, s, "SET @tag = 'x'")
	m.follower = true
	forwarded := []string{
		"CREATE TABLE t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1",
		"INSERT INTO t VALUES (1)",
		"DROP DATABASE d1",
		"CREATE USER 'u2' IDENTIFIED BY 'p'",
		"GRANT SELECT ON d1.* TO 'u2'",
		"SET DEFAULT ROLE public TO 'u2'",
		"ALTER SYSTEM ADD FOLLOWER \"127.0.0.2:9010\"",
		"TRUNCATE TABLE t",
	}
	for _, q := range forwarded {
		res, _, err := s.Run(context.Background(), q+";")
		require.NoError(t, err, q)
		require.Equal(t, uint64(1), res.AffectedRows, q)
	}
	require.Len(t, m.forwarded, len(forwarded))
	for i, q := range forwarded {
		require.Equal(t, q+";", m.forwarded[i].text)
		require.Equal(t, "d1", m.forwarded[i].state.DB)
		require.Equal(t, "root", m.forwarded[i].state.User)
		require.Equal(t, "x", m.forwarded[i].state.UserVars["tag"])
	}
	// Reads and session statements stay here.
	for _, q := range []string{"SHOW DATABASES", "SELECT 1", "SET ROLE ALL", "USE information_schema", "ADMIN SHOW FRONTEND CONFIG LIKE 'query_port'"} {
		run(t, s, q)
	}
	require.Len(t, m.forwarded, len(forwarded), "nothing more was forwarded")
	// A forwarded statement runs here even though this FE does not lead.
	res, err := e.RunForwarded(context.Background(), s.State(), "CREATE DATABASE d2")
	require.NoError(t, err)
	require.NotNil(t, res)
	require.NotNil(t, m.cat.DB("d2"))
	require.Len(t, m.forwarded, len(forwarded))
}

// TestRootNameReserved checks that a user with the GRANT privilege cannot
// make another root account and through it change root's password.
func TestRootNameReserved(t *testing.T) {
	e, m := newEngine(t)
	root := rootSession(e)
	run(t, root, "CREATE USER admin IDENTIFIED BY 'pw'", "GRANT GRANT ON SYSTEM TO USER admin")
	rootPw := m.cat.User(catalog.UserIdent{User: "root", Host: "%"}).Password
	admin := e.NewSession(ConnInfo{ConnectionID: 2, User: "admin", Account: "'admin'@'%'", Host: "10.0.0.9"})
	for _, tc := range []struct{ q, want string }{
		{"CREATE USER 'root'@'10.0.0.9' IDENTIFIED BY 'x'", "Operation CREATE USER failed for 'root'@'10.0.0.9' : user name root is reserved"},
		{"CREATE USER IF NOT EXISTS root@'%' IDENTIFIED BY 'x'", "Operation CREATE USER failed for 'root'@'%' : user name root is reserved"},
		{"SET PASSWORD FOR root = PASSWORD('x')", "Can not set password for root user, except root itself"},
		{"ALTER USER root IDENTIFIED BY 'x'", "Can not set password for root user, except root itself"},
		{"DROP USER root", "Operation DROP USER failed for 'root'@'%' : cannot drop user 'root'@'%'"},
	} {
		err := runErr(admin, tc.q)
		require.Error(t, err, tc.q)
		require.Contains(t, err.Error(), tc.want, tc.q)
	}
	require.Nil(t, m.cat.User(catalog.UserIdent{User: "root", Host: "10.0.0.9"}))
	require.Equal(t, rootPw, m.cat.User(catalog.UserIdent{User: "root", Host: "%"}).Password)
	// Root itself may not make a second root account either: the name is one account.
	err := runErr(root, "CREATE USER 'root'@'10.0.0.9'")
	require.ErrorContains(t, err, "user name root is reserved")
	// A session whose user is called root but is not 'root'@'%' (from an
	// image made before the name was reserved) is not root itself.
	m.cat.Apply(&catalog.CreateUserOp{User: catalog.User{Ident: catalog.UserIdent{User: "root", Host: "10.0.0.9"}}})
	run(t, root, "GRANT GRANT ON SYSTEM TO USER 'root'@'10.0.0.9'")
	fake := e.NewSession(ConnInfo{ConnectionID: 3, User: "root", Account: "'root'@'10.0.0.9'", Host: "10.0.0.9"})
	err = runErr(fake, "SET PASSWORD FOR 'root'@'%' = PASSWORD('x')")
	require.ErrorContains(t, err, "Can not set password for root user, except root itself")
	require.Equal(t, rootPw, m.cat.User(catalog.UserIdent{User: "root", Host: "%"}).Password)
}

// TestAdminShowConfigMasksSecrets checks that no row of ADMIN SHOW FRONTEND
// CONFIG carries the S3 secret key, masked as DESC STORAGE VOLUME masks it.
func TestAdminShowConfigMasksSecrets(t *testing.T) {
	e, _ := newEngine(t)
	root := rootSession(e)
	rows := rowsOf(run(t, root, "ADMIN SHOW FRONTEND CONFIG LIKE 'aws_s3_secret_key'"))
	require.Len(t, rows, 1)
	require.Equal(t, "aws_s3_secret_key", rows[0][0])
	require.Equal(t, "******", rows[0][2])
	for _, row := range rowsOf(run(t, root, "ADMIN SHOW FRONTEND CONFIG")) {
		require.NotContains(t, strings.Join(row, "|"), "top-secret")
	}
	desc := rowsOf(run(t, root, "DESC STORAGE VOLUME builtin_storage_volume"))
	require.Contains(t, desc[0][4], `"aws.s3.secret_key":"******"`)
}

// TestSetGlobalIsJournaled: SET GLOBAL journals its values in the catalog
// (so every FE, a restart and a restore see them); on a non-leader FE only
// the GLOBAL assignments are forwarded, as literals that the leader runs
// the same way, while the session's own assignments stay in the session.
func TestSetGlobalIsJournaled(t *testing.T) {
	e, m := newEngine(t)
	s := rootSession(e)
	run(t, s, "SET GLOBAL query_timeout = 900, SESSION wait_timeout = 5")
	v, ok := m.cat.GlobalVar("query_timeout")
	require.True(t, ok)
	require.Equal(t, "900", v)
	_, ok = m.cat.GlobalVar("wait_timeout")
	require.False(t, ok, "a SESSION assignment is not journaled")
	require.Equal(t, [][]string{{"900", "5", "28800"}}, rowsOf(run(t, s, "SELECT @@global.query_timeout, @@wait_timeout, @@global.wait_timeout")))

	m.follower = true
	run(t, s, "SET @@global.sql_mode = 'it''s', insert_timeout = 7, GLOBAL net_read_timeout = DEFAULT, GLOBAL names = 'x'")
	require.Len(t, m.forwarded, 1)
	text := m.forwarded[0].text
	require.Equal(t, `SET @@GLOBAL.names = 'x', @@GLOBAL.net_read_timeout = '60', @@GLOBAL.sql_mode = 'it\'s'`, text)
	require.Equal(t, [][]string{{"7"}}, rowsOf(run(t, s, "SELECT @@insert_timeout")), "the session assignment stays here")
	_, err := e.RunForwarded(context.Background(), m.forwarded[0].state, text)
	require.NoError(t, err)
	for name, want := range map[string]string{"names": "x", "net_read_timeout": "60", "sql_mode": "it's", "query_timeout": "900"} {
		v, ok := m.cat.GlobalVar(name)
		require.True(t, ok, name)
		require.Equal(t, want, v, name)
	}
	other := e.NewSession(ConnInfo{ConnectionID: 9, User: "root", Account: "'root'@'%'", Host: "h"})
	require.Equal(t, [][]string{{"it's", "900"}}, rowsOf(run(t, other, "SELECT @@sql_mode, @@query_timeout")))
	require.Len(t, m.forwarded, 1, "a forwarded statement never forwards again")

	// A refused SET journals nothing.
	m.follower = false
	require.Error(t, runErr(s, "SET GLOBAL query_timeout = 1, GLOBAL no_such_var = 2"))
	v, _ = m.cat.GlobalVar("query_timeout")
	require.Equal(t, "900", v)
}
