package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/internal/poll"
)

// fakeNode stands in for the binary: it stays up for a while, so that the
// scripts' check of a running node has something to find.
const fakeNode = "#!/bin/sh\necho \"node $*\"\ntrap 'kill $!; exit 0' TERM\nsleep 30 &\nwait\n"

// TestStartRefusesOnlyARunningNode checks that start_fe.sh and start_cn.sh
// refuse to start only while the pid file names a live process of this
// node: a pid that is an unreaped zombie (kill -9 in a container whose init
// does not reap) or that now runs another program is not a running node.
func TestStartRefusesOnlyARunningNode(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	bin := filepath.Join(t.TempDir(), "minirocks")
	require.NoError(t, os.WriteFile(bin, []byte(fakeNode), 0o755))
	l, err := Deploy(filepath.Join(t.TempDir(), "n1"), Options{Binary: bin})
	require.NoError(t, err)

	// A zombie: a child of this test that exited and was never waited for.
	zombie := exec.Command("sh", "-c", "exit 0")
	require.NoError(t, zombie.Start())
	defer zombie.Wait()
	require.NoError(t, poll.Until(context.Background(), 5*time.Second, func() error {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", zombie.Process.Pid))
		if err != nil {
			return err
		}
		if !strings.Contains(string(st), "State:\tZ") {
			return fmt.Errorf("process %d is not a zombie yet", zombie.Process.Pid)
		}
		return nil
	}))
	// Another program, alive.
	other := exec.Command("sleep", "30")
	require.NoError(t, other.Start())
	defer func() { other.Process.Kill(); other.Wait() }()

	for _, node := range []struct{ home, script, pidfile, what string }{
		{l.FEHome(), "start_fe.sh", l.FEPidFile(), "Frontend"},
		{l.BEHome(), "start_cn.sh", l.CNPidFile(), "Compute node"},
	} {
		t.Run(node.script, func(t *testing.T) {
			start := func() (string, error) {
				cmd := exec.Command(filepath.Join(node.home, "bin", node.script), "--daemon")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				return out.String(), err
			}
			for _, stale := range []int{zombie.Process.Pid, other.Process.Pid, 999999999} {
				require.NoError(t, os.WriteFile(node.pidfile, []byte(fmt.Sprintf("%d\n", stale)), 0o644))
				out, err := start()
				require.NoError(t, err, "pid file naming %d (not a running node): %s", stale, out)
				pid := readPid(t, node.pidfile)
				require.NotEqual(t, stale, pid)
				require.NoError(t, poll.Until(context.Background(), 5*time.Second, func() error {
					cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
					if err != nil || !bytes.Contains(cmdline, []byte("lib/minirocks")) {
						return fmt.Errorf("process %d does not run the node yet: %q %v", pid, cmdline, err)
					}
					return nil
				}))
				// Now the pid file names the node just started: a second start is refused.
				out, err = start()
				require.Error(t, err)
				require.Equal(t, fmt.Sprintf("%s running as process %d. Stop it first.\n", node.what, pid), out)
				// The stop script stops it; a stale pid file does not stall it.
				stop := exec.Command(filepath.Join(node.home, "bin", strings.Replace(node.script, "start", "stop", 1)))
				outb, err := stop.CombinedOutput()
				require.NoError(t, err, string(outb))
				require.NoFileExists(t, node.pidfile)
			}
			// stop_*.sh with a pid file naming a zombie removes it at once.
			require.NoError(t, os.WriteFile(node.pidfile, []byte(fmt.Sprintf("%d\n", zombie.Process.Pid)), 0o644))
			stop := exec.Command(filepath.Join(node.home, "bin", strings.Replace(node.script, "start", "stop", 1)))
			began := time.Now()
			outb, err := stop.CombinedOutput()
			require.NoError(t, err, string(outb))
			require.Less(t, time.Since(began), 10*time.Second)
			require.Contains(t, string(outb), "is not running")
			require.NoFileExists(t, node.pidfile)
		})
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var pid int
	_, err = fmt.Sscanf(string(b), "%d", &pid)
	require.NoError(t, err)
	return pid
}
