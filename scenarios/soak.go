package scenarios

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/s3proxy"
)

// This file is the soak: seeded rounds of crashes (kill -9 of a follower
// FE, a compute node, the leader FE, the leader while it uploads a
// snapshot, a restore half-way) on one cluster under concurrent labelled
// loads and DDL, each round checked with the workload's checkers.

// CrashKind is one kind of crash point of the soak.
type CrashKind string

// The soak's crash points.
const (
	// CrashFollower is kill -9 of a follower FE, started again after.
	CrashFollower CrashKind = "follower"
	// CrashCN is kill -9 of a compute node, started again after.
	CrashCN CrashKind = "cn"
	// CrashLeader is kill -9 of the leader FE, started again (as a
	// follower) once another leads.
	CrashLeader CrashKind = "leader"
	// CrashUpload is kill -9 of the leader FE while the image upload of
	// an automated snapshot job is held at the object storage.
	CrashUpload CrashKind = "upload"
	// CrashLoseAll is every node of the cluster killed at once: the
	// disaster a restore round restores from.
	CrashLoseAll CrashKind = "lose_all"
	// CrashRestore is kill -9 of a restoring leader half-way through its
	// restore, started again.
	CrashRestore CrashKind = "restore"
)

// roundKinds are the crash points a round's plan is made of; every round
// has each of them at least once.
var roundKinds = []CrashKind{CrashFollower, CrashCN, CrashLeader, CrashUpload}

// uploadFailedMsg is the error of a snapshot job whose leader died.
const uploadFailedMsg = "Snapshot job has been failed because of FE restart or leader change"

// SoakOptions say what a soak runs and for how long. It stops at the
// first of CrashPoints, Rounds and Duration reached (at a round's end);
// at least one must be set.
type SoakOptions struct {
	// Seed fixes every round's plan: round r uses seed+r-1, so a failing
	// round is run again alone with its own seed and Rounds 1.
	Seed uint64
	// CrashPoints stops the soak once this many crash points were
	// survived (0: no limit).
	CrashPoints int
	// Rounds stops the soak after this many rounds (0: no limit).
	Rounds int
	// Duration is the time budget (0: none).
	Duration time.Duration
	// KillsPerRound is how many node kills a round makes (at least the 4
	// kinds; default 8).
	KillsPerRound int
	// RestoreEvery: a round ends with a total loss and a restore killed
	// half-way with probability 1/RestoreEvery, chosen by its seed
	// (default 5; 1: every round).
	RestoreEvery int
	// Dir holds the clusters' install trees and MinIO's drive.
	Dir string
	// Binary is the minirocks executable ("" as harness.ResolveBinary);
	// MinIOBinary the MinIO server ("" as harness.MinIOBinary).
	Binary, MinIOBinary string
	// Out receives a line per crash point and per round.
	Out io.Writer
}

// SoakResult is what a soak survived.
type SoakResult struct {
	// Seed is the first round's seed (SoakOptions.Seed).
	Seed uint64
	// Rounds and CrashPoints are the rounds finished and the crash points
	// survived (each kill, a whole-cluster loss and a restore killed
	// half-way count one each).
	Rounds, CrashPoints int
	// ByKind counts the crash points by kind.
	ByKind map[CrashKind]int
	// Restores counts the restores checked; RestoresKilledHalfWay those
	// whose leader was killed before its restore had finished.
	Restores, RestoresKilledHalfWay int
	// Loads and Acknowledged count the workloads' loads; DDL the DDL
	// statements sent.
	Loads, Acknowledged, DDL int
	// Duration is how long the soak ran.
	Duration time.Duration
	// FailedRound and FailedSeed name the round that failed (0 when none)
	// and the seed that runs it again; Failures say what differed.
	FailedRound int
	FailedSeed  uint64
	Failures    []string
}

// soakRun is one soak in progress.
type soakRun struct {
	opts    SoakOptions
	res     *SoakResult
	storage harness.ObjectStorage
	c       *harness.Cluster
	db      *sql.DB
	gen     int // clusters so far (1 + restores)
	start   time.Time
}

