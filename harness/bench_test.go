package harness

import (
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkMySQLDDL measures DDL statements per second through the MySQL
// protocol against a real FE process: CREATE DATABASE with unique names,
// each acknowledged only once its journal entry is durable. Compare with
// the journal package's BenchmarkRawRaftApply (make bench prints them side
// by side).
func BenchmarkMySQLDDL(b *testing.B) { benchDDL(b, StartFE(b, FEOptions{})) }

// benchDDL runs CREATE DATABASE through fe with 1 and 16 clients, each on
// its own connection.
func benchDDL(b *testing.B, fe *FE) {
	var seq atomic.Int64
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			db, err := sql.Open("mysql", fe.DSN("root", "", ""))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(clients)
			db.SetMaxIdleConns(clients)
			conns := make([]*sql.Conn, clients)
			for i := range conns {
				if conns[i], err = db.Conn(b.Context()); err != nil {
					b.Fatal(err)
				}
				defer conns[i].Close()
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			var failed atomic.Pointer[error]
			b.ResetTimer()
			start := time.Now()
			for _, c := range conns {
				wg.Add(1)
				go func(c *sql.Conn) {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := c.ExecContext(b.Context(), fmt.Sprintf("CREATE DATABASE bench_%d", seq.Add(1))); err != nil {
							failed.CompareAndSwap(nil, &err)
							return
						}
					}
				}(c)
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if e := failed.Load(); e != nil {
				b.Fatal(*e)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
		})
	}
}
