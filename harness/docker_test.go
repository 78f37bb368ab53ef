package harness

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// DockerForTest returns a DockerBackend for a test and, in its cleanup,
// closes it and checks that no container or network of it remains.
// Without a Docker engine the test is skipped, unless CI=true, where the
// engine is expected and its absence fails the test.
func DockerForTest(tb testing.TB) *DockerBackend {
	tb.Helper()
	b, err := NewDockerBackend(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Error(err)
		}
		if left := b.Remaining(context.Background()); left != "" {
			tb.Errorf("left behind: %s", left)
		}
	})
	return b
}

// dockerBinary is $MINIROCKS_BIN, else the harness's own build.
func dockerBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("MINIROCKS_BIN"); p != "" {
		return p
	}
	p, err := ResolveBinary(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestDockerClusterSQLAndFECrash(t *testing.T) {
	b := DockerForTest(t)
	ctx := context.Background()
	c, err := Launch(ctx, WithBackend(b), WithName("dockersql"), WithBinary(dockerBinary(t)), WithComputeNodes(1), WithLogger(t.Logf))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer func() {
		if t.Failed() {
			t.Log(c.Logs(40))
		}
	}()
	if got := c.FEs()[0].Host(); got == "127.0.0.1" || got == "" {
		t.Fatalf("FE host %q is not a container address", got)
	}
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT, qty INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
		"INSERT INTO shop.orders VALUES (1, 10), (2, 20), (3, 30)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	check := func() error {
		rows, err := db.QueryContext(ctx, "SELECT id, qty FROM shop.orders ORDER BY id")
		if err != nil {
			return err
		}
		defer rows.Close()
		var got string
		for rows.Next() {
			var id, qty int
			if err := rows.Scan(&id, &qty); err != nil {
				return err
			}
			got += fmt.Sprintf("(%d,%d)", id, qty)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if got != "(1,10)(2,20)(3,30)" {
			return fmt.Errorf("rows %s", got)
		}
		return nil
	}
	if err := check(); err != nil {
		t.Fatal(err)
	}
	fe := c.FEs()[0]
	if err := fe.Kill(); err != nil {
		t.Fatal(err)
	}
	if fe.Running() {
		t.Fatal("the FE container still runs after docker kill")
	}
	// An image removed meanwhile is built again, never pulled.
	image := fe.Node().(*dockerNode).image
	if _, err := b.cli.ImageRemove(ctx, image, client.ImageRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := fe.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, time.Minute, check); err != nil {
		t.Fatalf("after the FE's restart: %v", err)
	}
	// docker pause freezes the FE, unpause lets it answer again.
	if err := fe.Pause(); err != nil {
		t.Fatal(err)
	}
	if !fe.Running() {
		t.Fatal("a paused FE container is not running")
	}
	if err := fe.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, time.Minute, check); err != nil {
		t.Fatalf("after the FE's resume: %v", err)
	}
	// docker stop ends it cleanly; it comes back with its metadata.
	if err := fe.Node().Stop(); err != nil {
		t.Fatal(err)
	}
	if code, err := fe.Node().Wait(ctx); err != nil || code != 0 {
		t.Fatalf("the stopped FE ended with %d, %v; want 0", code, err)
	}
	if err := fe.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, time.Minute, check); err != nil {
		t.Fatalf("after the FE's clean restart: %v", err)
	}
	if _, err := fe.Node().ReadLog("fe.out"); err != nil {
		t.Errorf("fe.out: %v", err)
	}
}

// launchDockerFEs launches a cluster of three FEs and no compute node on
// b, closed when the test ends (with its logs when it failed).
func launchDockerFEs(t *testing.T, b *DockerBackend, name string) *Cluster {
	t.Helper()
	c, err := Launch(context.Background(), WithBackend(b), WithName(name), WithBinary(dockerBinary(t)), WithFollowers(2), WithComputeNodes(0), WithLogger(t.Logf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.Logs(40))
		}
		c.Close()
	})
	return c
}

func TestDockerLeaderKilled(t *testing.T) {
	b := DockerForTest(t)
	ctx := context.Background()
	c := launchDockerFEs(t, b, "dockerha")
	old, err := c.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	err = WaitFor(ctx, time.Minute, func() error {
		l, err := c.Leader(ctx)
		if err != nil {
			return err
		}
		if l == old {
			return fmt.Errorf("%s still leads", l.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := WaitFor(ctx, time.Minute, func() error { _, err := db.ExecContext(ctx, "CREATE DATABASE after_failover"); return err }); err != nil {
		t.Fatal(err)
	}
}

func TestDockerRemovesLeftovers(t *testing.T) {
	b := DockerForTest(t)
	ctx := context.Background()
	// A run whose program has ended: the pid of a finished child, an
	// earlier start.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	labels := b.labels("leftover")
	labels[DockerLabelRun] = "ended0"
	labels[DockerLabelPID] = strconv.Itoa(cmd.Process.Pid)
	labels[DockerLabelStarted] = strconv.FormatInt(processStarted.Add(-time.Hour).Unix(), 10)
	nw, err := b.cli.NetworkCreate(ctx, "minirocks-leftover-"+b.run, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	// A run of a program still running (this one) stays.
	live := b.labels("live")
	live[DockerLabelStarted] = strconv.FormatInt(processStarted.Add(-time.Hour).Unix(), 10)
	lnw, err := b.cli.NetworkCreate(ctx, "minirocks-live-"+b.run, client.NetworkCreateOptions{Driver: "bridge", Labels: live})
	if err != nil {
		t.Fatal(err)
	}
	defer b.cli.NetworkRemove(ctx, lnw.ID, client.NetworkRemoveOptions{})
	b2, err := NewDockerBackend(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if _, err := b.cli.NetworkInspect(ctx, nw.ID, client.NetworkInspectOptions{}); err == nil {
		b.cli.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{})
		t.Fatal("the network of an ended run was not removed")
	}
	if _, err := b.cli.NetworkInspect(ctx, lnw.ID, client.NetworkInspectOptions{}); err != nil {
		t.Fatalf("the network of a live run was removed: %v", err)
	}
}

func TestDockerContainerNames(t *testing.T) {
	b := &DockerBackend{run: "0123abcd"}
	seen := map[string]bool{}
	for _, c := range []string{"x", "regression-restored-snapshot-kept-restored", "regression-restored-snapshot-kept-restored2", "Test/With spaces_and_more"} {
		n := b.containerName(c, "fe12")
		if len(n) > 63 || seen[n] {
			t.Errorf("%q: name %q (%d characters) too long or not unique", c, n, len(n))
		}
		seen[n] = true
	}
}