// Soak runs seeded rounds of crash points against one cluster (three FEs,
// two compute nodes, automated snapshots every second, a fault proxy in
// front of MinIO) until opts' limits, and checks after each round that no
// acknowledged load was lost or doubled and, in restore rounds, that the
// restored cluster equals the history at the snapshot's cut. It returns
// an error when a round failed (res names it) or could not run.
func Soak(ctx context.Context, opts SoakOptions) (*SoakResult, error) {
	if opts.CrashPoints <= 0 && opts.Rounds <= 0 && opts.Duration <= 0 {
		return nil, errors.New("soak: set a crash-point target, a round count or a time budget")
	}
	if opts.KillsPerRound < len(roundKinds) {
		opts.KillsPerRound = max(8, len(roundKinds))
	}
	if opts.RestoreEvery < 1 {
		opts.RestoreEvery = 5
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Dir == "" {
		return nil, errors.New("soak: a directory is needed")
	}
	r := &soakRun{opts: opts, res: &SoakResult{Seed: opts.Seed, ByKind: map[CrashKind]int{}}, start: time.Now()}
	defer func() { r.res.Duration = time.Since(r.start) }()
	m, err := harness.LaunchMinIO(filepath.Join(opts.Dir, "minio"), opts.MinIOBinary, "")
	if err != nil {
		return r.res, fmt.Errorf("soak: start MinIO: %w", err)
	}
	defer m.Close()
	r.storage = harness.ObjectStorage{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: "soak"}
	if err := m.CreateBucket(ctx, r.storage.Bucket); err != nil {
		return r.res, fmt.Errorf("soak: create the bucket: %w", err)
	}
	if err := r.launch(ctx); err != nil {
		return r.res, err
	}
	defer func() {
		if r.db != nil {
			r.db.Close()
		}
		if r.c != nil {
			r.c.Close()
		}
	}()
	r.logf("soak: seed %d; cluster of 3 FEs and 2 compute nodes up; %s", opts.Seed, r.limits())
	for round := 1; !r.done(); round++ {
		seed := opts.Seed + uint64(round) - 1
		failures, err := r.round(ctx, round, seed)
		if ctx.Err() != nil {
			r.logf("soak: interrupted in round %d (seed %d); %d crash points survived before it", round, seed, r.res.CrashPoints)
			return r.res, fmt.Errorf("soak: interrupted in round %d: %w", round, ctx.Err())
		}
		if err != nil {
			failures = append(failures, err.Error())
		}
		if len(failures) > 0 {
			r.res.FailedRound, r.res.FailedSeed, r.res.Failures = round, seed, failures
			for _, f := range firstN(failures, 10) {
				r.logf("round %d FAILED: %s", round, f)
			}
			r.logf("soak: round %d FAILED (seed %d; run it again alone with --seed %d --rounds 1); %d crash points survived before it; cluster left in %s",
				round, seed, seed, r.res.CrashPoints, opts.Dir)
			return r.res, fmt.Errorf("soak: round %d failed (seed %d): %s", round, seed, failures[0])
		}
		r.res.Rounds = round
	}
	r.logf("soak: PASS: %d crash points survived in %d rounds (seed %d) in %v; %s; %d loads sent, %d acknowledged, none lost or doubled; %d restores (%d killed half-way) equal to their snapshot's cut",
		r.res.CrashPoints, r.res.Rounds, opts.Seed, time.Since(r.start).Round(time.Second), r.kinds(), r.res.Loads, r.res.Acknowledged, r.res.Restores, r.res.RestoresKilledHalfWay)
	return r.res, nil
}

// limits describes the stop condition.
func (r *soakRun) limits() string {
	var l []string
	if r.opts.CrashPoints > 0 {
		l = append(l, fmt.Sprintf("%d crash points", r.opts.CrashPoints))
	}
	if r.opts.Rounds > 0 {
		l = append(l, fmt.Sprintf("%d rounds", r.opts.Rounds))
	}
	if r.opts.Duration > 0 {
		l = append(l, r.opts.Duration.String())
	}
	return "until " + strings.Join(l, " or ")
}

// done tells whether a limit is reached.
func (r *soakRun) done() bool {
	o := r.opts
	return (o.CrashPoints > 0 && r.res.CrashPoints >= o.CrashPoints) ||
		(o.Rounds > 0 && r.res.Rounds >= o.Rounds) ||
		(o.Duration > 0 && time.Since(r.start) >= o.Duration)
}

// kinds renders the crash points by kind.
func (r *soakRun) kinds() string {
	var l []string
	for _, k := range append(roundKinds, CrashLoseAll, CrashRestore) {
		l = append(l, fmt.Sprintf("%s %d", k, r.res.ByKind[k]))
	}
	return strings.Join(l, ", ")
}

func (r *soakRun) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.Out, "%s [%7.1fs] %s\n", time.Now().Format("15:04:05"), time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

// clusterOpts are the options of every cluster of the soak (the first
// and the restored ones).
func (r *soakRun) clusterOpts(name string) []harness.Option {
	return []harness.Option{harness.WithName(name), harness.WithDir(filepath.Join(r.opts.Dir, name)), harness.WithStorageFaults()}
}

// soakFEConf is the soak clusters' fe.conf: a snapshot every second;
// compaction, vacuum (with no grace period: only the snapshots' pins keep
// their files) and recycle-bin erasing every 5 seconds with dropped
// tables erased at once; finished loads forgotten after 10 minutes,
// so that the catalog (and with it every image, snapshot and restore)
// stays the same size however long the soak runs.
const soakFEConf = `automated_cluster_snapshot_interval_seconds = 1
lake_autovacuum_partition_naptime_seconds = 5
lake_autovacuum_grace_period_minutes = 0
catalog_trash_expire_second = 0
label_keep_max_second = 600
label_clean_interval_second = 60
`

// launch starts the first cluster.
func (r *soakRun) launch(ctx context.Context) error {
	r.gen = 1
	opts := append(r.clusterOpts("soak"), harness.WithObjectStorage(r.storage), harness.WithFollowers(2), harness.WithComputeNodes(2),
		harness.WithFEConf(soakFEConf))
	if r.opts.Binary != "" {
		opts = append(opts, harness.WithBinary(r.opts.Binary))
	}
	c, err := harness.Launch(ctx, opts...)
	if err != nil {
		return fmt.Errorf("soak: launch: %w", err)
	}
	r.c = c
	if r.db, err = openClusterDB(c); err != nil {
		return err
	}
	for _, q := range []string{"CREATE DATABASE soak", "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON"} {
		if _, err := r.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("soak: %s: %w", q, err)
		}
	}
	return nil
}

