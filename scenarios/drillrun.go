package scenarios

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/s3proxy"
)

// DrillOptions says how to run drills.
type DrillOptions struct {
	// Dir receives each drill's report folder.
	Dir string
	// Binary is the minirocks executable.
	Binary string
	// Seed, when not zero, replaces the drills' own seeds.
	Seed uint64
	Out  io.Writer
	// Keep leaves the clusters running after the drill (and its report)
	// until ctx ends, printing how to reach them (minirocks drill --keep).
	Keep bool
	// Cluster are further harness options.
	Cluster []harness.Option
	// Backend, when not empty, runs the drills' nodes on this backend
	// ("process" or "docker") instead of the one their files name.
	Backend string
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
	// HTMLReportPath is report.html, the report drawn on a time axis.
	HTMLReportPath string
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
	if opts.Keep && r.cur != nil {
		r.keepUp(ctx)
	}
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
	return res
}

// keepUp leaves the clusters running after the drill, for a person to
// look around with the mysql client, until ctx ends (Ctrl-C).
func (r *drillRun) keepUp(ctx context.Context) {
	clusters := []struct {
		what string
		c    *harness.Cluster
	}{{"current", r.cur}}
	if r.lost != r.cur {
		clusters = append(clusters, struct {
			what string
			c    *harness.Cluster
		}{"launched (lost)", r.lost})
	}
	fmt.Fprintf(r.opts.Out, "\n--keep: the clusters stay up until Ctrl-C; report: %s\n", r.res.ReportPath)
	for _, k := range clusters {
		for _, fe := range k.c.FEs() {
			if !fe.Running() {
				continue
			}
			host, port, _ := strings.Cut(fe.QueryAddr(), ":")
			fmt.Fprintf(r.opts.Out, "  %s cluster %s, %s: mysql -h %s -P %s -uroot\n", k.what, k.c.Name(), fe.Name(), host, port)
		}
		fmt.Fprintf(r.opts.Out, "  %s cluster's install trees and logs: %s\n", k.what, k.c.Dir())
	}
	<-ctx.Done()
	fmt.Fprintf(r.opts.Out, "tearing the clusters down\n")
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
	db        *sql.DB          // to cur
	lostDB    *sql.DB          // to lost
	disaster  time.Time
	begun     time.Time
	// snaps are the snapshots listed before the disaster, oldest first;
	// jobs the snapshot jobs as last seen, by name.
	snaps []harness.Snapshot
	jobs  map[string]*jobRecord
	// seen are all snapshots ever listed, oldest first; with archive each
	// was copied aside when first seen (for a sabotaged restore).
	seen    []harness.Snapshot
	archive bool
	// faults are the faults fired, open ones (a pause, storage down)
	// until healed; unhealed says one is still open.
	faults   []faultRecord
	captures []catalogCapture
	copyLoc  string // the volume's copy, after copy_volume
	evidence bool   // bucket.txt and meta.txt were written
	// containers tells that containers.txt was written (docker backend).
	containers bool
	// partitions heal the network cuts still in place.
	partitions []func() error
	// closers tear down what run set up (clusters, connections), last
	// first; RunDrill calls them after the report, or after --keep.
	closers  []func()
	restores int // restores onto new hosts begun
	// expected is the snapshot the checks compare with: the one restored,
	// or the newest when a sabotage restored another.
	expected *harness.Snapshot
	// storageRules are the storage faults added, open or cleared.
	storageRules []storageRule
}

// jobRecord is one automated cluster snapshot job as the drill saw it.
type jobRecord struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitempty"`
	State    string    `json:"state"`
}

// faultRecord is a fault that fired: when, on what, and until when for
// faults that last (Until is zero while open and for instant faults).
type faultRecord struct {
	At      time.Time `json:"at"`
	Until   time.Time `json:"until,omitempty"`
	What    string    `json:"what"`
	Lasting bool      `json:"lasting"`
	// paused is the node a pause froze, so a resume can tell it apart
	// from a namesake in another cluster.
	paused any
}

func (r *drillRun) event(kind, format string, args ...any) {
	e := Event{At: time.Now(), Kind: kind, What: fmt.Sprintf(format, args...)}
	r.timeline = append(r.timeline, e)
	fmt.Fprintf(r.opts.Out, "[%s] %-7s %s\n", e.At.Format("15:04:05.000"), kind, e.What)
}

// fired records a fault; lasting ones stay open until heal (or the
// matching resume or storage_up) closes them.
func (r *drillRun) fired(lasting bool, format string, args ...any) {
	f := faultRecord{At: time.Now(), What: fmt.Sprintf(format, args...), Lasting: lasting}
	r.faults = append(r.faults, f)
	r.event("fault", "%s", f.What)
}

// closeFaults ends the open lasting faults whose text contains what
// (every open one when what is "").
func (r *drillRun) closeFaults(what string) {
	for i := range r.faults {
		f := &r.faults[i]
		if f.Lasting && f.Until.IsZero() && strings.Contains(f.What, what) {
			f.Until = time.Now()
		}
	}
}

func (r *drillRun) unhealed() bool {
	for _, f := range r.faults {
		if f.Lasting && f.Until.IsZero() {
			return true
		}
	}
	return false
}

