package harness

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ClusterOptions describes a cluster: a MinIO, FEs and CNs.
type ClusterOptions struct {
	// Dir holds every node's install tree; empty means a test temp dir.
	Dir string
	// Binary is the minirocks executable; empty means Binary(tb).
	Binary string
	// Followers and Observers are FEs beyond the first, added with ALTER
	// SYSTEM ADD FOLLOWER|OBSERVER and started with --helper.
	Followers, Observers int
	// CNs is the number of compute nodes (default 1).
	CNs int
	// FEConf and CNConf are appended to every fe.conf / cn.conf.
	FEConf, CNConf string
	// Name labels the cluster (and its S3 prefix).
	Name string
}

// Cluster is a running cluster with its object storage.
type Cluster struct {
	MinIO  *MinIO
	Bucket string
	// FE is the first FE (the leader when the cluster starts); FEs are all
	// of them, the first first, then the followers, then the observers.
	FE  *FE
	FEs []*FE
	CNs []*CN
}

// DefaultFEConf makes clusters react quickly for tests and drills:
// heartbeats every second (a CN is dead after four missed ones), and the
// background lake work every two seconds.
const DefaultFEConf = "heartbeat_timeout_second = 1\nlake_autovacuum_partition_naptime_seconds = 2\n"

// LaunchCluster starts MinIO, creates a bucket, starts the FE with its
// builtin storage volume there, starts the CNs, registers them and waits
// until every CN is alive.
func LaunchCluster(ctx context.Context, opts ClusterOptions) (_ *Cluster, err error) {
	if opts.CNs == 0 {
		opts.CNs = 1
	}
	c := &Cluster{}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	mbin, err := MinIOBinary()
	if err != nil {
		return nil, err
	}
	if c.MinIO, err = LaunchMinIO(filepath.Join(opts.Dir, "minio"), mbin, ""); err != nil {
		return nil, err
	}
	c.Bucket = "minirocks"
	if err := c.MinIO.CreateBucket(ctx, c.Bucket); err != nil {
		return nil, err
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(opts.Name)
	if name == "" {
		name = "cluster"
	}
	c.FE, err = DeployFE(FEOptions{Dir: filepath.Join(opts.Dir, "fe1"), Binary: opts.Binary, Name: name,
		S3Path: c.Bucket + "/" + name, S3Endpoint: c.MinIO.Endpoint, S3AccessKey: c.MinIO.AccessKey, S3SecretKey: c.MinIO.SecretKey,
		Conf: DefaultFEConf + opts.FEConf})
	if err != nil {
		return nil, err
	}
	if err := c.FE.Start(ctx); err != nil {
		return nil, err
	}
	c.FEs = []*FE{c.FE}
	db, err := sql.Open("mysql", c.FE.DSN("root", "", ""))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for i := 0; i < opts.Followers+opts.Observers; i++ {
		role := "FOLLOWER"
		if i >= opts.Followers {
			role = "OBSERVER"
		}
		f, err := DeployFE(FEOptions{Dir: filepath.Join(opts.Dir, "fe"+strconv.Itoa(i+2)), Binary: opts.Binary, Name: name,
			S3Path: c.Bucket + "/" + name, S3Endpoint: c.MinIO.Endpoint, S3AccessKey: c.MinIO.AccessKey, S3SecretKey: c.MinIO.SecretKey,
			Conf: DefaultFEConf + opts.FEConf, Helper: c.FE.EditLogAddr()})
		if err != nil {
			return nil, err
		}
		c.FEs = append(c.FEs, f)
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`ALTER SYSTEM ADD %s "%s"`, role, f.EditLogAddr())); err != nil {
			return nil, fmt.Errorf("add %s: %w", strings.ToLower(role), err)
		}
		if err := f.Start(ctx); err != nil {
			return nil, err
		}
	}
	for i := 0; i < opts.CNs; i++ {
		cn, err := DeployCN(CNOptions{Dir: filepath.Join(opts.Dir, "cn"+strconv.Itoa(i+1)), Binary: opts.Binary, Conf: opts.CNConf})
		if err != nil {
			return nil, err
		}
		c.CNs = append(c.CNs, cn)
		if err := cn.Start(ctx); err != nil {
			return nil, err
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`ALTER SYSTEM ADD COMPUTE NODE "%s"`, cn.HeartbeatAddr())); err != nil {
			return nil, fmt.Errorf("add compute node: %w", err)
		}
	}
	if err := c.WaitComputeNodes(ctx, opts.CNs); err != nil {
		return nil, err
	}
	return c, nil
}

// StartCluster launches a cluster for a test; its cleanup stops everything.
func StartCluster(tb testing.TB, opts ClusterOptions) *Cluster {
	tb.Helper()
	if opts.Dir == "" {
		opts.Dir = tb.TempDir()
	}
	if opts.Binary == "" {
		opts.Binary = Binary(tb)
	}
	if opts.Name == "" {
		opts.Name = tb.Name()
	}
	c, err := LaunchCluster(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// WaitComputeNodes waits until SHOW COMPUTE NODES has n alive nodes.
func (c *Cluster) WaitComputeNodes(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	db, err := sql.Open("mysql", c.FE.DSN("root", "", ""))
	if err != nil {
		return err
	}
	defer db.Close()
	var last error
	for {
		alive, err := aliveComputeNodes(ctx, db)
		if err == nil && alive == n {
			return nil
		}
		if err != nil {
			last = err
		} else {
			last = fmt.Errorf("%d compute nodes alive, want %d", alive, n)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("compute nodes: %w (%v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func aliveComputeNodes(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, "SHOW COMPUTE NODES")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	alive := 0
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		for i, name := range cols {
			if name == "Alive" && vals[i].String == "true" {
				alive++
			}
		}
	}
	return alive, rows.Err()
}

// Leader returns the FE that leads now, as the live FEs' SHOW FRONTENDS
// say, waiting up to 30 s for one (an election may be under way).
func (c *Cluster) Leader(ctx context.Context) (*FE, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last error
	for {
		for _, f := range c.FEs {
			if f.proc.hasExited() || f.proc.cmd == nil {
				continue
			}
			host, err := f.leaderHost(ctx)
			if err != nil {
				last = err
				continue
			}
			for _, g := range c.FEs {
				if g.Host == host && !g.proc.hasExited() {
					return g, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no leader FE: %w (%v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Close stops every process.
func (c *Cluster) Close() {
	for _, cn := range c.CNs {
		cn.Close()
	}
	for _, f := range c.FEs {
		f.Close()
	}
	if c.FE != nil && len(c.FEs) == 0 {
		c.FE.Close()
	}
	if c.MinIO != nil {
		c.MinIO.Close()
	}
}