// soakPlan is what a round does, all chosen by its seed.
type soakPlan struct {
	kills   []CrashKind
	picks   []int // for each kill, which node among the candidates (modulo their number)
	restore bool
}

// planRound makes round's plan from its seed: every kind of roundKinds
// once and kills-len(roundKinds) more, shuffled, and whether it ends with
// a restore.
func planRound(seed uint64, kills, restoreEvery int) soakPlan {
	rng := rand.New(rand.NewPCG(seed, 0x50a4))
	p := soakPlan{kills: append([]CrashKind(nil), roundKinds...)}
	for len(p.kills) < kills {
		p.kills = append(p.kills, roundKinds[rng.IntN(len(roundKinds))])
	}
	rng.Shuffle(len(p.kills), func(i, j int) { p.kills[i], p.kills[j] = p.kills[j], p.kills[i] })
	for range p.kills {
		p.picks = append(p.picks, rng.IntN(1<<16))
	}
	p.restore = rng.IntN(restoreEvery) == 0
	return p
}

// round runs one round: a workload and a DDL client on a fresh table,
// the plan's kills one after the other (each recovered before the next),
// then the checks; in a restore round the cluster is lost, restored
// (killed half-way) and the restored one carries the soak on.
func (r *soakRun) round(ctx context.Context, round int, seed uint64) ([]string, error) {
	plan := planRound(seed, r.opts.KillsPerRound, r.opts.RestoreEvery)
	table, prefix := fmt.Sprintf("soak.r%d", round), fmt.Sprintf("soak_r%d", round)
	roundStart := time.Now()
	w, err := StartWorkload(ctx, r.db, table, prefix, 2, seed)
	if err != nil {
		return nil, err
	}
	d := startDDL(ctx, r.db, fmt.Sprintf("soak.ddl_r%d", round))
	stopped := false
	stop := func() []Write {
		if stopped {
			return w.History()
		}
		stopped = true
		d.halt()
		return w.Stop()
	}
	defer stop()
	if err := r.waitAcked(ctx, w, 1, "the round's first load"); err != nil {
		return nil, err
	}
	for i, kind := range plan.kills {
		t0 := time.Now()
		what, err := r.crash(ctx, w, kind, plan.picks[i])
		if err != nil {
			return nil, fmt.Errorf("crash point %d (%s): %w", r.res.CrashPoints+1, kind, err)
		}
		r.res.CrashPoints++
		r.res.ByKind[kind]++
		r.logf("round %d (seed %d) crash point %d: %s; recovered in %v", round, seed, r.res.CrashPoints, what, time.Since(t0).Round(10*time.Millisecond))
	}
	if plan.restore {
		failures, err := r.restoreRound(ctx, round, seed, w, d, stop)
		if err != nil || len(failures) > 0 {
			return failures, err
		}
	} else {
		history := stop()
		failures, err := r.checkRound(ctx, table, history, d)
		if err != nil || len(failures) > 0 {
			return failures, err
		}
	}
	// The round's table is checked: dropped (and erased) to keep the
	// catalog small.
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		_, err := r.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table)
		return err
	}); err != nil {
		return nil, fmt.Errorf("drop %s after its check: %w", table, err)
	}
	hist := w.History()
	acked := 0
	for _, h := range hist {
		if !h.Acked.IsZero() {
			acked++
		}
	}
	r.res.Loads += len(hist)
	r.res.Acknowledged += acked
	r.res.DDL += d.sent()
	r.logf("round %d (seed %d) PASS in %v: %d loads sent, %d acknowledged, none lost or doubled; %d DDL statements; %d crash points so far",
		round, seed, time.Since(roundStart).Round(10*time.Millisecond), len(hist), acked, d.sent(), r.res.CrashPoints)
	return nil, nil
}

