package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/minirocks/minirocks/scenarios"
)

// runSoak runs the soak (docs/benchmarks.md, "Soak"): seeded rounds of
// crash points on one cluster until a crash-point target, a round count or
// a time budget; exit 0 when every round passed, 1 when one failed.
func runSoak(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "seed of the first round (round r uses seed+r-1; default: from the clock)")
	points := fs.Int("crash-points", 0, "stop once this many crash points were survived (0: no limit)")
	rounds := fs.Int("rounds", 0, "stop after this many rounds (0: no limit)")
	budget := fs.Duration("time", 0, "time budget, e.g. 30m (0: none)")
	kills := fs.Int("kills-per-round", 8, "node kills per round (at least 4: one of each kind)")
	restoreEvery := fs.Int("restore-every", 5, "a round ends with a total loss and a restore killed half-way with probability 1/N")
	dir := fs.String("dir", "", "directory for the clusters and MinIO (default ./minirocks-soak-<time>; removed when the soak passes)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: minirocks soak [--seed N] [--crash-points N] [--rounds N] [--time D] [--dir D]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *points <= 0 && *rounds <= 0 && *budget <= 0 {
		*points = 1000
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano() % 1_000_000)
	}
	ctx, stop, paths, err := startRun(*dir, "minirocks-soak")
	if err != nil {
		return err
	}
	defer stop()
	abs, exe := paths.dir, paths.exe
	res, err := scenarios.Soak(ctx, scenarios.SoakOptions{Seed: *seed, CrashPoints: *points, Rounds: *rounds, Duration: *budget,
		KillsPerRound: *kills, RestoreEvery: *restoreEvery, Dir: abs, Binary: exe, Out: stdout})
	if err != nil {
		if res != nil && res.FailedRound > 0 {
			return &exitError{1, err}
		}
		return &exitError{2, err}
	}
	fmt.Fprintf(stdout, "soak passed: %d crash points survived in %d rounds, seed %d, %v\n", res.CrashPoints, res.Rounds, res.Seed, res.Duration.Round(time.Second))
	return os.RemoveAll(abs)
}
