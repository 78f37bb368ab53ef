package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// This file cuts the network between nodes: a partition, the fault that
// separate hosts make possible. Only a backend whose nodes have hosts of
// their own on a network this machine routes can do it (the docker
// backend); the process backend's loopback hosts share one kernel path.

// Partitioner is a backend that can drop the traffic between nodes.
type Partitioner interface {
	// Cut drops every packet between each host of a and each host of b,
	// both ways, established connections included, until the returned
	// heal is called.
	Cut(ctx context.Context, a, b []string) (heal func() error, err error)
}

// Addressed is a node with a host of its own (*FE, *CN).
type Addressed interface {
	Name() string
	Host() string
}

// Partition cuts the nodes of side off from every other FE and compute
// node of the cluster (the object storage stays reachable from both
// sides; the test program reaches every node). heal joins them again.
// The backend must be a Partitioner (the docker backend).
func (c *Cluster) Partition(ctx context.Context, side ...Addressed) (heal func() error, err error) {
	p, ok := c.cfg.backend.(Partitioner)
	if !ok {
		return nil, fmt.Errorf("partition: the %s backend cannot cut the network between nodes; use the docker backend", c.cfg.backend.Name())
	}
	in := map[string]bool{}
	var a, b []string
	for _, n := range side {
		in[n.Host()] = true
		a = append(a, n.Host())
	}
	for _, f := range c.FEs() {
		if !in[f.Host()] {
			b = append(b, f.Host())
		}
	}
	for _, n := range c.CNs() {
		if !in[n.Host()] {
			b = append(b, n.Host())
		}
	}
	if len(a) == 0 || len(b) == 0 {
		return nil, errors.New("partition: both sides need a node")
	}
	return p.Cut(ctx, a, b)
}

// PartitionFromStorage cuts the nodes of side off from the cluster's
// object storage (its MinIO); the nodes still reach each other. heal
// joins them again. The backend must be a Partitioner.
func (c *Cluster) PartitionFromStorage(ctx context.Context, side ...Addressed) (heal func() error, err error) {
	p, ok := c.cfg.backend.(Partitioner)
	if !ok {
		return nil, fmt.Errorf("partition: the %s backend cannot cut the network between nodes; use the docker backend", c.cfg.backend.Name())
	}
	if c.minio == nil {
		return nil, errors.New("partition: the cluster has no MinIO of its own")
	}
	host, _, err := net.SplitHostPort(c.minio.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("partition: MinIO endpoint %q: %w", c.minio.Endpoint, err)
	}
	var a []string
	for _, n := range side {
		a = append(a, n.Host())
	}
	if len(a) == 0 {
		return nil, errors.New("partition: no node to cut off")
	}
	b := []string{host}
	if c.proxy != nil { // the nodes reach the storage through the fault proxy
		b = append(b, c.proxy.Addr())
	}
	return p.Cut(ctx, a, b)
}

// PartitionsAvailable tells why partitions cannot be made on this
// machine (nil when they can): they need iptables with the engine's
// DOCKER-USER chain, the permission to change it (root), and the bridge's
// netfilter on, so that traffic between containers passes the chain.
func PartitionsAvailable(ctx context.Context) error {
	if _, err := exec.LookPath("iptables"); err != nil {
		return errors.New("partitions need iptables on this machine")
	}
	if os.Geteuid() != 0 {
		return errors.New("partitions need root (they change the firewall)")
	}
	if err := exec.CommandContext(ctx, "iptables", "-w", "-S", "DOCKER-USER").Run(); err != nil {
		return fmt.Errorf("partitions need the Docker engine's DOCKER-USER iptables chain: %v", err)
	}
	b, err := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables")
	if err != nil || strings.TrimSpace(string(b)) != "1" {
		return errors.New("partitions need net.bridge.bridge-nf-call-iptables = 1 (the bridge's traffic through iptables)")
	}
	return nil
}

// iptablesComment marks the rules of one docker backend: the run and the
// pid of the program, so leftovers of ended runs are found.
func (b *DockerBackend) iptablesComment() string {
	return "minirocks:" + b.run + ":" + strconv.Itoa(os.Getpid())
}

// cutChains are the iptables chains Cut puts rules in: DOCKER-USER for
// traffic between containers, INPUT for a container's connections to a
// listener of this machine.
var cutChains = []string{"DOCKER-USER", "INPUT"}

// Cut implements Partitioner with DROP rules in the DOCKER-USER chain,
// which the engine consults first for traffic between containers (with
// the bridge's netfilter on, as Docker sets it). An entry of c that
// names a port ("host:port") is a listener of this machine, such as the
// storage fault proxy on the bridge's gateway: the nodes' packets to
// that port are dropped in the INPUT chain (this program's own traffic
// to the nodes stays). It needs root and iptables on this machine.
func (b *DockerBackend) Cut(ctx context.Context, a, c []string) (func() error, error) {
	type rule struct {
		chain string
		spec  []string
	}
	var rules []rule
	for _, x := range a {
		for _, y := range c {
			if host, port, err := net.SplitHostPort(y); err == nil {
				rules = append(rules, rule{"INPUT", []string{"-s", x, "-d", host, "-p", "tcp", "--dport", port}})
				continue
			}
			rules = append(rules, rule{"DOCKER-USER", []string{"-s", x, "-d", y}}, rule{"DOCKER-USER", []string{"-s", y, "-d", x}})
		}
	}
	args := func(op string, r rule) []string {
		return append(append([]string{op, r.chain}, r.spec...), "-j", "DROP", "-m", "comment", "--comment", b.iptablesComment())
	}
	var added []rule
	del := func() error {
		var errs []error
		for _, r := range added {
			if err := iptables(ctx, args("-D", r)...); err != nil {
				errs = append(errs, err)
			}
		}
		added = nil
		return errors.Join(errs...)
	}
	for _, r := range rules {
		if err := iptables(ctx, args("-I", r)...); err != nil {
			_ = del()
			return nil, fmt.Errorf("partition: %w", err)
		}
		added = append(added, r)
	}
	b.mu.Lock()
	b.cuts++
	b.mu.Unlock()
	var once sync.Once
	var herr error
	return func() error {
		once.Do(func() { herr = del() })
		return herr
	}, nil
}

// iptables runs iptables with args.
func iptables(ctx context.Context, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "iptables", append([]string{"-w"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// removeCuts deletes the partition rules of this backend (all) or, with
// leftoversOnly, those of ended programs. Without iptables there is
// nothing to remove.
func (b *DockerBackend) removeCuts(ctx context.Context, leftoversOnly bool) error {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil
	}
	var lines []string
	for _, chain := range cutChains {
		out, err := exec.CommandContext(ctx, "iptables", "-w", "-S", chain).Output()
		if err != nil {
			continue // no chain, or no permission: no rule of ours either
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "-A "+chain+" ") {
				lines = append(lines, line)
			}
		}
	}
	var errs []error
	for _, line := range lines {
		i := strings.Index(line, `--comment minirocks:`)
		if i < 0 {
			continue
		}
		parts := strings.Split(strings.Fields(line[i+len("--comment "):])[0], ":")
		if len(parts) != 3 {
			continue
		}
		mine := parts[1] == b.run
		pid, _ := strconv.Atoi(parts[2])
		ended := pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH
		if (leftoversOnly && !ended) || (!leftoversOnly && !mine) {
			continue
		}
		args := append([]string{"-D"}, strings.Fields(strings.TrimPrefix(line, "-A "))...)
		if err := iptables(ctx, args...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
