package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/minirocks/minirocks/volume"
)

// MinIORegion is the region every harness MinIO answers for.
const MinIORegion = "us-east-1"

// minioPort is the port a harness MinIO prefers on its loopback host (the
// MinIO default); minioConsolePort is checked too because operators expect
// the console there, although the harness runs MinIO with it disabled.
const (
	minioPort        = 9000
	minioConsolePort = 9001
)

// MinIO is one MinIO server process with a single drive directory, bound
// to a loopback host. Stop/Start make an outage that heals (same
// directory, same address, the data survives); Kill is kill -9.
type MinIO struct {
	// Endpoint is host:port of the S3 API (plain HTTP).
	Endpoint string
	// Host is the loopback address MinIO listens on.
	Host string
	// AccessKey and SecretKey are the root credentials. The secret is
	// random per instance, so tests can check it never leaks.
	AccessKey, SecretKey string
	// Dir holds data/ (the drive), certs/ and minio.log.
	Dir string
	// Binary is the minio executable.
	Binary string
	// NodeEndpoint is host:port of the S3 API as the cluster's nodes reach
	// it, when that differs from Endpoint (a MinIO container reached by
	// name on the nodes' network); empty means Endpoint.
	NodeEndpoint string

	// runner runs the server elsewhere than as a child process (a
	// backend's container); nil for a child process.
	runner minioRunner

	host *Host // our reservation; nil when the caller chose the host

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
	client *minio.Client
}

// MinIOBinary finds the MinIO server executable: $MINIROCKS_MINIO, else
// <module root>/.tools/bin/minio (what `make setup` installs), else
// $(go env GOPATH)/bin/minio.
func MinIOBinary() (string, error) {
	var tried []string
	try := func(p, why string) bool {
		if p == "" {
			return false
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return true
		}
		tried = append(tried, p+why)
		return false
	}
	if p := os.Getenv("MINIROCKS_MINIO"); try(p, " ($MINIROCKS_MINIO)") {
		return p, nil
	}
	if root, err := ModuleRoot(context.Background()); err == nil {
		if p := filepath.Join(root, ".tools", "bin", "minio"); try(p, "") {
			return p, nil
		}
	}
	if gp := minioGoPath(); gp != "" {
		if p := filepath.Join(gp, "bin", "minio"); try(p, "") {
			return p, nil
		}
	}
	return "", fmt.Errorf("MinIO server binary not found (looked for %s); run `make setup` to install the pinned MinIO into .tools/bin, or set MINIROCKS_MINIO",
		strings.Join(tried, ", "))
}

// minioGoPath is the first entry of `go env GOPATH`, or $GOPATH / ~/go without a go tool.
func minioGoPath() string {
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		if l := filepath.SplitList(strings.TrimSpace(string(out))); len(l) > 0 && l[0] != "" {
			return l[0]
		}
	}
	if l := filepath.SplitList(os.Getenv("GOPATH")); len(l) > 0 && l[0] != "" {
		return l[0]
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go")
	}
	return ""
}