// checkRound checks the round's table and DDL where nothing was lost.
func (r *soakRun) checkRound(ctx context.Context, table string, history []Write, d *ddlClient) ([]string, error) {
	var cc *CutCheck
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		var err error
		cc, err = CheckNoLoss(ctx, r.db, table, history)
		return err
	}); err != nil {
		return nil, fmt.Errorf("check %s: %w", table, err)
	}
	failures := cc.Failures
	tables, err := r.soakTables(ctx)
	if err != nil {
		return nil, err
	}
	return append(failures, d.judge(tables)...), nil
}

// soakTables lists the tables of the soak's database.
func (r *soakRun) soakTables(ctx context.Context) ([]string, error) {
	var tables []string
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		var err error
		tables, err = queryColumn(ctx, r.db, "SHOW TABLES FROM soak", "")
		return err
	}); err != nil {
		return nil, fmt.Errorf("list the DDL client's tables: %w", err)
	}
	return tables, nil
}

// restoreRound loses the whole cluster once a snapshot taken during the
// round finished, restores the newest snapshot onto new hosts with the
// restoring leader killed half-way, checks the restored table against
// the history at the snapshot's cut, and carries on with the restored
// cluster.
func (r *soakRun) restoreRound(ctx context.Context, round int, seed uint64, w *Workload, d *ddlClient, stop func() []Write) ([]string, error) {
	since := time.Now()
	var snaps []harness.Snapshot
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		var err error
		if snaps, err = r.c.Snapshots(ctx); err != nil {
			return err
		}
		if len(snaps) == 0 || !snaps[len(snaps)-1].Created().After(since) {
			return errors.New("no snapshot taken since the kills yet")
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("wait for a snapshot: %w", err)
	}
	// Every snapshot listed had finished by now.
	disaster := time.Now()
	if err := r.c.KillAll(); err != nil {
		return nil, fmt.Errorf("lose the cluster: %w", err)
	}
	r.res.CrashPoints++
	r.res.ByKind[CrashLoseAll]++
	r.logf("round %d (seed %d) crash point %d: every node killed (the cluster lost); newest snapshot %s (fe_journal_id %d)",
		round, seed, r.res.CrashPoints, snaps[len(snaps)-1].Name, snaps[len(snaps)-1].FEJournalID)
	history := stop()
	table := fmt.Sprintf("soak.r%d", round)

	snap := snaps[len(snaps)-1]
	r.gen++
	name := fmt.Sprintf("soak-%d", r.gen)
	t0 := time.Now()
	restored, times, err := harness.Restore(ctx, r.c, name, harness.RestoreSpec{Snapshot: snap, Followers: 2, ComputeNodes: 2, KillHalfWay: true},
		r.clusterOpts(name)...)
	if err != nil {
		if restored != nil {
			restored.Close()
		}
		return nil, fmt.Errorf("restore %s: %w", snap.Name, err)
	}
	r.db.Close()
	r.c.Close()
	if err := os.RemoveAll(r.c.Dir()); err != nil {
		return nil, fmt.Errorf("remove the lost cluster's nodes: %w", err)
	}
	r.c, r.db = restored, nil
	if r.db, err = openClusterDB(restored); err != nil {
		return nil, err
	}
	r.res.CrashPoints++
	r.res.ByKind[CrashRestore]++
	r.res.Restores++
	how := "after it had finished"
	if times.KilledHalfWay {
		r.res.RestoresKilledHalfWay++
		how = "half-way"
	}
	got := times.Restored(snaps, snap)
	r.logf("round %d (seed %d) crash point %d: restoring leader killed %s, started again; %s restored (fe_journal_id %d; download %v, verify %v, rebuild %v), all serving in %v",
		round, seed, r.res.CrashPoints, how, got.Name, got.FEJournalID, times.Download.Round(time.Millisecond), times.Verify.Round(time.Millisecond),
		times.Rebuild.Round(time.Millisecond), time.Since(t0).Round(10*time.Millisecond))
	cc, err := CheckRestored(ctx, r.db, table, history, got, disaster)
	if err != nil {
		return nil, fmt.Errorf("check the restored %s: %w", table, err)
	}
	tables, err := r.soakTables(ctx)
	if err != nil {
		return nil, err
	}
	if failures := append(cc.Failures, d.judgeAtCut(tables, got.Created(), disaster)...); len(failures) > 0 {
		return failures, nil
	}
	r.logf("round %d (seed %d) restored %s equals the history at the cut: %d loads present, %d acknowledged after it (absent, as they must be); the DDL client's tables agree with the cut",
		round, seed, table, cc.Present, cc.LostAcknowledged)
	return nil, nil
}