func (r *drillRun) run(parent context.Context) (err error) {
	d := r.d
	timeout := d.Timeout
	if timeout == 0 {
		timeout = DefaultDrillTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	r.begun = time.Now()
	r.jobs = map[string]*jobRecord{}
	for _, s := range d.Steps {
		r.archive = r.archive || (s.Restore != nil && s.Restore.Sabotage != "")
	}
	r.event("step", "drill %s (seed %d; replay with --seed %d): %s", d.Name, r.res.Seed, r.res.Seed, strings.TrimSpace(d.Description))
	if name := cmp.Or(r.opts.Backend, d.Cluster.Backend); name != "" && name != "process" {
		b, closeBackend, err := harness.NewBackend(ctx, name)
		if err != nil {
			return err
		}
		r.closers = append(r.closers, func() { closeBackend() })
		r.opts.Cluster = append(append([]harness.Option(nil), r.opts.Cluster...), harness.WithBackend(b))
		r.event("step", "nodes run on the %s backend", name)
	}
	conf := confLines(d.Cluster.FEConf)
	launch := append([]harness.Option{harness.WithName(d.Name), harness.WithDir(filepath.Join(r.dir, "cluster")),
		harness.WithBinary(r.opts.Binary), harness.WithFollowers(d.Cluster.Followers), harness.WithObservers(d.Cluster.Observers),
		harness.WithComputeNodes(d.Cluster.ComputeNodes), harness.WithFEConf(conf)}, r.opts.Cluster...)
	if d.Cluster.StorageFaults {
		launch = append(launch, harness.WithStorageFaults())
	}
	c, err := harness.Launch(ctx, launch...)
	if err != nil {
		return err
	}
	r.closers = append(r.closers, func() { c.Close() })
	r.lost, r.cur = c, c
	defer func() {
		// Before the clusters close: what the bucket and the meta dirs
		// held, when the drill did not pass.
		if err != nil || len(r.res.Failures) > 0 {
			r.writeEvidence(context.WithoutCancel(ctx))
		}
		r.writeContainers(context.WithoutCancel(ctx))
	}()
	r.event("step", "launched %d FEs and %d CNs, MinIO on %s", 1+d.Cluster.Followers+d.Cluster.Observers, d.Cluster.ComputeNodes, c.ObjectStorage().Endpoint)
	if r.lostDB, err = openClusterDB(c); err != nil {
		return err
	}
	r.db = r.lostDB
	r.closers = append(r.closers, func() {
		r.lostDB.Close()
		if r.db != r.lostDB {
			r.db.Close()
		}
		if r.restored != nil {
			r.restored.Close()
		}
	})
	if err := r.capture(ctx, time.Now(), "launch"); err != nil {
		return err
	}
	for i, w := range d.Workloads {
		r.workloads[w.Name] = &loadWorkload{name: w.Name, table: w.Table, prefix: strings.ReplaceAll(d.Name, "-", "_") + "_" + w.Name, clients: w.Clients, seed: r.res.Seed + uint64(i)*1000}
	}
	defer func() {
		for _, w := range r.workloads {
			w.halt()
		}
	}()
	for i, s := range d.Steps {
		if err := r.step(ctx, s); err != nil {
			if ctx.Err() != nil && parent.Err() == nil {
				err = fmt.Errorf("the drill did not finish within its timeout of %v: %w", timeout, err)
			}
			return fmt.Errorf("%s:%d: steps[%d]: %w", d.path, s.line, i, err)
		}
	}
	r.checkStorageFaultsFired()
	return nil
}

// capture reads the lost cluster's catalog after a statement sent at
// sent changed it (until the disaster: the restore is compared with it).
func (r *drillRun) capture(ctx context.Context, sent time.Time, step string) error {
	if !r.disaster.IsZero() || r.restored != nil {
		return nil
	}
	acked := time.Now()
	var cat Catalog
	err := harness.WaitFor(ctx, 30*time.Second, func() error {
		var err error
		cat, err = readCatalog(ctx, r.lostDB)
		return err
	})
	if err != nil {
		return fmt.Errorf("read the catalog: %w", err)
	}
	r.captures = append(r.captures, catalogCapture{Sent: sent, Acked: acked, Step: step, Catalog: cat})
	return nil
}

// refreshSnapshots lists the cluster's snapshots and jobs while it can
// answer (the record stays as it was when it cannot).
func (r *drillRun) refreshSnapshots(ctx context.Context, c *harness.Cluster, db *sql.DB) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if c == r.lost && r.disaster.IsZero() {
		if snaps, err := c.Snapshots(ctx); err == nil {
			r.snaps = snaps
			for _, s := range snaps {
				if slices.ContainsFunc(r.seen, func(o harness.Snapshot) bool { return o.Name == s.Name }) {
					continue
				}
				// A drill that sabotages its restore keeps each snapshot
				// aside: the cluster deletes all but the newest.
				if r.archive && c.ArchiveSnapshot(ctx, s) != nil {
					continue
				}
				r.seen = append(r.seen, s)
			}
		}
	}
	rows, err := db.QueryContext(ctx, "SELECT snapshot_name, created_time, finished_time, state FROM information_schema.cluster_snapshot_jobs")
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name, created, state string
		var finished sql.NullString
		if rows.Scan(&name, &created, &finished, &state) != nil {
			return
		}
		j := r.jobs[name]
		if j == nil {
			j = &jobRecord{Name: name, Created: harness.Snapshot{Name: name}.Created()}
			r.jobs[name] = j
		}
		if state != j.State {
			r.event("snapshot", "job %s %s", name, state)
		}
		j.State = state
		if finished.Valid && finished.String != "" && j.Finished.IsZero() {
			// The view shows whole seconds: the job finished before the
			// next second began.
			if t, err := time.ParseInLocation("2006-01-02 15:04:05", finished.String, time.Local); err == nil {
				j.Finished = t.Add(time.Second)
			}
			if j.Finished.IsZero() || j.Finished.After(time.Now()) {
				j.Finished = time.Now()
			}
		}
	}
}

