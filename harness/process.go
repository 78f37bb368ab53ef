package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minirocks/minirocks/deploy"
)

// ProcessBackend runs every node as a child process of this program on a
// loopback host of its own (127.x.y.z, reserved with ReserveHost), in a
// StarRocks install tree laid out by package deploy and started with its
// start_fe.sh / start_cn.sh in the foreground (the scripts exec the
// binary, so the child is the node itself). On Linux the children die
// with this program. It is the default backend.
type ProcessBackend struct{}

// Name is "process".
func (ProcessBackend) Name() string { return "process" }

// NewFE reserves a loopback host, deploys an install tree in spec.Dir and
// writes fe.conf: priority_networks for the host, then spec.Conf.
func (ProcessBackend) NewFE(_ context.Context, spec FESpec) (Node, error) {
	return newProcessNode(spec.NodeSpec, true, spec.Helper, spec.Conf)
}

// NewCN reserves a loopback host, deploys an install tree in spec.Dir and
// writes cn.conf: priority_networks for the host, then spec.Conf.
func (ProcessBackend) NewCN(_ context.Context, spec CNSpec) (Node, error) {
	return newProcessNode(spec.NodeSpec, false, "", spec.Conf)
}

func newProcessNode(spec NodeSpec, fe bool, helper, conf string) (*processNode, error) {
	if spec.Dir == "" || spec.Binary == "" {
		return nil, errors.New("process backend: a node needs a dir and a binary")
	}
	h, err := ReserveHost()
	if err != nil {
		return nil, err
	}
	conf = fmt.Sprintf("\npriority_networks = %s/32\n", h.Addr) + conf
	dopts := deploy.Options{Binary: spec.Binary}
	if fe {
		dopts.FEConfExtra = conf
	} else {
		dopts.CNConfExtra = conf
	}
	l, err := deploy.Deploy(spec.Dir, dopts)
	if err != nil {
		h.Release()
		return nil, fmt.Errorf("deploy %s: %w", spec.Name, err)
	}
	return &processNode{spec: spec, fe: fe, host: h, layout: l, helper: helper}, nil
}

// processNode is one FE or CN child process with its install tree.
type processNode struct {
	spec   NodeSpec
	fe     bool
	host   *Host
	layout deploy.Layout
	helper string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *os.File
	// exited is closed when the current run has ended.
	exited chan struct{}
}

// Name, Host and Addr implement Node: a process is reached on its own loopback host.
func (n *processNode) Name() string         { return n.spec.Name }
func (n *processNode) Host() string         { return n.host.Addr }
func (n *processNode) Addr(port int) string { return n.host.Addr + ":" + strconv.Itoa(port) }

// home is the node's StarRocks home: DIR/fe or DIR/be.
func (n *processNode) home() string {
	if n.fe {
		return n.layout.FEHome()
	}
	return n.layout.BEHome()
}

func (n *processNode) pidFile() string {
	if n.fe {
		return n.layout.FEPidFile()
	}
	return n.layout.CNPidFile()
}

// LogNames implements Node: the start script's output and the node's own log.
func (n *processNode) LogNames() []string {
	if n.fe {
		return []string{"fe.out", "fe.log"}
	}
	return []string{"cn.out", "cn.log"}
}

// ReadLog implements Node: a file of the install tree's log dir.
func (n *processNode) ReadLog(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(n.home(), "log", filepath.Base(name)))
}

// WriteFile implements Node on the install tree's fe/ or be/ directory.
func (n *processNode) WriteFile(rel string, data []byte) error {
	return writeTreeFile(n.home(), rel, data)
}

// ListDir implements Node on the install tree's fe/ or be/ directory.
func (n *processNode) ListDir(rel string) ([]string, error) { return listTreeDir(n.home(), rel) }

