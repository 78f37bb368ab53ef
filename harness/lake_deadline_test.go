package harness

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// computeNodeTablets returns, by heartbeat address, each compute node's
// TabletNum and whether it is alive (SHOW COMPUTE NODES).
func computeNodeTablets(t *testing.T, db *sql.DB) map[string][2]int {
	t.Helper()
	out := map[string][2]int{}
	for _, r := range queryStrings(t, db, "SHOW COMPUTE NODES") {
		n, err := strconv.Atoi(r[24])
		require.NoError(t, err)
		alive := 0
		if r[8] == "true" {
			alive = 1
		}
		out[r[1]+":"+r[2]] = [2]int{n, alive}
	}
	return out
}

// TestLakeFrozenComputeNode freezes one of two compute nodes (SIGSTOP)
// while INSERTs run into tables served by either. Every load succeeds or
// fails with a clear error within a bounded time; loads into the live
// node's tables keep becoming visible while the other is frozen (publish
// of one transaction never waits for another's); once the frozen node is
// declared dead its tables load again on the live node; after SIGCONT the
// cluster converges: every acknowledged load is visible exactly once, and
// no load is partly visible.
func TestLakeFrozenComputeNode(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithComputeNodes(2), WithFEConf("publish_version_timeout_second = 3\ntablet_rpc_timeout_second = 5\n"))
	db := c.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	// Single-tablet tables until each node serves at least one; which node
	// serves a table shows in TabletNum.
	owner := map[string]string{} // table -> heartbeat address
	served := map[string]int{}
	for i := 0; i < 16 && (len(served) < 2); i++ {
		before := computeNodeTablets(t, db)
		name := fmt.Sprintf("t%d", i)
		mustExec(t, db, "CREATE TABLE d."+name+" (label VARCHAR(64), seq INT) DUPLICATE KEY(label) DISTRIBUTED BY HASH(seq) BUCKETS 1")
		after := computeNodeTablets(t, db)
		for addr, n := range after {
			if n[0] == before[addr][0]+1 {
				owner[name] = addr
				served[addr]++
			}
		}
	}
	require.Len(t, served, 2, "tables on both compute nodes: %v", owner)
	frozen := c.CNs()[1]
	var liveTables, frozenTables []string
	for tbl, addr := range owner {
		if addr == frozen.HeartbeatAddr() {
			frozenTables = append(frozenTables, tbl)
		} else {
			liveTables = append(liveTables, tbl)
		}
	}
	require.NotEmpty(t, frozenTables)
	require.NotEmpty(t, liveTables)
	t.Logf("tables on the live node %v, on the node to freeze %v", liveTables, frozenTables)

	const rowsPerLoad = 5
	// A load ends within bound: a write waits at most
	// tablet_rpc_timeout_second (5 s) for the frozen node, and a publish
	// moves to the live node once the frozen one is declared dead (about
	// five heartbeats of a second) and its current attempt has missed
	// publish_version_timeout_second (3 s). The node stays frozen longer.
	const bound, frozenFor = 25 * time.Second, 35 * time.Second
	type outcome struct {
		table, label string
		start, end   time.Time
		err          error
	}
	var mu sync.Mutex
	var outcomes []outcome
	insert := func(ctx context.Context, table, label string) outcome {
		var v []string
		for i := 0; i < rowsPerLoad; i++ {
			v = append(v, fmt.Sprintf("('%s', %d)", label, i))
		}
		o := outcome{table: table, label: label, start: time.Now()}
		sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		o.err = execOn(sctx, c.FEs()[0], "INSERT INTO d."+table+" WITH LABEL "+label+" VALUES "+strings.Join(v, ","))
		cancel()
		o.end = time.Now()
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
		return o
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, tbl := range append(append([]string{}, liveTables...), frozenTables...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				insert(context.Background(), tbl, fmt.Sprintf("%s_bg%d", tbl, i))
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	// succeeded counts the loads into tables that began after since and
	// were acknowledged.
	succeeded := func(since time.Time, tables []string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, o := range outcomes {
			if o.err == nil && !o.start.Before(since) && slices.Contains(tables, o.table) {
				n++
			}
		}
		return n
	}
	begun := time.Now()
	all := append(append([]string{}, liveTables...), frozenTables...)
	waitFor(t, 30*time.Second, func() error {
		if n := succeeded(begun, all); n < 2*len(all) {
			return fmt.Errorf("%d loads acknowledged before the freeze, want %d", n, 2*len(all))
		}
		return nil
	})

	require.NoError(t, frozen.Pause())
	paused := time.Now()
	t.Logf("paused %s", frozen.Name())
	// While the node is frozen (and before it is declared dead), loads into
	// the live node's tables go on and become visible.
	for i := 0; i < 3; i++ {
		o := insert(context.Background(), liveTables[0], fmt.Sprintf("live_during_freeze%d", i))
		require.NoError(t, o.err, "a load into a table of the live node while the other is frozen")
		require.Less(t, o.end.Sub(o.start), 10*time.Second, "load into the live node's table took %s", o.end.Sub(o.start))
		require.Equal(t, [][]string{{strconv.Itoa(rowsPerLoad)}},
			queryStrings(t, db, "SELECT COUNT(*) FROM d."+liveTables[0]+" WHERE label = ?", o.label), "visible at once")
	}
	// The frozen node is declared dead.
	waitFor(t, 30*time.Second, func() error {
		nodes := computeNodeTablets(t, db)
		require.Equal(t, 1, nodes[c.CNs()[0].HeartbeatAddr()][1], "the live node's heartbeats go on while the other hangs")
		if nodes[frozen.HeartbeatAddr()][1] == 1 {
			return fmt.Errorf("%s still alive", frozen.Name())
		}
		return nil
	})
	t.Logf("declared dead after %s", time.Since(paused))
	// Its tables load again, on the live node.
	waitFor(t, 60*time.Second, func() error {
		o := insert(context.Background(), frozenTables[0], fmt.Sprintf("after_dead_%d", time.Now().UnixNano()))
		if o.err != nil {
			return o.err
		}
		got := queryStrings(t, db, "SELECT COUNT(*) FROM d."+frozenTables[0]+" WHERE label = ?", o.label)
		if got[0][0] != strconv.Itoa(rowsPerLoad) {
			return fmt.Errorf("load %s not visible yet", o.label)
		}
		return nil
	})

	// Stay frozen longer than any load may take: no load waits for the node.
	time.Sleep(time.Until(paused.Add(frozenFor)))
	require.NoError(t, frozen.Resume())
	t.Logf("resumed %s after %s", frozen.Name(), time.Since(paused))
	waitFor(t, 30*time.Second, func() error {
		if computeNodeTablets(t, db)[frozen.HeartbeatAddr()][1] != 1 {
			return fmt.Errorf("%s not alive yet", frozen.Name())
		}
		return nil
	})
	// Loads go on on the resumed node's tables too.
	resumed := time.Now()
	waitFor(t, 30*time.Second, func() error {
		if n := succeeded(resumed, frozenTables); n < len(frozenTables) {
			return fmt.Errorf("%d loads acknowledged after the resume on %v, want %d", n, frozenTables, len(frozenTables))
		}
		return nil
	})
	stop()
	wg.Wait()

	// Every load ended within a bound, with success or a clear error.
	acked, failed := 0, 0
	for _, o := range outcomes {
		require.Less(t, o.end.Sub(o.start), bound, "load %s took %s (err %v)", o.label, o.end.Sub(o.start), o.err)
		if o.err != nil {
			failed++
			msg := o.err.Error()
			require.NotContains(t, msg, "context deadline exceeded", "load %s: the client's own timeout", o.label)
			require.NotContains(t, msg, "invalid connection", "load %s", o.label)
			t.Logf("load %s failed: %v", o.label, o.err)
		} else {
			acked++
		}
	}
	t.Logf("%d loads acknowledged, %d failed", acked, failed)
	// Converged: every acknowledged load visible exactly once, none partly.
	waitFor(t, 60*time.Second, func() error {
		for _, o := range outcomes {
			got := queryStrings(t, db, "SELECT COUNT(*) FROM d."+o.table+" WHERE label = ?", o.label)[0][0]
			switch {
			case o.err == nil && got != strconv.Itoa(rowsPerLoad):
				return fmt.Errorf("acknowledged load %s has %s rows, want %d", o.label, got, rowsPerLoad)
			case got != "0" && got != strconv.Itoa(rowsPerLoad):
				return fmt.Errorf("load %s is partly visible: %s rows", o.label, got)
			}
		}
		return nil
	})
	// And the pending transactions all finished.
	waitFor(t, 60*time.Second, func() error {
		got := queryStrings(t, db, "SELECT COUNT(*) FROM information_schema.loads WHERE STATE = 'COMMITTED'")[0][0]
		if got != "0" {
			return fmt.Errorf("%s transactions still COMMITTED", got)
		}
		return nil
	})
}

// TestStreamLoadRightAfterFailover kills the leader FE and at once sends a
// Stream Load to a surviving FE: the compute node's begin finds the dead
// leader and must wait for the new leader's heartbeat, then succeed,
// within the load's timeout.
func TestStreamLoadRightAfterFailover(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFollowers(2), WithComputeNodes(1))
	ctx := context.Background()
	leader, err := c.Leader(ctx)
	require.NoError(t, err)
	db := leader.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (label VARCHAR(64), seq INT) DUPLICATE KEY(label) DISTRIBUTED BY HASH(seq) BUCKETS 3")
	require.NoError(t, labelledLoad(ctx, leader, "before", 10, true))
	var survivor *FE
	for _, f := range c.FEs() {
		if f != leader {
			survivor = f
		}
	}
	// The survivor has replayed the table (it checks the load's privileges).
	waitFor(t, 30*time.Second, func() error {
		got := queryStrings(t, survivor.DB(t), "SELECT COUNT(*) FROM d.t WHERE label = 'before'")
		if got[0][0] != "10" {
			return fmt.Errorf("survivor sees %s rows", got[0][0])
		}
		return nil
	})
	require.NoError(t, leader.Kill())
	var b strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "after,%d\n", i)
	}
	start := time.Now()
	resp, err := survivor.StreamLoad(ctx, "d", "t", "after", []byte(b.String()), map[string]string{"column_separator": ",", "timeout": "60"})
	require.NoError(t, err)
	require.Equal(t, "Success", resp["Status"], "%v", resp)
	t.Logf("stream load right after the failover took %s", time.Since(start))
	waitFor(t, 30*time.Second, func() error {
		got := queryStrings(t, survivor.DB(t), "SELECT COUNT(*) FROM d.t WHERE label = 'after'")
		if got[0][0] != "10" {
			return fmt.Errorf("survivor sees %s rows", got[0][0])
		}
		return nil
	})
}
