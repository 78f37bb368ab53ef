package journal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/minirocks/minirocks/internal/poll"
	"github.com/stretchr/testify/require"
)

// benchOp is a realistic small edit-log op (a transaction-visible record).
var benchOp = Op{Type: 42, Version: 1, Data: []byte(
	`{"db_id":10001,"table_id":10023,"partition_id":10024,"txn_id":123456,"label":"insert_8f14e45fceea167a","visible_version":17,"rows":1000,"commit_time_ms":1732500000000}`)}

var benchClients = []int{1, 16}

// runClients runs b.N calls of fn spread over clients goroutines and reports
// throughput as ops/s.
func runClients(b *testing.B, clients int, fn func() error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := fn(); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if e := failed.Load(); e != nil {
		b.Fatal(*e)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
}

// countFSM is a trivial batching FSM.
type countFSM struct{ n atomic.Uint64 }

func (f *countFSM) Apply(*raft.Log) any { return f.n.Add(1) }
func (f *countFSM) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	for i := range logs {
		out[i] = f.n.Add(1)
	}
	return out
}
func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) { return nil, fmt.Errorf("no snapshots") }
func (f *countFSM) Restore(io.ReadCloser) error         { return nil }

// BenchmarkRawRaftApply is the ceiling: hashicorp/raft directly with the
// journal's raft config, the same raft-boltdb store (fsync on) and log
// cache, the same TCP transport, a trivial FSM and the same entry bytes.
func BenchmarkRawRaftApply(b *testing.B) {
	dir := b.TempDir()
	bolt, logs, err := openBolt(filepath.Join(dir, "bdb"), nil)
	require.NoError(b, err)
	defer bolt.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	mux := NewMux(ln)
	defer mux.Close()
	hl := newHclogAdapter(slog.New(slog.DiscardHandler), "raft", hclog.Warn)
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: mux.Stream(TagRaft), MaxPool: 3, Timeout: 10 * time.Second, Logger: hl,
	})
	defer trans.Close()
	conf := newRaftConfig("bench", hl)
	r, err := raft.NewRaft(conf, &countFSM{}, logs, bolt, raft.NewInmemSnapshotStore(), trans)
	require.NoError(b, err)
	defer r.Shutdown()
	require.NoError(b, r.BootstrapCluster(raft.Configuration{Servers: []raft.Server{
		{Suffrage: raft.Voter, ID: "bench", Address: trans.LocalAddr()}}}).Error())
	poll.For(b, 20*time.Second, func() error {
		if st := r.State(); st != raft.Leader {
			return fmt.Errorf("no leader: the node is %s", st)
		}
		return nil
	})
	data := EncodeEntry([]Op{benchOp})
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			runClients(b, clients, func() error { return r.Apply(data, 0).Error() })
		})
	}
}

// BenchmarkJournalPropose measures Journal.Propose of one realistic op on a
// one-node cluster over TCP (commit + fsync + apply to a small state machine).
func BenchmarkJournalPropose(b *testing.B) {
	n := newNode(b, "bench", b.TempDir(), nil)
	n.start()
	defer n.stop()
	n.waitReady()
	ctx := context.Background()
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			runClients(b, clients, func() error {
				_, _, err := n.j.Propose(ctx, benchOp)
				return err
			})
		})
	}
}

// rawRaft is one hashicorp/raft node set up exactly as the journal sets up
// its own (config, raft-boltdb store, log cache, TCP transport on a mux),
// with a trivial FSM: the ceiling the journal is measured against.
type rawRaft struct {
	r     *raft.Raft
	trans *raft.NetworkTransport
	mux   *Mux
	bolt  interface{ Close() error }
}

func newRawRaft(b testing.TB, id, dir string, mod func(*raft.Config)) *rawRaft {
	bolt, logs, err := openBolt(filepath.Join(dir, "bdb"), nil)
	require.NoError(b, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	mux := NewMux(ln)
	hl := newHclogAdapter(slog.New(slog.DiscardHandler), "raft", hclog.Warn)
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: mux.Stream(TagRaft), MaxPool: 3, Timeout: 10 * time.Second, Logger: hl,
	})
	conf := newRaftConfig(id, hl)
	if mod != nil {
		mod(conf)
	}
	r, err := raft.NewRaft(conf, &countFSM{}, logs, bolt, raft.NewInmemSnapshotStore(), trans)
	require.NoError(b, err)
	return &rawRaft{r: r, trans: trans, mux: mux, bolt: bolt}
}

