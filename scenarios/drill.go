package scenarios

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/minirocks/minirocks/harness"
)

// Drill is a scenario file (scenarios/drills/*.yaml, docs/scenarios.md):
// a cluster shape, workloads that run while the steps do, and the steps.
type Drill struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Seed        uint64         `yaml:"seed"`
	Cluster     ClusterShape   `yaml:"cluster"`
	Workloads   []WorkloadSpec `yaml:"workloads"`
	Steps       []Step         `yaml:"steps"`
	path        string
}

// ClusterShape is the cluster a drill launches.
type ClusterShape struct {
	Followers    int               `yaml:"followers"`
	Observers    int               `yaml:"observers"`
	ComputeNodes int               `yaml:"compute_nodes"`
	FEConf       map[string]string `yaml:"fe_conf"`
}

// WorkloadSpec is a workload of labelled loads into table, which the
// drill creates (load_id INT, line INT, amount DECIMAL(10, 2)).
type WorkloadSpec struct {
	Name    string `yaml:"name"`
	Table   string `yaml:"table"`
	Clients int    `yaml:"clients"`
}

// Step is one step; exactly one of its kinds is set.
type Step struct {
	SQL     string        `yaml:"sql"`
	Expect  [][]string    `yaml:"expect"`
	Error   string        `yaml:"expect_error"`
	Start   string        `yaml:"start_workload"`
	Stop    string        `yaml:"stop_workload"`
	Wait    *WaitStep     `yaml:"wait"`
	Fault   *FaultStep    `yaml:"fault"`
	Restore *RestoreStep  `yaml:"restore"`
	Check   *CheckStep    `yaml:"check"`
	Sleep   time.Duration `yaml:"sleep"`
	line    int
}

// WaitStep waits, up to Timeout (2 minutes when zero), for one
// condition: Snapshots snapshots finished since the drill began, or
// exactly Listed rows in information_schema.cluster_snapshots.
type WaitStep struct {
	Snapshots int           `yaml:"snapshots"`
	Listed    *int          `yaml:"listed"`
	Timeout   time.Duration `yaml:"timeout"`
}

// FaultStep injects a fault: Kind kill, stop, pause, resume or restart on
// Target leader, follower (a seeded one), cn (a seeded one) or all; or
// Kind lose_all (every FE and CN killed: the whole cluster lost), or
// storage_down / storage_up (the object storage stopped and started).
type FaultStep struct {
	Kind   string `yaml:"kind"`
	Target string `yaml:"target"`
}

// RestoreStep restores the lost cluster from its newest complete
// snapshot onto new hosts, by StarRocks' runbook.
type RestoreStep struct {
	Followers    int `yaml:"followers"`
	ComputeNodes int `yaml:"compute_nodes"`
}

// CheckStep checks a workload's table. After a restore: every load
// acknowledged before the restored snapshot began is there, none sent
// after the disaster, each exactly once row for row. Without a restore:
// no acknowledged load lost or doubled.
type CheckStep struct {
	Workload string `yaml:"workload"`
}

var faultKinds = []string{"kill", "stop", "pause", "resume", "restart", "lose_all", "storage_down", "storage_up"}
var faultTargets = []string{"leader", "follower", "cn", "all"}

// LoadDrill reads and checks a scenario file; every error names the file,
// and where it applies the line and the field.
func LoadDrill(path string) (*Drill, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseDrill(path, b)
}

