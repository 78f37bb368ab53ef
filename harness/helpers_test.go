package harness

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minirocks/minirocks/deploy"
	"github.com/minirocks/minirocks/internal/poll"
)

// S3 settings of the clusters NewFE and StartFE make: an endpoint nothing
// serves (an FE writes nothing to object storage until compute nodes
// exist), and a recognisable secret so tests can check that it never
// leaks into logs or SHOW output.
const (
	TestS3Endpoint  = "127.0.0.1:1"
	TestS3AccessKey = "minirocks-test-access"
	TestS3SecretKey = "minirocks-test-SECRET-do-not-print"
)

// FEOptions configures a lone FE for a test: its name (and S3 prefix), the
// lines appended to fe.conf and its --helper.
type FEOptions struct {
	Name, Conf, Helper string
}

// newBareCluster prepares a cluster with no node, the Test* object
// storage and no fe.conf lines of its own (not even DefaultFEConf), for
// tests that deploy and join FEs by hand; the test's cleanup closes it.
func newBareCluster(tb testing.TB, name string) *Cluster {
	tb.Helper()
	cfg := defaults()
	for _, o := range []Option{WithName(name), WithDir(tb.TempDir()),
		WithObjectStorage(ObjectStorage{Endpoint: TestS3Endpoint, AccessKey: TestS3AccessKey, SecretKey: TestS3SecretKey, Bucket: "minirocks-test"})} {
		o(&cfg)
	}
	c, err := newCluster(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	c.feConf = ""
	return c
}

// NewFE deploys an FE, not started, in a cluster of its own with no other
// node and the Test* object storage; the test's cleanup kills it. Its
// fe.conf holds only the storage settings and opts.Conf.
func NewFE(tb testing.TB, opts FEOptions) *FE {
	tb.Helper()
	if opts.Name == "" {
		opts.Name = tb.Name()
	}
	f, err := newBareCluster(tb, opts.Name).DeployFE(context.Background(), FESpec{Role: RoleFirst, Helper: opts.Helper, Conf: opts.Conf})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// Close kills the FE and releases its host before the test ends.
func (f *FE) Close() { f.node.Close() }

// StartFE is NewFE, started and answering queries.
func StartFE(tb testing.TB, opts FEOptions) *FE {
	tb.Helper()
	f := NewFE(tb, opts)
	if err := f.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return f
}

// StartCluster launches a cluster for a test (named after it, in its temp
// dir); the cleanup closes it, logging the nodes' logs when the test failed.
func StartCluster(tb testing.TB, opts ...Option) *Cluster {
	tb.Helper()
	base := []Option{WithName(tb.Name()), WithDir(tb.TempDir())}
	c, err := Launch(context.Background(), append(base, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("node logs:\n%s", c.Logs(40))
		}
		c.Close()
	})
	return c
}

// StartMinIO launches a MinIO for a test in a temp dir; the test's cleanup
// kills it and releases its host.
func StartMinIO(tb testing.TB) *MinIO {
	tb.Helper()
	m, err := LaunchMinIO(tb.TempDir(), "", "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.Close)
	return m
}

// newBucket creates a bucket named after the test.
func newBucket(tb testing.TB, m *MinIO) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, err := m.NewBucket(ctx, tb.Name())
	if err != nil {
		tb.Fatal(err)
	}
	return name
}

// ReserveTestHost reserves a loopback host until the test ends.
func ReserveTestHost(tb testing.TB) *Host {
	tb.Helper()
	h, err := ReserveHost()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(h.Release)
	return h
}

// Binary is the minirocks executable the tests run.
func Binary(tb testing.TB) string {
	tb.Helper()
	p, err := ResolveBinary(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// DB opens a connection pool on this FE as root, closed by the cleanup.
func (f *FE) DB(tb testing.TB) *sql.DB {
	tb.Helper()
	return openDB(tb, f.DSN("root", "", ""))
}

// DB opens a connection pool on the cluster's leader as root.
func (c *Cluster) DB(tb testing.TB) *sql.DB {
	tb.Helper()
	return openDB(tb, c.DSN())
}

func openDB(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// restart starts the FE again and fails the test when it does not come up.
func restart(tb testing.TB, f *FE) {
	tb.Helper()
	if err := f.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// waitFor is poll.For: fail the test with cond's last error after timeout.
func waitFor(tb testing.TB, timeout time.Duration, cond func() error) {
	tb.Helper()
	poll.For(tb, timeout, cond)
}

// layout is the install tree of a node of the process backend, for tests
// of the install tree itself (scripts, fe.conf, pid files).
func layout(tb testing.TB, n Node) deploy.Layout {
	tb.Helper()
	p, ok := n.(*processNode)
	if !ok {
		tb.Skipf("node %s is not a process", n.Name())
	}
	return p.layout
}

// metaDir is an FE's meta_dir on the process backend.
func metaDir(tb testing.TB, f *FE) string { return layout(tb, f.Node()).FEMetaDir() }

// storageRoot is a CN's storage_root_path on the process backend.
func storageRoot(tb testing.TB, cn *CN) string {
	return filepath.Join(layout(tb, cn.Node()).BEHome(), "storage")
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
