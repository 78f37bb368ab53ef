package harness

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// benchCSVBytes is the size of the CSV the lake benchmark loads
// (MINIROCKS_BENCH_MB overrides it, for quick runs).
func benchCSVBytes() int64 {
	if s := os.Getenv("MINIROCKS_BENCH_MB"); s != "" {
		if mb, err := strconv.ParseInt(s, 10, 64); err == nil && mb > 0 {
			return mb << 20
		}
	}
	return 1 << 30
}

const benchTable = `CREATE TABLE bench.events (
    id BIGINT NOT NULL,
    ts DATETIME NOT NULL,
    user VARCHAR(32),
    x INT,
    amount DECIMAL(10, 2),
    note VARCHAR(64)
) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 16`

// writeBenchCSV writes deterministic rows until the file reaches size.
func writeBenchCSV(path string, size int64) (rows int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var written int64
	for written < size {
		line := fmt.Sprintf("%d,%s,user_%05d,%d,%d.%02d,note %016x some padding text\n",
			rows, base.Add(time.Duration(rows)*time.Second).Format("2006-01-02 15:04:05"),
			rng.IntN(100000), rng.IntN(1000000), rng.IntN(100000), rng.IntN(100), rng.Uint64())
		n, err := w.WriteString(line)
		if err != nil {
			return 0, err
		}
		written += int64(n)
		rows++
	}
	return rows, w.Flush()
}

// BenchmarkLake loads the same CSV (1 GB by default) into a cluster of one
// FE and two CNs with Stream Load and with INSERT, next to a plain minio-go
// upload of the same bytes, then scans it; it reports MB/s, rows/s, the
// ratio to the raw upload and the peak RSS of the FE and the CNs. Run it
// with -benchtime 1x (make bench does).
func BenchmarkLake(b *testing.B) {
	size := benchCSVBytes()
	dir := b.TempDir()
	csvPath := filepath.Join(dir, "bench.csv")
	rows, err := writeBenchCSV(csvPath, size)
	if err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(csvPath)
	mb := float64(st.Size()) / (1 << 20)
	c := StartCluster(b, WithComputeNodes(2), WithFEConf("lake_autovacuum_partition_naptime_seconds = 3600\nenable_pprof = true\n"))
	ctx := context.Background()
	db := c.FEs()[0].DB(b)
	if _, err := db.Exec("CREATE DATABASE bench"); err != nil {
		b.Fatal(err)
	}

	var rawMBs float64
	b.Run("raw_minio_upload", func(b *testing.B) {
		client, err := minio.New(c.MinIO().Endpoint, &minio.Options{Creds: credentials.NewStaticV4(c.MinIO().AccessKey, c.MinIO().SecretKey, "")})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			phase := startPhase(b, c, "raw_minio_upload", 5)
			start := time.Now()
			if _, err := client.FPutObject(ctx, c.Bucket(), fmt.Sprintf("raw/bench-%d.csv", i), csvPath, minio.PutObjectOptions{}); err != nil {
				b.Fatal(err)
			}
			rawMBs = mb / time.Since(start).Seconds()
			phase.report(b)
		}
		b.ReportMetric(rawMBs, "MB/s")
	})

	b.Run("stream_load", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := db.Exec("DROP TABLE IF EXISTS bench.events FORCE"); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(benchTable); err != nil {
				b.Fatal(err)
			}
			phase := startPhase(b, c, "stream_load", 10)
			start := time.Now()
			resp, err := c.FEs()[0].StreamLoadFile(ctx, "bench", "events", fmt.Sprintf("bench_%d_%d", i, time.Now().UnixNano()), csvPath,
				map[string]string{"column_separator": ","})
			if err != nil {
				b.Fatal(err)
			}
			secs := time.Since(start).Seconds()
			if resp["Status"] != "Success" {
				b.Fatalf("stream load: %v", resp)
			}
			b.ReportMetric(mb/secs, "MB/s")
			b.ReportMetric(float64(rows)/secs, "rows/s")
			if rawMBs > 0 {
				b.ReportMetric(100*mb/secs/rawMBs, "%_of_raw_upload")
			}
			phase.report(b)
		}
	})

	b.Run("scan_count_sum", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			phase := startPhase(b, c, "scan_count_sum", 5)
			start := time.Now()
			var n, sum int64
			if err := db.QueryRow("SELECT COUNT(*), SUM(x) FROM bench.events").Scan(&n, &sum); err != nil {
				b.Fatal(err)
			}
			if n != rows {
				b.Fatalf("scanned %d rows, loaded %d", n, rows)
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
			phase.report(b)
		}
	})

	b.Run("insert", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := db.Exec("DROP TABLE IF EXISTS bench.events FORCE"); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(benchTable); err != nil {
				b.Fatal(err)
			}
			phase := startPhase(b, c, "insert", 30)
			start := time.Now()
			if err := insertCSV(db, csvPath, 4<<20); err != nil {
				b.Fatal(err)
			}
			secs := time.Since(start).Seconds()
			b.ReportMetric(mb/secs, "MB/s")
			b.ReportMetric(float64(rows)/secs, "rows/s")
			if rawMBs > 0 {
				b.ReportMetric(100*mb/secs/rawMBs, "%_of_raw_upload")
			}
			phase.report(b)
		}
	})
}

