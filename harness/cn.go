package harness

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The StarRocks standard ports of a compute node.
const (
	CNHeartbeatPort = 9050
	CNBEPort        = 9060
	CNHTTPPort      = 8040
	CNBRPCPort      = 8060
)

// CN is one compute node of a cluster: a Node of the cluster's backend
// plus its readiness check (/api/health).
type CN struct {
	node Node
	spec CNSpec
}

// Node is the backend's handle on this CN.
func (c *CN) Node() Node { return c.node }

// Name is the CN's name in its cluster ("cn1").
func (c *CN) Name() string { return c.spec.Name }

// Host is the address the CN is known by in the cluster.
func (c *CN) Host() string { return c.node.Host() }

// HeartbeatAddr is host:heartbeat_service_port, what ALTER SYSTEM ADD
// COMPUTE NODE takes.
func (c *CN) HeartbeatAddr() string { return c.node.Host() + ":" + strconv.Itoa(CNHeartbeatPort) }

// HTTPURL is the base URL of the CN's webserver port.
func (c *CN) HTTPURL() string { return "http://" + c.node.Addr(CNHTTPPort) }

// Start starts the CN (again, after Kill or Stop) and waits, up to 30 s,
// until it answers /api/health.
func (c *CN) Start(ctx context.Context) error {
	if err := c.node.Start(ctx, StartOptions{}); err != nil {
		return fmt.Errorf("start CN %s: %w", c.Name(), err)
	}
	gone := func() error {
		if c.node.Running() {
			return nil
		}
		return fmt.Errorf("CN %s exited before it was ready:\n%s", c.Name(), c.LogTail(20))
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	err := waitReady(ctx, 30*time.Second, gone, func() error {
		resp, err := hc.Get(c.HTTPURL() + "/api/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/api/health: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("CN %s (%s) not ready: %w", c.Name(), c.Host(), err)
	}
	return nil
}

// Restart stops the CN cleanly when it runs, then starts it and waits
// until it is healthy.
func (c *CN) Restart(ctx context.Context) error {
	if c.node.Running() {
		if err := c.node.Stop(); err != nil {
			return err
		}
	}
	return c.Start(ctx)
}

// Running reports whether the CN is up.
func (c *CN) Running() bool { return c.node.Running() }

// Kill ends the CN at once (kill -9).
func (c *CN) Kill() error { return c.node.Kill() }

// Stop shuts the CN down cleanly (SIGTERM).
func (c *CN) Stop() error { return c.node.Stop() }

// Pause freezes the CN (SIGSTOP for a process).
func (c *CN) Pause() error { return c.node.Pause() }

// Resume continues a paused CN.
func (c *CN) Resume() error { return c.node.Resume() }

// WipeStorage deletes storage_root_path, the node's cache (the node must
// be stopped): a compute node's disk lost.
func (c *CN) WipeStorage() error { return c.node.Wipe() }

// LogTail returns the end of cn.out and cn.log.
func (c *CN) LogTail(n int) string { return logTail(c.node, n) }

// PID is the node's process id when the backend runs processes (0
// otherwise or when it is not running).
func (c *CN) PID() int { return pidOf(c.node) }