func (r *drillRun) step(ctx context.Context, s Step) error {
	switch {
	case s.SQL != "":
		sent := time.Now()
		changed, err := r.sqlStep(ctx, s)
		if err != nil || !changed {
			return err
		}
		return r.capture(ctx, sent, shorten(redactSQL(s.SQL), 60))
	case s.Start != "":
		w := r.workloads[s.Start]
		sent := time.Now()
		if _, err := r.db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (load_id INT, line INT, amount DECIMAL(10, 2)) DUPLICATE KEY(load_id) DISTRIBUTED BY HASH(line) BUCKETS 6", w.table)); err != nil {
			return fmt.Errorf("workload %s: create table %s (its database must exist): %w", w.name, w.table, err)
		}
		if err := r.capture(ctx, sent, "create table "+w.table); err != nil {
			return err
		}
		w.start(ctx, r.db)
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
		return r.wait(ctx, *s.Wait)
	case s.Fault != nil:
		c, db := r.cur, r.db
		if s.On == "lost" {
			c, db = r.lost, r.lostDB
		}
		return r.fault(ctx, c, db, *s.Fault)
	case s.Heal:
		return r.heal(ctx)
	case s.Restore != nil:
		return r.restore(ctx, *s.Restore)
	case s.Check != nil:
		if r.unhealed() {
			// Checks read a whole cluster: what is still broken is
			// healed first, as an operator would before judging.
			r.event("step", "faults still open before the checks: healing first")
			if err := r.heal(ctx); err != nil {
				return err
			}
		}
		return r.check(ctx, *s.Check)
	}
	return nil
}

// expand replaces ${restored_snapshot} (the snapshot restored) and
// ${newest_snapshot} (the newest listed before the disaster).
func (r *drillRun) expand(q string) string {
	restored, newest := "", ""
	if r.expected != nil {
		restored = r.expected.Name
	}
	if len(r.snaps) > 0 {
		newest = r.snaps[len(r.snaps)-1].Name
	}
	return strings.NewReplacer("${restored_snapshot}", restored, "${newest_snapshot}", newest).Replace(q)
}

// ddl tells a statement that changes the catalog.
func ddl(q string) bool {
	f := strings.Fields(strings.ToUpper(q))
	return len(f) > 0 && slices.Contains([]string{"CREATE", "DROP", "ALTER", "GRANT", "REVOKE", "RECOVER", "TRUNCATE", "SET"}, f[0])
}

