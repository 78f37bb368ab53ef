// Package scenarios runs whole drills end to end and writes their reports:
// the flagship restore drill that `minirocks demo` runs (RunDemo,
// restore.go) and the frontend crash-recovery drill (RunFECrashDrill: a
// cluster launched through package harness, loaded with DDL from several
// clients, its FE killed with SIGKILL mid-stream, restarted, and checked
// statement by statement). Drills use only harness' public API, so they
// run unchanged on any harness backend.
package scenarios

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/go-sql-driver/mysql" // the MySQL protocol client the demo talks through

	"github.com/minirocks/minirocks/harness"
)

// DemoOptions configures RunDemo and RunFECrashDrill.
type DemoOptions struct {
	// Dir receives the install tree, logs and report.md.
	Dir string
	// Binary is the minirocks executable to deploy.
	Binary string
	// Seed fixes the kill moment and the workload; 0 picks one from the clock.
	Seed uint64
	// Out receives progress lines.
	Out io.Writer
	// Cluster are further harness options for the demo's cluster (after
	// the demo's own), e.g. harness.WithBackend or harness.WithMinIOCredentials.
	Cluster []harness.Option
}

// CrashResult summarises a run of the frontend crash-recovery drill.
type CrashResult struct {
	// Seed is the seed the run used (replay with DemoOptions.Seed).
	Seed uint64
	// Acknowledged counts the statements acknowledged before the kill.
	Acknowledged int
	// InFlight counts the statements sent but not answered at the kill.
	InFlight int
	// Verified counts the acknowledged statements found after the restart.
	Verified int
	// RTO is the time from the restart to the first successful query.
	RTO time.Duration
	// Images counts the FE's image files on disk after the crash.
	Images int
	// ReportPath is the Markdown report.
	ReportPath string
	// LogDir holds copies of the FE's logs.
	LogDir string
}

type timelineEntry struct {
	at   time.Time
	what string
}

