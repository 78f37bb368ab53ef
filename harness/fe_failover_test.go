package harness

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFEFailover kills the leader FE with SIGKILL at random moments (while
// checkpoints run every second) during concurrent DDL, INSERTs and Stream
// Loads sent to every FE. Each time a new leader appears, and the old one
// rejoins as a follower. Afterwards every FE has every acknowledged
// database and every acknowledged load exactly once; no load is partly
// visible or doubled.
func TestFEFailover(t *testing.T) {
	t.Parallel()
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b9))
	c := StartCluster(t, WithFollowers(2), WithComputeNodes(1), WithFEConf("edit_log_roll_num = 100\ncheckpoint_interval_second = 1\n"))
	mustExec(t, c.FEs()[0].DB(t), "CREATE DATABASE d")
	mustExec(t, c.FEs()[0].DB(t), "CREATE TABLE d.t (label VARCHAR(64), seq INT) DUPLICATE KEY(label) DISTRIBUTED BY HASH(seq) BUCKETS 3")
	const rowsPerLoad = 10

	var mu sync.Mutex
	down := map[*FE]bool{}
	pick := func(r *rand.Rand) *FE {
		mu.Lock()
		defer mu.Unlock()
		var up []*FE
		for _, f := range c.FEs() {
			if !down[f] {
				up = append(up, f)
			}
		}
		return up[r.IntN(len(up))]
	}
	exec := execOn
	load := func(ctx context.Context, f *FE, label string, stream bool) error {
		return labelledLoad(ctx, f, label, rowsPerLoad, stream)
	}

	type outcome struct {
		kind, name string // "db" or "load"
		acked      bool
		stream     bool
		err        error
	}
	var outcomes []outcome
	rounds := 3
	if testing.Short() {
		rounds = 2
	}
	for round := 0; round < rounds; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			wr := rand.New(rand.NewPCG(seed+uint64(round*10+w), 7))
			go func(w int) {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					f := pick(wr)
					sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
					var o outcome
					switch w {
					case 0, 1:
						o = outcome{kind: "db", name: fmt.Sprintf("r%dw%di%d", round, w, i)}
						o.err = exec(sctx, f, "CREATE DATABASE "+o.name)
					default:
						o = outcome{kind: "load", name: fmt.Sprintf("r%dw%di%d", round, w, i), stream: w == 3}
						o.err = load(sctx, f, o.name, o.stream)
					}
					o.acked = o.err == nil
					scancel()
					if o.err != nil && ctx.Err() == nil {
						// Refused at once (no leader yet): not a hot loop.
						time.Sleep(50 * time.Millisecond)
					}
					mu.Lock()
					outcomes = append(outcomes, o)
					mu.Unlock()
				}
			}(w)
		}
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond) // when the fault strikes
		old, err := c.Leader(context.Background())
		require.NoError(t, err)
		mu.Lock()
		down[old] = true
		mu.Unlock()
		old.Kill()
		killed := time.Now()
		next, err := c.Leader(context.Background())
		require.NoError(t, err, "a new leader after killing %s (seed %d)", old.Host(), seed)
		require.NotEqual(t, old.Host(), next.Host())
		t.Logf("round %d: killed leader %s; %s leads after %v", round, old.Host(), next.Host(), time.Since(killed).Round(10*time.Millisecond))
		time.Sleep(time.Duration(500+rng.IntN(1000)) * time.Millisecond) // writes go on without it
		cancel()
		wg.Wait()
		// The old leader comes back as a follower.
		restart(t, old)
		mu.Lock()
		down[old] = false
		mu.Unlock()
		waitRole(t, next, old.Host(), "FOLLOWER", seed)
	}

	leader, err := c.Leader(context.Background())
	require.NoError(t, err)
	ldb := leader.DB(t)
	_ = WaitFor(context.Background(), 90*time.Second, func() error {
		pending := queryStrings(t, ldb, "SELECT COUNT(*) FROM information_schema.loads WHERE state NOT IN ('FINISHED', 'CANCELLED')")
		if pending[0][0] != "0" {
			return fmt.Errorf("%s loads pending", pending[0][0])
		}
		return nil
	}) // the checks below say what is wrong when some stay pending
	var acked, total int
	for _, f := range c.FEs() {
		db := f.DB(t)
		// This FE has replayed everything the leader had once it shows the
		// leader's newest database.
		var dbs map[string]bool
		_ = WaitFor(context.Background(), 30*time.Second, func() error {
			dbs = map[string]bool{}
			for _, r := range queryStrings(t, db, "SHOW DATABASES") {
				dbs[r[0]] = true
			}
			for _, o := range outcomes {
				if o.kind == "db" && o.acked && !dbs[o.name] {
					return fmt.Errorf("%s lacks database %s", f.Host(), o.name)
				}
			}
			return nil
		}) // the checks below say what is missing when it never catches up
		counts := map[string]int{}
		for _, r := range queryStrings(t, db, "SELECT label, COUNT(*) FROM d.t GROUP BY label") {
			var n int
			fmt.Sscan(r[1], &n)
			counts[r[0]] = n
		}
		acked, total = 0, len(outcomes)
		for _, o := range outcomes {
			if o.acked {
				acked++
			}
			switch {
			case o.kind == "db" && o.acked:
				require.True(t, dbs[o.name], "acknowledged CREATE DATABASE %s missing on %s (seed %d)", o.name, f.Host(), seed)
			case o.kind == "load" && o.acked:
				require.Equal(t, rowsPerLoad, counts[o.name], "acknowledged load %s on %s (seed %d)", o.name, f.Host(), seed)
			case o.kind == "load":
				require.Contains(t, []int{0, rowsPerLoad}, counts[o.name], "unacknowledged load %s is partly visible on %s (seed %d)", o.name, f.Host(), seed)
			}
		}
		for label, n := range counts {
			require.True(t, n == rowsPerLoad && slices.ContainsFunc(outcomes, func(o outcome) bool { return o.name == label }),
				"label %s has %d rows on %s (seed %d)", label, n, f.Host(), seed)
		}
	}
	// A re-sent label is refused or loads once, never twice.
	for _, o := range outcomes {
		if o.kind != "load" || o.acked {
			continue
		}
		err := load(context.Background(), leader, o.name, o.stream)
		after := queryStrings(t, ldb, "SELECT COUNT(*) FROM d.t WHERE label = '"+o.name+"'")
		if err == nil {
			require.Equal(t, fmt.Sprint(rowsPerLoad), after[0][0], "re-sent %s (seed %d)", o.name, seed)
		} else {
			require.Contains(t, err.Error(), "has already been used", "re-sent %s (seed %d)", o.name, seed)
		}
	}
	errs := map[string]int{}
	for _, o := range outcomes {
		if o.err != nil {
			msg := o.err.Error()
			if len(msg) > 120 {
				msg = msg[:120]
			}
			errs[msg]++
		}
	}
	t.Logf("%d statements, %d acknowledged; errors: %v", total, acked, errs)
	require.Greater(t, acked, 0)
}

