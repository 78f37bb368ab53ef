package harness

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// endless is a body that never ends: rows "<n>\t1\tx" forever.
type endless struct {
	n   int
	buf []byte
}

func (e *endless) Read(p []byte) (int, error) {
	for len(e.buf) < len(p) {
		e.n++
		e.buf = fmt.Appendf(e.buf, "%d\t1\tx\n", e.n)
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	return n, nil
}

// dbID returns the id of database name (SHOW PROC '/dbs').
func dbID(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	for _, r := range queryStrings(t, db, "SHOW PROC '/dbs'") {
		if r[1] == name {
			return r[0]
		}
	}
	t.Fatalf("no database %s", name)
	return ""
}

// getErrorLog fetches a Stream Load's ErrorURL as user (none when "").
func getErrorLog(t *testing.T, url, user, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestStreamLoadHostileInput: what a Stream Load client may get wrong or
// try is refused with StarRocks' answer and changes nothing: a body
// without Content-Length beyond streaming_load_max_mb (reading stops at
// the limit: the body never ends), rows with the wrong field count, values
// out of range or not UTF-8 (max_filter_ratio 0), a user without INSERT, a
// wrong password (answered as an unknown user is), on the FE's redirect
// and on the compute node directly; the rejected rows' error log needs a
// privilege on the table; and max_running_txn_num_per_db bounds the
// running loads of a database.
func TestStreamLoadHostileInput(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithCNConf("streaming_load_max_mb = 1\n"), WithFEConf("max_running_txn_num_per_db = 2\n"))
	fe, cn := c.FEs()[0], c.CNs()[0]
	db := fe.DB(t)
	for _, q := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (k INT, t TINYINT, s VARCHAR(10)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2",
		"INSERT INTO d.t VALUES (1, 1, 'one')",
		"CREATE USER writer IDENTIFIED BY 'pw-writer'",
		"GRANT INSERT ON TABLE d.t TO USER writer",
		"CREATE USER reader IDENTIFIED BY 'pw-reader'",
		"GRANT SELECT ON TABLE d.t TO USER reader",
		"CREATE USER plain IDENTIFIED BY 'pw-plain'",
	} {
		mustExec(t, db, q)
	}
	ctx := context.Background()
	state := func() [][]string {
		rows := queryStrings(t, db, "SELECT k, t, s FROM d.t ORDER BY k")
		for _, p := range queryStrings(t, db, "SHOW PARTITIONS FROM d.t") {
			rows = append(rows, []string{"VisibleVersion", p[3]})
		}
		return rows
	}
	before := state()
	unchanged := func(t *testing.T, what string) {
		t.Helper()
		require.Equal(t, before, state(), "%s changed the table", what)
	}
	load := func(user, password, label, body string, size int64) StreamLoadRequest {
		if size == 0 {
			size = int64(len(body))
		}
		return StreamLoadRequest{DB: "d", Table: "t", Label: label, User: user, Password: password, Body: strings.NewReader(body), Size: size}
	}

	t.Run("body without Content-Length beyond streaming_load_max_mb", func(t *testing.T) {
		res, _, err := fe.StreamLoadWith(ctx, StreamLoadRequest{DB: "d", Table: "t", Label: "endless", Body: &endless{}, Size: -1})
		require.NoError(t, err)
		require.Equal(t, "Fail", res["Status"], "%v", res)
		require.Equal(t, "body size exceed limit: 1048576, You can increase the limit by setting streaming_load_max_mb in be.conf.", res["Message"])
		unchanged(t, "a body beyond the limit")
		// With a Content-Length, the body is refused before it is read.
		res, _, err = fe.StreamLoadWith(ctx, StreamLoadRequest{DB: "d", Table: "t", Label: "too_long", Body: io.LimitReader(&endless{}, 2<<20), Size: 2 << 20})
		require.NoError(t, err)
		require.Equal(t, "Fail", res["Status"], "%v", res)
		require.Equal(t, "body size 2097152 exceed limit: 1048576, You can increase the limit by setting streaming_load_max_mb in be.conf.", res["Message"])
		unchanged(t, "a Content-Length beyond the limit")
	})

	t.Run("filtered rows", func(t *testing.T) {
		cases := []struct{ name, body, reason string }{
			{"too few fields", "2\t2\ttwo\n3\t3\n", "Target column count: 3 doesn't match source value column count: 2"},
			{"too many fields", "2\t2\ttwo\t2\n", "Target column count: 3 doesn't match source value column count: 4"},
			{"TINYINT out of range", "2\t2\ttwo\n3\t300\tthree\n", "The field (name = t, pos = 1) is out of range. Type: TINYINT(4), Value length: 3, Value: 300"},
			{"INT out of range", "99999999999\t2\ttwo\n", "The field (name = k, pos = 0) is out of range"},
			{"invalid UTF-8", "2\t2\tt\xffo\n", "Value of column 's' is not valid UTF-8 (3 bytes)"},
			{"string too long", "2\t2\ttwo-and-more\n", "String 'two-and-more'(length=12) is too long. The max length of 's' is 10"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				for _, size := range []int64{0, -1} { // with and without Content-Length
					res, _, err := fe.StreamLoadWith(ctx, load("", "", fmt.Sprintf("filtered_%d_%d", i, -size), tc.body, size))
					require.NoError(t, err)
					require.Equal(t, "Fail", res["Status"], "%v", res)
					require.Equal(t, "too many filtered rows", res["Message"])
					require.EqualValues(t, 1, res["NumberFilteredRows"])
					unchanged(t, tc.name)
					url, _ := res["ErrorURL"].(string)
					require.NotEmpty(t, url, "%v", res)
					code, log := getErrorLog(t, url, "writer", "pw-writer")
					require.Equal(t, http.StatusOK, code, log)
					require.Contains(t, log, tc.reason)
				}
			})
		}
	})

	t.Run("privileges", func(t *testing.T) {
		// An error log is read only with INSERT or SELECT on its table.
		res, _, err := fe.StreamLoadWith(ctx, load("writer", "pw-writer", "priv_filtered", "2\t300\ttwo\n", 0))
		require.NoError(t, err)
		url := res["ErrorURL"].(string)
		code, body := getErrorLog(t, url, "", "")
		require.Equal(t, http.StatusUnauthorized, code, body)
		code, body = getErrorLog(t, url, "plain", "pw-plain")
		require.Equal(t, http.StatusForbidden, code, body)
		require.Contains(t, body, "Access denied; you need (at least one of) the INSERT OR SELECT privilege(s) on TABLE t for this operation.")
		codeWrong, wrong := getErrorLog(t, url, "writer", "not-the-password")
		codeUnknown, unknown := getErrorLog(t, url, "nobody", "not-the-password")
		require.Equal(t, http.StatusUnauthorized, codeWrong)
		require.Equal(t, codeWrong, codeUnknown)
		require.Contains(t, wrong, "Access denied for writer@")
		require.Equal(t, strings.ReplaceAll(wrong, "writer@", "nobody@"), unknown, "an unknown user and a wrong password get the same answer")
		code, body = getErrorLog(t, url, "reader", "pw-reader")
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, "out of range")
		code, _ = getErrorLog(t, strings.Replace(url, "file=", "file=x", 1), "writer", "pw-writer")
		require.Equal(t, http.StatusNotFound, code)
		// Whether a log exists is told only to valid credentials.
		code, _ = getErrorLog(t, strings.Replace(url, "file=", "file=x", 1), "writer", "not-the-password")
		require.Equal(t, http.StatusUnauthorized, code)

		// Without credentials, neither port takes the load.
		for _, url := range []string{fe.HTTPURL(), cn.HTTPURL()} {
			req, err := http.NewRequest(http.MethodPut, url+"/api/d/t/_stream_load", strings.NewReader("2\t2\ttwo\n"))
			require.NoError(t, err)
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if url == fe.HTTPURL() {
				require.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(b))
				require.Contains(t, string(b), "Need auth information.")
			} else {
				require.Contains(t, string(b), `"Status": "Fail"`)
				require.Contains(t, string(b), "no valid Basic authorization")
			}
		}

		denied := "Access denied; you need (at least one of) the INSERT privilege(s) on TABLE t for this operation."
		for _, u := range []struct{ user, password string }{{"plain", "pw-plain"}, {"reader", "pw-reader"}} {
			res, _, err := fe.StreamLoadWith(ctx, load(u.user, u.password, "denied_"+u.user, "2\t2\ttwo\n", 0))
			require.NoError(t, err)
			require.Equal(t, "FAILED", res["Status"], "%v", res)
			require.Equal(t, denied, res["Message"])
			res, _, err = cn.StreamLoadWith(ctx, load(u.user, u.password, "denied_cn_"+u.user, "2\t2\ttwo\n", 0))
			require.NoError(t, err)
			require.Equal(t, "Fail", res["Status"], "%v", res)
			require.Equal(t, denied, res["Message"])
		}
		unchanged(t, "a user without INSERT")

		// A wrong password and an unknown user: refused alike, on both ports.
		jsonOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		wrongRes, wrongCode, err := fe.StreamLoadWith(ctx, load("writer", "wrong", "bad_password", "2\t2\ttwo\n", 0))
		require.NoError(t, err)
		unknownRes, unknownCode, err := fe.StreamLoadWith(ctx, load("nobody", "wrong", "bad_password", "2\t2\ttwo\n", 0))
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, wrongCode)
		require.Equal(t, wrongCode, unknownCode)
		require.Contains(t, wrongRes["msg"], "Access denied for writer@")
		require.Equal(t, strings.ReplaceAll(jsonOf(wrongRes), "writer@", "nobody@"), jsonOf(unknownRes))
		wrongRes, _, err = cn.StreamLoadWith(ctx, load("writer", "wrong", "bad_password", "2\t2\ttwo\n", 0))
		require.NoError(t, err)
		unknownRes, _, err = cn.StreamLoadWith(ctx, load("nobody", "wrong", "bad_password", "2\t2\ttwo\n", 0))
		require.NoError(t, err)
		require.Equal(t, "Fail", wrongRes["Status"])
		require.Contains(t, wrongRes["Message"], "Access denied for writer@")
		require.Equal(t, strings.ReplaceAll(wrongRes["Message"].(string), "writer@", "nobody@"), unknownRes["Message"])
		require.Equal(t, wrongRes["Status"], unknownRes["Status"])
		unchanged(t, "a wrong password")
	})

	t.Run("max_running_txn_num_per_db", func(t *testing.T) {
		// Two loads whose bodies are still coming hold two running transactions.
		type held struct {
			w   *io.PipeWriter
			res map[string]any
			err error
		}
		var wg sync.WaitGroup
		loads := make([]*held, 2)
		for i := range loads {
			r, w := io.Pipe()
			h := &held{w: w}
			loads[i] = h
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.res, _, h.err = fe.StreamLoadWith(ctx, StreamLoadRequest{DB: "d", Table: "t", Label: fmt.Sprintf("held_%d", i), Body: r, Size: -1})
			}()
			_, err := fmt.Fprintf(w, "%d\t%d\theld\n", 10+i, i)
			require.NoError(t, err)
		}
		waitFor(t, 30*time.Second, func() error {
			rows := queryStrings(t, db, "SELECT label FROM information_schema.loads WHERE db_name = 'd' AND state = 'LOADING'")
			if len(rows) != 2 {
				return fmt.Errorf("running loads %v, want the two held ones", rows)
			}
			return nil
		})
		want := fmt.Sprintf("current running txns on db %s is 2, larger than limit 2", dbID(t, db, "d"))
		res, _, err := fe.StreamLoadWith(ctx, load("", "", "third", "3\t3\tthree\n", 0))
		require.NoError(t, err)
		require.Equal(t, "Fail", res["Status"], "%v", res)
		require.Equal(t, want, res["Message"])
		_, err = db.Exec("INSERT INTO d.t VALUES (3, 3, 'three')")
		requireMySQLError(t, err, 1064, want)
		unchanged(t, "a load beyond max_running_txn_num_per_db")

		for _, h := range loads {
			require.NoError(t, h.w.Close())
		}
		wg.Wait()
		for _, h := range loads {
			require.NoError(t, h.err)
			require.Equal(t, "Success", h.res["Status"], "%v", h.res)
		}
		// The limit is mutable; the freed places take new loads.
		mustExec(t, db, `ADMIN SET FRONTEND CONFIG ("max_running_txn_num_per_db" = "1000")`)
		res, _, err = fe.StreamLoadWith(ctx, load("writer", "pw-writer", "third", "3\t3\tthree\n", 0))
		require.NoError(t, err)
		require.Equal(t, "Success", res["Status"], "%v", res)
		require.Equal(t, [][]string{{"1", "1", "one"}, {"3", "3", "three"}, {"10", "0", "held"}, {"11", "1", "held"}},
			queryStrings(t, db, "SELECT k, t, s FROM d.t ORDER BY k"))
	})
}

