package harness

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// labelledLoad loads rows rows ('label', 0..rows-1) into d.t (label
// VARCHAR, seq INT) with label, through fe: by Stream Load or by INSERT.
// It is nil only when the load is acknowledged.
func labelledLoad(ctx context.Context, fe *FE, label string, rows int, stream bool) error {
	if stream {
		var b strings.Builder
		for i := 0; i < rows; i++ {
			fmt.Fprintf(&b, "%s,%d\n", label, i)
		}
		resp, err := fe.StreamLoad(ctx, "d", "t", label, []byte(b.String()), map[string]string{"column_separator": ",", "timeout": "20"})
		if err != nil {
			return err
		}
		if resp["Status"] != "Success" {
			return fmt.Errorf("%v: %v", resp["Status"], resp["Message"])
		}
		return nil
	}
	var v []string
	for i := 0; i < rows; i++ {
		v = append(v, fmt.Sprintf("('%s', %d)", label, i))
	}
	return execOn(ctx, fe, "INSERT INTO d.t WITH LABEL "+label+" VALUES "+strings.Join(v, ","))
}

// execOn runs one statement on fe over a fresh connection.
func execOn(ctx context.Context, fe *FE, q string) error {
	db, err := sql.Open("mysql", fe.DSN("root", "", ""))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, q)
	return err
}

// loadOutcome is what a client saw of one load.
type loadOutcome struct {
	label string
	acked bool
}

// TestLakeCrashDuringLoads kills the FE or a compute node with SIGKILL at
// random moments while clients load with INSERT and Stream Load. After the
// restarts, every acknowledged load is visible exactly once, no load is
// partly visible, and re-sending a load's label never doubles its rows.
func TestLakeCrashDuringLoads(t *testing.T) {
	t.Parallel()
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	c := StartCluster(t, WithComputeNodes(2))
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (label VARCHAR(64), seq INT) DUPLICATE KEY(label) DISTRIBUTED BY HASH(seq) BUCKETS 4")
	const rowsPerLoad = 20
	load := func(ctx context.Context, label string, stream bool) error {
		return labelledLoad(ctx, c.FEs()[0], label, rowsPerLoad, stream)
	}

	var mu sync.Mutex
	var outcomes []loadOutcome
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	for round := 0; round < rounds; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					label := fmt.Sprintf("r%dw%di%d", round, w, i)
					lctx, lcancel := context.WithTimeout(ctx, 60*time.Second)
					err := load(lctx, label, w%2 == 1)
					lcancel()
					mu.Lock()
					outcomes = append(outcomes, loadOutcome{label: label, acked: err == nil})
					mu.Unlock()
					if err != nil {
						return // the fault struck this client; it stops here
					}
				}
			}(w)
		}
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond) // when the fault strikes
		victim := rng.IntN(3)
		switch victim {
		case 0:
			c.FEs()[0].Kill()
		default:
			c.CNs()[victim-1].Kill()
		}
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond) // how long it stays down
		cancel()
		wg.Wait()
		if victim == 0 {
			restart(t, c.FEs()[0])
		} else {
			require.NoError(t, c.CNs()[victim-1].Start(context.Background()))
		}
		require.NoError(t, c.WaitComputeNodes(context.Background(), 2))
		t.Logf("round %d: killed %s; %d loads so far", round, []string{"the FE", "CN 1", "CN 2"}[victim], len(outcomes))
	}

	// Let every committed load publish and every orphan time out.
	db = c.FEs()[0].DB(t)
	_ = WaitFor(context.Background(), 90*time.Second, func() error {
		pending := queryStrings(t, db, "SELECT COUNT(*) FROM information_schema.loads WHERE state NOT IN ('FINISHED', 'CANCELLED')")
		if pending[0][0] != "0" {
			return fmt.Errorf("%s loads pending", pending[0][0])
		}
		return nil
	}) // the checks below say what is wrong when some stay pending
	counts := map[string]int{}
	for _, r := range queryStrings(t, db, "SELECT label, COUNT(*) FROM d.t GROUP BY label") {
		var n int
		fmt.Sscan(r[1], &n)
		counts[r[0]] = n
	}
	acked, lost := 0, 0
	for _, o := range outcomes {
		n := counts[o.label]
		if o.acked {
			acked++
			require.Equal(t, rowsPerLoad, n, "acknowledged load %s (seed %d)", o.label, seed)
			continue
		}
		require.Contains(t, []int{0, rowsPerLoad}, n, "unacknowledged load %s is partly visible (seed %d)", o.label, seed)
		if n == 0 {
			lost++
		}
		// Re-send with the same label: accepted or refused, never doubled.
		err := load(context.Background(), o.label, strings.Contains(o.label, "w1") || strings.Contains(o.label, "w3"))
		after := queryStrings(t, db, "SELECT COUNT(*) FROM d.t WHERE label = '"+o.label+"'")
		if err == nil {
			require.Equal(t, fmt.Sprint(rowsPerLoad), after[0][0], "re-sent %s (seed %d)", o.label, seed)
		} else {
			require.Contains(t, err.Error(), "has already been used", "re-sent %s (seed %d)", o.label, seed)
			require.Equal(t, fmt.Sprint(n), after[0][0])
		}
	}
	t.Logf("%d loads, %d acknowledged, %d unacknowledged and not applied", len(outcomes), acked, lost)
	require.Greater(t, acked, 0)
}