// waitRole waits until fe's SHOW FRONTENDS shows the FE at host alive with
// role.
func waitRole(t *testing.T, fe *FE, host, role string, seed uint64) {
	t.Helper()
	db := fe.DB(t)
	waitFor(t, 60*time.Second, func() error {
		rows := queryStrings(t, db, "SHOW FRONTENDS")
		for _, r := range rows {
			if r[1] == host && r[6] == role && r[9] == "true" {
				return nil
			}
		}
		return fmt.Errorf("%s does not show %s as an alive %s (seed %d): %v", fe.Host(), host, role, seed, rows)
	})
}

// TestFEFollowersServeData: a follower and an observer take the whole data
// path: DDL and INSERT are forwarded, Stream Load is redirected to a compute
// node from their HTTP port, SELECT runs on them against the compute nodes,
// and they see compute nodes die and come back as the leader does.
func TestFEFollowersServeData(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFollowers(1), WithObservers(1), WithComputeNodes(2))
	follower, observer := c.FEs()[1], c.FEs()[2]
	fdb, odb := follower.DB(t), observer.DB(t)
	mustExec(t, fdb, "CREATE DATABASE d")
	mustExec(t, fdb, "CREATE TABLE d.t (k INT, v VARCHAR(16)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 4")
	mustExec(t, odb, "INSERT INTO d.t VALUES (1, 'observer'), (2, 'observer')")
	resp, err := follower.StreamLoad(context.Background(), "d", "t", "from_follower", []byte("3,follower\n4,follower\n"), map[string]string{"column_separator": ","})
	require.NoError(t, err)
	require.Equal(t, "Success", resp["Status"], resp)
	want := [][]string{{"1", "observer"}, {"2", "observer"}, {"3", "follower"}, {"4", "follower"}}
	// The Stream Load was acknowledged by the leader through a compute
	// node, not on these FEs' connections: they show it once replayed.
	for i, f := range c.FEs() {
		db := f.DB(t)
		waitFor(t, 10*time.Second, func() error {
			if got := queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"); len(got) != len(want) {
				return fmt.Errorf("rows read through FE %d (%s): %v", i, f.Host(), got)
			}
			return nil
		})
		require.Equal(t, want, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"), "rows read through FE %d (%s)", i, f.Host())
	}
	// A dead compute node is seen dead everywhere; its tablets move.
	c.CNs()[1].Kill()
	for _, f := range c.FEs() {
		db := f.DB(t)
		waitFor(t, 30*time.Second, func() error {
			n, err := aliveComputeNodes(context.Background(), db)
			require.NoError(t, err)
			if n != 1 {
				return fmt.Errorf("%d live compute nodes as %s sees them, want 1", n, f.Host())
			}
			return nil
		})
		require.Equal(t, want, queryStrings(t, f.DB(t), "SELECT * FROM d.t ORDER BY k"), "rows through %s with one compute node", f.Host())
	}
}