// writeTreeFile writes rel (slash-separated) under a node's home, only
// for its owner (conf files may hold secrets): the file side of Node for
// every backend whose install trees are on this machine.
func writeTreeFile(home, rel string, data []byte) error {
	path := filepath.Join(home, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// listTreeDir names the entries of rel under a node's home; a directory
// that does not exist is empty.
func listTreeDir(home, rel string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(home, filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

// Start runs the start script in the foreground with output appended to
// log/fe.out or log/cn.out.
func (n *processNode) Start(_ context.Context, opts StartOptions) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.runningLocked() {
		return fmt.Errorf("%s is already running", n.spec.Name)
	}
	script, outName := filepath.Join(n.home(), "bin", "start_cn.sh"), "cn.out"
	var args []string
	if n.fe {
		script, outName = filepath.Join(n.home(), "bin", "start_fe.sh"), "fe.out"
		helper := opts.Helper
		if helper == "" && !opts.ClusterSnapshot {
			helper = n.helper // a restoring leader has none
		}
		if helper != "" {
			args = append(args, "--helper", helper)
		}
		if opts.ClusterSnapshot {
			args = append(args, "--cluster_snapshot")
		}
	}
	out, err := os.OpenFile(filepath.Join(n.home(), "log", outName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(script, args...)
	cmd.SysProcAttr = childAttr()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), opts.Env...)
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("run %s: %w", filepath.Base(script), err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		out.Close()
		close(exited)
	}()
	n.cmd, n.out, n.exited = cmd, out, exited
	return nil
}

func (n *processNode) runningLocked() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// Running implements Node.
func (n *processNode) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.runningLocked()
}

// Wait implements Node.
func (n *processNode) Wait(ctx context.Context) (int, error) {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return 0, fmt.Errorf("%s was never started", n.spec.Name)
	}
	select {
	case <-exited:
		return cmd.ProcessState.ExitCode(), nil
	case <-ctx.Done():
		return 0, fmt.Errorf("%s still running: %w", n.spec.Name, ctx.Err())
	}
}

// Kill and Stop implement Node with SIGKILL and SIGTERM.
func (n *processNode) Kill() error { return n.signal(syscall.SIGKILL) }
func (n *processNode) Stop() error { return n.signal(syscall.SIGTERM) }

// signal sends sig (to a paused process SIGCONT too, so it can act on
// it) and waits up to a minute for the process to end, then kills it; it
// removes the pid file as the stop scripts do.
func (n *processNode) signal(sig syscall.Signal) error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
	default:
		_ = cmd.Process.Signal(sig)
		_ = cmd.Process.Signal(syscall.SIGCONT)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	_ = os.Remove(n.pidFile())
	return nil
}

// Pause and Resume implement Node with SIGSTOP and SIGCONT.
func (n *processNode) Pause() error  { return n.sendRunning(syscall.SIGSTOP) }
func (n *processNode) Resume() error { return n.sendRunning(syscall.SIGCONT) }

func (n *processNode) sendRunning(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.runningLocked() {
		return fmt.Errorf("%s is not running", n.spec.Name)
	}
	return n.cmd.Process.Signal(sig)
}

// Wipe implements Node: an FE's meta dir, a CN's storage_root_path.
func (n *processNode) Wipe() error {
	if n.Running() {
		return fmt.Errorf("%s is running; stop or kill it before wiping", n.spec.Name)
	}
	if n.fe {
		return os.RemoveAll(n.layout.FEMetaDir())
	}
	return os.RemoveAll(filepath.Join(n.layout.BEHome(), "storage"))
}

// Close implements Node: the process is killed and its host released.
func (n *processNode) Close() error {
	err := n.Kill()
	n.host.Release()
	return err
}

// PID is the process id of the current run (0 when not running).
func (n *processNode) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.runningLocked() {
		return 0
	}
	return n.cmd.Process.Pid
}

// logTail returns the last n lines of each named log of node, for failure
// messages.
func logTail(node Node, n int) string {
	var b strings.Builder
	for _, name := range node.LogNames() {
		data, err := node.ReadLog(name)
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

// ResetPeakRSS starts a new peak-RSS measurement for a process, so that
// PeakRSS covers only what happens next (Linux clear_refs 5).
func ResetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// CPUTime returns the CPU time (user plus system) a process has used,
// from /proc/PID/stat.
func CPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) start at ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	// utime and stime are fields 14 and 15 of stat, in clock ticks (100/s).
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// PeakRSS returns a process's peak resident set size (VmHWM) in bytes.
func PeakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