// ParseDrill is LoadDrill of the file's content b.
func ParseDrill(path string, b []byte) (*Drill, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	d := &Drill{path: path}
	if err := dec.Decode(d); err != nil {
		return nil, fmt.Errorf("%s: %v", path, strings.ReplaceAll(err.Error(), "yaml: unmarshal errors:\n  ", ""))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(b, &root)
	var stepNodes []*yaml.Node
	if len(root.Content) > 0 {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "steps" {
				stepNodes = m.Content[i+1].Content
			}
		}
	}
	fail := func(line int, field, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s: %s", path, line, field, fmt.Sprintf(format, args...))
	}
	if d.Name == "" {
		return nil, fail(1, "name", "is required")
	}
	if len(d.Steps) == 0 {
		return nil, fail(1, "steps", "a drill needs at least one step")
	}
	workloads := map[string]bool{}
	for i, w := range d.Workloads {
		if w.Name == "" || w.Table == "" || w.Clients < 1 {
			return nil, fail(1, fmt.Sprintf("workloads[%d]", i), "needs name, table and clients >= 1")
		}
		workloads[w.Name] = true
	}
	restored := false
	for i := range d.Steps {
		s := &d.Steps[i]
		if i < len(stepNodes) {
			s.line = stepNodes[i].Line
		}
		field := fmt.Sprintf("steps[%d]", i)
		kinds := 0
		for _, set := range []bool{s.SQL != "", s.Start != "", s.Stop != "", s.Wait != nil, s.Fault != nil, s.Restore != nil, s.Check != nil, s.Sleep > 0} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			return nil, fail(s.line, field, "a step is exactly one of sql, start_workload, stop_workload, wait, fault, restore, check, sleep")
		}
		if (s.Expect != nil || s.Error != "") && s.SQL == "" {
			return nil, fail(s.line, field, "expect and expect_error go with sql")
		}
		for _, name := range []string{s.Start, s.Stop} {
			if name != "" && !workloads[name] {
				return nil, fail(s.line, field, "unknown workload %q", name)
			}
		}
		if s.Check != nil && !workloads[s.Check.Workload] {
			return nil, fail(s.line, field+".check.workload", "unknown workload %q", s.Check.Workload)
		}
		if f := s.Fault; f != nil {
			if !slices.Contains(faultKinds, f.Kind) {
				return nil, fail(s.line, field+".fault.kind", "%q is not one of %s", f.Kind, strings.Join(faultKinds, ", "))
			}
			needsTarget := slices.Contains([]string{"kill", "stop", "pause", "resume", "restart"}, f.Kind)
			if needsTarget && !slices.Contains(faultTargets, f.Target) {
				return nil, fail(s.line, field+".fault.target", "%q is not one of %s", f.Target, strings.Join(faultTargets, ", "))
			}
			if !needsTarget && f.Target != "" {
				return nil, fail(s.line, field+".fault.target", "%s takes no target", f.Kind)
			}
		}
		if w := s.Wait; w != nil && (w.Snapshots < 1) == (w.Listed == nil) {
			return nil, fail(s.line, field+".wait", "wait for exactly one of snapshots (at least 1) or listed")
		}
		if s.Restore != nil {
			restored = true
		}
		if restored && (s.Start != "" || s.Stop != "") {
			return nil, fail(s.line, field, "workloads run on the cluster before the restore")
		}
	}
	return d, nil
}

// DrillOptions says how to run drills.
type DrillOptions struct {
	// Dir receives each drill's report folder.
	Dir string
	// Binary is the minirocks executable.
	Binary string
	// Seed, when not zero, replaces the drills' own seeds.
	Seed uint64
	Out  io.Writer
	// Cluster are further harness options.
	Cluster []harness.Option
}

// Verdicts and the exit codes `minirocks drill` gives them.
const (
	Pass    = "PASS"
	Fail    = "FAIL"
	Unknown = "UNKNOWN"
)

// DrillResult is what a drill found.
type DrillResult struct {
	Name     string
	Seed     uint64
	Verdict  string
	Failures []string
	// Error is why the drill could not finish (the verdict is UNKNOWN).
	Error      string
	Snapshot   *harness.Snapshot
	Restore    *harness.RestoreTimes
	Checks     map[string]*CutCheck
	ReportPath string
}

// RunDrill runs one drill and writes its report folder.
func RunDrill(ctx context.Context, d *Drill, opts DrillOptions) *DrillResult {
	seed := d.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	res := &DrillResult{Name: d.Name, Seed: seed, Checks: map[string]*CutCheck{}}
	dir := filepath.Join(opts.Dir, d.Name)
	r := &drillRun{d: d, opts: opts, res: res, dir: dir, rng: rand.New(rand.NewPCG(seed, seed>>1|1)), workloads: map[string]*loadWorkload{}}
	err := r.run(ctx)
	switch {
	case err != nil:
		res.Verdict, res.Error = Unknown, err.Error()
		r.event("check", "UNKNOWN: %v", err)
	case len(res.Failures) > 0:
		res.Verdict = Fail
	default:
		res.Verdict = Pass
	}
	r.event("check", "%s: drill %s", res.Verdict, d.Name)
	if err := r.writeReport(); err != nil {
		fmt.Fprintf(opts.Out, "report: %v\n", err)
	}
	return res
}

type drillRun struct {
	d         *Drill
	opts      DrillOptions
	res       *DrillResult
	dir       string
	rng       *rand.Rand
	timeline  []Event
	workloads map[string]*loadWorkload
	lost      *harness.Cluster // the cluster launched
	cur       *harness.Cluster // the cluster steps talk to
	restored  *harness.Cluster // the restored cluster, once there is one
	disaster  time.Time
	begun     time.Time
}

