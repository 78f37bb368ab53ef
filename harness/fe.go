package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The StarRocks standard ports of a frontend.
const (
	FEQueryPort   = 9030
	FEHTTPPort    = 8030
	FERPCPort     = 9020
	FEEditLogPort = 9010
)

// FE is one frontend of a cluster: a Node of the cluster's backend plus
// what the harness knows to do with a frontend (wait until it answers SQL,
// ask it who leads, read its metrics and the names of its images).
type FE struct {
	node Node
	spec FESpec

	mu     sync.Mutex
	helper string // --helper for the next start
}

// Node is the backend's handle on this FE, for what FE does not wrap.
func (f *FE) Node() Node { return f.node }

// Name is the FE's name in its cluster ("fe1").
func (f *FE) Name() string { return f.spec.Name }

// Role is the role the FE was added with.
func (f *FE) Role() FERole { return f.spec.Role }

// Host is the address the FE is known by in the cluster (SHOW FRONTENDS' IP).
func (f *FE) Host() string { return f.node.Host() }

// QueryAddr is host:port of the MySQL protocol port (query_port).
func (f *FE) QueryAddr() string { return f.node.Addr(FEQueryPort) }

// EditLogAddr is host:edit_log_port as the other nodes reach it, what
// ALTER SYSTEM ADD FOLLOWER and --helper take.
func (f *FE) EditLogAddr() string { return f.node.Host() + ":" + strconv.Itoa(FEEditLogPort) }

// HTTPURL is the base URL of the FE's http_port.
func (f *FE) HTTPURL() string { return "http://" + f.node.Addr(FEHTTPPort) }

// DSN is a go-sql-driver DSN for user on this FE's query port (this FE
// only; Cluster.DSN follows the leader).
func (f *FE) DSN(user, password, db string) string {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = user, password, "tcp", f.QueryAddr(), db
	c.Timeout = 5 * time.Second
	c.InterpolateParams = true
	return c.FormatDSN()
}

// Start starts the FE (again, after Kill or Stop) and waits, up to a
// minute, until it answers queries.
func (f *FE) Start(ctx context.Context) error {
	if err := f.StartNoWait(ctx); err != nil {
		return err
	}
	if err := f.WaitReady(ctx, time.Minute); err != nil {
		return fmt.Errorf("FE %s (%s) not ready: %w\n%s", f.Name(), f.Host(), err, f.LogTail(40))
	}
	return nil
}

// StartNoWait starts the FE and returns at once: for FEs expected to
// refuse to start, or to be waited for later.
func (f *FE) StartNoWait(ctx context.Context) error {
	f.mu.Lock()
	helper := f.helper
	f.mu.Unlock()
	return f.node.Start(ctx, StartOptions{Helper: helper})
}

// StartRestore starts the FE as the leader of a cluster restored from a
// cluster snapshot and waits, up to two minutes, until it answers queries:
// with start_fe.sh --cluster_snapshot, or with viaEnv the Kubernetes
// operator's way, RESTORE_CLUSTER_SNAPSHOT=true in the environment. yaml
// is written to conf/cluster_snapshot.yaml first unless empty (then the
// file the node has is used).
func (f *FE) StartRestore(ctx context.Context, yaml string, viaEnv bool) error {
	if yaml != "" {
		if err := f.node.WriteFile("conf/cluster_snapshot.yaml", []byte(yaml)); err != nil {
			return err
		}
	}
	opts := StartOptions{ClusterSnapshot: !viaEnv}
	if viaEnv {
		opts.Env = []string{"RESTORE_CLUSTER_SNAPSHOT=true"}
	}
	if err := f.node.Start(ctx, opts); err != nil {
		return err
	}
	if err := f.WaitReady(ctx, 2*time.Minute); err != nil {
		return fmt.Errorf("FE %s (%s) restoring: not ready: %w\n%s", f.Name(), f.Host(), err, f.LogTail(40))
	}
	return nil
}

// StartWith starts the FE with opts and returns at once (for starts that
// are expected to fail, or to be waited for with WaitReady).
func (f *FE) StartWith(ctx context.Context, opts StartOptions) error {
	return f.node.Start(ctx, opts)
}

// Restart stops the FE cleanly when it runs, then starts it and waits
// until it answers queries.
func (f *FE) Restart(ctx context.Context) error {
	if f.node.Running() {
		if err := f.node.Stop(); err != nil {
			return err
		}
	}
	return f.Start(ctx)
}

