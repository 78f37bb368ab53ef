package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/minirocks/minirocks/deploy"
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
	proc   process
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
	if err := c.proc.start(filepath.Join(c.Layout.BEHome(), "bin", "start_cn.sh"), nil, filepath.Join(c.Layout.BEHome(), "log", "cn.out")); err != nil {
		return fmt.Errorf("start CN: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if c.proc.hasExited() {
			return fmt.Errorf("CN %s exited before it was ready:\n%s", c.Host, c.LogTail(20))
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

func (c *CN) signal(sig syscall.Signal) { c.proc.signal(sig, 30*time.Second, c.Layout.CNPidFile()) }

// Close kills the process and releases the host.
func (c *CN) Close() {
	c.Kill()
	c.host.Release()
}

// WipeStorage deletes storage_root_path (the node must be stopped).
func (c *CN) WipeStorage() error { return os.RemoveAll(c.StorageRoot()) }

// LogTail returns the end of cn.out and cn.log.
func (c *CN) LogTail(n int) string {
	return logTail(filepath.Join(c.Layout.BEHome(), "log"), n, "cn.out", "cn.log")
}

// PID is the node's process id (0 when not running).
func (c *CN) PID() int { return c.proc.pid() }
