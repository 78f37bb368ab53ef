package harness

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// quickstartTable is the StarRocks quickstart CREATE TABLE, verbatim.
const quickstartTable = `CREATE TABLE source_wiki_edit
(
    event_time DATETIME,
    channel VARCHAR(32) DEFAULT '',
    user VARCHAR(128) DEFAULT '',
    is_anonymous TINYINT DEFAULT '0',
    is_minor TINYINT DEFAULT '0',
    is_new TINYINT DEFAULT '0',
    is_robot TINYINT DEFAULT '0',
    is_unpatrolled TINYINT DEFAULT '0',
    delta INT SUM DEFAULT '0',
    added INT SUM DEFAULT '0',
    deleted INT SUM DEFAULT '0'
)
AGGREGATE KEY(event_time, channel, user, is_anonymous, is_minor, is_new, is_robot, is_unpatrolled)
PARTITION BY RANGE(event_time)
(
    PARTITION p06 VALUES LESS THAN ('2015-09-12 06:00:00'),
    PARTITION p12 VALUES LESS THAN ('2015-09-12 12:00:00'),
    PARTITION p18 VALUES LESS THAN ('2015-09-12 18:00:00'),
    PARTITION p24 VALUES LESS THAN ('2015-09-13 00:00:00')
)
DISTRIBUTED BY HASH(user);`

func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
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
			if v.Valid {
				row[i] = v.String
			} else {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	_, err := db.Exec(q)
	require.NoError(t, err, q)
}

func requireMySQLError(t *testing.T, err error, number uint16, contains string) {
	t.Helper()
	require.Error(t, err)
	var me *mysql.MySQLError
	require.ErrorAs(t, err, &me, "error %v is not a MySQL error", err)
	require.Equal(t, number, me.Number, "error %q", me.Message)
	require.Contains(t, me.Message, contains)
}