// stopwatch times the phases of a crash point.
type stopwatch struct {
	last   time.Time
	phases []string
}

func newStopwatch() *stopwatch { return &stopwatch{last: time.Now()} }

// lap ends the phase named what.
func (s *stopwatch) lap(what string) {
	now := time.Now()
	s.phases = append(s.phases, fmt.Sprintf("%s %v", what, now.Sub(s.last).Round(10*time.Millisecond)))
	s.last = now
}

func (s *stopwatch) String() string { return strings.Join(s.phases, ", ") }

// crash makes one crash point of kind on the current cluster under the
// running workload w, and recovers from it: the node started again, every
// node alive, loads acknowledged again. pick chooses the node.
func (r *soakRun) crash(ctx context.Context, w *Workload, kind CrashKind, pick int) (string, error) {
	c := r.c
	leader, err := r.leader(ctx)
	if err != nil {
		return "", err
	}
	var what string
	sw := newStopwatch()
	switch kind {
	case CrashFollower:
		var fs []*harness.FE
		for _, f := range c.FEs() {
			if f != leader {
				fs = append(fs, f)
			}
		}
		f := fs[pick%len(fs)]
		if err := f.Kill(); err != nil {
			return "", err
		}
		if err := r.waitAcked(ctx, w, 1, "loads with a follower down"); err != nil {
			return "", err
		}
		sw.lap("a load acknowledged while down")
		if err := f.Start(ctx); err != nil {
			return "", fmt.Errorf("start %s again: %w", f.Name(), err)
		}
		what = "kill -9 follower FE " + f.Name()
	case CrashCN:
		cns := c.CNs()
		n := cns[pick%len(cns)]
		sent := len(w.History())
		if err := n.Kill(); err != nil {
			return "", err
		}
		// Loads touching its tablets fail meanwhile: wait until the
		// clients sent loads while it was down.
		if err := harness.WaitFor(ctx, time.Minute, func() error {
			if got := len(w.History()); got < sent+1 {
				return fmt.Errorf("%d loads sent since the kill", got-sent)
			}
			return nil
		}); err != nil {
			return "", err
		}
		sw.lap("a load sent while down")
		if err := n.Start(ctx); err != nil {
			return "", fmt.Errorf("start %s again: %w", n.Name(), err)
		}
		what = "kill -9 compute node " + n.Name()
	case CrashLeader:
		if err := leader.Kill(); err != nil {
			return "", err
		}
		if err := r.waitNewLeader(ctx, leader); err != nil {
			return "", err
		}
		sw.lap("new leader")
		if err := leader.Start(ctx); err != nil {
			return "", fmt.Errorf("start %s again: %w", leader.Name(), err)
		}
		what = "kill -9 leader FE " + leader.Name()
	case CrashUpload:
		s, err := r.crashUpload(ctx, leader, sw)
		if err != nil {
			return "", err
		}
		what = "kill -9 leader FE " + leader.Name() + " while it uploaded " + s + " (job ERROR as expected)"
	default:
		return "", fmt.Errorf("unknown crash kind %q", kind)
	}
	sw.lap("started again")
	if err := harness.WaitFor(ctx, 2*time.Minute, func() error { return r.allAlive(ctx) }); err != nil {
		return "", err
	}
	sw.lap("all alive")
	if err := r.waitAcked(ctx, w, 1, "loads after the recovery"); err != nil {
		return "", err
	}
	sw.lap("a load acknowledged")
	return what + " (" + sw.String() + ")", nil
}

