package meta

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/starmgr"
)

// Defaults of label_keep_max_second and label_clean_interval_second.
const (
	benchLabelKeep  = 259200 * time.Second
	benchLabelClean = 14400 * time.Second
)

// benchApply applies ops as one journal entry, through the entry encoding.
func benchApply(b *testing.B, m *State, ops ...any) {
	jops, err := EncodeOps(ops)
	if err != nil {
		b.Fatal(err)
	}
	decoded, err := journal.DecodeEntry(journal.EncodeEntry(jops))
	if err != nil {
		b.Fatal(err)
	}
	if res := m.Apply(1, decoded); res != nil {
		b.Fatal(res)
	}
}

// loadHistory applies loads begin/commit/visible sequences to a state with
// one table, one load every spacing of simulated time. With clean, the
// leader's cleaner runs as the FE runs it with the default keys: every
// label_clean_interval_second it forgets what finished more than
// label_keep_max_second ago.
func loadHistory(b *testing.B, loads int, spacing time.Duration, clean bool) *State {
	m := NewState()
	const db, tbl, part = catalog.FirstID, catalog.FirstID + 1, catalog.FirstID + 2
	benchApply(b, m, &catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "fe"},
		Volume: &catalog.StorageVolume{ID: "v", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://b/p"}, Enabled: true}},
		&starmgr.InitOp{ServiceID: "svc"})
	benchApply(b, m, &catalog.SaveNextIDOp{NextID: catalog.FirstID + int64(loads) + 1000})
	benchApply(b, m, &catalog.CreateDBOp{DB: catalog.Database{ID: db, Name: "d"}})
	benchApply(b, m, &catalog.CreateTableOp{Table: catalog.Table{ID: tbl, DBID: db, Name: "t", KeysType: catalog.DupKeys,
		Partitioning: catalog.PartitionInfo{Type: "UNPARTITIONED"}, Distribution: catalog.Distribution{Type: "RANDOM", Buckets: 1},
		StorageVolume: "builtin_storage_volume",
		Partitions:    []*catalog.Partition{{ID: part, Name: "t", ShardGroupID: tbl + 3, Tablets: []int64{tbl + 4}, VisibleVersion: 1, NextVersion: 2}}}})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lastClean := now
	for i := 0; i < loads; i++ {
		id := int64(catalog.FirstID + 1000 + i)
		ms := now.UnixMilli()
		benchApply(b, m, &catalog.BeginTxnOp{Txn: catalog.Transaction{ID: id, DBID: db, TableID: tbl,
			Label: fmt.Sprintf("insert_%016x", id*2654435761), Kind: catalog.TxnInsert, GTID: id << 20,
			User: "root", TimeoutSec: 14400, BeginTime: ms}})
		benchApply(b, m, &catalog.CommitTxnOp{TxnID: id, PartitionIDs: []int64{part}, Rows: 1000, Bytes: 65536, CommitTime: ms + 20})
		benchApply(b, m, &catalog.VisibleTxnOp{TxnID: id, VisibleTime: ms + 40,
			Stats: []catalog.PartitionStats{{PartitionID: part, Rows: int64(i+1) * 1000, DataSize: int64(i+1) * 65536}}})
		now = now.Add(spacing)
		if clean && now.Sub(lastClean) >= benchLabelClean {
			lastClean = now
			cutoff := now.Add(-benchLabelKeep).UnixMilli()
			if ids := m.Catalog.ExpiredTxns(cutoff, 0); len(ids) > 0 {
				benchApply(b, m, &catalog.ForgetTxnsOp{TxnIDs: ids, ExpireBefore: cutoff})
			}
		}
	}
	return m
}

