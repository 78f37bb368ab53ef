package harness

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"
)

// requireIptables skips the test, saying why, when this machine cannot
// make partitions.
func requireIptables(t *testing.T) {
	t.Helper()
	if err := PartitionsAvailable(context.Background()); err != nil {
		t.Skip(err)
	}
}

// TestDockerPartitionLeader: the leader of 3 FEs cut off from the other
// two. The majority elects a new leader and takes writes; the isolated old
// leader accepts none (a write sent to it fails and never appears); after
// healing it follows the new leader and sees what the majority wrote.
func TestDockerPartitionLeader(t *testing.T) {
	b := DockerForTest(t)
	requireIptables(t)
	ctx := context.Background()
	c := launchDockerFEs(t, b, "dockerpart")
	old, err := c.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var others []*FE
	for _, f := range c.FEs() {
		if f != old {
			others = append(others, f)
		}
	}
	open := func(f *FE) *sql.DB {
		db, err := sql.Open("mysql", f.DSN("root", "", "")+"&timeout=5s&readTimeout=20s&writeTimeout=20s")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	oldDB := open(old)
	if _, err := oldDB.ExecContext(ctx, "CREATE DATABASE before_cut"); err != nil {
		t.Fatal(err)
	}

	heal, err := c.Partition(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer heal()
	var leader *FE
	if err := WaitFor(ctx, time.Minute, func() error {
		h, err := others[0].leaderHost(ctx)
		if err != nil {
			return err
		}
		for _, f := range others {
			if f.Host() == h {
				leader = f
				return nil
			}
		}
		return fmt.Errorf("the majority's leader is %q", h)
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s leads the majority; %s is cut off", leader.Name(), old.Name())
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = oldDB.ExecContext(wctx, "CREATE DATABASE on_isolated")
	cancel()
	if err == nil {
		t.Fatal("the isolated old leader accepted a write")
	}
	t.Logf("the isolated old leader refused the write: %v", err)
	newDB := open(leader)
	if err := WaitFor(ctx, time.Minute, func() error {
		_, err := newDB.ExecContext(ctx, "CREATE DATABASE on_majority")
		return err
	}); err != nil {
		t.Fatal(err)
	}

	if err := heal(); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, 2*time.Minute, func() error {
		h, err := old.leaderHost(ctx)
		if err != nil {
			return err
		}
		if h != leader.Host() {
			return fmt.Errorf("%s follows %q", old.Name(), h)
		}
		rows, err := oldDB.QueryContext(ctx, "SHOW DATABASES")
		if err != nil {
			return err
		}
		defer rows.Close()
		var dbs []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			dbs = append(dbs, n)
		}
		if !slices.Contains(dbs, "on_majority") || !slices.Contains(dbs, "before_cut") {
			return fmt.Errorf("%s shows %v", old.Name(), dbs)
		}
		if slices.Contains(dbs, "on_isolated") {
			return fmt.Errorf("the write refused on the isolated leader appeared: %v", dbs)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