// crashUpload holds the next snapshot image upload at the object
// storage, kills the leader uploading it, and checks that the new leader
// ends that job in ERROR; it returns the job's snapshot name.
func (r *soakRun) crashUpload(ctx context.Context, leader *harness.FE, sw *stopwatch) (string, error) {
	p := r.c.StorageFaults()
	// <volume prefix>/<service_id>/meta/image/<snapshot>/image.<id>: a
	// restored cluster goes on writing under the lost one's prefix.
	glob := "*/*/meta/image/automated_cluster_snapshot_*/image.*"
	id, err := p.Add(s3proxy.Rule{Action: s3proxy.Delay, Methods: []string{"PUT"}, KeyGlob: glob, First: 1, Delay: 10 * time.Minute})
	if err != nil {
		return "", err
	}
	defer p.Remove(id)
	var key string
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		h, _ := p.Hits(id)
		if h.Count == 0 {
			return errors.New("no image upload has reached the storage yet")
		}
		key = h.Keys[0]
		return nil
	}); err != nil {
		return "", err
	}
	sw.lap("upload held")
	// The job's snapshot is the directory the image goes to.
	name := filepath.Base(filepath.Dir(key))
	now, err := r.leader(ctx)
	if err != nil {
		return "", err
	}
	if now != leader {
		return "", fmt.Errorf("the leader changed from %s to %s with no fault", leader.Name(), now.Name())
	}
	if err := leader.Kill(); err != nil {
		return "", err
	}
	p.Remove(id)
	if err := r.waitNewLeader(ctx, leader); err != nil {
		return "", err
	}
	sw.lap("new leader")
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		var state, msg sql.NullString
		if err := r.db.QueryRowContext(ctx, "SELECT state, error_message FROM information_schema.cluster_snapshot_jobs WHERE snapshot_name = '"+name+"'").Scan(&state, &msg); err != nil {
			return fmt.Errorf("job %s: %w", name, err)
		}
		if state.String != "ERROR" {
			return fmt.Errorf("job %s is %s, not ERROR", name, state.String)
		}
		if msg.String != uploadFailedMsg {
			return fmt.Errorf("job %s failed with %q, expected %q", name, msg.String, uploadFailedMsg)
		}
		return nil
	}); err != nil {
		return "", err
	}
	sw.lap("job ERROR")
	if err := leader.Start(ctx); err != nil {
		return "", fmt.Errorf("start %s again: %w", leader.Name(), err)
	}
	return name, nil
}

