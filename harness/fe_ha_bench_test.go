package harness

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// startFEs starts a leader and followers (ALTER SYSTEM ADD FOLLOWER, then
// --helper) for a benchmark.
func startFEs(b *testing.B, followers int, conf string) (*Cluster, []*FE) {
	c := newBareCluster(b, b.Name())
	ctx := context.Background()
	leader, err := c.DeployFE(ctx, FESpec{Role: RoleFirst, Conf: conf})
	if err != nil {
		b.Fatal(err)
	}
	if err := leader.Start(ctx); err != nil {
		b.Fatal(err)
	}
	db := leader.DB(b)
	fes := []*FE{leader}
	for i := 0; i < followers; i++ {
		f, err := c.DeployFE(ctx, FESpec{Role: RoleFollower, Helper: leader.EditLogAddr(), Conf: conf})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(`ALTER SYSTEM ADD FOLLOWER "` + f.EditLogAddr() + `"`); err != nil {
			b.Fatal(err)
		}
		if err := f.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		fes = append(fes, f)
	}
	return c, fes
}

// BenchmarkMySQLDDL3 is BenchmarkMySQLDDL on a cluster of three FEs: every
// CREATE DATABASE is committed by a quorum of two fsynced journals.
func BenchmarkMySQLDDL3(b *testing.B) {
	_, fes := startFEs(b, 2, "")
	benchDDL(b, fes[0])
}

// BenchmarkFEFailover kills the leader of three FEs with SIGKILL and times
// until a write through the MySQL protocol to a surviving FE succeeds (the
// client retries every 20 ms), then brings the old leader back. It reports
// the mean and the worst time.
func BenchmarkFEFailover(b *testing.B) {
	c, fes := startFEs(b, 2, "")
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		leader, err := c.Leader(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		var survivors []*sql.DB
		for _, f := range fes {
			if f != leader {
				db, err := sql.Open("mysql", f.DSN("root", "", ""))
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				if err := db.Ping(); err != nil {
					b.Fatal(err)
				}
				survivors = append(survivors, db)
			}
		}
		start := time.Now()
		leader.Kill()
		for k := 0; ; k++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err := survivors[k%len(survivors)].ExecContext(ctx, fmt.Sprintf("CREATE DATABASE after_failover_%d_%d", i, k))
			cancel()
			if err == nil {
				break
			}
			if time.Since(start) > 60*time.Second {
				b.Fatalf("no write succeeded within a minute: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		d := time.Since(start)
		total += d
		worst = max(worst, d)
		b.StopTimer()
		restart(b, leader)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/failover")
	b.ReportMetric(worst.Seconds(), "s_worst")
}

// BenchmarkFEJoin times a new follower joining a cluster whose journal holds
// 100,000 entries (MINIROCKS_BENCH_JOIN_ENTRIES overrides): ALTER SYSTEM ADD
// FOLLOWER, start with --helper, until it answers queries having replayed
// everything (from the leader's image, then the log).
func BenchmarkFEJoin(b *testing.B) {
	entries := int64(100_000)
	if s, err := strconv.ParseInt(os.Getenv("MINIROCKS_BENCH_JOIN_ENTRIES"), 10, 64); err == nil && s > 0 {
		entries = s
	}
	c, fes := startFEs(b, 0, "")
	db := fes[0].DB(b)
	db.SetMaxOpenConns(32)
	var seq atomic.Int64
	g := errgroup.Group{}
	for c := 0; c < 16; c++ {
		g.Go(func() error {
			for {
				k := seq.Add(1)
				if k > entries {
					return nil
				}
				if _, err := db.Exec(fmt.Sprintf("CREATE DATABASE j_%d", k)); err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	applied, err := fes[0].Metric("starrocks_fe_max_journal_id")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		f, err := c.DeployFE(context.Background(), FESpec{Role: RoleFollower, Helper: fes[0].EditLogAddr()})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := db.Exec(`ALTER SYSTEM ADD FOLLOWER "` + f.EditLogAddr() + `"`); err != nil {
			b.Fatal(err)
		}
		if err := f.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		got, err := f.Metric("starrocks_fe_max_journal_id")
		if err != nil || got < applied {
			b.Fatalf("joiner replayed %v of %v (%v)", got, applied, err)
		}
		b.StopTimer()
		if _, err := db.Exec(`ALTER SYSTEM DROP FOLLOWER "` + f.EditLogAddr() + `"`); err != nil {
			b.Fatal(err)
		}
		f.Close()
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/join")
	b.ReportMetric(applied, "journal_entries")
}
