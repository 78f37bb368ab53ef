package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

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
	ctx, stop, paths, err := startRun(*dir, "minirocks-demo")
	if err != nil {
		return err
	}
	defer stop()
	abs, exe := paths.dir, paths.exe
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
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
