package scenarios

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/minirocks/minirocks/harness"
)

// Event is one line of a drill's timeline.
type Event struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // step, fault, snapshot, restore, check
	What string    `json:"what"`
}

// DemoResult is what the flagship drill found.
type DemoResult struct {
	Seed uint64
	// Verdict is PASS or FAIL; Failures say what differed.
	Verdict  string
	Failures []string
	// Snapshot restored from, and when the disaster struck.
	Snapshot     harness.Snapshot
	Disaster     time.Time
	Writes       int // loads sent
	Acknowledged int // loads acknowledged before the disaster
	Restored     int // loads present after the restore
	// RPO: acknowledged loads lost, and the time between the last write
	// inside the snapshot and the disaster.
	LostAcknowledged int
	RPO              time.Duration
	// RTO: the restore's phases; FirstQuery and AllServing are the RTO.
	Times harness.RestoreTimes
	// Dir holds report.md, report.html, timeline.json, history.json and
	// the restored leader's logs.
	Dir, ReportPath string
	// HTMLReportPath is report.html, the report drawn on a time axis.
	HTMLReportPath string
}

// RunDemo runs the flagship drill that `minirocks demo` shows: a cluster of
// 3 FEs and 3 CNs takes automated cluster snapshots while clients load
// labelled rows; every machine is lost at a seeded moment; the cluster is
// restored onto new hosts from object storage alone by StarRocks' runbook;
// then the data is checked against the workload's history at the
// snapshot's cut, users and grants are checked, a new write is made, and
// the RPO and RTO are reported.
func RunDemo(ctx context.Context, opts DemoOptions) (*DemoResult, error) {
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed>>1|1))
	res := &DemoResult{Seed: opts.Seed, Dir: opts.Dir}
	var mu sync.Mutex
	var timeline []Event
	event := func(kind, format string, args ...any) {
		e := Event{At: time.Now(), Kind: kind, What: fmt.Sprintf(format, args...)}
		mu.Lock()
		timeline = append(timeline, e)
		mu.Unlock()
		fmt.Fprintf(opts.Out, "[%s] %s\n", e.At.Format("15:04:05.000"), e.What)
	}
	event("step", "minirocks demo: total loss and restore from an automated cluster snapshot (seed %d; replay with --seed %d)", opts.Seed, opts.Seed)

	launch := append([]harness.Option{
		harness.WithName("demo"), harness.WithDir(filepath.Join(opts.Dir, "lost-cluster")), harness.WithBinary(opts.Binary),
		harness.WithFollowers(2), harness.WithComputeNodes(3),
		harness.WithFEConf("automated_cluster_snapshot_interval_seconds = 2\n"),
	}, opts.Cluster...)
	src, err := harness.Launch(ctx, launch...)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	event("step", "launched 3 FEs and 3 CNs from StarRocks-style install trees, MinIO on %s", src.ObjectStorage().Endpoint)
	db, err := sql.Open("mysql", src.DSN())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (load_id INT, line INT, amount DECIMAL(10, 2)) DUPLICATE KEY(load_id) DISTRIBUTED BY HASH(line) BUCKETS 6",
		"CREATE USER 'analyst'@'%' IDENTIFIED BY 'demo-password'",
		"GRANT SELECT ON ALL TABLES IN DATABASE shop TO USER 'analyst'@'%'",
		"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		event("step", "mysql> %s;  -- OK", shorten(redactSQL(q), 100))
	}

	// The workload: 3 clients load labelled rows and record every outcome.
	wl := &loadWorkload{name: "orders", table: "shop.orders", prefix: "demo_load", clients: 3, seed: opts.Seed}
	wl.start(ctx, db)
	defer wl.halt()
	event("step", "3 clients load labelled rows into shop.orders; snapshots every 2 s")

	// Let snapshots be taken under the load, then lose everything at a
	// seeded moment.
	if err := harness.WaitFor(ctx, 2*time.Minute, func() error {
		snaps, err := src.Snapshots(ctx)
		if err != nil {
			return err
		}
		if len(snaps) == 0 {
			return fmt.Errorf("no snapshot yet")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	wait := time.Duration(2000+rng.IntN(2000)) * time.Millisecond
	event("step", "a snapshot FINISHED; the disaster comes %v later", wait)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(wait): // the fault's seeded timing
	}
	snaps, err := src.Snapshots(ctx)
	if err != nil || len(snaps) == 0 {
		return nil, fmt.Errorf("no snapshot before the disaster: %v", err)
	}
	res.Snapshot = snaps[len(snaps)-1]
	res.Disaster = time.Now()
	if err := src.KillAll(); err != nil {
		return nil, err
	}
	wl.halt()
	event("fault", "total loss: kill -9 of every FE and CN; the newest snapshot was %s (fe_journal_id %d), taken %v before",
		res.Snapshot.Name, res.Snapshot.FEJournalID, res.Disaster.Sub(res.Snapshot.Created()).Round(time.Millisecond))

	// Restore onto new hosts, the StarRocks way.
	event("restore", "restoring onto 3 new FE hosts and 3 new CN hosts: cluster_snapshot.yaml, start_fe.sh --cluster_snapshot, --helper, start_cn.sh")
	// The meta directory is named, as a person who lost everything would:
	// the newest complete snapshot there is restored (one may have
	// finished after the listing above).
	spec := harness.RestoreSpec{Snapshot: res.Snapshot, Followers: 2, ComputeNodes: 3}
	restored, times, err := harness.Restore(ctx, src, "demo-restored", spec, harness.WithDir(filepath.Join(opts.Dir, "restored-cluster")))
	if restored != nil {
		defer restored.Close()
	}
	if err != nil {
		return nil, err
	}
	res.Times = times
	event("restore", "leader answered %v after its start (download %v, verify %v, rebuild %v); all 6 nodes serving after %v",
		times.FirstQuery.Round(time.Millisecond), times.Download.Round(time.Millisecond), times.Verify.Round(time.Millisecond),
		times.Rebuild.Round(time.Millisecond), times.AllServing.Round(time.Millisecond))

	// Checks at the cut of the snapshot that was restored.
	rdb, err := sql.Open("mysql", restored.DSN())
	if err != nil {
		return nil, err
	}
	defer rdb.Close()
	res.Snapshot = times.Restored(snaps, res.Snapshot)
	writes := wl.history()
	cc, err := checkTable(ctx, rdb, "shop.orders", writes, res.Snapshot.Created(), res.Disaster, res.Snapshot.FEJournalID)
	if err != nil {
		return nil, err
	}
	res.Failures = cc.Failures
	res.Writes, res.Acknowledged, res.Restored, res.LostAcknowledged = cc.Sent, cc.Acknowledged, cc.Present, cc.LostAcknowledged
	if !cc.LastInside.IsZero() {
		res.RPO = res.Disaster.Sub(cc.LastInside)
	}
	fail := func(format string, args ...any) {
		res.Failures = append(res.Failures, fmt.Sprintf(format, args...))
	}
	event("check", "%d loads sent, %d acknowledged before the disaster, %d restored exactly once; %d acknowledged loads lost (RPO %v of writes)",
		res.Writes, res.Acknowledged, res.Restored, res.LostAcknowledged, res.RPO.Round(time.Millisecond))
	adb, err := sql.Open("mysql", restored.DSNFor("analyst", "demo-password", ""))
	if err != nil {
		return nil, err
	}
	var n int
	if err := adb.QueryRowContext(ctx, "SELECT COUNT(*) FROM shop.orders").Scan(&n); err != nil {
		fail("user analyst cannot read after the restore: %v", err)
	} else {
		event("check", "user analyst logs in with its password and reads %d rows", n)
	}
	adb.Close()
	if _, err := rdb.ExecContext(ctx, "INSERT INTO shop.orders WITH LABEL demo_after_restore VALUES (-1, 0, 1.00)"); err != nil {
		fail("the restored cluster does not take writes: %v", err)
	} else {
		event("check", "the restored cluster takes writes")
	}
	res.Verdict = "PASS"
	if len(res.Failures) > 0 {
		res.Verdict = "FAIL"
		for _, f := range res.Failures {
			event("check", "FAIL: %s", f)
		}
	} else {
		event("check", "PASS: exactly the snapshot's loads came back")
	}

	// The report folder.
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return res, err
	}
	leader, lerr := restored.Leader(ctx)
	if lerr == nil {
		_ = copyLogs(leader.Node(), filepath.Join(opts.Dir, "logs", "restored-leader"))
	}
	mu.Lock()
	defer mu.Unlock()
	if err := writeJSON(filepath.Join(opts.Dir, "timeline.json"), timeline); err != nil {
		return res, err
	}
	if err := writeJSON(filepath.Join(opts.Dir, "history.json"), writes); err != nil {
		return res, err
	}
	res.ReportPath = filepath.Join(opts.Dir, "report.md")
	if err := os.WriteFile(res.ReportPath, []byte(demoReport(res, timeline)), 0o644); err != nil {
		return res, err
	}
	res.HTMLReportPath = filepath.Join(opts.Dir, "report.html")
	if err := writeHTMLReport(res.HTMLReportPath, demoChart(res, timeline)); err != nil {
		return res, err
	}
	fmt.Fprintf(opts.Out, "\nreport: %s, %s\n", res.ReportPath, res.HTMLReportPath)
	if res.Verdict != "PASS" {
		return res, fmt.Errorf("the restore drill failed: %s", strings.Join(res.Failures, "; "))
	}
	return res, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// demoReport renders report.md.
func demoReport(res *DemoResult, timeline []Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# minirocks demo: total loss and restore from an automated cluster snapshot\n\n")
	fmt.Fprintf(&b, "Verdict: **%s**", res.Verdict)
	if res.Verdict == "PASS" {
		b.WriteString(": every load the snapshot holds came back exactly once, nothing after it.\n\n")
	} else {
		fmt.Fprintf(&b, "\n\n%s\n\n", "- "+strings.Join(res.Failures, "\n- "))
	}
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| seed | %d (fixes the workload's rows and the disaster's moment; not the scheduling of the processes) |\n", res.Seed)
	fmt.Fprintf(&b, "| snapshot restored | `%s`, fe_journal_id %d, starmgr_journal_id %d |\n", res.Snapshot.Name, res.Snapshot.FEJournalID, res.Snapshot.StarMgrJournalID)
	fmt.Fprintf(&b, "| loads sent / acknowledged / restored | %d / %d / %d |\n", res.Writes, res.Acknowledged, res.Restored)
	fmt.Fprintf(&b, "| **RPO** | %d acknowledged loads lost; %v between the last write inside the snapshot and the disaster |\n",
		res.LostAcknowledged, res.RPO.Round(time.Millisecond))
	fmt.Fprintf(&b, "| **RTO** | %v to the first query on the restored leader; %v until all 6 nodes serve |\n",
		res.Times.FirstQuery.Round(time.Millisecond), res.Times.AllServing.Round(time.Millisecond))
	fmt.Fprintf(&b, "| restore phases | download %v, verify %v, rebuild %v |\n\n",
		res.Times.Download.Round(time.Millisecond), res.Times.Verify.Round(time.Millisecond), res.Times.Rebuild.Round(time.Millisecond))
	fmt.Fprintf(&b, "## Timeline\n\n")
	start := timeline[0].At
	for _, e := range timeline {
		fmt.Fprintf(&b, "- `+%7.3fs` %-8s %s\n", e.At.Sub(start).Seconds(), e.Kind, e.What)
	}
	fmt.Fprintf(&b, "\n## Files\n\n- `timeline.json`: the events above\n- `history.json`: every load: label, rows, sent, acknowledged or error\n- `logs/restored-leader/`: the restored leader's fe.log and fe.out\n")
	return b.String()
}
