package scenarios

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minirocks/minirocks/harness"
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
	// JournalID is the journal id of the load's commit, as the FE gave it
	// right after the acknowledgement (information_schema.loads'
	// RUNTIME_DETAILS); zero when it could not be read. A snapshot whose
	// fe_journal_id is at least this holds the load, one below does not.
	JournalID uint64 `json:"journal_id,omitempty"`
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
				acked := time.Now()
				var journalID uint64
				if err == nil {
					journalID = commitJournalID(ctx, db, wr.Label)
				}
				w.mu.Lock()
				if err == nil {
					wr.Acked, wr.JournalID = acked, journalID
				} else {
					wr.Err = err.Error()
				}
				w.mu.Unlock()
			}
		}()
	}
}

// commitJournalID asks the FE for the journal id of the commit of the
// load labelled label (0 when it cannot tell, e.g. it just died).
func commitJournalID(ctx context.Context, db *sql.DB, label string) uint64 {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var details string
	// Labels are <prefix>_<n> of [a-z0-9_]: safe to quote as they are.
	if err := db.QueryRowContext(ctx, "SELECT RUNTIME_DETAILS FROM information_schema.loads WHERE LABEL = '"+label+"'").Scan(&details); err != nil {
		return 0
	}
	var d struct {
		CommitJournalID uint64 `json:"commit_journal_id"`
	}
	if json.Unmarshal([]byte(details), &d) != nil {
		return 0
	}
	return d.CommitJournalID
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

// publishWait bounds the wait for the restored cluster to publish the
// loads its snapshot holds as committed; a load still missing after it
// is a failure.
const publishWait = time.Minute

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
//
// cut, when not zero, is the fe_journal_id of the snapshot restored: a
// load whose commit journal id is known is then judged by it exactly
// (at or below the cut: present; above: absent), and the times only
// judge the loads whose journal id is unknown.
func checkTable(ctx context.Context, db *sql.DB, table string, history []Write, mustHave, mustNotHave time.Time, cut uint64) (*CutCheck, error) {
	if cut != 0 && len(history) > 0 {
		// A load the snapshot holds as committed but not yet visible is
		// published again by the restored cluster: wait for that first.
		// Labels are <prefix>_<n>.
		prefix := history[0].Label[:max(0, strings.LastIndexByte(history[0].Label, '_'))]
		_ = harness.WaitFor(ctx, publishWait, func() error {
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.loads WHERE LABEL LIKE '"+prefix+"_%' AND STATE IN ('PREPARED', 'COMMITED')").Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%d loads committed but not yet published", n)
			}
			return nil
		})
	}
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
	return judgeTable(history, present, mustHave, mustNotHave, cut), nil
}

// judgeTable is checkTable's verdict on the rows read: present maps a
// load id to how often each of its lines is there.
func judgeTable(history []Write, present map[int]map[int]int, mustHave, mustNotHave time.Time, cut uint64) *CutCheck {
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
		case cut != 0 && w.JournalID != 0 && w.JournalID <= cut && !in:
			fail("load %s was committed at journal id %d, inside the snapshot (fe_journal_id %d), but is missing", w.Label, w.JournalID, cut)
		case cut != 0 && w.JournalID > cut && in:
			fail("load %s was committed at journal id %d, after the snapshot (fe_journal_id %d), but is present", w.Label, w.JournalID, cut)
		case cut != 0 && w.JournalID != 0:
			// judged by its journal id
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
		for _, line := range slices.Sorted(maps.Keys(got)) {
			if n := got[line]; n != 1 {
				fail("load %s row %d is there %d times", w.Label, line, n)
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(present)) {
		if id < 0 || id >= len(history) {
			fail("rows of load %d that no client of this workload sent", id)
		}
	}
	return r
}