// LaunchMinIO starts MinIO with its drive under dir and waits, up to a
// minute, until it serves requests: NewMinIO then Start.
func LaunchMinIO(dir, binary, host string) (*MinIO, error) {
	m, err := NewMinIO(dir, binary, host)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// NewMinIO prepares a MinIO with its drive under dir, not started, with
// fresh random root credentials (set AccessKey and SecretKey before Start
// to choose them). binary "" means MinIOBinary(). host "" reserves a fresh
// loopback host (released by Close); MinIO listens on port 9000 of the
// host, or on another free port when 9000 or 9001 is taken there. Output
// goes to dir/minio.log.
func NewMinIO(dir, binary, host string) (*MinIO, error) {
	if binary == "" {
		b, err := MinIOBinary()
		if err != nil {
			return nil, err
		}
		binary = b
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("MinIO dir: %w", err)
	}
	m := &MinIO{Dir: abs, Binary: binary, AccessKey: "minirocks-" + minioRandomHex(4), SecretKey: "mrsecret-" + minioRandomHex(16)}
	if host == "" {
		h, err := ReserveHost()
		if err != nil {
			return nil, fmt.Errorf("reserve a loopback host for MinIO: %w", err)
		}
		m.host, host = h, h.Addr
	}
	port, err := pickMinIOPort(host)
	if err != nil {
		m.host.Release()
		return nil, err
	}
	m.Host = host
	m.Endpoint = net.JoinHostPort(host, strconv.Itoa(port))
	return m, nil
}

// pickMinIOPort returns 9000 when 9000 and 9001 are free on host, else a
// free ephemeral port of host.
func pickMinIOPort(host string) (int, error) {
	free := true
	for _, p := range []int{minioPort, minioConsolePort} {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			free = false
			break
		}
		l.Close()
	}
	if free {
		return minioPort, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("no free port for MinIO on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start runs the server (again: same dir, address and credentials) and
// waits, until ctx ends, for /minio/health/live to answer with the object
// layer initialised.
func (m *MinIO) Start(ctx context.Context) error {
	if m.runner != nil {
		exited, err := m.runner.start(ctx, m)
		if err != nil {
			return err
		}
		if err := m.waitLive(ctx, exited); err != nil {
			return fmt.Errorf("MinIO %s not ready: %w\n%s", m.Endpoint, err, m.LogTail(30))
		}
		return nil
	}
	m.mu.Lock()
	if m.cmd != nil {
		select {
		case <-m.exited:
		default:
			m.mu.Unlock()
			return fmt.Errorf("MinIO %s is already running", m.Endpoint)
		}
	}
	logf, err := os.OpenFile(filepath.Join(m.Dir, "minio.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	fmt.Fprintf(logf, "=== minirocks harness: starting MinIO on %s at %s\n", m.Endpoint, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(m.Binary, "server",
		"--address", m.Endpoint,
		"--quiet",
		"--certs-dir", filepath.Join(m.Dir, "certs"),
		filepath.Join(m.Dir, "data"))
	cmd.SysProcAttr = childAttr()
	cmd.Dir = m.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(minioFreeEnv(),
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey, // in the environment, not argv: ps never shows it
		"MINIO_CI_CD=1",                    // no root-drive checks, quicker start
		"MINIO_BROWSER=off",                // no console listener
		"MINIO_UPDATE=off",
		"MINIO_SITE_REGION="+MinIORegion,
	)
	if err := cmd.Start(); err != nil {
		logf.Close()
		m.mu.Unlock()
		return fmt.Errorf("start MinIO %s: %w", m.Binary, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	m.cmd, m.exited, m.log = cmd, exited, logf
	m.mu.Unlock()

	if err := m.waitLive(ctx, exited); err != nil {
		return fmt.Errorf("MinIO %s not ready: %w\n%s", m.Endpoint, err, m.LogTail(30))
	}
	return nil
}

// minioFreeEnv is the process environment without MINIO_* variables, so
// a developer's own MinIO settings cannot change the harness' server.
func minioFreeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	return env
}

func (m *MinIO) waitLive(ctx context.Context, exited <-chan struct{}) error {
	hc := &http.Client{Timeout: time.Second}
	url := "http://" + m.Endpoint + "/minio/health/live"
	gone := func() error {
		select {
		case <-exited:
			return fmt.Errorf("MinIO exited (%v) before it was ready", m.exitState())
		default:
			return nil
		}
	}
	return waitReady(ctx, time.Hour, gone, func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode != http.StatusOK:
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		case resp.Header.Get("X-Minio-Server-Status") == "offline":
			return errors.New("object layer not initialised yet")
		}
		return m.iamReady(ctx)
	})
}

// iamReady tells whether MinIO's IAM subsystem answers: until it does, a
// request signed with credentials other than the root's gets
// XMinioIAMNotInitialized instead of an access denial, which a test or a
// drill about wrong credentials would take for another failure. A probe
// with a key no one has must be refused as unknown.
func (m *MinIO) iamReady(ctx context.Context) error {
	c, err := minio.New(m.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4("minirocks-iam-probe", "minirocks-iam-probe", ""),
		Region:       MinIORegion,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
	})
	if err != nil {
		return err
	}
	_, err = c.BucketExists(ctx, "minirocks-iam-probe")
	if code := minio.ToErrorResponse(err).Code; code == "XMinioIAMNotInitialized" || err == nil {
		return fmt.Errorf("IAM not initialised yet (%v)", err)
	}
	return nil
}

func (m *MinIO) exitState() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil && m.cmd.ProcessState != nil {
		return m.cmd.ProcessState.String()
	}
	return "unknown state"
}

// PID is the server's process id (0 when it is not running).
func (m *MinIO) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil || m.cmd.Process == nil {
		return 0
	}
	return m.cmd.Process.Pid
}