// RunFECrashDrill runs the frontend crash-recovery drill.
func RunFECrashDrill(ctx context.Context, opts DemoOptions) (*CrashResult, error) {
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	res := &CrashResult{Seed: opts.Seed}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed>>1|1))
	var timeline []timelineEntry
	step := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		timeline = append(timeline, timelineEntry{time.Now(), msg})
		fmt.Fprintf(opts.Out, "[%s] %s\n", time.Now().Format("15:04:05.000"), msg)
	}
	step("minirocks drill: frontend crash recovery (seed %d; replay with --seed %d)", opts.Seed, opts.Seed)

	launch := append([]harness.Option{
		harness.WithName("demo"), harness.WithDir(filepath.Join(opts.Dir, "cluster")), harness.WithBinary(opts.Binary),
		harness.WithComputeNodes(0), harness.WithFEConf("edit_log_roll_num = 500\ncheckpoint_interval_second = 1\n"),
	}, opts.Cluster...)
	c, err := harness.Launch(ctx, launch...)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	fe := c.FEs()[0]
	step("launched a cluster in %s on the %s backend: a StarRocks-style install tree, MinIO on %s", c.Dir(), c.Backend().Name(), c.ObjectStorage().Endpoint)
	step("fe/bin/start_fe.sh started the FE; it answers on %s", fe.QueryAddr())

	db, err := sql.Open("mysql", fe.DSN("root", "", ""))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE quickstart",
		"CREATE TABLE quickstart.source_wiki_edit (event_time DATETIME, channel VARCHAR(32) DEFAULT '', user VARCHAR(128) DEFAULT '', " +
			"delta INT SUM DEFAULT '0') AGGREGATE KEY(event_time, channel, user) PARTITION BY RANGE(event_time) " +
			"(PARTITION p06 VALUES LESS THAN ('2015-09-12 06:00:00'), PARTITION p12 VALUES LESS THAN ('2015-09-12 12:00:00')) DISTRIBUTED BY HASH(user)",
		"CREATE USER 'analyst'@'%' IDENTIFIED BY 'demo-password'",
		"GRANT SELECT ON quickstart.* TO 'analyst'@'%'",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		step("mysql> %s;  -- OK", shorten(redactSQL(q), 90))
	}

	// Stream DDL from 4 clients and kill the FE at a random moment.
	const clients = 4
	killAfter := time.Duration(800+rng.IntN(1500)) * time.Millisecond
	step("4 clients now stream CREATE DATABASE / CREATE TABLE; the FE gets SIGKILL after %v", killAfter)
	type result struct {
		acked   []string
		pending string
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			conn, err := sql.Open("mysql", fe.DSN("root", "", ""))
			if err != nil {
				return
			}
			defer conn.Close()
			conn.SetMaxOpenConns(1)
			for i := 0; ; i++ {
				name := fmt.Sprintf("demo_c%d_%d", c, i)
				for _, q := range []string{
					"CREATE DATABASE " + name,
					"CREATE TABLE " + name + ".t (k INT, v VARCHAR(16)) DISTRIBUTED BY HASH(k) BUCKETS 2",
				} {
					if _, err := conn.ExecContext(ctx, q); err != nil {
						results[c].pending = q
						return
					}
					results[c].acked = append(results[c].acked, q)
				}
			}
		}(c)
	}
	time.Sleep(killAfter) // the fault's timing
	fe.Kill()
	wg.Wait()
	for _, r := range results {
		res.Acknowledged += len(r.acked)
		if r.pending != "" {
			res.InFlight++
		}
	}
	step("kill -9: the FE died with %d statements acknowledged and %d in flight", res.Acknowledged, res.InFlight)
	images, _ := fe.Images()
	res.Images = len(images)
	step("meta dir after the crash: %d images (checkpoints) plus the raft journal", len(images))

	restart := time.Now()
	if err := fe.Start(ctx); err != nil {
		return nil, err
	}
	res.RTO = time.Since(restart)
	step("restarted with fe/bin/start_fe.sh: first successful query %v after start (newest valid image + journal replay)", res.RTO.Round(time.Millisecond))

	db2, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return nil, err
	}
	defer db2.Close()
	tables := map[string]bool{}
	rows, err := db2.QueryContext(ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 't'")
	if err != nil {
		return nil, err
	}
	dbs := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		tables[s] = true
	}
	rows.Close()
	drows, err := db2.QueryContext(ctx, "SHOW DATABASES")
	if err != nil {
		return nil, err
	}
	for drows.Next() {
		var s string
		if err := drows.Scan(&s); err != nil {
			return nil, err
		}
		dbs[s] = true
	}
	drows.Close()
	var missing []string
	for _, r := range results {
		for _, q := range r.acked {
			name := strings.Fields(q)[2]
			if strings.HasPrefix(q, "CREATE DATABASE") && !dbs[name] {
				missing = append(missing, q)
			}
			if strings.HasPrefix(q, "CREATE TABLE") && !tables[strings.TrimSuffix(name, ".t")] {
				missing = append(missing, q)
			}
			res.Verified++
		}
	}
	if len(missing) > 0 {
		step("FAIL: %d acknowledged statements are missing, e.g. %s", len(missing), missing[0])
		return res, fmt.Errorf("%d acknowledged statements lost", len(missing))
	}
	step("PASS: all %d acknowledged statements are present after the crash", res.Verified)
	var who, catalogName, grant string
	if err := db2.QueryRowContext(ctx, "SHOW GRANTS FOR 'analyst'@'%'").Scan(&who, &catalogName, &grant); err != nil {
		return res, fmt.Errorf("grants of 'analyst' lost: %w", err)
	}
	step("users and grants intact: %s", grant)
	fe.Stop()
	step("stopped the FE cleanly")

	res.LogDir = filepath.Join(opts.Dir, "logs", fe.Name())
	if err := copyLogs(fe.Node(), res.LogDir); err != nil {
		return res, err
	}
	res.ReportPath = filepath.Join(opts.Dir, "report.md")
	if err := writeCrashReport(res, timeline, c.Dir(), res.ReportPath); err != nil {
		return res, err
	}
	fmt.Fprintf(opts.Out, "\nreport: %s\nlogs:   %s\n", res.ReportPath, res.LogDir)
	return res, nil
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + " ..."
}

// copyLogs copies a node's logs into dir, through the backend (the node
// may not be a local process).
func copyLogs(n harness.Node, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range n.LogNames() {
		data, err := n.ReadLog(name)
		if err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeCrashReport(res *CrashResult, timeline []timelineEntry, clusterDir, path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# minirocks drill: frontend crash recovery\n\n")
	fmt.Fprintf(&b, "Verdict: **PASS**: every acknowledged statement survived SIGKILL.\n\n")
	fmt.Fprintf(&b, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| seed | %d |\n| statements acknowledged before the kill | %d |\n| statements in flight at the kill | %d |\n", res.Seed, res.Acknowledged, res.InFlight)
	fmt.Fprintf(&b, "| acknowledged statements verified after restart | %d |\n| lost acknowledged statements | 0 |\n", res.Verified)
	fmt.Fprintf(&b, "| images on disk at the crash | %d |\n| RTO (restart to first successful query) | %v |\n\n", res.Images, res.RTO.Round(time.Millisecond))
	fmt.Fprintf(&b, "## Timeline\n\n")
	start := timeline[0].at
	for _, e := range timeline {
		fmt.Fprintf(&b, "- `+%7.3fs` %s\n", e.at.Sub(start).Seconds(), e.what)
	}
	fmt.Fprintf(&b, "\n## Where things are\n\n- cluster (install trees, MinIO drive): `%s`\n- FE logs: `%s`\n",
		clusterDir, res.LogDir)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