func (n *rawRaft) close() {
	n.r.Shutdown().Error()
	n.trans.Close()
	n.mux.Close()
	n.bolt.Close()
}

// rawRaftCluster starts voters raw raft nodes and returns them with the
// first as leader.
func rawRaftCluster(b testing.TB, voters int, mod func(*raft.Config)) []*rawRaft {
	dir := b.TempDir()
	var nodes []*rawRaft
	var cfg raft.Configuration
	for i := 0; i < voters; i++ {
		n := newRawRaft(b, fmt.Sprintf("raw-%d", i), filepath.Join(dir, fmt.Sprint(i)), mod)
		nodes = append(nodes, n)
		cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(fmt.Sprintf("raw-%d", i)), Address: n.trans.LocalAddr()})
	}
	require.NoError(b, nodes[0].r.BootstrapCluster(cfg).Error())
	waitRawLeader(b, nodes, 20*time.Second)
	// Only the first node was bootstrapped: the others learn the membership
	// from the leader. Until every node has it, losing the leader can leave
	// the rest unable to elect one (they do not know they are voters).
	poll.For(b, 20*time.Second, func() error {
		for _, n := range nodes {
			f := n.r.GetConfiguration()
			if err := f.Error(); err != nil {
				return err
			}
			if got := len(f.Configuration().Servers); got != voters {
				return fmt.Errorf("%s knows %d of %d voters", n.trans.LocalAddr(), got, voters)
			}
		}
		return nil
	})
	return nodes
}

// waitRawLeader waits until one of nodes leads and returns it. It looks
// every millisecond rather than through poll.Until, whose interval would
// blur the failover times BenchmarkRawRaftReelection measures with it.
func waitRawLeader(b testing.TB, nodes []*rawRaft, timeout time.Duration) *rawRaft {
	deadline := time.Now().Add(timeout)
	for {
		for _, n := range nodes {
			if n.r.State() == raft.Leader {
				return n
			}
		}
		require.True(b, time.Now().Before(deadline), "no leader")
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkRawRaftApply3 is the ceiling on three voters: raw raft with the
// journal's settings, each voter with its own fsynced store.
func BenchmarkRawRaftApply3(b *testing.B) {
	nodes := rawRaftCluster(b, 3, nil)
	defer func() {
		for _, n := range nodes {
			n.close()
		}
	}()
	leader := waitRawLeader(b, nodes, time.Second)
	data := EncodeEntry([]Op{benchOp})
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			runClients(b, clients, func() error { return leader.r.Apply(data, 0).Error() })
		})
	}
}

// BenchmarkJournalPropose3 measures Journal.Propose on a journal of three
// voters (three FEs' journals in one process, over TCP).
func BenchmarkJournalPropose3(b *testing.B) {
	root := b.TempDir()
	var nodes []*node
	for i := 0; i < 3; i++ {
		n := newNode(b, fmt.Sprintf("fe-%d", i), filepath.Join(root, fmt.Sprint(i)), func(c *Config) { c.Bootstrap = i == 0 })
		n.start()
		nodes = append(nodes, n)
	}
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	nodes[0].waitReady()
	ctx := context.Background()
	for _, n := range nodes[1:] {
		require.NoError(b, nodes[0].j.AddFollower(ctx, n.id, n.addr))
	}
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			runClients(b, clients, func() error {
				_, _, err := nodes[0].j.Propose(ctx, benchOp)
				return err
			})
		})
	}
}

// BenchmarkRawRaftReelection kills (shuts down) the leader of three raw raft
// voters and times until another leads, with the journal's default timeouts
// and with 100 ms ones: what any failover built on raft pays.
func BenchmarkRawRaftReelection(b *testing.B) {
	for _, tc := range []struct {
		name string
		mod  func(*raft.Config)
	}{
		{"timeouts=default", nil},
		{"timeouts=100ms", func(c *raft.Config) {
			c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = 100*time.Millisecond, 100*time.Millisecond, 50*time.Millisecond
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				nodes := rawRaftCluster(b, 3, tc.mod)
				leader := waitRawLeader(b, nodes, time.Second)
				var rest []*rawRaft
				for _, n := range nodes {
					if n != leader {
						rest = append(rest, n)
					}
				}
				start := time.Now()
				leader.close()
				waitRawLeader(b, rest, 30*time.Second)
				total += time.Since(start)
				for _, n := range rest {
					n.close()
				}
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/failover")
		})
	}
}
