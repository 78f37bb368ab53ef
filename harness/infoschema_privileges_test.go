package harness

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInfoSchemaFollowsPrivileges: a user with privileges in one database
// sees, through SHOW and information_schema, that database's rows only;
// a user granted one table sees that table only. Loads of a dropped table
// are shown only to those who may see every table of its database (ana,
// granted c.kept, does not see the load of the dropped c.gone).
func TestInfoSchemaFollowsPrivileges(t *testing.T) {
	t.Parallel()
	c := StartCluster(t)
	db := c.DB(t)
	for _, q := range []string{
		"CREATE DATABASE a", "CREATE DATABASE b", "CREATE DATABASE c",
		"CREATE TABLE a.t1 (k INT, v VARCHAR(8)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
		"CREATE TABLE a.t2 (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
		"CREATE TABLE b.t3 (k INT, secret VARCHAR(8)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
		"CREATE TABLE b.t4 (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
		"CREATE TABLE c.gone (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
		"CREATE TABLE c.kept (k INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
		"INSERT INTO a.t1 WITH LABEL la VALUES (1, 'x')",
		"INSERT INTO b.t3 WITH LABEL lb VALUES (1, 'hidden')",
		"INSERT INTO b.t4 WITH LABEL lb4 VALUES (1)",
		"INSERT INTO c.gone WITH LABEL lc VALUES (1)",
		"DROP TABLE c.gone FORCE",
		"CREATE USER 'ana'@'%' IDENTIFIED BY 'pw'",
		"GRANT SELECT ON a.* TO 'ana'@'%'",
		"GRANT SELECT ON TABLE c.kept TO 'ana'@'%'",
		"CREATE USER 'tom'@'%' IDENTIFIED BY 'pw'",
		"GRANT SELECT ON TABLE b.t3 TO 'tom'@'%'",
	} {
		mustExec(t, db, q)
	}
	require.Equal(t, [][]string{{"la"}, {"lb"}, {"lb4"}, {"lc"}},
		queryStrings(t, db, "SELECT label FROM information_schema.loads ORDER BY label"), "root sees every load")

	ana := openDB(t, c.DSNFor("ana", "pw", ""))
	require.Equal(t, [][]string{{"a"}, {"c"}, {"information_schema"}}, queryStrings(t, ana, "SHOW DATABASES"))
	require.Equal(t, [][]string{{"a"}, {"c"}, {"information_schema"}},
		queryStrings(t, ana, "SELECT schema_name FROM information_schema.schemata ORDER BY schema_name"))
	require.Equal(t, [][]string{{"a", "t1"}, {"a", "t2"}, {"c", "kept"}},
		queryStrings(t, ana, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1, 2"))
	require.Equal(t, [][]string{{"a", "t1", "k"}, {"a", "t1", "v"}, {"a", "t2", "k"}, {"c", "kept", "k"}},
		queryStrings(t, ana, "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE table_schema <> 'information_schema' ORDER BY 1, 2, ordinal_position"))
	require.Equal(t, [][]string{{"la"}},
		queryStrings(t, ana, "SELECT label FROM information_schema.loads ORDER BY label"), "not lb, nor lc of the dropped c.gone")
	require.Equal(t, [][]string{{"t1"}, {"t2"}}, queryStrings(t, ana, "SHOW TABLES FROM a"))
	require.Empty(t, queryStrings(t, ana, "SHOW TABLES FROM b"))
	require.Equal(t, [][]string{{"kept"}}, queryStrings(t, ana, "SHOW TABLES FROM c"))
	require.Empty(t, queryStrings(t, ana, "SHOW LOAD FROM b"))
	for _, q := range []string{"USE b", "SELECT * FROM b.t3", "DESC b.t3", "SHOW CREATE TABLE b.t3", "SHOW COLUMNS FROM b.t3", "SHOW CREATE DATABASE b"} {
		_, err := ana.Exec(q)
		requireMySQLError(t, err, 5203, "Access denied; you need (at least one of) the")
	}

	tom := openDB(t, c.DSNFor("tom", "pw", ""))
	require.Equal(t, [][]string{{"b"}, {"information_schema"}}, queryStrings(t, tom, "SHOW DATABASES"))
	require.Equal(t, [][]string{{"b", "t3"}},
		queryStrings(t, tom, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"))
	require.Equal(t, [][]string{{"k"}, {"secret"}},
		queryStrings(t, tom, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'b' ORDER BY ordinal_position"))
	require.Equal(t, [][]string{{"lb"}}, queryStrings(t, tom, "SELECT label FROM information_schema.loads"), "not lb4 of b.t4")
	require.Equal(t, [][]string{{"t3"}}, queryStrings(t, tom, "SHOW TABLES FROM b"))
	require.Equal(t, [][]string{{"1", "hidden"}}, queryStrings(t, tom, "SELECT * FROM b.t3"))
}
