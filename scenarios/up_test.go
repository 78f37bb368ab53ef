package scenarios

import (
	"bufio"
	"context"
	"database/sql"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
)

// TestUp: `minirocks up` prints the mysql command of a cluster that
// answers it, and Ctrl-C (SIGINT) stops everything and exits 0.
func TestUp(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(harnesstest.Binary(t), "up", "--fes", "1", "--cns", "1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var host string
	deadline := time.After(2 * time.Minute)
	for host == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				_ = cmd.Wait() // the stderr copy is complete once Wait returns
				t.Fatalf("minirocks up ended before printing how to connect: %s", stderr.String())
			}
			if rest, found := strings.CutPrefix(l, "connect:        mysql -h "); found {
				host, _, _ = strings.Cut(rest, " ")
			}
		case <-deadline:
			t.Fatal("minirocks up printed no mysql command within two minutes")
		}
	}
	db, err := sql.Open("mysql", "root@tcp("+host+":9030)/")
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, harness.WaitFor(context.Background(), 30*time.Second, func() error {
		_, err := db.Exec("CREATE DATABASE IF NOT EXISTS hello")
		return err
	}))
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		require.NoError(t, err, "minirocks up exits 0 on Ctrl-C")
	case <-time.After(time.Minute):
		t.Fatal("minirocks up did not stop within a minute of SIGINT")
	}
	_, err = db.Exec("SELECT 1")
	require.Error(t, err, "nothing answers once it stopped")
}
