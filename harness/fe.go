package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/minirocks/minirocks/deploy"
)

// FEOptions configures an FE started by the harness.
type FEOptions struct {
	// Dir is the install root (deploy DIR); empty means a test temp dir.
	Dir string
	// Host is the loopback address to use; empty reserves a fresh one.
	Host string
	// Conf is appended to fe.conf (after the harness' own keys, so it wins).
	Conf string
	// Helper is passed as --helper.
	Helper string
	// Binary is the minirocks executable; empty means Binary(tb).
	Binary string
	// S3Path is aws_s3_path (bucket/prefix); empty derives one from the name.
	S3Path string
	// Name labels the node in messages and the default S3 path.
	Name string
	// S3Endpoint, S3AccessKey and S3SecretKey configure the builtin storage
	// volume; empty means the Test* constants (an endpoint nothing serves).
	S3Endpoint, S3AccessKey, S3SecretKey string
}

// FE is one frontend process with its install tree.
type FE struct {
	Layout deploy.Layout
	Host   string
	opts   FEOptions
	host   *Host
	proc   process
}

// S3 settings written into every harness fe.conf. Nothing talks to this
// endpoint until compute nodes exist; the secret is recognisable so tests
// can check that it never leaks into logs or SHOW output.
const (
	TestS3Endpoint  = "127.0.0.1:1"
	TestS3AccessKey = "minirocks-test-access"
	TestS3SecretKey = "minirocks-test-SECRET-do-not-print"
)

// DeployFE lays out an install tree for an FE and writes its fe.conf; it
// does not start the process. opts.Dir and opts.Binary must be set.
func DeployFE(opts FEOptions) (*FE, error) {
	f := &FE{opts: opts}
	if opts.Host == "" {
		h, err := reserveHost()
		if err != nil {
			return nil, err
		}
		f.host = h
		opts.Host = h.Addr
	}
	f.Host = opts.Host
	s3path := opts.S3Path
	if s3path == "" {
		s3path = "minirocks-test/" + strings.NewReplacer("/", "_", " ", "_").Replace(opts.Name)
	}
	endpoint, ak, sk := TestS3Endpoint, TestS3AccessKey, TestS3SecretKey
	if opts.S3Endpoint != "" {
		endpoint, ak, sk = opts.S3Endpoint, opts.S3AccessKey, opts.S3SecretKey
	}
	conf := fmt.Sprintf(`
priority_networks = %s/32
aws_s3_path = %s
aws_s3_endpoint = %s
aws_s3_region = us-east-1
aws_s3_access_key = %s
aws_s3_secret_key = %s
`, opts.Host, s3path, endpoint, ak, sk) + opts.Conf
	l, err := deploy.Deploy(opts.Dir, deploy.Options{Binary: opts.Binary, FEConfExtra: conf})
	if err != nil {
		f.host.Release()
		return nil, fmt.Errorf("deploy FE: %w", err)
	}
	f.Layout = l
	f.opts = opts
	return f, nil
}

// NewFE deploys an FE under a test temp dir; the test's cleanup kills it.
func NewFE(tb testing.TB, opts FEOptions) *FE {
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
	f, err := DeployFE(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	return f
}

// StartFE deploys and starts an FE for a test and waits until it answers
// queries.
func StartFE(tb testing.TB, opts FEOptions) *FE {
	tb.Helper()
	f := NewFE(tb, opts)
	if err := f.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return f
}

// Close kills the process and releases the host reservation.
func (f *FE) Close() {
	f.Kill()
	f.host.Release()
}

// Start runs bin/start_fe.sh in the foreground (the script execs the
// binary, so the harness holds the FE process itself) and waits, up to a
// minute, until the FE answers queries.
func (f *FE) Start(ctx context.Context) error {
	if err := f.StartNoWait(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := f.WaitReady(ctx); err != nil {
		return fmt.Errorf("FE %s not ready: %w\n%s", f.Host, err, f.LogTail(40))
	}
	return nil
}

// StartNoWait starts the process and returns at once.
func (f *FE) StartNoWait() error {
	args := []string{}
	if f.opts.Helper != "" {
		args = append(args, "--helper", f.opts.Helper)
	}
	return f.proc.start(filepath.Join(f.Layout.FEHome(), "bin", "start_fe.sh"), args, filepath.Join(f.Layout.FEHome(), "log", "fe.out"))
}

// Exited reports whether the process has ended, and is closed when it does.
func (f *FE) Exited() <-chan struct{} { return f.proc.exited }

// ExitCode waits for the process to end and returns its exit code.
func (f *FE) ExitCode(timeout time.Duration) (int, error) {
	select {
	case <-f.proc.exited:
		return f.proc.exitCode(), nil
	case <-time.After(timeout):
		return 0, errors.New("FE still running")
	}
}

// WaitReady waits until the FE answers SELECT 1 as root.
func (f *FE) WaitReady(ctx context.Context) error {
	var last error
	for {
		if f.proc.hasExited() {
			return fmt.Errorf("FE exited (code %d) before it was ready", f.proc.exitCode())
		}
		db, err := sql.Open("mysql", f.DSN("root", "", ""))
		if err == nil {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = db.PingContext(c)
			if err == nil {
				_, err = db.ExecContext(c, "SELECT 1")
			}
			cancel()
			db.Close()
		}
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (f *FE) Kill() { f.signal(syscall.SIGKILL) }

// Stop sends SIGTERM (a clean shutdown) and waits for the process to end.
func (f *FE) Stop() { f.signal(syscall.SIGTERM) }

func (f *FE) signal(sig syscall.Signal) { f.proc.signal(sig, 60*time.Second, f.Layout.FEPidFile()) }

// Restart starts the process again after it ended (Kill or Stop first).
func (f *FE) Restart(tb testing.TB) {
	tb.Helper()
	if err := f.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// DSN is a go-sql-driver DSN for user on this FE's query port.
func (f *FE) DSN(user, password, db string) string {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = user, password, "tcp", f.Host+":9030", db
	c.Timeout = 5 * time.Second
	c.InterpolateParams = true
	return c.FormatDSN()
}

// DB opens a connection pool as root.
func (f *FE) DB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("mysql", f.DSN("root", "", ""))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// LogTail returns the last n lines of fe.log and fe.out, for failure messages.
func (f *FE) LogTail(n int) string {
	return logTail(filepath.Join(f.Layout.FEHome(), "log"), n, "fe.out", "fe.log")
}

// ReadLog returns fe.log.
func (f *FE) ReadLog() string {
	data, _ := os.ReadFile(filepath.Join(f.Layout.FEHome(), "log", "fe.log"))
	return string(data)
}

// MetaDir is the FE's meta_dir.
func (f *FE) MetaDir() string { return f.Layout.FEMetaDir() }

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
	return "", fmt.Errorf("FE %s knows no leader", f.Host)
}

// WipeMeta deletes the FE's meta_dir (the FE must be stopped): a machine
// lost with its metadata.
func (f *FE) WipeMeta() error { return os.RemoveAll(f.MetaDir()) }

// EditLogAddr is host:edit_log_port, what ALTER SYSTEM ADD FOLLOWER and
// --helper take.
func (f *FE) EditLogAddr() string { return f.Host + ":9010" }

// SetHelper sets the --helper the next Start passes.
func (f *FE) SetHelper(addr string) { f.opts.Helper = addr }

// HTTPURL is the base URL of the FE's http_port.
func (f *FE) HTTPURL() string { return "http://" + f.Host + ":8030" }

// Metric reads one unlabelled gauge or counter from /metrics.
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

// PID is the FE's process id (0 when not running).
func (f *FE) PID() int { return f.proc.pid() }
