package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"minirocks/deploy"
)

// CNOptions configures a compute node started by the harness.
type CNOptions struct {
	// Dir is the install root; Binary the minirocks executable.
	Dir, Binary string
	// Host is the loopback address to use; empty reserves a fresh one.
	Host string
	// Conf is appended to cn.conf.
	Conf string
}

// CN is one compute node process with its install tree (DIR/be).
type CN struct {
	Layout deploy.Layout
	Host   string
	host   *Host
	cmd    *exec.Cmd
	exited chan struct{}
	out    *os.File
}

// DeployCN lays out an install tree for a compute node and writes cn.conf.
func DeployCN(opts CNOptions) (*CN, error) {
	c := &CN{}
	if opts.Host == "" {
		h, err := reserveHost()
		if err != nil {
			return nil, err
		}
		c.host, opts.Host = h, h.Addr
	}
	c.Host = opts.Host
	l, err := deploy.Deploy(opts.Dir, deploy.Options{Binary: opts.Binary,
		CNConfExtra: fmt.Sprintf("\npriority_networks = %s/32\n", opts.Host) + opts.Conf})
	if err != nil {
		c.host.Release()
		return nil, fmt.Errorf("deploy CN: %w", err)
	}
	c.Layout = l
	return c, nil
}

// HeartbeatAddr is host:heartbeat_service_port, what ALTER SYSTEM ADD
// COMPUTE NODE takes.
func (c *CN) HeartbeatAddr() string { return c.Host + ":9050" }

// StorageRoot is storage_root_path (the cache).
func (c *CN) StorageRoot() string { return filepath.Join(c.Layout.BEHome(), "storage") }

// Start runs be/bin/start_cn.sh in the foreground and waits until the node
// answers /api/health.
func (c *CN) Start(ctx context.Context) error {
	cmd := exec.Command(filepath.Join(c.Layout.BEHome(), "bin", "start_cn.sh"))
	cmd.SysProcAttr = childAttr()
	out, err := os.OpenFile(filepath.Join(c.Layout.BEHome(), "log", "cn.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start CN: %w", err)
	}
	c.cmd, c.out = cmd, out
	c.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(cmd, c.exited)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("CN %s exited before it was ready:\n%s", c.Host, c.LogTail(20))
		default:
		}
		resp, err := http.Get("http://" + c.Host + ":8040/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CN %s not ready: %w", c.Host, errors.Join(ctx.Err(), err))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (c *CN) Kill() { c.signal(syscall.SIGKILL) }

// Stop sends SIGTERM and waits for the process to end.
func (c *CN) Stop() { c.signal(syscall.SIGTERM) }

func (c *CN) signal(sig syscall.Signal) {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Signal(sig)
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	}
	if c.out != nil {
		c.out.Close()
		c.out = nil
	}
	_ = os.Remove(c.Layout.CNPidFile())
}

// Close kills the process and releases the host.
func (c *CN) Close() {
	c.Kill()
	c.host.Release()
}

// WipeStorage deletes storage_root_path (the node must be stopped).
func (c *CN) WipeStorage() error { return os.RemoveAll(c.StorageRoot()) }

// LogTail returns the end of cn.log and cn.out.
func (c *CN) LogTail(n int) string {
	var b strings.Builder
	for _, name := range []string{"cn.out", "cn.log"} {
		data, err := os.ReadFile(filepath.Join(c.Layout.BEHome(), "log", name))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		fmt.Fprintf(&b, "--- %s ---\n%s\n", name, strings.Join(lines, "\n"))
	}
	return b.String()
}

// PID is the node's process id (0 when not running).
func (c *CN) PID() int {
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}