// peaks measures the peak RSS of the FE and the busiest CN over one phase
// of the benchmark; with MINIROCKS_BENCH_PROFILE=DIR it also saves CPU
// profiles of every process (the first seconds of the phase) into DIR.
type peaks struct {
	c     *Cluster
	name  string
	cpu   map[string]time.Duration // CPU time at the start, by process
	profs sync.WaitGroup
}

// processes names the cluster's processes for CPU accounting.
func (c *Cluster) benchProcesses() map[string]int {
	m := map[string]int{"FE": c.FEs()[0].PID(), "MinIO": c.MinIO().PID()}
	for i, cn := range c.CNs() {
		m[fmt.Sprintf("CN%d", i)] = cn.PID()
	}
	return m
}

func startPhase(b *testing.B, c *Cluster, name string, profileSeconds int) *peaks {
	p := &peaks{c: c, name: name, cpu: map[string]time.Duration{}}
	for who, pid := range c.benchProcesses() {
		p.cpu[who], _ = CPUTime(pid)
	}
	pids := []int{c.FEs()[0].PID()}
	for _, cn := range c.CNs() {
		pids = append(pids, cn.PID())
	}
	for _, pid := range pids {
		if err := ResetPeakRSS(pid); err != nil {
			b.Logf("peak RSS cannot be reset (%v); the figure covers the whole run", err)
		}
	}
	if dir := os.Getenv("MINIROCKS_BENCH_PROFILE"); dir != "" {
		urls := map[string]string{"fe": c.FEs()[0].HTTPURL()}
		for i, cn := range c.CNs() {
			urls[fmt.Sprintf("cn%d", i)] = "http://" + cn.Host() + ":8040"
		}
		for who, base := range urls {
			p.profs.Add(1)
			go func() {
				defer p.profs.Done()
				resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, profileSeconds))
				if err != nil {
					b.Logf("profile %s: %v", who, err)
					return
				}
				defer resp.Body.Close()
				f, err := os.Create(filepath.Join(dir, name+"."+who+".pprof"))
				if err != nil {
					b.Logf("profile %s: %v", who, err)
					return
				}
				defer f.Close()
				io.Copy(f, resp.Body)
			}()
		}
	}
	return p
}

// report adds the phase's peak RSS figures to the benchmark.
func (p *peaks) report(b *testing.B) {
	fe, err := PeakRSS(p.c.FEs()[0].PID())
	if err != nil {
		b.Fatal(err)
	}
	var cnPeak int64
	for _, cn := range p.c.CNs() {
		if r, err := PeakRSS(cn.PID()); err == nil && r > cnPeak {
			cnPeak = r
		}
	}
	b.ReportMetric(float64(fe)/(1<<20), "FE_peak_MiB")
	b.ReportMetric(float64(cnPeak)/(1<<20), "CN_peak_MiB")
	// CPU seconds each kind of process used in the phase (CNs summed).
	used := map[string]float64{}
	for who, pid := range p.c.benchProcesses() {
		now, err := CPUTime(pid)
		if err != nil {
			continue
		}
		kind := strings.TrimRight(who, "0123456789")
		used[kind] += (now - p.cpu[who]).Seconds()
	}
	for kind, secs := range used {
		b.ReportMetric(secs, kind+"_cpu_s")
	}
	p.profs.Wait()
}

// insertCSV loads a CSV with INSERT statements of about batch bytes each.
func insertCSV(db *sql.DB, path string, batch int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var b strings.Builder
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		_, err := db.Exec("INSERT INTO bench.events VALUES " + b.String())
		b.Reset()
		return err
	}
	for sc.Scan() {
		p := strings.Split(sc.Text(), ",")
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%s,'%s','%s',%s,%s,'%s')", p[0], p[1], p[2], p[3], p[4], p[5])
		if b.Len() >= batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}