func (r *drillRun) event(kind, format string, args ...any) {
	e := Event{At: time.Now(), Kind: kind, What: fmt.Sprintf(format, args...)}
	r.timeline = append(r.timeline, e)
	fmt.Fprintf(r.opts.Out, "[%s] %-7s %s\n", e.At.Format("15:04:05.000"), kind, e.What)
}

func (r *drillRun) run(ctx context.Context) error {
	d := r.d
	r.begun = time.Now()
	r.event("step", "drill %s (seed %d; replay with --seed %d): %s", d.Name, r.res.Seed, r.res.Seed, strings.TrimSpace(d.Description))
	conf := ""
	for k, v := range d.Cluster.FEConf {
		conf += k + " = " + v + "\n"
	}
	launch := append([]harness.Option{harness.WithName(d.Name), harness.WithDir(filepath.Join(r.dir, "cluster")),
		harness.WithBinary(r.opts.Binary), harness.WithFollowers(d.Cluster.Followers), harness.WithObservers(d.Cluster.Observers),
		harness.WithComputeNodes(d.Cluster.ComputeNodes), harness.WithFEConf(conf)}, r.opts.Cluster...)
	c, err := harness.Launch(ctx, launch...)
	if err != nil {
		return err
	}
	defer c.Close()
	r.lost, r.cur = c, c
	r.event("step", "launched %d FEs and %d CNs, MinIO on %s", 1+d.Cluster.Followers+d.Cluster.Observers, d.Cluster.ComputeNodes, c.ObjectStorage().Endpoint)
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return err
	}
	defer func() {
		db.Close()
		if r.restored != nil {
			r.restored.Close()
		}
	}()
	for i, w := range d.Workloads {
		r.workloads[w.Name] = &loadWorkload{name: w.Name, table: w.Table, prefix: strings.ReplaceAll(d.Name, "-", "_") + "_" + w.Name, clients: w.Clients, seed: r.res.Seed + uint64(i)*1000}
	}
	defer func() {
		for _, w := range r.workloads {
			w.halt()
		}
	}()
	for i, s := range d.Steps {
		if err := r.step(ctx, s, &db); err != nil {
			return fmt.Errorf("%s:%d: steps[%d]: %w", d.path, s.line, i, err)
		}
	}
	return nil
}

