// Command minirocks is the one binary of minirocks: it runs an FE or a
// compute node, lays out StarRocks-shaped install trees, and runs drills.
// This file only parses flags and wires the packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/minirocks/minirocks/cn"
	"github.com/minirocks/minirocks/deploy"
	"github.com/minirocks/minirocks/fe"
)

const usage = `usage: minirocks <command> [flags]

commands:
  fe --home DIR [--helper HOST:EDIT_LOG_PORT] [--cluster_snapshot]
                      run one frontend whose install tree is DIR
  cn --home DIR       run one compute node whose install tree is DIR
  deploy DIR          lay out a StarRocks-style install tree (DIR/fe, DIR/be)
  demo [--backend process|docker]
                      run the flagship drill: total loss, restore from a snapshot, checks, report
  up [--fes N] [--cns N] [--dir D] [--backend process|docker]
                      start a cluster that stays up (prints the mysql command); Ctrl-C stops it
  drill [--seed N] [--dir D] [--backend process|docker] FILE.yaml...
                      run scenario files (docs/scenarios.md); exit 0 PASS, 1 FAIL, 2 UNKNOWN
  soak [--seed N] [--crash-points N] [--rounds N] [--time D]
                      kill -9 FEs, compute nodes, snapshot uploads and restores in seeded rounds
                      under load, checking that no acknowledged write is lost (make soak)
  snapshot verify --location s3://B/P --endpoint H:P --access-key AK [--service-id ID] [--snapshot NAME]
                      check that a cluster snapshot is restorable from the bucket alone
                      (secret key from AWS_SECRET_ACCESS_KEY; minirocks snapshot verify -h)
  sql [-h HOST] [-P PORT] [-u USER] [--wait D] [--force] -e "STMT; ..."
                      run statements on an FE, as mysql -e does (password from MYSQL_PWD);
                      for images without a shell or a mysql client
  version             print the version
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "minirocks:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "fe":
		return runFE(rest, stderr)
	case "cn":
		return runCN(rest, stderr)
	case "deploy":
		return runDeploy(rest, stdout, stderr)
	case "demo":
		return runDemo(rest, stdout, stderr)
	case "snapshot":
		return runSnapshot(rest, stdout, stderr)
	case "drill":
		return runDrill(rest, stdout, stderr)
	case "up":
		return runUp(rest, stdout, stderr)
	case "sql":
		return runSQL(rest, stdout, stderr)
	case "soak":
		return runSoak(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "minirocks", fe.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func runFE(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("fe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	home := fs.String("home", os.Getenv("STARROCKS_HOME"), "FE install directory (holds conf/fe.conf)")
	helper := fs.String("helper", "", "HOST:EDIT_LOG_PORT of an FE of the cluster to join")
	snap := fs.Bool("cluster_snapshot", false, "restore the cluster from the snapshot in conf/cluster_snapshot.yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *home == "" {
		return errors.New("fe: --home is required")
	}
	if v := os.Getenv("RESTORE_CLUSTER_SNAPSHOT"); strings.EqualFold(v, "true") {
		*snap = true
	}
	quietLibraryLogs()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := fe.Start(ctx, fe.Options{Home: *home, Helper: *helper, ClusterSnapshot: *snap})
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-n.Done():
	}
	return n.Close()
}

func runCN(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("cn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	home := fs.String("home", os.Getenv("STARROCKS_HOME"), "compute node install directory (holds conf/cn.conf)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *home == "" {
		return errors.New("cn: --home is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := cn.Start(cn.Options{Home: *home})
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-n.Done():
	}
	return n.Close()
}

func runDeploy(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "upgrade an existing tree: new binary and scripts; conf files, meta and storage are kept")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("deploy: exactly one directory expected")
	}
	l, err := deploy.Deploy(fs.Arg(0), deploy.Options{Overwrite: *force})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `install tree ready in %s
  frontend:     %s   (conf/fe.conf, bin/start_fe.sh --daemon)
  compute node: %s   (conf/cn.conf, bin/start_cn.sh --daemon)
next: set priority_networks and the aws_s3_* keys in fe.conf, then run %s/bin/start_fe.sh --daemon
`, l.Root, l.FEHome(), l.BEHome(), l.FEHome())
	return nil
}

// runPaths are where a run of demo, drill or soak writes (its output
// directory, absolute) and the minirocks binary its nodes run.
type runPaths struct {
	dir, exe string
}

// startRun prepares a run of a command that starts clusters (demo, drill,
// soak): output to dir, or to <prefix>-<date>-<time> in the working
// directory when dir is empty; a context that Ctrl-C and SIGTERM end (stop
// releases the signals). The MySQL driver's log of broken connections
// (every kill breaks some; the runs judge the outcomes themselves) and
// testcontainers-go's banner are silenced.
func startRun(dir, prefix string) (ctx context.Context, stop context.CancelFunc, p runPaths, err error) {
	if dir == "" {
		dir = prefix + "-" + time.Now().Format("20060102-150405")
	}
	if p.dir, err = filepath.Abs(dir); err != nil {
		return nil, nil, p, fmt.Errorf("output directory %s: %w", dir, err)
	}
	if p.exe, err = os.Executable(); err != nil {
		return nil, nil, p, fmt.Errorf("the minirocks binary: %w", err)
	}
	mysql.SetLogger(log.New(io.Discard, "", 0))
	tclog.SetDefault(tclog.NewNoopLogger())
	ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx, stop, p, nil
}
