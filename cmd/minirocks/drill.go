package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/scenarios"
)

// exitError is a command's failure with the exit status it asks for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// runDrill runs scenario files (docs/scenarios.md) one after the other and
// exits 0 when every drill passed, 1 when one failed, 2 when one could not
// finish (UNKNOWN) and none failed.
func runDrill(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory for the drills' clusters and reports (default ./minirocks-drill-<time>)")
	seed := fs.Uint64("seed", 0, "seed replacing the drills' own (faults' targets, workloads' rows)")
	backend := fs.String("backend", "", "run the nodes on this backend, process or docker, instead of the one each file names")
	keep := fs.Bool("keep", false, "leave the clusters running after the drill, with the mysql commands to reach them, until Ctrl-C (one file only)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: minirocks drill [--seed N] [--dir D] [--keep] [--backend process|docker] FILE.yaml...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no scenario file given")
	}
	if *keep && fs.NArg() > 1 {
		return &exitError{2, errors.New("--keep takes one scenario file: its clusters stay up until Ctrl-C")}
	}
	if *backend != "" && *backend != "process" && *backend != "docker" {
		return &exitError{2, fmt.Errorf("--backend %q: one of process, docker", *backend)}
	}
	var drills []*scenarios.Drill
	for _, f := range fs.Args() {
		d, err := scenarios.LoadDrill(f)
		if err != nil {
			return &exitError{2, err}
		}
		drills = append(drills, d)
	}
	ctx, stop, paths, err := startRun(*dir, "minirocks-drill")
	if err != nil {
		return err
	}
	defer stop()
	abs, exe := paths.dir, paths.exe
	if *backend == "docker" {
		if err := harness.DockerAvailable(ctx); err != nil {
			return &exitError{2, err}
		}
	}
	failed, unknown := 0, 0
	for _, d := range drills {
		res := scenarios.RunDrill(ctx, d, scenarios.DrillOptions{Dir: abs, Binary: exe, Seed: *seed, Out: stdout, Keep: *keep, Backend: *backend})
		report := res.ReportPath
		if res.HTMLReportPath != "" {
			report += ", " + res.HTMLReportPath
		}
		fmt.Fprintf(stdout, "\n%s: %s (seed %d); report: %s\n\n", d.Name, res.Verdict, res.Seed, report)
		switch res.Verdict {
		case scenarios.Fail:
			failed++
		case scenarios.Unknown:
			unknown++
		}
	}
	switch {
	case failed > 0:
		return &exitError{1, fmt.Errorf("%d of %d drills failed", failed, len(drills))}
	case unknown > 0:
		return &exitError{2, fmt.Errorf("%d of %d drills could not finish (UNKNOWN)", unknown, len(drills))}
	}
	return nil
}
