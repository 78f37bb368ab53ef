package scenarios

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Write is one load of a workload's history.
type Write struct {
	ID    int       `json:"id"`
	Label string    `json:"label"`
	Rows  int       `json:"rows"`
	Sent  time.Time `json:"sent"`
	// Acked is when the load was acknowledged; zero when it failed or its
	// outcome is unknown (Err says which).
	Acked time.Time `json:"acked,omitempty"`
	Err   string    `json:"error,omitempty"`
}

// loadWorkload is clients loading labelled rows (load_id, line, amount)
// into one table, recording every load's outcome. Each load's rows are
// known from its id, so a checker can tell a load present exactly once
// from a partial or doubled one.
type loadWorkload struct {
	name, table, prefix string
	clients             int
	seed                uint64

	mu     sync.Mutex
	writes []*Write
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// start runs the clients on db until stop.
func (w *loadWorkload) start(ctx context.Context, db *sql.DB) {
	ctx, w.stop = context.WithCancel(ctx)
	for c := 0; c < w.clients; c++ {
		rng := rand.New(rand.NewPCG(w.seed+uint64(c)+1, 7))
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for ctx.Err() == nil {
				w.mu.Lock()
				wr := &Write{ID: len(w.writes), Rows: 1 + rng.IntN(20), Sent: time.Now()}
				wr.Label = fmt.Sprintf("%s_%d", w.prefix, wr.ID)
				w.writes = append(w.writes, wr)
				w.mu.Unlock()
				var vals []string
				for i := 0; i < wr.Rows; i++ {
					vals = append(vals, fmt.Sprintf("(%d, %d, %d.%02d)", wr.ID, i, rng.IntN(1000), rng.IntN(100)))
				}
				_, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s WITH LABEL %s VALUES %s", w.table, wr.Label, strings.Join(vals, ", ")))
				w.mu.Lock()
				if err == nil {
					wr.Acked = time.Now()
				} else {
					wr.Err = err.Error()
				}
				w.mu.Unlock()
			}
		}()
	}
}

// halt stops the clients and waits for them.
func (w *loadWorkload) halt() {
	if w.stop != nil {
		w.stop()
	}
	w.wg.Wait()
}

// history returns a copy of the writes so far.
func (w *loadWorkload) history() []Write {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Write, len(w.writes))
	for i, wr := range w.writes {
		out[i] = *wr
	}
	return out
}

// CutCheck is what a check of a workload's table against its history
// found.
type CutCheck struct {
	Sent, Acknowledged, Present int
	// LostAcknowledged counts acknowledged loads not present.
	LostAcknowledged int
	// LastInside is the acknowledgement time of the newest load present.
	LastInside time.Time
	// Failures say precisely what differs.
	Failures []string
}

// checkTable reads the workload's table through db and compares it with
// history. mustHave is the moment before which every acknowledged load
// must be present (the snapshot's creation after a restore; the end of
// the run when nothing was meant to be lost); mustNotHave the moment
// after which no load sent may be present (the disaster; zero: none).
func checkTable(ctx context.Context, db *sql.DB, table string, history []Write, mustHave, mustNotHave time.Time) (*CutCheck, error) {
	present := map[int]map[int]int{}
	rows, err := db.QueryContext(ctx, "SELECT load_id, line FROM "+table)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, line int
		if err := rows.Scan(&id, &line); err != nil {
			rows.Close()
			return nil, err
		}
		if present[id] == nil {
			present[id] = map[int]int{}
		}
		present[id][line]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	r := &CutCheck{}
	fail := func(format string, args ...any) { r.Failures = append(r.Failures, fmt.Sprintf(format, args...)) }
	for _, w := range history {
		r.Sent++
		acked := !w.Acked.IsZero()
		if acked {
			r.Acknowledged++
		}
		got, in := present[w.ID]
		switch {
		case acked && w.Acked.Before(mustHave) && !in:
			fail("load %s was acknowledged %v before the cut but is missing", w.Label, mustHave.Sub(w.Acked).Round(time.Millisecond))
		case !mustNotHave.IsZero() && w.Sent.After(mustNotHave) && in:
			fail("load %s was sent after the disaster but is present", w.Label)
		}
		if !in {
			if acked {
				r.LostAcknowledged++
			}
			continue
		}
		r.Present++
		if acked && w.Acked.After(r.LastInside) {
			r.LastInside = w.Acked
		}
		if len(got) != w.Rows {
			fail("load %s has %d of its %d rows", w.Label, len(got), w.Rows)
		}
		for line, n := range got {
			if n != 1 {
				fail("load %s row %d is there %d times", w.Label, line, n)
			}
		}
	}
	for id := range present {
		if id < 0 || id >= len(history) {
			fail("rows of load %d that no client of this workload sent", id)
		}
	}
	return r, nil
}