func (r *drillRun) step(ctx context.Context, s Step, db **sql.DB) error {
	switch {
	case s.SQL != "":
		return r.sqlStep(ctx, *db, s)
	case s.Start != "":
		w := r.workloads[s.Start]
		if _, err := (*db).ExecContext(ctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (load_id INT, line INT, amount DECIMAL(10, 2)) DUPLICATE KEY(load_id) DISTRIBUTED BY HASH(line) BUCKETS 6", w.table)); err != nil {
			return fmt.Errorf("workload %s: create table %s (its database must exist): %w", w.name, w.table, err)
		}
		w.start(ctx, *db)
		r.event("step", "workload %s started", s.Start)
	case s.Stop != "":
		r.workloads[s.Stop].halt()
		h := r.workloads[s.Stop].history()
		r.event("step", "workload %s stopped after %d loads", s.Stop, len(h))
	case s.Sleep > 0:
		r.event("step", "sleep %v", s.Sleep)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.Sleep):
		}
	case s.Wait != nil:
		timeout := s.Wait.Timeout
		if timeout == 0 {
			timeout = 2 * time.Minute
		}
		q, want, what := "SELECT COUNT(*) FROM information_schema.cluster_snapshot_jobs WHERE state IN ('FINISHED', 'EXPIRED', 'DELETED')", s.Wait.Snapshots, "snapshots finished"
		if s.Wait.Listed != nil {
			q, want, what = "SELECT COUNT(*) FROM information_schema.cluster_snapshots", *s.Wait.Listed, "snapshots listed"
		}
		err := harness.WaitFor(ctx, timeout, func() error {
			var n int
			if err := (*db).QueryRowContext(ctx, q).Scan(&n); err != nil {
				return err
			}
			if (s.Wait.Listed == nil && n < want) || (s.Wait.Listed != nil && n != want) {
				return fmt.Errorf("%d %s, waiting for %d", n, what, want)
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.event("snapshot", "%d %s", want, what)
	case s.Fault != nil:
		return r.fault(ctx, *s.Fault)
	case s.Restore != nil:
		return r.restore(ctx, *s.Restore, db)
	case s.Check != nil:
		return r.check(ctx, *db, s.Check.Workload)
	}
	return nil
}

func (r *drillRun) sqlStep(ctx context.Context, db *sql.DB, s Step) error {
	rows, err := db.QueryContext(ctx, s.SQL)
	if s.Error != "" {
		if err == nil {
			rows.Close()
			r.res.Failures = append(r.res.Failures, fmt.Sprintf("%q succeeded, expected the error %q", s.SQL, s.Error))
			return nil
		}
		if !strings.Contains(err.Error(), s.Error) {
			r.res.Failures = append(r.res.Failures, fmt.Sprintf("%q failed with %q, expected %q", s.SQL, err.Error(), s.Error))
		}
		r.event("step", "mysql> %s;  -- %s (expected)", shorten(s.SQL, 90), err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.SQL, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var got [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		got = append(got, row)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if s.Expect != nil && fmt.Sprint(got) != fmt.Sprint(s.Expect) {
		r.res.Failures = append(r.res.Failures, fmt.Sprintf("%q returned %v, expected %v", s.SQL, got, s.Expect))
	}
	r.event("step", "mysql> %s;  -- %d rows", shorten(s.SQL, 90), len(got))
	return nil
}

func (r *drillRun) fault(ctx context.Context, f FaultStep) error {
	c := r.cur
	switch f.Kind {
	case "lose_all":
		// What an operator knows of the bucket before the disaster: the
		// snapshots' location (the restore takes the newest complete one).
		if snaps, err := c.Snapshots(ctx); err == nil && len(snaps) > 0 {
			r.res.Snapshot = &snaps[len(snaps)-1]
		}
		if err := c.KillAll(); err != nil {
			return err
		}
		r.disaster = time.Now()
		for _, w := range r.workloads {
			w.halt()
		}
		r.event("fault", "total loss: kill -9 of every FE and CN")
		return nil
	case "storage_down":
		if err := c.MinIO().Stop(); err != nil {
			return err
		}
		r.event("fault", "object storage stopped")
		return nil
	case "storage_up":
		if err := c.MinIO().Start(ctx); err != nil {
			return err
		}
		r.event("fault", "object storage started again")
		return nil
	}
	type node interface {
		Name() string
		Kill() error
		Stop() error
		Pause() error
		Resume() error
		Restart(context.Context) error
	}
	var targets []node
	switch f.Target {
	case "leader":
		l, err := c.Leader(ctx)
		if err != nil {
			return err
		}
		targets = append(targets, l)
	case "follower":
		l, _ := c.Leader(ctx)
		var others []*harness.FE
		for _, fe := range c.FEs() {
			if fe != l {
				others = append(others, fe)
			}
		}
		if len(others) == 0 {
			return errors.New("the cluster has no follower")
		}
		targets = append(targets, others[r.rng.IntN(len(others))])
	case "cn":
		cns := c.CNs()
		if len(cns) == 0 {
			return errors.New("the cluster has no compute node")
		}
		targets = append(targets, cns[r.rng.IntN(len(cns))])
	case "all":
		for _, fe := range c.FEs() {
			targets = append(targets, fe)
		}
		for _, n := range c.CNs() {
			targets = append(targets, n)
		}
	}
	for _, t := range targets {
		var err error
		switch f.Kind {
		case "kill":
			err = t.Kill()
		case "stop":
			err = t.Stop()
		case "pause":
			err = t.Pause()
		case "resume":
			err = t.Resume()
		case "restart":
			err = t.Restart(ctx)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", f.Kind, t.Name(), err)
		}
		r.event("fault", "%s %s (%s)", f.Kind, t.Name(), f.Target)
	}
	return nil
}

func (r *drillRun) restore(ctx context.Context, rs RestoreStep, db **sql.DB) error {
	if r.res.Snapshot == nil {
		return errors.New("no snapshot was listed before the disaster: wait for one before lose_all")
	}
	r.event("restore", "restoring onto %d new FE hosts and %d new CN hosts from %s", 1+rs.Followers, rs.ComputeNodes, r.res.Snapshot.MetaPath())
	c, times, err := harness.Restore(ctx, r.lost, r.d.Name+"-restored", harness.RestoreSpec{Snapshot: *r.res.Snapshot, Followers: rs.Followers, ComputeNodes: rs.ComputeNodes},
		append([]harness.Option{harness.WithDir(filepath.Join(r.dir, "restored"))}, r.opts.Cluster...)...)
	if c != nil {
		r.restored = c
	}
	if err != nil {
		return err
	}
	r.res.Restore = &times
	r.cur = c
	ndb, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return err
	}
	(*db).Close()
	*db = ndb
	if after, err := c.Snapshots(ctx); err == nil {
		for _, s := range after {
			if s.Name >= r.res.Snapshot.Name {
				s := s
				r.res.Snapshot = &s
			}
		}
	}
	r.event("restore", "restored from %s (fe_journal_id %d): first query %v after the leader's start, all nodes serving after %v",
		r.res.Snapshot.Name, r.res.Snapshot.FEJournalID, times.FirstQuery.Round(time.Millisecond), times.AllServing.Round(time.Millisecond))
	return nil
}

func (r *drillRun) check(ctx context.Context, db *sql.DB, name string) error {
	w := r.workloads[name]
	w.halt()
	history := w.history()
	mustHave, mustNotHave := time.Now(), time.Time{}
	if r.res.Restore != nil && r.res.Snapshot != nil {
		mustHave, mustNotHave = r.res.Snapshot.Created(), r.disaster
	}
	var cc *CutCheck
	err := harness.WaitFor(ctx, time.Minute, func() error {
		var err error
		cc, err = checkTable(ctx, db, w.table, history, mustHave, mustNotHave)
		return err
	})
	if err != nil {
		return err
	}
	r.res.Checks[name] = cc
	r.res.Failures = append(r.res.Failures, cc.Failures...)
	what := "no acknowledged load lost or doubled"
	if r.res.Restore != nil {
		what = "the table equals the history at the snapshot's cut"
	}
	r.event("check", "workload %s: %d loads sent, %d acknowledged, %d present exactly once, %d acknowledged lost; %s: %s",
		name, cc.Sent, cc.Acknowledged, cc.Present, cc.LostAcknowledged, what, passFail(len(cc.Failures) == 0))
	return nil
}

func passFail(ok bool) string {
	if ok {
		return Pass
	}
	return Fail
}

// writeReport writes report.md and timeline.json into the drill's folder.
func (r *drillRun) writeReport() error {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(r.dir, "timeline.json"), r.timeline); err != nil {
		return err
	}
	for name, w := range r.workloads {
		if err := writeJSON(filepath.Join(r.dir, "history-"+name+".json"), w.history()); err != nil {
			return err
		}
	}
	res := r.res
	var b strings.Builder
	fmt.Fprintf(&b, "# drill %s\n\n%s\n\nVerdict: **%s**\n\n", r.d.Name, strings.TrimSpace(r.d.Description), res.Verdict)
	for _, f := range res.Failures {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	if res.Error != "" {
		fmt.Fprintf(&b, "- could not finish: %s\n", res.Error)
	}
	fmt.Fprintf(&b, "\n| | |\n|---|---|\n| seed | %d (fixes the faults' targets and the workloads' rows; not the scheduling of the processes) |\n", res.Seed)
	if s := res.Snapshot; s != nil && res.Restore != nil {
		fmt.Fprintf(&b, "| snapshot restored | `%s`, fe_journal_id %d |\n", s.Name, s.FEJournalID)
		t := res.Restore
		fmt.Fprintf(&b, "| **RTO** | %v to the first query, %v to all nodes serving (download %v, verify %v, rebuild %v) |\n",
			t.FirstQuery.Round(time.Millisecond), t.AllServing.Round(time.Millisecond), t.Download.Round(time.Millisecond), t.Verify.Round(time.Millisecond), t.Rebuild.Round(time.Millisecond))
	}
	for name, cc := range res.Checks {
		rpo := ""
		if !r.disaster.IsZero() && !cc.LastInside.IsZero() {
			rpo = fmt.Sprintf("; %v between the last write inside the snapshot and the disaster", r.disaster.Sub(cc.LastInside).Round(time.Millisecond))
		}
		fmt.Fprintf(&b, "| workload %s | %d sent, %d acknowledged, %d present; **RPO** %d acknowledged loads lost%s |\n", name, cc.Sent, cc.Acknowledged, cc.Present, cc.LostAcknowledged, rpo)
	}
	fmt.Fprintf(&b, "\n## Timeline\n\n")
	if len(r.timeline) > 0 {
		start := r.timeline[0].At
		for _, e := range r.timeline {
			fmt.Fprintf(&b, "- `+%7.3fs` %-8s %s\n", e.At.Sub(start).Seconds(), e.Kind, e.What)
		}
	}
	res.ReportPath = filepath.Join(r.dir, "report.md")
	return os.WriteFile(res.ReportPath, []byte(b.String()), 0o644)
}
