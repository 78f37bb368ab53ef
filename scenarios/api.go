package scenarios

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/minirocks/minirocks/harness"
)

// This file is the Go API of the drills' workload and checkers, for a
// user's own integration test: start a workload on a harness cluster,
// lose the cluster, restore it with harness.Restore, and check the
// restored table against the workload's history at the snapshot's cut.

// Workload is clients loading labelled rows (load_id, line, amount) into
// one table and recording every load's outcome: the history a restore is
// checked against. The drills and the demo use the same one.
type Workload struct {
	w *loadWorkload
}

// StartWorkload creates table (load_id INT, line INT, amount
// DECIMAL(10, 2); its database must exist) unless it exists, and starts
// clients loading into it through db with labels <prefix>_<n>; seed fixes
// every load's rows. Stop it before the checks.
func StartWorkload(ctx context.Context, db *sql.DB, table, prefix string, clients int, seed uint64) (*Workload, error) {
	if clients < 1 {
		return nil, fmt.Errorf("workload on %s: clients must be at least 1, got %d", table, clients)
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (load_id INT, line INT, amount DECIMAL(10, 2)) DUPLICATE KEY(load_id) DISTRIBUTED BY HASH(line) BUCKETS 6", table)); err != nil {
		return nil, fmt.Errorf("workload on %s: create the table: %w", table, err)
	}
	w := &loadWorkload{name: prefix, table: table, prefix: prefix, clients: clients, seed: seed}
	w.start(context.WithoutCancel(ctx), db)
	return &Workload{w: w}, nil
}

// Stop stops the clients, waits for them, and returns the history.
func (w *Workload) Stop() []Write {
	w.w.halt()
	return w.w.history()
}

// History returns the loads so far, each with its outcome.
func (w *Workload) History() []Write { return w.w.history() }

// CheckRestored compares table, read through db of a cluster restored
// from snap, with history: every load committed at or below the
// snapshot's fe_journal_id must be present and none above it (for a load
// whose journal id is unknown: every load acknowledged before the
// snapshot's job began present, none sent after disaster), each present
// load exactly once and row for row. CutCheck.Failures names every
// difference.
func CheckRestored(ctx context.Context, db *sql.DB, table string, history []Write, snap harness.Snapshot, disaster time.Time) (*CutCheck, error) {
	return checkTable(ctx, db, table, history, snap.Created(), disaster, snap.FEJournalID)
}

// CheckNoLoss compares table with history where nothing was meant to be
// lost (a leader killed, a compute node lost): every acknowledged load
// present exactly once, row for row; a load whose outcome is unknown may
// be either way.
func CheckNoLoss(ctx context.Context, db *sql.DB, table string, history []Write) (*CutCheck, error) {
	return checkTable(ctx, db, table, history, time.Now(), time.Time{}, 0)
}