// leader is the current cluster's leader, waiting up to a minute for one.
func (r *soakRun) leader(ctx context.Context) (*harness.FE, error) {
	var l *harness.FE
	err := harness.WaitFor(ctx, time.Minute, func() error {
		var err error
		l, err = r.c.Leader(ctx)
		return err
	})
	return l, err
}

// waitNewLeader waits until an FE other than old leads.
func (r *soakRun) waitNewLeader(ctx context.Context, old *harness.FE) error {
	return harness.WaitFor(ctx, time.Minute, func() error {
		l, err := r.c.Leader(ctx)
		if err != nil {
			return err
		}
		if l == old {
			return fmt.Errorf("%s still leads", old.Name())
		}
		return nil
	})
}

// waitAcked waits until n more loads of w were acknowledged.
func (r *soakRun) waitAcked(ctx context.Context, w *Workload, n int, what string) error {
	count := func() int {
		k := 0
		for _, h := range w.History() {
			if !h.Acked.IsZero() {
				k++
			}
		}
		return k
	}
	from := count()
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		if got := count() - from; got < n {
			return fmt.Errorf("%d of %d loads acknowledged", got, n)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// allAlive checks that every FE and compute node of the cluster is alive
// as the leader sees it.
func (r *soakRun) allAlive(ctx context.Context) error { return clusterAlive(ctx, r.db, r.c) }

// ddlStatement is one DDL statement of the soak's DDL client and its
// outcome.
type ddlStatement struct {
	create bool // CREATE TABLE, else DROP TABLE
	table  string
	acked  bool
	err    string
	// sentAt and ackedAt are when the statement was sent and when its
	// acknowledgement came (zero when none came): a restored cluster is
	// judged at its snapshot's cut by them.
	sentAt, ackedAt time.Time
}

// ddlClient creates and drops tables <prefix>_<k> one statement after the
// other (create k, drop k-1, create k+1, ...) and records every outcome:
// an acknowledged CREATE not followed by a DROP must be there, a table
// whose DROP was acknowledged must not.
type ddlClient struct {
	prefix string
	mu     sync.Mutex
	stmts  []ddlStatement
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// ddlEvery paces the DDL client: a statement at most this often keeps the
// catalog from growing with the soak's length.
const ddlEvery = 100 * time.Millisecond

// startDDL starts a DDL client on db.
func startDDL(ctx context.Context, db *sql.DB, prefix string) *ddlClient {
	d := &ddlClient{prefix: prefix}
	ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		tick := time.NewTicker(ddlEvery)
		defer tick.Stop()
		for k := 0; ; k++ {
			for _, s := range d.next(k) {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				q := "DROP TABLE " + s.table
				if s.create {
					q = "CREATE TABLE " + s.table + " (k INT, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1"
				}
				qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				s.sentAt = time.Now()
				_, err := db.ExecContext(qctx, q)
				cancel()
				if err == nil {
					s.ackedAt = time.Now()
				}
				if ctx.Err() != nil && err != nil {
					err = fmt.Errorf("cut off by the end of the round: %w", err)
				}
				s.acked = err == nil
				if err != nil {
					s.err = err.Error()
				}
				d.mu.Lock()
				d.stmts = append(d.stmts, s)
				d.mu.Unlock()
			}
		}
	}()
	return d
}

// next is the statements of step k: create table k, then drop table k-1.
func (d *ddlClient) next(k int) []ddlStatement {
	out := []ddlStatement{{create: true, table: fmt.Sprintf("%s_%d", d.prefix, k)}}
	if k > 0 {
		out = append(out, ddlStatement{table: fmt.Sprintf("%s_%d", d.prefix, k-1)})
	}
	return out
}

// halt stops the client and waits for its statement in flight.
func (d *ddlClient) halt() {
	d.cancel()
	d.wg.Wait()
}

// sent counts the statements sent.
func (d *ddlClient) sent() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.stmts)
}