// WriteFile writes a file of the FE's install home (fe/), e.g.
// "conf/cluster_snapshot.yaml".
func (f *FE) WriteFile(rel string, data []byte) error { return f.node.WriteFile(rel, data) }

// WaitReady waits up to timeout until the FE answers SELECT 1 as root; it
// fails at once when the FE ends meanwhile.
func (f *FE) WaitReady(ctx context.Context, timeout time.Duration) error {
	return waitReady(ctx, timeout, f.gone, func() error {
		return pingSQL(ctx, f.DSN("root", "", ""))
	})
}

// gone reports an FE that is not running.
func (f *FE) gone() error {
	if f.node.Running() {
		return nil
	}
	wctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	code, err := f.node.Wait(wctx)
	if err != nil {
		return fmt.Errorf("FE %s is not running", f.Name())
	}
	return fmt.Errorf("FE %s exited (code %d) before it was ready", f.Name(), code)
}

// pingSQL opens a connection and runs SELECT 1, within two seconds.
func pingSQL(ctx context.Context, dsn string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = db.ExecContext(c, "SELECT 1")
	return err
}

// Running reports whether the FE process (or container) is up.
func (f *FE) Running() bool { return f.node.Running() }

// ExitCode waits up to timeout for the FE to end and returns its exit code.
func (f *FE) ExitCode(timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return f.node.Wait(ctx)
}

// Kill ends the FE at once (kill -9), as a crash would.
func (f *FE) Kill() error { return f.node.Kill() }

// Stop shuts the FE down cleanly (SIGTERM).
func (f *FE) Stop() error { return f.node.Stop() }

// Pause freezes the FE (SIGSTOP for a process): a hung node, not a dead one.
func (f *FE) Pause() error { return f.node.Pause() }

// Resume continues a paused FE.
func (f *FE) Resume() error { return f.node.Resume() }

// WipeMeta deletes the FE's meta dir (the FE must be stopped): a machine
// lost with its metadata. Start it again with SetHelper to rejoin.
func (f *FE) WipeMeta() error { return f.node.Wipe() }

// SetHelper sets the --helper the next start passes (host:edit_log_port of
// a live FE), as for an FE rejoining with an empty meta dir.
func (f *FE) SetHelper(addr string) {
	f.mu.Lock()
	f.helper = addr
	f.mu.Unlock()
}

// LogTail returns the last n lines of fe.out and fe.log, for failure messages.
func (f *FE) LogTail(n int) string { return logTail(f.node, n) }

// ReadLog returns fe.log.
func (f *FE) ReadLog() string {
	data, _ := f.node.ReadLog("fe.log")
	return string(data)
}

// PID is the FE's process id when the backend runs processes (0 otherwise
// or when it is not running).
func (f *FE) PID() int { return pidOf(f.node) }

func pidOf(n Node) int {
	if p, ok := n.(interface{ PID() int }); ok {
		return p.PID()
	}
	return 0
}

// Image is one checkpoint file of an FE, known by its name only
// (meta/image/image.<journal id>); the harness never reads its contents.
type Image struct {
	// Name is the file name, image.<JournalID>.
	Name string
	// JournalID is the journal id the image covers.
	JournalID uint64
}

// Images lists the FE's images (meta/image/image.<id>), newest first.
func (f *FE) Images() ([]Image, error) {
	names, err := f.node.ListDir("meta/image")
	if err != nil {
		return nil, err
	}
	var out []Image
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, "image.")
		if !ok {
			continue
		}
		id, err := strconv.ParseUint(rest, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, Image{Name: n, JournalID: id})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JournalID > out[j].JournalID })
	return out, nil
}

// Metric reads one unlabelled gauge or counter from /metrics, e.g.
// starrocks_fe_max_journal_id or starrocks_fe_image_journal_id.
func (f *FE) Metric(name string) (float64, error) {
	resp, err := http.Get(f.HTTPURL() + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// leaderHost asks this FE which FE leads (SHOW FRONTENDS' LEADER row).
func (f *FE) leaderHost(ctx context.Context) (string, error) {
	db, err := sql.Open("mysql", f.DSN("root", "", ""))
	if err != nil {
		return "", err
	}
	defer db.Close()
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rows, err := db.QueryContext(qctx, "SHOW FRONTENDS")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		var ip, role string
		for i, c := range cols {
			switch c {
			case "IP":
				ip = vals[i].String
			case "Role":
				role = vals[i].String
			}
		}
		if role == "LEADER" {
			return ip, rows.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return "", errors.New("FE " + f.Name() + " knows no leader")
}
