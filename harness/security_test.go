package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/rpc"
)

// feRPCClient dials an FE's edit_log_port with the RPC tag, as another FE
// would, carrying token (none when "").
func feRPCClient(token string) *http.Client {
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			return journal.Dial(addr, journal.TagRPC, 3*time.Second)
		},
	}}
	return rpc.WithToken(c, func() string { return token })
}

// versionToken reads the cluster token an FE keeps in meta_dir/image/VERSION
// (whoever can read the meta dir has it).
func versionToken(t *testing.T, fe *FE) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(layout(t, fe.Node()).FEMetaDir(), "image", "VERSION"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "token="); ok {
			return v
		}
	}
	t.Fatalf("no token in VERSION: %q", b)
	return ""
}

func requireRefused(t *testing.T, err error, what string) {
	t.Helper()
	require.Error(t, err, what)
	require.True(t, rpc.IsUnauthorized(err), "%s: %v", what, err)
}

// TestInternalPortsRefuseStrangers: without the cluster token, no internal
// endpoint (FE-to-FE RPC on edit_log_port, the FE's rpc_port, the CN's
// heartbeat and brpc ports) does anything, and the cluster is unchanged.
func TestInternalPortsRefuseStrangers(t *testing.T) {
	t.Parallel()
	c := StartCluster(t)
	fe, cn := c.FEs()[0], c.CNs()[0]
	db := fe.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v VARCHAR(20)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	mustExec(t, db, "INSERT INTO d.t VALUES (1, 'one'), (2, 'two')")
	want := [][]string{{"1", "one"}, {"2", "two"}}
	token := versionToken(t, fe)
	require.Len(t, token, 64)
	ctx := context.Background()
	tablets := queryStrings(t, db, "SELECT COUNT(*) FROM information_schema.loads")

	for _, tok := range []string{"", "not-the-token", token[:32]} {
		// FE-to-FE RPC: a forwarded statement claiming to be root.
		stranger := feRPCClient(tok)
		url := "http://" + fe.EditLogAddr()
		err := rpc.Call(ctx, stranger, url+"/fe/forward", map[string]any{
			"session": map[string]any{"user": "root", "host": "%", "current_db": "d"}, "sql": "DROP DATABASE d FORCE"}, &struct{}{})
		requireRefused(t, err, "/fe/forward")
		err = rpc.Call(ctx, stranger, url+"/fe/config", map[string]any{"changes": map[string]string{"edit_log_roll_num": "1"}}, &struct{}{})
		requireRefused(t, err, "/fe/config")
		err = rpc.Call(ctx, stranger, url+"/fe/join", map[string]any{"name": "x"}, &struct{}{})
		requireRefused(t, err, "/fe/join")
		// /fe/status answers a stranger, but tells nothing of the cluster.
		var st map[string]any
		require.NoError(t, rpc.Call(ctx, stranger, url+"/fe/status", struct{}{}, &st))
		require.Empty(t, st["cluster_id"], "a stranger learns no cluster id: %v", st)
		require.Empty(t, st["name"])
		// /fe/role hands the token only to a node added with ALTER SYSTEM ADD FOLLOWER|OBSERVER.
		var role map[string]any
		err = rpc.Call(ctx, stranger, url+"/fe/role", map[string]any{"host": "127.0.0.1", "port": 9010}, &role)
		require.ErrorContains(t, err, "current node is not added to the group")
		// Nor to a stranger claiming a registered FE's address.
		host, port, _ := net.SplitHostPort(fe.EditLogAddr())
		p, _ := strconv.Atoi(port)
		role = nil
		err = rpc.Call(ctx, stranger, url+"/fe/role", map[string]any{"host": host, "port": p}, &role)
		require.ErrorContains(t, err, "current node is not added to the group")
		require.Nil(t, role)

		// The FE's rpc_port: Stream Load calls of compute nodes.
		rpcURL := "http://" + net.JoinHostPort(fe.Host(), strconv.Itoa(FERPCPort))
		for _, p := range []string{"/load/begin", "/load/commit", "/load/abort"} {
			err := rpc.Call(ctx, rpc.WithToken(rpc.NewClient(), func() string { return tok }), rpcURL+p,
				map[string]any{"txn_id": 1, "db": "d", "table": "t", "label": "evil"}, &struct{}{})
			requireRefused(t, err, p)
		}

		// The CN: tablet calls on brpc_port, and heartbeats that would
		// re-point it at another leader and credentials.
		cnClient := rpc.WithToken(rpc.NewClient(), func() string { return tok })
		brpc := "http://" + net.JoinHostPort(cn.Host(), strconv.Itoa(CNBRPCPort))
		for _, p := range []string{rpc.PathDrop, rpc.PathWrite, rpc.PathPublish, rpc.PathVacuum, rpc.PathCompact} {
			err := rpc.Call(ctx, cnClient, brpc+p, map[string]any{}, &struct{}{})
			requireRefused(t, err, p)
		}
		hb := "http://" + cn.HeartbeatAddr() + rpc.PathHeartbeat
		err = rpc.Call(ctx, cnClient, hb, &rpc.HeartbeatRequest{ClusterID: "1", ServiceID: "evil", LeaderRPC: "127.0.0.1:1"}, &rpc.HeartbeatResponse{})
		requireRefused(t, err, "heartbeat")
	}

	// Nothing changed, and the cluster still works.
	require.Equal(t, want, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"))
	require.Equal(t, tablets, queryStrings(t, db, "SELECT COUNT(*) FROM information_schema.loads"))
	require.Equal(t, "50000", queryStrings(t, db, "ADMIN SHOW FRONTEND CONFIG LIKE 'edit_log_roll_num'")[0][2])
	res, err := fe.StreamLoad(ctx, "d", "t", "after", []byte("3\tthree\n"), nil)
	require.NoError(t, err)
	require.Equal(t, "Success", res["Status"], "%v", res)
	mustExec(t, db, "INSERT INTO d.t VALUES (4, 'four')")
	require.Equal(t, [][]string{{"1", "one"}, {"2", "two"}, {"3", "three"}, {"4", "four"}}, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"))

	// A token holder is believed: /fe/status tells it the cluster.
	var st map[string]any
	require.NoError(t, rpc.Call(ctx, feRPCClient(token), "http://"+fe.EditLogAddr()+"/fe/status", struct{}{}, &st))
	require.NotEmpty(t, st["cluster_id"])
	// The CN keeps the token of the cluster that adopted it.
	kept, err := os.ReadFile(filepath.Join(storageRoot(t, cn), "cluster_token"))
	require.NoError(t, err)
	require.Equal(t, token, strings.TrimSpace(string(kept)))
	// The token is never logged.
	require.NotContains(t, fe.ReadLog(), token)
	require.NotContains(t, cn.LogTail(1000), token)
}

// TestComputeNodeKeepsItsCluster: a CN adopted by one cluster refuses the
// heartbeats of another until its storage_root_path is cleaned.
func TestComputeNodeKeepsItsCluster(t *testing.T) {
	t.Parallel()
	a := StartCluster(t)
	b := StartCluster(t, WithComputeNodes(0))
	cn := a.CNs()[0]
	dbA, dbB := a.FEs()[0].DB(t), b.FEs()[0].DB(t)
	mustExec(t, dbA, "CREATE DATABASE d")
	mustExec(t, dbA, "CREATE TABLE d.t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1")
	mustExec(t, dbA, "INSERT INTO d.t VALUES (1)")

	mustExec(t, dbB, fmt.Sprintf("ALTER SYSTEM ADD COMPUTE NODE '%s'", cn.HeartbeatAddr()))
	// B's heartbeats are refused: B sees the node dead, with the reason.
	waitFor(t, 60*time.Second, func() error {
		nodes := queryStrings(t, dbB, "SHOW COMPUTE NODES")
		if len(nodes) != 1 || !strings.Contains(nodes[0][11], "compute node belongs to another cluster") {
			return fmt.Errorf("cluster B does not show the refusal yet: %v", nodes)
		}
		return nil
	})
	require.Equal(t, "false", queryStrings(t, dbB, "SHOW COMPUTE NODES")[0][8])
	// A is unaffected.
	require.Equal(t, [][]string{{"1"}}, queryStrings(t, dbA, "SELECT * FROM d.t"))
	mustExec(t, dbA, "INSERT INTO d.t VALUES (2)")
	require.Equal(t, "true", queryStrings(t, dbA, "SHOW COMPUTE NODES")[0][8])

	// Cluster A goes away; the node, restarted with its storage_root_path,
	// still refuses B.
	require.NoError(t, a.FEs()[0].Stop())
	require.NoError(t, cn.Stop())
	require.NoError(t, cn.Start(context.Background()))
	waitFor(t, 60*time.Second, func() error {
		log := cn.LogTail(1000)
		since := log[strings.LastIndex(log, "compute node started"):]
		if !strings.Contains(since, "heartbeat refused") {
			return fmt.Errorf("the restarted node has not refused cluster B's heartbeat yet:\n%s", since)
		}
		return nil
	})
	nodes := queryStrings(t, dbB, "SHOW COMPUTE NODES")
	require.Equal(t, "false", nodes[0][8])
	require.Contains(t, nodes[0][11], "compute node belongs to another cluster")
	// Cleaned, as a restore's runbook does: B adopts it.
	require.NoError(t, cn.Stop())
	require.NoError(t, cn.WipeStorage())
	require.NoError(t, cn.Start(context.Background()))
	require.NoError(t, b.WaitComputeNodes(context.Background(), 1))
	mustExec(t, dbB, "CREATE DATABASE e")
	mustExec(t, dbB, "CREATE TABLE e.t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1")
	mustExec(t, dbB, "INSERT INTO e.t VALUES (7)")
	require.Equal(t, [][]string{{"7"}}, queryStrings(t, dbB, "SELECT * FROM e.t"))
}
