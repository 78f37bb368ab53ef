package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// hostileState is what a refused statement must leave unchanged: the
// databases, the table's rows and the loads.
func hostileState(t *testing.T, db *sql.DB) [][]string {
	t.Helper()
	var out [][]string
	out = append(out, queryStrings(t, db, "SHOW DATABASES")...)
	out = append(out, queryStrings(t, db, "SELECT * FROM h.t ORDER BY k")...)
	out = append(out, queryStrings(t, db, "SELECT label, state FROM information_schema.loads ORDER BY id")...)
	return out
}

// oneConn is a single connection of db, closed by the test's cleanup.
func oneConn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestHostileSQLInput sends what a careless or hostile client might through
// the MySQL protocol: oversized statements, deep nesting, long IN lists,
// bytes that are not UTF-8, wrong column counts, values out of range. Each
// gets a clear error (or a correct answer) and changes nothing.
func TestHostileSQLInput(t *testing.T) {
	t.Parallel()
	c := StartCluster(t)
	db := c.DB(t)
	mustExec(t, db, "CREATE DATABASE h")
	mustExec(t, db, "CREATE TABLE h.t (k INT, ti TINYINT, i INT, d DECIMAL(5,2), dt DATE, v VARCHAR(3)) "+
		"DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
	mustExec(t, db, "INSERT INTO h.t VALUES (1, 1, 1, 1.5, '2024-01-01', 'abc'), (2, -128, 2147483647, 999.99, '2024-12-31', 'üx')")
	before := hostileState(t, db)
	unchanged := func(t *testing.T) {
		t.Helper()
		require.Equal(t, before, hostileState(t, db), "a refused statement changed something")
	}
	ctx := context.Background()

	t.Run("OversizedStatement", func(t *testing.T) {
		// Beyond the session's max_allowed_packet: MySQL's 1153, and the
		// connection is closed; the statement never ran.
		conn := oneConn(t, db)
		_, err := conn.ExecContext(ctx, "SET max_allowed_packet = 65536")
		require.NoError(t, err)
		big := "INSERT INTO h.t VALUES (3, 1, 1, 1, '2024-01-01', '" + strings.Repeat("x", 70000) + "')"
		_, err = conn.ExecContext(ctx, big)
		requireMySQLError(t, err, 1153, "Got a packet bigger than 'max_allowed_packet' bytes")
		_, err = conn.ExecContext(ctx, "SELECT 1")
		require.Error(t, err, "the connection is closed")
		// Beyond the default, 32 MiB, on a fresh connection.
		huge := "SELECT '" + strings.Repeat("y", 32<<20) + "'"
		_, err = oneConn(t, db).ExecContext(ctx, huge)
		requireMySQLError(t, err, 1153, "Got a packet bigger than 'max_allowed_packet' bytes")
		unchanged(t)
		// Below the limit a long statement runs.
		require.Equal(t, [][]string{{"60000"}}, queryStrings(t, db, "SELECT LENGTH('"+strings.Repeat("z", 60000)+"')"))
	})

	t.Run("DeepNesting", func(t *testing.T) {
		const n = 100000
		for _, q := range []string{
			"SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
			"SELECT " + strings.Repeat("abs(", n) + "1" + strings.Repeat(")", n),
			"INSERT INTO h.t VALUES (" + strings.Repeat("(", n) + "3" + strings.Repeat(")", n) + ", 1, 1, 1, '2024-01-01', 'a')",
			"SELECT * FROM h.t WHERE " + strings.Repeat("NOT ", n) + "k = 1",
		} {
			_, err := db.Exec(q)
			requireMySQLError(t, err, 1064, "The statement nests expressions more than 500 levels deep.")
		}
		_, err := db.Exec("SELECT 1" + strings.Repeat("+1", 10001))
		requireMySQLError(t, err, 1064, "The expression has more than 10000 operators.")
		unchanged(t)
	})

	t.Run("LongInList", func(t *testing.T) {
		// 200000 items: a correct answer, in the FE and pushed down to the
		// compute node.
		items := make([]string, 0, 200000)
		for i := 3; len(items) < 200000; i++ {
			items = append(items, strconv.Itoa(i))
		}
		list := strings.Join(items, ",")
		require.Equal(t, [][]string{{"1", "0"}}, queryStrings(t, db, "SELECT 7 IN ("+list+"), 2 IN ("+list+")"))
		require.Equal(t, [][]string{{"0"}}, queryStrings(t, db, "SELECT COUNT(*) FROM h.t WHERE k IN ("+list+")"))
		require.Equal(t, [][]string{{"2"}}, queryStrings(t, db, "SELECT k FROM h.t WHERE k IN ("+list+",2)"))
		require.Equal(t, [][]string{{"1"}}, queryStrings(t, db, "SELECT k FROM h.t WHERE k NOT IN ("+list+",2)"))
	})

	t.Run("InvalidUTF8", func(t *testing.T) {
		for _, q := range []string{
			"INSERT INTO h.t VALUES (3, 1, 1, 1, '2024-01-01', 'a\xff')",
			"INSERT INTO h.t VALUES (3, 1, 1, 1, '2024-01-01', 'caf\xe9')",
			"CREATE DATABASE bad\xc3\x28name",
			"SELECT '\xe2\x82'",
		} {
			_, err := db.Exec(q)
			requireMySQLError(t, err, 1300, "Invalid utf8 character string: '")
		}
		// Interpolated by the client, and bound in a server-side prepared statement.
		_, err := db.Exec("INSERT INTO h.t VALUES (?, 1, 1, 1, '2024-01-01', ?)", 3, "b\xfe")
		requireMySQLError(t, err, 1300, "Invalid utf8 character string: 'FE")
		cfg, err := mysql.ParseDSN(c.DSN())
		require.NoError(t, err)
		cfg.InterpolateParams = false
		prep := openDB(t, cfg.FormatDSN())
		_, err = prep.Exec("INSERT INTO h.t VALUES (?, 1, 1, 1, '2024-01-01', ?)", 3, "c\xc0\xaf")
		requireMySQLError(t, err, 1300, "Invalid utf8 character string: 'C0AF")
		unchanged(t)
	})

	t.Run("ColumnCount", func(t *testing.T) {
		for q, msg := range map[string]string{
			"INSERT INTO h.t VALUES (3, 1)":                       "Inserted target column count: 6 doesn't match select/value column count: 2",
			"INSERT INTO h.t (k, v) VALUES (3)":                   "Inserted target column count: 2 doesn't match select/value column count: 1",
			"INSERT INTO h.t (k) VALUES (3, 'x')":                 "Inserted target column count: 1 doesn't match select/value column count: 2",
			"INSERT INTO h.t SELECT k, v FROM h.t":                "Inserted target column count: 6 doesn't match select/value column count: 2",
			"INSERT INTO h.t (k, v) VALUES (3, 'a'), (4, 'b', 5)": "Values have unequal number of columns",
		} {
			_, err := db.Exec(q)
			if strings.HasPrefix(msg, "Inserted") {
				requireMySQLError(t, err, 5604, msg)
			} else {
				requireMySQLError(t, err, 1064, msg)
			}
		}
		unchanged(t)
	})

	t.Run("OutOfRange", func(t *testing.T) {
		row := func(ti, i, d, dt, v string) string {
			return "INSERT INTO h.t VALUES (3, " + ti + ", " + i + ", " + d + ", " + dt + ", " + v + ")"
		}
		for q, msg := range map[string]string{
			row("300", "1", "1", "'2024-01-01'", "'a'"):                  "Value '300' is out of range. The type of 'ti' is tinyint",
			row("-129", "1", "1", "'2024-01-01'", "'a'"):                 "Value '-129' is out of range. The type of 'ti' is tinyint",
			row("1", "2147483648", "1", "'2024-01-01'", "'a'"):           "Value '2147483648' is out of range. The type of 'i' is int",
			row("1", "99999999999999999999", "1", "'2024-01-01'", "'a'"): "is out of range. The type of 'i' is int",
			row("1", "1", "12345.678", "'2024-01-01'", "'a'"):            "Value '12345.678' is out of range. The type of 'd' is decimal(5,2)",
			row("1", "1", "1000", "'2024-01-01'", "'a'"):                 "Value '1000' is out of range. The type of 'd' is decimal(5,2)",
			row("1", "1", "1", "'2024-13-45'", "'a'"):                    "Value '2024-13-45' is out of range. The type of 'dt' is date",
			row("1", "1", "1", "'2024-02-30'", "'a'"):                    "Value '2024-02-30' is out of range. The type of 'dt' is date",
			row("1", "1", "1", "'2024-01-01'", "'abcd'"):                 "String 'abcd'(length=4) is too long. The max length of 'v' is 3",
			row("1", "1", "1", "'2024-01-01'", "'€€'"):                   "is too long. The max length of 'v' is 3",
			"INSERT INTO h.t VALUES (3, 1, 1, 1, '2024-01-01', 'ok'), " + // the second row fails: neither is inserted
				"(4, 1000, 1, 1, '2024-01-01', 'ok')": "Value '1000' is out of range. The type of 'ti' is tinyint",
		} {
			_, err := db.Exec(q)
			requireMySQLError(t, err, 1064, "Insert has filtered data in strict mode. Error: ")
			requireMySQLError(t, err, 1064, msg)
		}
		unchanged(t)
	})
}

// TestLoginFailureSameForUnknownUser: a wrong password and an unknown user
// get the same error, byte for byte, through the MySQL protocol (the user
// is dropped between the two attempts, so the name is the same).
func TestLoginFailureSameForUnknownUser(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{})
	db := fe.DB(t)
	mustExec(t, db, "CREATE USER 'eve'@'%' IDENTIFIED BY 'right-pw'")
	login := func(pw string) *mysql.MySQLError {
		t.Helper()
		d := openDB(t, fe.DSN("eve", pw, ""))
		err := d.Ping()
		var me *mysql.MySQLError
		require.ErrorAs(t, err, &me, "%v", err)
		return me
	}
	require.NoError(t, openDB(t, fe.DSN("eve", "right-pw", "")).Ping())
	wrong := login("wrong-pw")
	mustExec(t, db, "DROP USER 'eve'@'%'")
	unknown := login("wrong-pw")
	require.Equal(t, *wrong, *unknown)
	require.Equal(t, uint16(1045), wrong.Number)
	require.Equal(t, "Access denied for user 'eve' (using password: YES)", wrong.Message)
	require.Equal(t, "Access denied for user 'eve' (using password: NO)", login("").Message)
}

