package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/scenarios"
)

// runDemo runs the flagship demonstration on local processes and leaves
// its report in a new directory.
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory for the cluster, logs and report (default ./minirocks-demo-<time>)")
	backend := fs.String("backend", "process", "run the nodes on this backend: process or docker")
	seed := fs.Uint64("seed", 0, "seed fixing the workload and the disaster's moment (default: from the clock)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		*dir = "minirocks-demo-" + time.Now().Format("20060102-150405")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// The driver logs every connection the demo's total loss breaks; the
	// demo reports those itself.
	mysql.SetLogger(log.New(io.Discard, "", 0))
	tclog.SetDefault(tclog.NewNoopLogger()) // no testcontainers-go banner on the docker backend
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, closeBackend, err := harness.NewBackend(ctx, *backend)
	if err != nil {
		return err
	}
	defer closeBackend()
	res, err := scenarios.RunDemo(ctx, scenarios.DemoOptions{Dir: abs, Binary: exe, Seed: *seed, Out: stdout, Cluster: []harness.Option{harness.WithBackend(b)}})
	if err != nil {
		return fmt.Errorf("demo failed: %w", err)
	}
	fmt.Fprintf(stdout, "\ndemo passed: %d of %d acknowledged loads restored from %s; RPO %d acknowledged loads (%v of writes); RTO %v to the first query, %v to all nodes serving\n",
		res.Restored, res.Acknowledged, res.Snapshot.Name, res.LostAcknowledged, res.RPO.Round(time.Millisecond),
		res.Times.FirstQuery.Round(time.Millisecond), res.Times.AllServing.Round(time.Millisecond))
	return nil
}
