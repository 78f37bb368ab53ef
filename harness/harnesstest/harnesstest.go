// Package harnesstest is the thin testing.T layer over package harness:
// Start launches a cluster whose cleanup closes it and, when the test has
// failed, copies the nodes' logs into the test log; Binary and WaitFor
// fail the test instead of returning errors. Everything it does is
// available without testing through package harness.
package harnesstest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/internal/poll"
)

// Start launches a cluster for the test (harness.Launch with opts after
// the test's own defaults: its name, a dir under t.TempDir(), its log as
// the logger). The test's cleanup closes the cluster, after logging the
// tail of every node's logs when the test failed.
func Start(t testing.TB, opts ...harness.Option) *harness.Cluster {
	t.Helper()
	base := []harness.Option{harness.WithName(t.Name()), harness.WithDir(t.TempDir()), harness.WithLogger(t.Logf)}
	c, err := harness.Launch(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("launch a cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node logs of cluster %s:\n%s", c.Name(), c.Logs(60))
		}
		if err := c.Close(); err != nil {
			t.Logf("close cluster %s: %v", c.Name(), err)
		}
	})
	return c
}

// Binary returns the minirocks executable clusters run
// (harness.ResolveBinary), failing the test when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := harness.ResolveBinary(context.Background())
	if err != nil {
		t.Fatalf("minirocks binary: %v", err)
	}
	return p
}

// WaitFor calls cond until it returns nil and fails the test with cond's
// last error when that takes longer than timeout.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	poll.For(t, timeout, cond)
}

// DB opens a connection pool on dsn (e.g. Cluster.DSN()) that the test's
// cleanup closes.
func DB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// StartMinIO starts a MinIO of the test's own (harness.LaunchMinIO, with
// its drive under t.TempDir()); the cleanup kills it and releases its host.
func StartMinIO(t testing.TB) *harness.MinIO {
	t.Helper()
	m, err := harness.LaunchMinIO(t.TempDir(), "", "")
	if err != nil {
		t.Fatalf("start MinIO: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// NewBucket creates a bucket on m named after the test.
func NewBucket(t testing.TB, m *harness.MinIO) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, err := m.NewBucket(ctx, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// ReserveHost reserves a loopback host (harness.ReserveHost) until the
// test ends.
func ReserveHost(t testing.TB) *harness.Host {
	t.Helper()
	h, err := harness.ReserveHost()
	if err != nil {
		t.Fatalf("reserve a loopback host: %v", err)
	}
	t.Cleanup(h.Release)
	return h
}