// TestConnectionLimitReached: with qe_max_connection = 3, a fourth
// authenticated connection gets StarRocks' error and is closed; once one
// closes, a new one is accepted.
func TestConnectionLimitReached(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{Conf: "qe_max_connection = 3\n"})
	db := openDB(t, fe.DSN("root", "", ""))
	db.SetMaxIdleConns(0)
	ctx := context.Background()
	var held []*sql.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// The harness's readiness check may still hold a connection for a
	// moment: wait until this test holds all three.
	waitFor(t, 30*time.Second, func() error {
		if len(held) == 3 {
			return nil
		}
		c, err := db.Conn(ctx)
		if err == nil {
			err = c.PingContext(ctx)
		}
		if err != nil {
			if c != nil {
				c.Close()
			}
			return err
		}
		held = append(held, c)
		if len(held) < 3 {
			return errors.New("fewer than 3 connections held")
		}
		return nil
	})
	c, err := db.Conn(ctx)
	if err == nil {
		err = c.PingContext(ctx)
		c.Close()
	}
	requireMySQLError(t, err, 1064, fmt.Sprintf(
		"Reach cluster-wide connection limit, qe_max_connection=3, connectionMap.size=3, node=%s", fe.EditLogAddr()))
	for _, h := range held {
		require.NoError(t, h.PingContext(ctx), "the held connections still work")
	}
	require.NoError(t, held[0].Close())
	held = held[1:]
	waitFor(t, 10*time.Second, func() error {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.PingContext(ctx)
	})
}