// judge compares the tables listed (names without the database) with the
// statements' outcomes and returns each difference.
func (d *ddlClient) judge(tables []string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return judgeDDL(d.stmts, tables, d.prefix)
}

// judgeAtCut is judge for a cluster restored from a snapshot whose job
// began at began and which had finished by finished: a statement
// acknowledged before began is in the snapshot, one sent after finished is
// not, and one in between may or may not be.
func (d *ddlClient) judgeAtCut(tables []string, began, finished time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return judgeDDL(ddlAtCut(d.stmts, began, finished), tables, d.prefix)
}

// ddlAtCut is the statements as a snapshot between began and finished
// holds them: those sent after finished left out, those not acknowledged
// before began of unknown outcome.
func ddlAtCut(stmts []ddlStatement, began, finished time.Time) []ddlStatement {
	var out []ddlStatement
	for _, s := range stmts {
		if !s.sentAt.Before(finished) {
			continue
		}
		if s.acked && !s.ackedAt.Before(began) {
			s.acked, s.err = false, "acknowledged after the snapshot began"
		}
		out = append(out, s)
	}
	return out
}

// judgeDDL is the verdict on the DDL client's tables: stmts in the order
// sent, tables as listed (bare or db-qualified names), prefix the
// client's table prefix (db.name_).
func judgeDDL(stmts []ddlStatement, tables []string, prefix string) []string {
	listed := map[string]bool{}
	_, bare, _ := strings.Cut(prefix, ".")
	for _, t := range tables {
		if strings.HasPrefix(t, bare+"_") {
			listed[t] = true
		}
	}
	type fate struct{ created, createUnknown, dropped, dropUnknown bool }
	fates := map[string]*fate{}
	var order []string
	for _, s := range stmts {
		_, name, _ := strings.Cut(s.table, ".")
		f := fates[name]
		if f == nil {
			f = &fate{}
			fates[name] = f
			order = append(order, name)
		}
		switch {
		case s.create && s.acked:
			f.created = true
		case s.create:
			f.createUnknown = true
		case s.acked:
			f.dropped = true
		default:
			f.dropUnknown = true
		}
	}
	var failures []string
	for _, name := range order {
		f := fates[name]
		switch {
		case f.dropped && listed[name]:
			failures = append(failures, fmt.Sprintf("table %s was dropped (acknowledged) but is listed", name))
		case f.created && !f.dropped && !f.dropUnknown && !listed[name]:
			failures = append(failures, fmt.Sprintf("table %s was created (acknowledged) and never dropped but is missing", name))
		case !f.created && !f.createUnknown && listed[name]:
			failures = append(failures, fmt.Sprintf("table %s is listed but was never created", name))
		}
	}
	for name := range listed {
		if fates[name] == nil {
			failures = append(failures, fmt.Sprintf("table %s is listed but no statement named it", name))
		}
	}
	return failures
}
