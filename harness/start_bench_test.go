package harness

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkClusterStart measures the wall time of harness.Launch with two
// followers and three compute nodes, from nothing (no MinIO, no node) until
// MinIO and all six nodes serve: every FE alive in SHOW FRONTENDS and every
// compute node alive in SHOW COMPUTE NODES on the leader. One operation is
// one such start; the cluster is closed outside the timer. Reported, as
// means over the runs:
//
//   - start_s: the whole start (the same as ns/op, in seconds);
//   - worst_s: the slowest of the runs;
//   - minio_s, leader_s, followers_s, cns_added_s, cns_alive_s: when each
//     step of Launch ended, from the start, by the harness's own log lines
//     (MinIO live, first FE answering, last follower answering, last
//     compute node added, every compute node alive as Launch saw it);
//   - serving_s: until the SHOW FRONTENDS / SHOW COMPUTE NODES check above
//     held (at most one poll after Launch returned).
//
// It runs on both backends side by side: backend=process (child
// processes) and backend=docker (a container per node and MinIO; skipped
// without a Docker engine; one untimed start first builds the images).
//
// Run it with a small -benchtime such as 3x (make bench does).
func BenchmarkClusterStart(b *testing.B) {
	b.Run("backend=process", func(b *testing.B) { benchClusterStart(b) })
	b.Run("backend=docker", func(b *testing.B) {
		opts, err := warmDocker(b)
		if err != nil {
			b.Skip(err)
		}
		benchClusterStart(b, opts...)
	})
}

// warmDocker returns the options that run a benchmark's clusters on a
// docker backend, closed when the benchmark ends, after one untimed start
// that builds the images; an error when no engine answers.
func warmDocker(b *testing.B) ([]Option, error) {
	d, err := NewDockerBackend(context.Background())
	if err != nil {
		return nil, err
	}
	b.Cleanup(func() { d.Close() })
	bin := dockerBinary(b)
	warm, err := Launch(context.Background(), WithName("docker-warm"), WithDir(b.TempDir()), WithBackend(d), WithBinary(bin), WithComputeNodes(1))
	if err != nil {
		b.Fatal(err)
	}
	warm.Close()
	return []Option{WithBackend(d), WithBinary(bin)}, nil
}

func benchClusterStart(b *testing.B, opts ...Option) {
	ctx := context.Background()
	phases := []struct{ line, unit string }{
		{": MinIO on ", "minio_s"},
		{" leads on ", "leader_s"},
		{" joined as ", "followers_s"},
		{" compute node ", "cns_added_s"},
	}
	sums := map[string]float64{}
	var total, worst float64
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		var mu sync.Mutex
		last := map[string]time.Time{}
		logf := func(format string, args ...any) {
			line, now := fmt.Sprintf(format, args...), time.Now()
			mu.Lock()
			defer mu.Unlock()
			for _, p := range phases {
				if strings.Contains(line, p.line) {
					last[p.unit] = now
				}
			}
		}
		dir := b.TempDir()
		b.StartTimer()
		start := time.Now()
		c, err := Launch(ctx, append([]Option{WithName(fmt.Sprintf("start-%d", i)), WithDir(dir), WithFollowers(2), WithComputeNodes(3), WithLogger(logf)}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		launched := time.Since(start)
		if err := waitServing(ctx, c, 3, 3); err != nil {
			b.Fatalf("%v\n%s", err, c.Logs(30))
		}
		serving := time.Since(start)
		b.StopTimer()
		c.Close()
		mu.Lock()
		for _, p := range phases {
			if t, ok := last[p.unit]; ok {
				sums[p.unit] += t.Sub(start).Seconds()
			}
		}
		mu.Unlock()
		sums["cns_alive_s"] += launched.Seconds()
		sums["serving_s"] += serving.Seconds()
		total += serving.Seconds()
		worst = max(worst, serving.Seconds())
	}
	n := float64(b.N)
	b.ReportMetric(total/n, "start_s")
	b.ReportMetric(worst, "worst_s")
	for _, u := range []string{"minio_s", "leader_s", "followers_s", "cns_added_s", "cns_alive_s", "serving_s"} {
		b.ReportMetric(sums[u]/n, u)
	}
}

// waitServing waits, up to a minute, until the cluster's leader shows fes
// alive frontends and cns alive compute nodes.
func waitServing(ctx context.Context, c *Cluster, fes, cns int) error {
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	return WaitFor(ctx, time.Minute, func() error {
		f, err := countAlive(ctx, db, "SHOW FRONTENDS")
		if err != nil {
			return err
		}
		n, err := countAlive(ctx, db, "SHOW COMPUTE NODES")
		if err != nil {
			return err
		}
		if f != fes || n != cns {
			return fmt.Errorf("%d FEs and %d compute nodes alive, want %d and %d", f, n, fes, cns)
		}
		return nil
	})
}
