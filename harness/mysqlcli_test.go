package harness

import (
	"database/sql"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// mysqlCLI runs the real mysql command-line client against fe with script
// on stdin, in batch mode, and returns its output.
func mysqlCLI(t *testing.T, fe *FE, script string, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("mysql")
	require.NoError(t, err, "the mysql client is needed (make setup installs default-mysql-client)")
	cmd := exec.Command(bin, append([]string{"-h", fe.Host(), "-P", "9030", "-uroot", "--batch"}, args...)...)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMySQLClient drives the FE with the mysql CLI exactly as a person would.
func TestMySQLClient(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{})
	out, err := mysqlCLI(t, fe, `select @@version_comment limit 1;
CREATE DATABASE quickstart;
USE quickstart;
`+quickstartTable+`
SHOW TABLES;
SELECT table_name, partition_count FROM (SELECT 1) x;
`)
	// The last statement is a subquery, which minirocks rejects; everything before it ran.
	require.Error(t, err)
	require.Contains(t, out, "@@version_comment\n3.4.2-minirocks\n")
	require.Contains(t, out, "Tables_in_quickstart\nsource_wiki_edit\n")
	require.Contains(t, out, "ERROR 1064 (HY000) at line 28: Getting syntax error at line 1, column 40. Detail message: Unexpected input '('")

	// Several statements on one line (CLIENT_MULTI_STATEMENTS) and -e.
	out, err = mysqlCLI(t, fe, "", "-e", "SHOW DATABASES; SELECT 1+1 AS two; SHOW STORAGE VOLUMES")
	require.NoError(t, err, out)
	require.Equal(t, "Database\ninformation_schema\nquickstart\ntwo\n2\nStorage Volume\nbuiltin_storage_volume\n", out)

	// With a database argument the client reads tables for completion (COM_FIELD_LIST).
	out, err = mysqlCLI(t, fe, "SELECT DATABASE();\n", "quickstart", "--auto-rehash")
	require.NoError(t, err, out)
	require.Equal(t, "DATABASE()\nquickstart\n", out)

	// Errors are reported with StarRocks' numbers and the statement's line.
	out, err = mysqlCLI(t, fe, "USE nodb;\n")
	require.Error(t, err)
	require.Contains(t, out, "ERROR 5501 (3F000) at line 1: Unknown database 'nodb'")
	out, err = mysqlCLI(t, fe, "", "-unobody", "-pnothing", "-e", "select 1")
	require.Error(t, err)
	require.Contains(t, out, "ERROR 1045 (28000): Access denied for user 'nobody' (using password: YES)")
}

// TestPreparedStatements uses go-sql-driver's server-side prepared
// statements (no client interpolation).
func TestPreparedStatements(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{})
	c := mysql.NewConfig()
	c.User, c.Net, c.Addr = "root", "tcp", fe.Host()+":9030"
	db, err := sql.Open("mysql", c.FormatDSN())
	require.NoError(t, err)
	defer db.Close()
	mustExec(t, db, "CREATE DATABASE p")
	var n int64
	var s string
	require.NoError(t, db.QueryRow("SELECT ? + 1, CONCAT(?, 'x')", 41, "it's").Scan(&n, &s))
	require.Equal(t, int64(42), n)
	require.Equal(t, "it'sx", s)
	var cnt int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", "p").Scan(&cnt))
	require.Equal(t, 1, cnt)
}

// TestStatementsCheckedWhole: a statement that fails changes nothing, and
// neither does a text of several statements that the client may not send.
// Without CLIENT_MULTI_STATEMENTS (go-sql-driver/mysql's default) a query
// of two statements is refused before the first runs, by COM_QUERY and by
// the prepared-statement protocol alike; with it, a syntax error in any
// statement stops the query before its first statement runs.
func TestStatementsCheckedWhole(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{})
	dsn := func(multi, interpolate bool) string {
		c, err := mysql.ParseDSN(fe.DSN("root", "", ""))
		require.NoError(t, err)
		c.MultiStatements, c.InterpolateParams = multi, interpolate
		return c.FormatDSN()
	}
	exists := func(name string) bool {
		return len(queryStrings(t, fe.DB(t), "SHOW DATABASES LIKE '"+name+"'")) > 0
	}
	cases := []struct {
		name        string
		multi       bool
		interpolate bool
		query       string
		args        []any
		wantErr     string
		created     []string
		notCreated  []string
	}{
		{name: "COM_QUERY, two statements", query: "CREATE DATABASE single_a; SELECT 1",
			wantErr:    "Error 1064 (42000): Multiple statements in one query need the client's CLIENT_MULTI_STATEMENTS capability; nothing was executed",
			notCreated: []string{"single_a"}},
		{name: "COM_QUERY, one statement and a trailing semicolon", query: "CREATE DATABASE single_ok;  ",
			created: []string{"single_ok"}},
		{name: "COM_QUERY, garbage after the semicolon", query: "CREATE DATABASE single_b; SELEC 1",
			wantErr: "Error 1064 (HY000): Getting syntax error", notCreated: []string{"single_b"}},
		// The protocol layer parses a statement to prepare and refuses this one.
		{name: "prepared with a parameter, two statements", query: "SELECT ?; CREATE DATABASE prep_c",
			args: []any{1}, interpolate: false, wantErr: "syntax error", notCreated: []string{"prep_c"}},
		{name: "multi, syntax error in the second statement", multi: true, interpolate: true,
			query: "CREATE DATABASE multi_a; CREATE DATABSE multi_b", wantErr: "Error 1064 (HY000): Getting syntax error",
			notCreated: []string{"multi_a", "multi_b"}},
		{name: "multi, both valid", multi: true, interpolate: true,
			query: "CREATE DATABASE multi_c; CREATE DATABASE multi_d", created: []string{"multi_c", "multi_d"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t, dsn(tc.multi, tc.interpolate))
			var err error
			if tc.args != nil {
				_, err = db.Exec(tc.query, tc.args...)
			} else {
				_, err = db.Exec(tc.query)
			}
			for _, name := range tc.notCreated {
				require.False(t, exists(name), "database %s must not exist: nothing of a refused text runs", name)
			}
			if tc.wantErr != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			for _, name := range tc.created {
				require.True(t, exists(name), "database %s was created", name)
			}
		})
	}
}