// sqlStep runs a sql step (again and again, up to Within, until it gives
// what it expects); changed says a statement that changes the catalog
// succeeded.
func (r *drillRun) sqlStep(ctx context.Context, s Step) (changed bool, _ error) {
	db := r.db
	if s.On == "lost" {
		db = r.lostDB
	}
	q := r.expand(s.SQL)
	deadline := time.Now().Add(s.Within)
	for {
		failure, note, changed, err := r.trySQL(ctx, db, q, s)
		if err == nil && failure == "" || time.Now().After(deadline) {
			if err != nil {
				return false, fmt.Errorf("%s: %w", redactSQL(q), err)
			}
			if failure != "" {
				r.res.Failures = append(r.res.Failures, failure)
			}
			r.event("step", "mysql> %s;  -- %s", shorten(redactSQL(q), 90), note)
			return changed && s.On != "lost", nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// statementTimeout bounds one statement of a sql step: a cluster that
// never answers fails the step instead of hanging the drill.
const statementTimeout = time.Minute

// trySQL runs q once: failure says how it differs from what s expects,
// note what it gave.
func (r *drillRun) trySQL(ctx context.Context, db *sql.DB, q string, s Step) (failure, note string, changed bool, _ error) {
	ctx, cancel := context.WithTimeout(ctx, statementTimeout)
	defer cancel()
	rows, err := db.QueryContext(ctx, q)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v", statementTimeout)
	}
	if s.Error != "" {
		if err == nil {
			rows.Close()
			return fmt.Sprintf("%q succeeded, expected the error %q", redactSQL(q), s.Error), "succeeded (an error was expected)", ddl(q), nil
		}
		if !strings.Contains(err.Error(), s.Error) {
			return fmt.Sprintf("%q failed with %q, expected %q", redactSQL(q), err.Error(), s.Error), err.Error(), false, nil
		}
		return "", err.Error() + " (expected)", false, nil
	}
	if err != nil {
		if s.Within > 0 {
			return err.Error(), err.Error(), false, nil
		}
		return "", "", false, err
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
			return "", "", false, err
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
		return "", "", false, err
	}
	note = fmt.Sprintf("%d rows", len(got))
	if s.Expect != nil {
		want := make([][]string, len(s.Expect))
		for i, row := range s.Expect {
			for _, v := range row {
				want[i] = append(want[i], r.expand(v))
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("%q returned %v, expected %v", redactSQL(q), got, want), note, ddl(q), nil
		}
	}
	return "", note, ddl(q), nil
}

func (r *drillRun) wait(ctx context.Context, w WaitStep) error {
	timeout := w.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	var cond func() error
	var what string
	count := func(q string, want int, exact bool, what string) func() error {
		return func() error {
			r.refreshSnapshots(ctx, r.cur, r.db)
			var n int
			if err := r.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
				return err
			}
			if (!exact && n < want) || (exact && n != want) {
				return fmt.Errorf("%d %s, waiting for %d", n, what, want)
			}
			return nil
		}
	}
	switch {
	case w.Snapshots > 0:
		what = fmt.Sprintf("%d snapshots finished", w.Snapshots)
		cond = count("SELECT COUNT(*) FROM information_schema.cluster_snapshot_jobs WHERE state IN ('FINISHED', 'EXPIRED', 'DELETED')", w.Snapshots, false, "snapshots finished")
	case w.Listed != nil:
		what = fmt.Sprintf("%d snapshots listed", *w.Listed)
		cond = count("SELECT COUNT(*) FROM information_schema.cluster_snapshots", *w.Listed, true, "snapshots listed")
	case w.JobState != "":
		what = "a snapshot job " + w.JobState
		q := "SELECT COUNT(*) FROM information_schema.cluster_snapshot_jobs WHERE state = '" + w.JobState + "'"
		if r.res.Restore != nil && r.expected != nil {
			// The image restored brings the lost cluster's job records.
			q += " AND snapshot_name > '" + r.expected.Name + "'"
			what += " (newer than " + r.expected.Name + ")"
		}
		cond = count(q, 1, false, "jobs "+w.JobState)
	case w.Alive:
		what = "every node alive"
		cond = func() error { return r.allAlive(ctx) }
	case w.StorageFired:
		what = "every storage fault in force to fire"
		cond = r.storageFaultsFired
	}
	p := newProgress(r.opts.Out, "waiting for "+what, timeout)
	err := harness.WaitFor(ctx, timeout, func() error {
		err := cond()
		if err != nil {
			p.update(err.Error())
		}
		return err
	})
	p.done()
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	r.event("step", "waited for %s", what)
	return nil
}

// allAlive checks that every FE and compute node of the current cluster
// is alive as the leader sees it.
func (r *drillRun) allAlive(ctx context.Context) error { return clusterAlive(ctx, r.db, r.cur) }

// clusterAlive checks that every FE and compute node of c is alive as the
// leader that db reaches sees it: each listed, none missing, all Alive.
func clusterAlive(ctx context.Context, db *sql.DB, c *harness.Cluster) error {
	fes, err := queryColumn(ctx, db, "SHOW FRONTENDS", "Alive")
	if err != nil {
		return err
	}
	cns, err := queryColumn(ctx, db, "SHOW COMPUTE NODES", "Alive")
	if err != nil {
		return err
	}
	if len(fes) != len(c.FEs()) || len(cns) != len(c.CNs()) {
		return fmt.Errorf("%d FEs and %d CNs listed, the cluster has %d and %d", len(fes), len(cns), len(c.FEs()), len(c.CNs()))
	}
	for _, a := range append(fes, cns...) {
		if a != "true" {
			return fmt.Errorf("not all alive: FEs %v, CNs %v", fes, cns)
		}
	}
	return nil
}

// heal undoes what faults left open: paused nodes resumed, stopped or
// killed nodes started, the object storage started; then waits until
// every node is alive.
func (r *drillRun) heal(ctx context.Context) error {
	c := r.cur
	for _, h := range r.partitions {
		if err := h(); err != nil {
			return fmt.Errorf("heal: %w", err)
		}
	}
	r.partitions = nil
	if m := c.MinIO(); m != nil && !m.Running() {
		if err := m.Start(ctx); err != nil {
			return err
		}
	}
	for _, f := range c.FEs() {
		_ = f.Resume()
		r.unpause(f)
		if !f.Running() {
			if err := f.Start(ctx); err != nil {
				return fmt.Errorf("heal: start %s: %w", f.Name(), err)
			}
		}
	}
	for _, n := range c.CNs() {
		_ = n.Resume()
		r.unpause(n)
		if !n.Running() {
			if err := n.Start(ctx); err != nil {
				return fmt.Errorf("heal: start %s: %w", n.Name(), err)
			}
		}
	}
	r.clearStorageFaults(nil)
	r.closeFaults("")
	if err := harness.WaitFor(ctx, 2*time.Minute, func() error { return r.allAlive(ctx) }); err != nil {
		return fmt.Errorf("heal: %w", err)
	}
	r.event("step", "healed: every node runs and is alive")
	return nil
}

func (r *drillRun) fault(ctx context.Context, c *harness.Cluster, db *sql.DB, f FaultStep) error {
	if f.Kind != "resume" { // a frozen cluster would not answer
		r.refreshSnapshots(ctx, c, db)
	}
	switch f.Kind {
	case "lose_all":
		if err := c.KillAll(); err != nil {
			return err
		}
		r.disaster = time.Now()
		// Whatever was still broken ends with the cluster it broke.
		r.closeFaults("")
		for _, w := range r.workloads {
			w.halt()
		}
		r.fired(false, "total loss: kill -9 of every FE and CN")
		return nil
	case "storage_down":
		if err := c.MinIO().Stop(); err != nil {
			return err
		}
		r.fired(true, "object storage down")
		return nil
	case "storage_up":
		if err := c.MinIO().Start(ctx); err != nil {
			return err
		}
		r.closeFaults("object storage down")
		r.event("fault", "object storage up again")
		return nil
	case "corrupt_snapshot", "delete_snapshot":
		return r.snapshotFault(ctx, f)
	case "storage_fail", "storage_slow":
		return r.storageFault(c, f)
	case "storage_clear":
		if c.StorageFaults() == nil {
			return errors.New(noStorageFaults)
		}
		n := r.clearStorageFaults(c)
		r.event("fault", "storage faults cleared (%d)", n)
		return nil
	case "copy_volume":
		loc, err := c.CopyVolume(ctx, "copy", "replica", f.DeleteOriginal)
		if err != nil {
			return err
		}
		r.copyLoc = loc
		what := "volume copied to " + loc
		if f.DeleteOriginal {
			what += "; the original bucket deleted"
		}
		r.fired(false, "%s", what)
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
		if f.Kind != "wipe_storage" {
			for _, fe := range c.FEs() {
				targets = append(targets, fe)
			}
		}
		if f.Kind != "wipe_meta" {
			for _, n := range c.CNs() {
				targets = append(targets, n)
			}
		}
	}
	if f.Kind == "resume" {
		// Resume what a pause froze among the targets; none is a mistake.
		var paused []node
		for _, t := range targets {
			if r.isPaused(t) {
				paused = append(paused, t)
			}
		}
		if len(paused) == 0 {
			return fmt.Errorf("resume %s: no node a pause froze in this cluster (on: lost addresses the cluster the drill launched)", f.Target)
		}
		targets = paused
	}
	for _, t := range targets {
		var err error
		lasting := false
		switch f.Kind {
		case "kill":
			err, lasting = t.Kill(), true
		case "stop":
			err, lasting = t.Stop(), true
		case "pause":
			err, lasting = t.Pause(), true
		case "resume":
			err = t.Resume()
		case "restart":
			err = t.Restart(ctx)
		case "wipe_meta", "wipe_storage":
			err = wipe(t)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", f.Kind, t.Name(), err)
		}
		if f.Kind == "partition" || f.Kind == "partition_storage" {
			a, ok := t.(harness.Addressed)
			if !ok {
				return fmt.Errorf("%s %s: not a node with a host", f.Kind, t.Name())
			}
			cut, from := c.Partition, "the other nodes"
			if f.Kind == "partition_storage" {
				cut, from = c.PartitionFromStorage, "the object storage"
			}
			heal, err := cut(ctx, a)
			if err != nil {
				return err
			}
			r.partitions = append(r.partitions, heal)
			r.fired(true, "partition: %s (%s) cut off from %s", t.Name(), f.Target, from)
			continue
		}
		if f.Kind == "resume" || f.Kind == "restart" {
			r.closeFaults(" " + t.Name() + " ")
			r.unpause(t)
			r.event("fault", "%s %s (%s)", f.Kind, t.Name(), f.Target)
			continue
		}
		r.fired(lasting, "%s %s (%s)", f.Kind, t.Name(), f.Target)
		if f.Kind == "pause" {
			r.faults[len(r.faults)-1].paused = t
		}
	}
	return nil
}

// isPaused tells whether a pause froze n and nothing thawed it since.
func (r *drillRun) isPaused(n any) bool {
	for _, f := range r.faults {
		if f.paused == n {
			return true
		}
	}
	return false
}

// unpause forgets that n was paused.
func (r *drillRun) unpause(n any) {
	for i := range r.faults {
		if r.faults[i].paused == n {
			r.faults[i].paused = nil
		}
	}
}

// wipe deletes an FE's meta dir or a compute node's storage_root_path;
// the node must not run.
func wipe(n any) error {
	switch n := n.(type) {
	case *harness.FE:
		if n.Running() {
			return fmt.Errorf("%s still runs: stop or kill it first", n.Name())
		}
		return n.WipeMeta()
	case *harness.CN:
		if n.Running() {
			return fmt.Errorf("%s still runs: stop or kill it first", n.Name())
		}
		return n.WipeStorage()
	}
	return fmt.Errorf("cannot wipe %T", n)
}

// pickSnapshot is the newest or the previous snapshot listed before the
// disaster.
func (r *drillRun) pickSnapshot(which string) (harness.Snapshot, error) {
	n := len(r.snaps)
	switch {
	case which == "previous" && n >= 2:
		return r.snaps[n-2], nil
	case which != "previous" && n >= 1:
		return r.snaps[n-1], nil
	}
	return harness.Snapshot{}, fmt.Errorf("no %s snapshot: %d were listed before the disaster (wait for them first)", which, n)
}

func (r *drillRun) snapshotFault(ctx context.Context, f FaultStep) error {
	s, err := r.pickSnapshot(f.Snapshot)
	if err != nil {
		return err
	}
	keys, err := r.cur.MatchSnapshotObjects(ctx, s, f.Object)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("no object of snapshot %s matches %q", s.Name, f.Object)
	}
	for _, k := range keys {
		if f.Kind == "corrupt_snapshot" {
			err = r.cur.CorruptObject(ctx, k)
		} else {
			err = r.cur.DeleteObject(ctx, k)
		}
		if err != nil {
			return err
		}
		verb := map[string]string{"corrupt_snapshot": "corrupted", "delete_snapshot": "deleted"}[f.Kind]
		r.fired(false, "%s %s (%s snapshot %s)", verb, k, f.Snapshot, s.Name)
	}
	return nil
}

func (r *drillRun) restore(ctx context.Context, rs RestoreStep) error {
	if r.disaster.IsZero() {
		r.refreshSnapshots(ctx, r.lost, r.lostDB)
	}
	if len(r.snaps) == 0 {
		return errors.New("no snapshot was listed before the restore: wait for one first")
	}
	which := rs.Snapshot
	if which == "" {
		which = "latest"
	}
	newest := r.snaps[len(r.snaps)-1]
	spec := harness.RestoreSpec{Snapshot: newest, Followers: rs.Followers, ComputeNodes: rs.ComputeNodes, Location: r.copyLocIf(rs.FromCopy)}
	if which != "latest" {
		s, err := r.pickSnapshot(which)
		if err != nil {
			return err
		}
		spec.Snapshot, spec.ByName = s, true
	}
	if rs.Sabotage == "previous_snapshot" {
		if len(r.seen) < 2 || r.seen[len(r.seen)-1].Name != newest.Name {
			return fmt.Errorf("sabotage: needs two snapshots seen before the restore, the newest last (seen %d)", len(r.seen))
		}
		prev := r.seen[len(r.seen)-2]
		if err := r.lost.PutBackSnapshot(ctx, prev); err != nil {
			return fmt.Errorf("sabotage: %w", err)
		}
		spec.Snapshot, spec.ByName = prev, true
		r.event("restore", "SABOTAGE: restoring %s while the checks expect %s", prev.Name, newest.Name)
	}
	path := spec.Snapshot.MetaPath() + " (the newest complete snapshot)"
	if spec.ByName {
		path = spec.Snapshot.StoragePath
	}
	if rs.FromCopy {
		path += ", read from the copy " + r.copyLoc
	}
	var c *harness.Cluster
	var times harness.RestoreTimes
	var err error
	if rs.Onto == "same_hosts" {
		r.event("restore", "restoring onto the same %d FE and %d CN hosts (meta dirs and caches wiped, RESTORE_CLUSTER_SNAPSHOT=true) from %s", len(r.lost.FEs()), len(r.lost.CNs()), path)
		c = r.lost
		p := newProgress(r.opts.Out, "restoring onto the same hosts", 0)
		stop := p.ticking(func() string { return "the first FE restores, then the others start as before" })
		times, err = harness.RestoreInPlace(ctx, c, spec)
		stop()
	} else {
		r.event("restore", "restoring onto %d new FE hosts and %d new CN hosts from %s", 1+rs.Followers, rs.ComputeNodes, path)
		r.restores++
		name := "restored"
		if r.restores > 1 {
			name = fmt.Sprintf("restored-%d", r.restores)
		}
		p := newProgress(r.opts.Out, "restoring onto new hosts", 0)
		stop := p.ticking(func() string { return "the leader restores, then the followers join and the compute nodes start" })
		c, times, err = harness.Restore(ctx, r.lost, r.d.Name+"-"+name, spec,
			append([]harness.Option{harness.WithDir(filepath.Join(r.dir, name)), harness.WithFEConf(confLines(rs.FEConf))}, r.opts.Cluster...)...)
		stop()
		if c != nil {
			if rs.Error != "" && err != nil {
				defer c.Close()
			} else {
				r.restored = c
			}
		}
	}
	if rs.Error != "" {
		if err == nil {
			r.res.Failures = append(r.res.Failures, fmt.Sprintf("the restore from %s succeeded, expected it refused with %q", path, rs.Error))
			return nil
		}
		msg := err.Error()
		if !strings.Contains(msg, rs.Error) {
			r.res.Failures = append(r.res.Failures, fmt.Sprintf("the restore from %s failed, but not with %q: %s", path, rs.Error, shorten(msg, 400)))
		}
		r.event("restore", "refused as expected: %s", refusal(msg, rs.Error))
		return nil
	}
	if err != nil {
		return err
	}
	r.res.Restore = &times
	r.cur = c
	ndb, err := openClusterDB(c)
	if err != nil {
		return err
	}
	if r.db != r.lostDB {
		r.db.Close()
	}
	r.db = ndb
	if c == r.lost {
		r.lostDB = ndb
	}
	got := times.Restored(r.snaps, spec.Snapshot)
	expected := got
	if rs.Sabotage != "" {
		expected = newest
	}
	r.expected, r.res.Snapshot = &expected, &got
	r.event("restore", "restored from %s (fe_journal_id %d): first query %v after the leader's start, all nodes serving after %v",
		got.Name, got.FEJournalID, times.FirstQuery.Round(time.Millisecond), times.AllServing.Round(time.Millisecond))
	return nil
}

// openClusterDB opens the DSN that follows c's leader, without keeping
// idle connections: each statement dials whichever FE leads then, as a
// client behind a load balancer would, so a leader cut off or killed is
// left behind at once instead of answering "no leader" on a pooled
// connection.
func openClusterDB(c *harness.Cluster) (*sql.DB, error) {
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(0)
	return db, nil
}

// confLines renders fe.conf lines, sorted by key.
func confLines(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	return b.String()
}

// copyLocIf is the copy's location when fromCopy.
func (r *drillRun) copyLocIf(fromCopy bool) string {
	if fromCopy {
		return r.copyLoc
	}
	return ""
}

// refusal is the line of msg that holds want (all of msg, shortened, when
// none does).
func refusal(msg, want string) string {
	for _, l := range strings.Split(msg, "\n") {
		if strings.Contains(l, want) {
			return shorten(strings.TrimSpace(l), 300)
		}
	}
	return shorten(msg, 300)
}

func (r *drillRun) check(ctx context.Context, c CheckStep) error {
	if r.unhealed() && r.res.Restore == nil {
		r.event("step", "faults still open before a check: healing first")
		if err := r.heal(ctx); err != nil {
			return err
		}
	}
	before := len(r.res.Failures)
	var err error
	switch {
	case c.Workload != "":
		err = r.checkWorkload(ctx, c.Workload)
	case c.Catalog:
		err = r.checkCatalog(ctx)
	case c.SnapshotAge > 0:
		err = r.checkSnapshotAge(ctx, c.SnapshotAge)
	}
	if err != nil || !c.ExpectFail {
		return err
	}
	found := r.res.Failures[before:]
	r.res.Failures = r.res.Failures[:before]
	if len(found) == 0 {
		r.res.Failures = append(r.res.Failures, "the check was expected to find a problem but found none")
		r.event("check", "expected a problem, found none: FAIL")
		return nil
	}
	r.event("check", "found the problem it was expected to find (%s): PASS", strings.Join(found, "; "))
	return nil
}

func (r *drillRun) checkWorkload(ctx context.Context, name string) error {
	w := r.workloads[name]
	w.halt()
	history := w.history()
	mustHave, mustNotHave := time.Now(), time.Time{}
	var cut uint64
	if r.res.Restore != nil && r.expected != nil {
		cut = r.expected.FEJournalID
		// Acknowledged before the job began: inside. Sent after it
		// finished (its journal id was read before): outside.
		mustHave, mustNotHave = r.expected.Created(), r.disaster
		if j := r.jobs[r.expected.Name]; j != nil && !j.Finished.IsZero() {
			mustNotHave = j.Finished
		}
	}
	var cc *CutCheck
	err := harness.WaitFor(ctx, time.Minute, func() error {
		var err error
		cc, err = checkTable(ctx, r.db, w.table, history, mustHave, mustNotHave, cut)
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
	if len(cc.Failures) > 0 {
		r.event("check", "workload %s differs: %s", name, strings.Join(firstN(cc.Failures, 5), "; "))
	}
	return nil
}

func firstN(l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	return append(slices.Clone(l[:n]), fmt.Sprintf("and %d more", len(l)-n))
}

// checkCatalog compares the restored catalog with the lost cluster's as
// of the snapshot's cut.
func (r *drillRun) checkCatalog(ctx context.Context) error {
	if r.expected == nil {
		return errors.New("check catalog: nothing was restored")
	}
	cut := r.expected.Created()
	want := catalogAt(r.captures, cut)
	if len(want) == 0 {
		return fmt.Errorf("check catalog: no catalog was read before the cut %s", cut.Format(time.RFC3339Nano))
	}
	got, err := readCatalog(ctx, r.db)
	if err != nil {
		return err
	}
	var diffs []string
	for _, w := range want {
		d := w.Catalog.diff(got)
		if len(d) == 0 {
			r.event("check", "catalog: %d databases, %d tables, %d partitions, %d users, %d grants, %d storage volumes equal the catalog after %q: PASS",
				len(got.Databases), len(got.Tables), len(got.Partitions), len(got.Users), len(got.Grants), len(got.Volumes), w.Step)
			return nil
		}
		diffs = append(diffs, fmt.Sprintf("(as read after %q) %s", w.Step, strings.Join(d, "; ")))
	}
	r.res.Failures = append(r.res.Failures, "the restored catalog differs from the lost cluster's at the snapshot's cut "+strings.Join(diffs, " | or "))
	r.event("check", "catalog differs: %s: FAIL", strings.Join(diffs, " | or "))
	return nil
}

// checkSnapshotAge fails when the newest FINISHED snapshot is older than
// max: automated snapshots that silently stopped being taken.
func (r *drillRun) checkSnapshotAge(ctx context.Context, max time.Duration) error {
	var newest sql.NullString
	if err := r.db.QueryRowContext(ctx, "SELECT MAX(snapshot_name) FROM information_schema.cluster_snapshots").Scan(&newest); err != nil {
		return err
	}
	if !newest.Valid || newest.String == "" {
		r.res.Failures = append(r.res.Failures, "no FINISHED cluster snapshot at all")
		r.event("check", "snapshot age: no FINISHED snapshot: FAIL")
		return nil
	}
	age := time.Since(harness.Snapshot{Name: newest.String}.Created())
	ok := age <= max
	if !ok {
		r.res.Failures = append(r.res.Failures, fmt.Sprintf("the newest FINISHED cluster snapshot %s is %v old, more than %v: automated snapshots stopped being taken", newest.String, age.Round(time.Second), max))
	}
	r.event("check", "snapshot age: the newest FINISHED snapshot %s is %v old (at most %v): %s", newest.String, age.Round(time.Millisecond), max, passFail(ok))
	return nil
}

func passFail(ok bool) string {
	if ok {
		return Pass
	}
	return Fail
}

// writeReport writes report.md, report.html and timeline.json into the drill's folder.
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
	// The catalog's history: databases, tables, partitions, users, grants
	// and volumes as read after each statement that changed them.
	if err := writeJSON(filepath.Join(r.dir, "history-catalog.json"), r.captures); err != nil {
		return err
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
	if r.containers {
		fmt.Fprintf(&b, "\nContainers: `containers.txt` (name, state, status, addresses and image of every container, then what `docker inspect` tells of each but its environment: hostname, command, start and end, exit code, restarts, mounts); their output is `log/fe.out` or `log/cn.out` of each node.\n")
	}
	if r.evidence {
		fmt.Fprintf(&b, "\nEvidence: `bucket.txt` (every object of the volume), `meta.txt` (the FEs' meta dirs), the node logs under `cluster/` and `restored/`.\n")
	}
	fmt.Fprintf(&b, "\n## Timeline\n\n")
	if len(r.timeline) > 0 {
		start := r.timeline[0].At
		for _, e := range r.timeline {
			fmt.Fprintf(&b, "- `+%7.3fs` %-8s %s\n", e.At.Sub(start).Seconds(), e.Kind, e.What)
		}
	}
	res.ReportPath = filepath.Join(r.dir, "report.md")
	if err := os.WriteFile(res.ReportPath, []byte(b.String()), 0o644); err != nil {
		return err
	}
	res.HTMLReportPath = filepath.Join(r.dir, "report.html")
	return writeHTMLReport(res.HTMLReportPath, r.chart())
}

// storageRule is a storage fault added to a cluster's proxy.
type storageRule struct {
	proxy   *s3proxy.Proxy
	id      int
	object  string // the glob as the drill wrote it
	what    string
	cleared bool
}

// noStorageFaults is the error of a storage fault on a cluster without
// a proxy.
const noStorageFaults = "this cluster reaches its object storage directly: storage faults need storage_faults: true in the drill's cluster section, and go to the cluster the drill launched (on: lost after a restore)"

// storageFault adds a storage_fail or storage_slow rule to c's proxy. The
// drill's glob is below the volume's location, whose first segment (the
// cluster's prefix) the rule skips.
func (r *drillRun) storageFault(c *harness.Cluster, f FaultStep) error {
	p := c.StorageFaults()
	if p == nil {
		return errors.New(noStorageFaults)
	}
	rule := s3proxy.Rule{Action: s3proxy.Fail, Methods: f.Methods, KeyGlob: "*/" + f.Object, First: f.First, Code: f.Error}
	if f.Kind == "storage_slow" {
		rule.Action, rule.Code, rule.Delay = s3proxy.Delay, "", f.Delay
	}
	id, err := p.Add(rule)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Kind, err)
	}
	methods := "any method"
	if len(f.Methods) > 0 {
		methods = strings.Join(f.Methods, ",")
	}
	what := fmt.Sprintf("storage fault on %s (%s", f.Object, methods)
	if f.First > 0 {
		what += fmt.Sprintf(", first %d requests", f.First)
	}
	if f.Kind == "storage_slow" {
		what += fmt.Sprintf("): held %v", f.Delay)
	} else {
		code := f.Error
		if code == "" {
			code = "InternalError"
		}
		what += "): answered " + code
	}
	r.storageRules = append(r.storageRules, storageRule{proxy: p, id: id, object: f.Object, what: what})
	r.fired(true, "%s", what)
	return nil
}

// clearStorageFaults removes the open storage faults of c (of every
// cluster when c is nil), closes them in the timeline with how often each
// fired, and returns how many it removed.
func (r *drillRun) clearStorageFaults(c *harness.Cluster) int {
	n := 0
	for i := range r.storageRules {
		sr := &r.storageRules[i]
		if sr.cleared || (c != nil && sr.proxy != c.StorageFaults()) {
			continue
		}
		sr.proxy.Remove(sr.id)
		sr.cleared = true
		n++
		r.closeFaults(sr.what)
		h, _ := sr.proxy.Hits(sr.id)
		r.event("fault", "%s cleared after firing on %d requests", sr.what, h.Count)
	}
	return n
}

// storageFaultsFired is nil once every open storage fault has hit a
// request.
func (r *drillRun) storageFaultsFired() error {
	open := 0
	for _, sr := range r.storageRules {
		if sr.cleared {
			continue
		}
		open++
		if h, _ := sr.proxy.Hits(sr.id); h.Count == 0 {
			return fmt.Errorf("%s has not fired yet", sr.what)
		}
	}
	if open == 0 {
		return errors.New("no storage fault is in force")
	}
	return nil
}

// checkStorageFaultsFired makes every storage fault that never hit a
// request a failure: a drill must not silently test nothing.
func (r *drillRun) checkStorageFaultsFired() {
	for _, sr := range r.storageRules {
		h, _ := sr.proxy.Hits(sr.id)
		if h.Count == 0 {
			r.res.Failures = append(r.res.Failures, fmt.Sprintf("storage fault on %s never fired", sr.object))
			r.event("check", "storage fault on %s never fired: FAIL", sr.object)
			continue
		}
		r.event("check", "%s fired on %d requests (%s): PASS", sr.what, h.Count, strings.Join(firstN(h.Keys, 3), ", "))
	}
}
