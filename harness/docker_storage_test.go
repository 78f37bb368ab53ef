package harness

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDockerStorageFaults: the storage fault proxy on the docker backend
// listens on the bridge's gateway, which the containers reach. A failed
// image upload ends the snapshot job in ERROR, the next one FINISHES once
// the rule is gone; and a compute node cut off from the storage (MinIO and
// the proxy) cannot write until healed.
func TestDockerStorageFaults(t *testing.T) {
	b := DockerForTest(t)
	ctx := context.Background()
	c, err := Launch(ctx, WithBackend(b), WithName("dockerfaults"), WithBinary(dockerBinary(t)), WithComputeNodes(1),
		WithStorageFaults(), WithLogger(t.Logf), WithFEConf("automated_cluster_snapshot_interval_seconds = 1\n"))
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.Logs(40))
		}
		c.Close()
	})
	p := c.StorageFaults()
	require.NotNil(t, p)
	host, _, err := net.SplitHostPort(p.Addr())
	require.NoError(t, err)
	addr, err := netip.ParseAddr(host)
	require.NoError(t, err)
	require.False(t, addr.IsLoopback(), "the proxy listens where containers reach it, not on %s", p.Addr())
	require.Equal(t, p.Addr(), c.nodeStorage().Endpoint)

	db := c.DB(t)
	failImageUploads(t, c, db)
	_, err = db.Exec("ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF")
	require.NoError(t, err)

	if err := PartitionsAvailable(ctx); err != nil {
		t.Logf("partition from storage not checked: %v", err)
		return
	}
	for _, q := range []string{"CREATE DATABASE d", "CREATE TABLE d.t (k INT, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1", "INSERT INTO d.t VALUES (1, 1)"} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	heal, err := c.PartitionFromStorage(ctx, c.CNs()[0])
	require.NoError(t, err)
	defer heal()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = db.ExecContext(wctx, "INSERT INTO d.t WITH LABEL cut_off VALUES (2, 2)")
	cancel()
	require.Error(t, err, "a compute node cut off from the storage wrote its data")
	require.NoError(t, heal())
	require.NoError(t, WaitFor(ctx, time.Minute, func() error {
		// a try that timed out may have committed: its label then stays
		_, err := db.Exec("INSERT INTO d.t WITH LABEL healed VALUES (3, 3)")
		if err != nil && strings.Contains(err.Error(), "has already been used") {
			return nil
		}
		return err
	}))
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM d.t WHERE k IN (1, 3)").Scan(&n))
	require.Equal(t, 2, n)
}