// Running reports whether the server process is alive.
func (m *MinIO) Running() bool {
	if m.runner != nil {
		return m.runner.running()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// Stop shuts MinIO down cleanly (SIGTERM, SIGKILL after 15 s) and waits
// for the process to end. The data and the address are kept for Start.
func (m *MinIO) Stop() error { return m.signal(syscall.SIGTERM, 15*time.Second) }

// Kill is kill -9: the process ends at once, in the middle of whatever it
// was doing.
func (m *MinIO) Kill() { _ = m.signal(syscall.SIGKILL, 15*time.Second) }

// Pause freezes the server (SIGSTOP): connections stay open and every
// request hangs until Resume, as object storage that stalls does.
func (m *MinIO) Pause() error { return m.sendOnly(syscall.SIGSTOP) }

// Resume lets a paused server go on (SIGCONT).
func (m *MinIO) Resume() error { return m.sendOnly(syscall.SIGCONT) }

func (m *MinIO) sendOnly(sig syscall.Signal) error {
	if m.runner != nil {
		return m.runner.signal(sig)
	}
	m.mu.Lock()
	cmd := m.cmd
	m.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return fmt.Errorf("MinIO %s is not running", m.Endpoint)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal MinIO %s with %s: %w", m.Endpoint, sig, err)
	}
	return nil
}

func (m *MinIO) signal(sig syscall.Signal, grace time.Duration) error {
	if m.runner != nil {
		return m.runner.signal(sig)
	}
	m.mu.Lock()
	cmd, exited, logf := m.cmd, m.exited, m.log
	m.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	var err error
	select {
	case <-exited:
	default:
		if e := cmd.Process.Signal(sig); e != nil && !errors.Is(e, os.ErrProcessDone) {
			err = fmt.Errorf("signal MinIO %s: %w", m.Endpoint, e)
		}
		select {
		case <-exited:
		case <-time.After(grace):
			_ = cmd.Process.Kill()
			<-exited
			err = fmt.Errorf("MinIO %s did not stop within %s after %s; killed", m.Endpoint, grace, sig)
		}
	}
	m.mu.Lock()
	if m.log == logf && logf != nil {
		logf.Close()
		m.log = nil
	}
	m.mu.Unlock()
	return err
}

// Close kills MinIO and releases its loopback host. The directory stays.
func (m *MinIO) Close() {
	if m.runner != nil {
		m.runner.close()
		return
	}
	m.Kill()
	m.host.Release()
}

// LogTail returns the last n lines of minio.log, for failure messages.
func (m *MinIO) LogTail(n int) string {
	if m.runner != nil {
		return m.runner.logTail(n)
	}
	data, err := os.ReadFile(filepath.Join(m.Dir, "minio.log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- minio.log ---\n" + strings.Join(lines, "\n") + "\n"
}

// VolumeProps are the storage-volume properties (aws.s3.*) that reach
// this MinIO with its root credentials.
func (m *MinIO) VolumeProps() map[string]string {
	return map[string]string{
		volume.PropEndpoint:   "http://" + m.Endpoint,
		volume.PropRegion:     MinIORegion,
		volume.PropAccessKey:  m.AccessKey,
		volume.PropSecretKey:  m.SecretKey,
		volume.PropPathStyle:  "true",
		volume.PropUseDefault: "false",
	}
}

// Location is s3://bucket/prefix (prefix may be empty), a storage volume
// location on this MinIO.
func (m *MinIO) Location(bucket, prefix string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return "s3://" + bucket
	}
	return "s3://" + bucket + "/" + prefix
}

func (m *MinIO) adminClient() (*minio.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client != nil {
		return m.client, nil
	}
	c, err := minio.New(m.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""),
		Region:       MinIORegion,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   3,
	})
	if err != nil {
		return nil, err
	}
	m.client = c
	return c, nil
}

// CreateBucket makes a bucket; one that already exists is an error.
func (m *MinIO) CreateBucket(ctx context.Context, name string) error {
	c, err := m.adminClient()
	if err == nil {
		err = c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: MinIORegion})
	}
	if err != nil {
		return fmt.Errorf("create bucket %s on MinIO %s: %s", name, m.Endpoint, strings.ReplaceAll(err.Error(), m.SecretKey, "******"))
	}
	return nil
}

// minioBucketInvalid matches what a bucket name may not hold.
var minioBucketInvalid = regexp.MustCompile(`[^a-z0-9-]+`)

// NewBucket creates a bucket whose name starts with base (lowered, cut to
// 40 characters), unique across callers, processes and MinIO instances,
// and returns its name.
func (m *MinIO) NewBucket(ctx context.Context, base string) (string, error) {
	base = strings.Trim(minioBucketInvalid.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if len(base) > 40 {
		base = strings.TrimRight(base[:40], "-")
	}
	if base == "" {
		base = "bucket"
	}
	name := fmt.Sprintf("%s-%s", base, minioRandomHex(5))
	if err := m.CreateBucket(ctx, name); err != nil {
		return "", fmt.Errorf("%v\n%s", err, m.LogTail(20))
	}
	return name, nil
}

func minioRandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// minioRunner runs a MinIO server for a backend that does not run it as a
// child process of this program (the docker backend's container).
type minioRunner interface {
	// start launches the server with m's dir and credentials; the channel
	// is closed when that run ends.
	start(ctx context.Context, m *MinIO) (<-chan struct{}, error)
	// signal is SIGTERM (stop, waiting), SIGKILL (kill, waiting),
	// SIGSTOP (pause) or SIGCONT (resume).
	signal(sig syscall.Signal) error
	running() bool
	logTail(n int) string
	// close ends the server and removes what runs it.
	close()
}
