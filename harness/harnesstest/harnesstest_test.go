package harnesstest_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
)

// TestKillLeaderReadBack is ExampleLaunch as a test: one FE, one CN and a
// MinIO; SQL through the cluster's DSN; the FE killed and restarted
// through its backend node; the rows read back through the same DSN and
// the same connection pool.
func TestKillLeaderReadBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := harnesstest.Start(t, harness.WithComputeNodes(1))
	require.Len(t, c.FEs(), 1)
	require.Len(t, c.CNs(), 1)
	require.NotNil(t, c.MinIO())

	db := harnesstest.DB(t, c.DSN())
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT NOT NULL, amount DECIMAL(10, 2)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2",
		"INSERT INTO shop.orders VALUES (1, 10.50), (2, 20.00), (3, 5.25)",
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	sum := func(ctx context.Context) (string, error) {
		var s string
		err := db.QueryRowContext(ctx, "SELECT SUM(amount) FROM shop.orders").Scan(&s)
		return s, err
	}
	before, err := sum(ctx)
	require.NoError(t, err)
	require.Equal(t, "35.75", before)

	leader, err := c.Leader(ctx)
	require.NoError(t, err)
	require.NoError(t, leader.Node().Kill())
	require.False(t, leader.Running())
	down, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = sum(down)
	cancel()
	require.Error(t, err, "nothing answers while the only FE is down")

	require.NoError(t, leader.Node().Start(ctx, harness.StartOptions{}))
	harnesstest.WaitFor(t, time.Minute, func() error {
		got, err := sum(ctx)
		if err != nil {
			return err
		}
		if got != before {
			return fmt.Errorf("sum %s after the restart, want %s", got, before)
		}
		return nil
	})
	// A fresh pool on the same DSN reaches the restarted leader too.
	fresh, err := sql.Open("mysql", c.DSN())
	require.NoError(t, err)
	defer fresh.Close()
	var n int
	require.NoError(t, fresh.QueryRowContext(ctx, "SELECT COUNT(*) FROM shop.orders").Scan(&n))
	require.Equal(t, 3, n)
}

// TestLaunchOptionsValidated: options are checked before anything starts.
func TestLaunchOptionsValidated(t *testing.T) {
	t.Parallel()
	_, err := harness.Launch(context.Background(), harness.WithFollowers(-1), harness.WithName(""))
	require.ErrorContains(t, err, "negative node counts")
	require.ErrorContains(t, err, "the cluster needs a name")
}

// TestDSNFollowsLeader: with three FEs, a pool opened on Cluster.DSN
// keeps writing after the leader is killed (its new connections reach the
// new leader), and Close removes the temp dir Launch made.
func TestDSNFollowsLeader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := harness.Launch(ctx, harness.WithName("dsn-follows"), harness.WithFollowers(2), harness.WithComputeNodes(0), harness.WithLogger(t.Logf))
	require.NoError(t, err)
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	dir := c.Dir()
	require.DirExists(t, dir)
	require.Len(t, c.FEs(), 3)

	db, err := sql.Open("mysql", c.DSN())
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE before_failover")
	require.NoError(t, err)

	old, err := c.Leader(ctx)
	require.NoError(t, err)
	require.NoError(t, old.Kill())
	harnesstest.WaitFor(t, time.Minute, func() error {
		_, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS after_failover")
		return err
	})
	next, err := c.Leader(ctx)
	require.NoError(t, err)
	require.NotEqual(t, old.Host(), next.Host(), "a new leader")
	var name string
	require.NoError(t, db.QueryRowContext(ctx, "SHOW DATABASES LIKE 'before_failover'").Scan(&name))
	require.Equal(t, "before_failover", name)

	require.NoError(t, c.Close())
	closed = true
	require.NoDirExists(t, dir, "Close removes the dir Launch made")
	_, err = sql.Open("mysql", c.DSN())
	require.NoError(t, err)
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = db.ExecContext(qctx, "SELECT 1")
	require.Error(t, err, "nothing answers once the cluster is closed")
}

// TestPauseResume: a paused FE answers nothing, and everything once resumed.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := harnesstest.Start(t, harness.WithComputeNodes(0))
	fe := c.FEs()[0]
	db := harnesstest.DB(t, fe.DSN("root", "", ""))
	db.SetMaxIdleConns(0)
	require.NoError(t, fe.Pause())
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := db.ExecContext(pctx, "SELECT 1")
	cancel()
	require.Error(t, err, "a paused FE does not answer")
	require.True(t, fe.Running(), "paused is not dead")
	require.NoError(t, fe.Resume())
	harnesstest.WaitFor(t, 30*time.Second, func() error {
		_, err := db.ExecContext(ctx, "SELECT 1")
		return err
	})
}

func TestDockerStart(t *testing.T) {
	c := harnesstest.Start(t, harness.WithBackend(harnesstest.Docker(t)), harness.WithComputeNodes(0))
	db := harnesstest.DB(t, c.DSN())
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %d, %v", one, err)
	}
}