// TestFEQuickstart deploys an FE the StarRocks way, starts it with the
// start script and uses it through go-sql-driver as a newcomer would.
func TestFEQuickstart(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{Conf: "JAVA_OPTS = -Xmx8g\n"})
	require.Contains(t, fe.ReadLog(), `key \"JAVA_OPTS\": unknown key, ignored`, "unknown keys are a warning")
	db := fe.DB(t)

	require.Equal(t, [][]string{{"builtin_storage_volume"}}, queryStrings(t, db, "SHOW STORAGE VOLUMES"))
	mustExec(t, db, "CREATE DATABASE quickstart")
	db2, err := sql.Open("mysql", fe.DSN("root", "", "quickstart"))
	require.NoError(t, err)
	defer db2.Close()
	mustExec(t, db2, quickstartTable)
	require.Equal(t, [][]string{{"source_wiki_edit"}}, queryStrings(t, db2, "SHOW TABLES"))

	// SHOW CREATE TABLE follows StarRocks' shared-data layout.
	create := queryStrings(t, db2, "SHOW CREATE TABLE source_wiki_edit")
	require.Len(t, create, 1)
	require.Contains(t, create[0][1], "AGGREGATE KEY(`event_time`, `channel`, `user`, `is_anonymous`, `is_minor`, `is_new`, `is_robot`, `is_unpatrolled`)")
	require.Contains(t, create[0][1], "PARTITION p12 VALUES [(\"2015-09-12 06:00:00\"), (\"2015-09-12 12:00:00\"))")
	require.Contains(t, create[0][1], "DISTRIBUTED BY HASH(`user`)\nPROPERTIES (")
	require.Contains(t, create[0][1], "\"storage_volume\" = \"builtin_storage_volume\"")

	// Four partitions, each with the automatic bucket count.
	parts := queryStrings(t, db2, "SHOW PARTITIONS FROM source_wiki_edit")
	require.Len(t, parts, 4)
	for _, p := range parts {
		require.Equal(t, "2", p[9], "buckets of partition %s", p[1])
	}

	// Users and grants.
	mustExec(t, db, "CREATE USER 'analyst'@'%' IDENTIFIED BY 'secret1'")
	mustExec(t, db, "GRANT SELECT ON quickstart.* TO 'analyst'@'%'")
	require.Equal(t, [][]string{
		{"'analyst'@'%'", "default_catalog", "GRANT SELECT ON ALL TABLES IN DATABASE quickstart TO USER 'analyst'@'%'"},
	}, queryStrings(t, db, "SHOW GRANTS FOR 'analyst'@'%'"))

	an, err := sql.Open("mysql", fe.DSN("analyst", "secret1", ""))
	require.NoError(t, err)
	defer an.Close()
	require.Equal(t, [][]string{{"information_schema"}, {"quickstart"}}, queryStrings(t, an, "SHOW DATABASES"))
	require.Equal(t, [][]string{{"0"}}, queryStrings(t, an, "SELECT COUNT(*) FROM quickstart.source_wiki_edit"))
	_, err = an.Exec("CREATE DATABASE nope")
	requireMySQLError(t, err, 5203, "Access denied; you need (at least one of) the CREATE DATABASE privilege(s) on CATALOG default_catalog")
	_, err = an.Exec("DROP TABLE quickstart.source_wiki_edit")
	requireMySQLError(t, err, 5203, "the DROP privilege(s) on TABLE source_wiki_edit")

	// Wrong password.
	bad, err := sql.Open("mysql", fe.DSN("analyst", "wrong", ""))
	require.NoError(t, err)
	defer bad.Close()
	requireMySQLError(t, bad.Ping(), 1045, "Access denied for user 'analyst' (using password: YES)")

	// information_schema sees the table and its columns.
	require.Equal(t, [][]string{{"quickstart", "source_wiki_edit", "BASE TABLE"}},
		queryStrings(t, db, "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 'quickstart'"))
	require.Equal(t, [][]string{{"11"}},
		queryStrings(t, db, "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'source_wiki_edit'"))

	// SHOW FRONTENDS shows this node as the leader.
	fes := queryStrings(t, db, "SHOW FRONTENDS")
	require.Len(t, fes, 1)
	require.Equal(t, fe.Host(), fes[0][1])
	require.Equal(t, "LEADER", fes[0][6])
	require.Equal(t, "true", fes[0][9])

	// HTTP: the operator's health probe and Prometheus metrics.
	resp, err := http.Get(fe.HTTPURL() + "/api/health")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"online_backend_num":0,"total_backend_num":0,"status":"OK"}`, string(body))
	jid, err := fe.Metric("starrocks_fe_max_journal_id")
	require.NoError(t, err)
	require.Greater(t, jid, float64(5))
	groups, err := fe.Metric("starrocks_fe_starmgr_shard_groups")
	require.NoError(t, err)
	require.Equal(t, float64(4), groups, "one shard group per partition")
	resp, err = http.Get(fe.HTTPURL() + "/metrics")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), `node_info{type="is_master"} 1`)
	require.Contains(t, string(body), `starrocks_fe_role{role="LEADER"} 1`)

	// The secret key is never shown nor logged.
	desc := queryStrings(t, db, "DESC STORAGE VOLUME builtin_storage_volume")
	require.NotContains(t, desc[0][4], TestS3SecretKey)
	require.NotContains(t, desc[0][4], TestS3AccessKey)
	cfg := queryStrings(t, db, "ADMIN SHOW FRONTEND CONFIG LIKE 'aws_s3_secret_key'")
	require.Equal(t, "******", cfg[0][2])
	require.NotContains(t, fe.ReadLog(), TestS3SecretKey)
}

// TestFEStartStopScripts checks the daemon mode of start_fe.sh and
// stop_fe.sh, and that a second FE on the same meta dir is refused.
func TestFEStartStopScripts(t *testing.T) {
	t.Parallel()
	fe := NewFE(t, FEOptions{})
	home := layout(t, fe.Node()).FEHome()
	out, err := exec.Command(filepath.Join(home, "bin", "start_fe.sh"), "--daemon").CombinedOutput()
	require.NoError(t, err, string(out))
	pid, err := os.ReadFile(layout(t, fe.Node()).FEPidFile())
	require.NoError(t, err)
	require.NotEmpty(t, strings.TrimSpace(string(pid)))
	require.NoError(t, WaitFor(context.Background(), 60*time.Second, func() error {
		return pingSQL(context.Background(), fe.DSN("root", "", ""))
	}), fe.LogTail(30))

	// A second start through the script is refused by the pid file.
	out, err = exec.Command(filepath.Join(home, "bin", "start_fe.sh"), "--daemon").CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "Frontend running as process")

	// A second process on the same meta dir is refused by the meta lock.
	second := exec.Command(filepath.Join(home, "lib", "minirocks"), "fe", "--home", home)
	second.Env = append(os.Environ(), "STARROCKS_HOME="+home)
	out, err = second.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "meta dir "+metaDir(t, fe)+" is in use by process "+strings.TrimSpace(string(pid)))

	out, err = exec.Command(filepath.Join(home, "bin", "stop_fe.sh")).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "stopped")
	_, err = os.Stat(layout(t, fe.Node()).FEPidFile())
	require.True(t, os.IsNotExist(err))
	require.Contains(t, fe.ReadLog(), "stopping frontend")
}

// TestFEBadConfig: malformed fe.conf values stop the FE with a message that
// names the file, the line and the key.
func TestFEBadConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, conf, want string
	}{
		{"bad port", "query_port = ninety\n", `key "query_port": invalid value "ninety": not an integer`},
		{"bad bool", "enable_load_volume_from_conf = maybe\n", `key "enable_load_volume_from_conf": invalid value "maybe": not a boolean`},
		{"bad cidr", "priority_networks = 10.0.0.0/99\n", `key "priority_networks": invalid value`},
		{"bad run mode", "run_mode = cloudy\n", `key "run_mode": invalid value "cloudy": must be one of shared_data, shared_nothing`},
		{"not key value", "this line is wrong\n", "expected `key = value`"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fe := NewFE(t, FEOptions{Conf: tc.conf})
			conf := layout(t, fe.Node()).FEConf()
			data, err := os.ReadFile(conf)
			require.NoError(t, err)
			line := strings.Count(strings.TrimRight(string(data), "\n"), "\n") + 1
			require.NoError(t, fe.StartNoWait(context.Background()))
			code, err := fe.ExitCode(30 * time.Second)
			require.NoError(t, err)
			require.NotEqual(t, 0, code)
			out, _ := os.ReadFile(filepath.Join(layout(t, fe.Node()).FEHome(), "log", "fe.out"))
			require.Contains(t, string(out), conf+" line "+strconv.Itoa(line)+": ")
			require.Contains(t, string(out), tc.want)
		})
	}
}

// TestFERefusesNewerImage: an FE whose meta dir holds an image written in a
// newer format does not start (starting from the log alone would roll its
// metadata back); it names the image and the version, leaves the file as it
// was, and starts as before once the image is the one it wrote.
func TestFERefusesNewerImage(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{Conf: "edit_log_roll_num = 1\ncheckpoint_interval_second = 1\n"})
	db := fe.DB(t)
	mustExec(t, db, "CREATE DATABASE kept")
	var newest Image
	waitFor(t, 30*time.Second, func() error {
		images, err := fe.Images()
		if err != nil || len(images) == 0 {
			return fmt.Errorf("no image yet (%v)", err)
		}
		newest = images[0]
		return nil
	})
	require.NoError(t, db.Close())
	require.NoError(t, fe.Stop())
	path := filepath.Join(layout(t, fe.Node()).FEHome(), "meta", "image", newest.Name)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(good), `"format_version":1,`)
	newer := bytes.Replace(good, []byte(`"format_version":1,`), []byte(`"format_version":2,`), 1)
	require.NoError(t, os.WriteFile(path, newer, 0o600))

	require.NoError(t, fe.StartNoWait(context.Background()))
	code, err := fe.ExitCode(30 * time.Second)
	require.NoError(t, err)
	require.NotEqual(t, 0, code)
	out, _ := os.ReadFile(filepath.Join(layout(t, fe.Node()).FEHome(), "log", "fe.out"))
	require.Contains(t, string(out), "journal: cannot start on image "+path+": ")
	require.Contains(t, string(out), "image format version 2 is not supported (this build reads 1..1)")
	left, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(newer, left), "the image is left as it was")

	require.NoError(t, os.WriteFile(path, good, 0o600))
	require.NoError(t, fe.Start(context.Background()))
	require.Equal(t, [][]string{{"kept"}}, queryStrings(t, fe.DB(t), "SHOW DATABASES LIKE 'kept'"))
}