// BenchmarkImageAfterLoads measures the image and the checkpoint of a state
// that applied 100,000 loads spread over 30 days (one every 26 s), with the
// history kept forever (history=kept) and cleaned with the default
// label_keep_max_second and label_clean_interval_second (history=cleaned):
// the image's size in bytes, the time to capture and write it (fsynced), and
// the transactions it holds.
func BenchmarkImageAfterLoads(b *testing.B) {
	const loads = 100000
	spacing := 30 * 24 * time.Hour / loads
	for _, clean := range []bool{false, true} {
		name := "history=kept"
		if clean {
			name = "history=cleaned"
		}
		b.Run(name, func(b *testing.B) {
			m := loadHistory(b, loads, spacing, clean)
			path := filepath.Join(b.TempDir(), "image")
			var size int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				ss, err := m.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				if size, err = ss.WriteTo(f); err != nil {
					b.Fatal(err)
				}
				ss.Release()
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "checkpoint_ms")
			b.ReportMetric(float64(size), "image_bytes")
			b.ReportMetric(float64(len(m.Catalog.Txns())), "txns")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkCheckpointLatency measures what a checkpoint costs writers: a
// one-node journal (real raft over TCP, fsynced log) on the FE's state with
// 100,000 databases; one client proposes CREATE DATABASE entries one after
// the other. Ten rounds each take 200 proposals with no checkpoint running
// (p99_idle_ms), then proposals for as long as one forced checkpoint of the
// whole state runs (p99_checkpoint_ms: the proposals that started during
// it). ratio is the second over the first; checkpoint_ms is the mean time
// of a checkpoint.
func BenchmarkCheckpointLatency(b *testing.B) {
	const (
		objects     = 100000
		perEntry    = 1000
		checkpoints = 10
	)
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	mux := journal.NewMux(ln)
	defer mux.Close()
	m := NewState()
	j, err := journal.Open(journal.Config{MetaDir: b.TempDir(), NodeID: "bench", Stream: mux.Stream(journal.TagRaft),
		Bootstrap: true, RollNum: 1 << 40, CheckpointInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)}, m)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	if err := j.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	w := Writer{Journal: j}
	propose := func(ops ...any) {
		if _, err := w.Propose(ctx, ops...); err != nil {
			b.Fatal(err)
		}
	}
	propose(&catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "bench"}}, &starmgr.InitOp{ServiceID: "svc"})
	propose(&catalog.SaveNextIDOp{NextID: catalog.FirstID + 100*objects})
	next := int64(catalog.FirstID)
	createDB := func() *catalog.CreateDBOp {
		id := next
		next++
		return &catalog.CreateDBOp{DB: catalog.Database{ID: id, Name: fmt.Sprintf("db_%d", id)}}
	}
	for i := 0; i < objects; i += perEntry {
		ops := make([]any, perEntry)
		for k := range ops {
			ops[k] = createDB()
		}
		propose(ops...)
	}
	timed := func() time.Duration {
		start := time.Now()
		propose(createDB())
		return time.Since(start)
	}

	// Rounds alternate idle proposals and one checkpoint, so both sets of
	// samples see the same background load on the machine; each idle
	// stretch lasts as long as the checkpoint before it, so both sets hold
	// about as many samples and their p99s are as noisy as each other.
	b.ResetTimer()
	var idle, during []time.Duration
	var ckTotal time.Duration
	idleFor := 300 * time.Millisecond
	for round := 0; round < checkpoints; round++ {
		for until := time.Now().Add(idleFor); time.Now().Before(until); {
			idle = append(idle, timed())
		}
		var running atomic.Bool
		running.Store(true)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer running.Store(false)
			start := time.Now()
			if _, err := j.Checkpoint(ctx); err != nil {
				b.Error(err)
			}
			idleFor = time.Since(start)
			ckTotal += idleFor
		}()
		for running.Load() {
			during = append(during, timed())
		}
		wg.Wait()
	}
	b.StopTimer()
	if len(during) == 0 {
		b.Fatal("no proposal overlapped a checkpoint")
	}
	p99idle, p99during := p99(idle), p99(during)
	b.ReportMetric(ms(p99idle), "p99_idle_ms")
	b.ReportMetric(ms(p99during), "p99_checkpoint_ms")
	b.ReportMetric(float64(p99during)/float64(p99idle), "ratio")
	b.ReportMetric(ms(ckTotal)/checkpoints, "checkpoint_ms")
	b.ReportMetric(float64(len(during)), "samples_during")
	b.ReportMetric(float64(len(idle)), "samples_idle")
	b.ReportMetric(0, "ns/op")
}

// p99 returns the 99th percentile of ds (nearest rank).
func p99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*99+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
