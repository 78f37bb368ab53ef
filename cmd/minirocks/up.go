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
)

// runUp starts a cluster that stays up for teaching and trying things by
// hand: it prints how to connect with the mysql client and where the
// install trees are, and tears everything down on Ctrl-C.
func runUp(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fes := fs.Int("fes", 1, "frontends (the first leads; the others join as followers)")
	cns := fs.Int("cns", 1, "compute nodes")
	dir := fs.String("dir", "", "directory for the install trees and MinIO's drive (default: a temporary one, removed at the end)")
	backend := fs.String("backend", "process", "run the nodes as local processes (process) or each in a container of its own (docker)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fes < 1 || *cns < 0 {
		return fmt.Errorf("--fes must be at least 1 and --cns at least 0")
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	mysql.SetLogger(log.New(io.Discard, "", 0))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tclog.SetDefault(tclog.NewNoopLogger()) // no testcontainers-go banner on the docker backend
	b, closeBackend, err := harness.NewBackend(ctx, *backend)
	if err != nil {
		return err
	}
	defer closeBackend()
	opts := []harness.Option{harness.WithName("up"), harness.WithBinary(exe), harness.WithFollowers(*fes - 1), harness.WithComputeNodes(*cns),
		harness.WithBackend(b), harness.WithLogger(func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) })}
	if *dir != "" {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return err
		}
		opts = append(opts, harness.WithDir(abs))
	}
	start := time.Now()
	c, err := harness.Launch(ctx, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	leader, err := c.Leader(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nminirocks is up (%d FEs, %d CNs, %s backend) after %v.\n\n", *fes, *cns, b.Name(), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "connect:        mysql -h %s -P 9030 -uroot\n", leader.Host())
	fmt.Fprintf(stdout, "install trees:  %s (fe/conf/fe.conf, fe/log/fe.log, be/log/cn.log in each node's folder)\n", c.Dir())
	fmt.Fprintf(stdout, "object storage: MinIO on %s, bucket %s\n", c.ObjectStorage().Endpoint, c.Bucket())
	fmt.Fprintf(stdout, "\nCtrl-C stops every node.\n")
	<-ctx.Done()
	fmt.Fprintf(stdout, "\nstopping...\n")
	return nil
}