// rowsOf is a CSV body generated as it is read: rows "<n>\t<text>" until
// at least size bytes were produced (whole rows only).
type rowsOf struct {
	size, sent, rows int64
	buf              []byte
}

func (g *rowsOf) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.sent+int64(len(g.buf)) < g.size {
		g.rows++
		g.buf = fmt.Appendf(g.buf, "%d\tsome text of row %d that makes it longer, as rows are\n", g.rows, g.rows%1000)
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	g.sent += int64(n)
	return n, nil
}

// TestStreamLoadLargeBodyIsStreamed: a Stream Load of 640 MiB, sent
// chunked (no Content-Length) from a generator, loads every row while the
// compute node's peak RSS stays below half the body: the body is streamed
// through, never held whole.
func TestStreamLoadLargeBodyIsStreamed(t *testing.T) {
	const size = 640 << 20
	c := StartCluster(t)
	fe, cn := c.FEs()[0], c.CNs()[0]
	db := fe.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k BIGINT, v VARCHAR(100)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 4")
	if err := ResetPeakRSS(cn.PID()); err != nil {
		t.Skipf("the peak RSS cannot be measured here: %v", err)
	}
	before, err := PeakRSS(cn.PID())
	require.NoError(t, err)
	body := &rowsOf{size: size}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	res, _, err := fe.StreamLoadWith(ctx, StreamLoadRequest{DB: "d", Table: "t", Label: "large", Body: body, Size: -1})
	require.NoError(t, err)
	require.Equal(t, "Success", res["Status"], "%v", res)
	peak, err := PeakRSS(cn.PID())
	require.NoError(t, err)
	t.Logf("%d MiB in %s; compute node RSS %d MiB before, peak %d MiB", body.sent>>20, time.Since(start).Round(time.Millisecond), before>>20, peak>>20)
	require.GreaterOrEqual(t, body.sent, int64(size))
	require.EqualValues(t, body.sent, res["LoadBytes"])
	require.EqualValues(t, body.rows, res["NumberLoadedRows"])
	require.Less(t, peak, int64(size/2), "the compute node's peak RSS (%d MiB) is not far below the body (%d MiB)", peak>>20, body.sent>>20)
	require.Equal(t, [][]string{{fmt.Sprint(body.rows)}}, queryStrings(t, db, "SELECT COUNT(*) FROM d.t"))
}
