package scenarios

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
)

// TestDrillKeepsTheSecret: a drill that creates a user with a distinctive
// password leaves it nowhere (the FE keeps only its hash); one whose
// object storage has a distinctive secret key (a failing one, so every artefact is written: the report, the
// HTML, the histories, the bucket and meta listings, every node's log)
// leaves no copy of it in its output or in any file of its folder, except
// the configuration files that must hold it (fe.conf, cluster_snapshot.yaml)
// and the FE's metadata (journal, images), which only their owner may read.
func TestDrillKeepsTheSecret(t *testing.T) {
	t.Parallel()
	const secret = "Zq7-distinctive-SECRET-4f1e"
	const password = "Pw-distinctive-9c2e"
	d, err := ParseDrill("secret.yaml", []byte(`name: secret
seed: 5
cluster:
  compute_nodes: 1
  fe_conf:
    automated_cluster_snapshot_interval_seconds: "2"
workloads:
  - {name: orders, table: shop.orders, clients: 1}
steps:
  - sql: CREATE DATABASE shop
  - sql: ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON
  - start_workload: orders
  - wait: {snapshots: 1, timeout: 1m}
  - sql: CREATE USER 'clerk'@'%' IDENTIFIED BY '`+password+`'
  - sql: SHOW STORAGE VOLUMES
  - sql: DESC STORAGE VOLUME builtin_storage_volume
  - sql: ADMIN SHOW FRONTEND CONFIG LIKE '%secret%'
  - fault: {kind: lose_all}
  - restore: {compute_nodes: 1}
  - check: {workload: orders}
  - sql: SELECT 1
    expect: [["2"]]
`))
	require.NoError(t, err)
	dir := t.TempDir()
	var out bytes.Buffer
	res := RunDrill(context.Background(), d, DrillOptions{Dir: dir, Binary: harnesstest.Binary(t), Out: &out,
		Cluster: []harness.Option{harness.WithMinIOCredentials("drillkey", secret)}})
	require.Equal(t, Fail, res.Verdict, "the last step fails on purpose: %s\n%s", res.Error, out.String())
	require.NotContains(t, out.String(), secret)
	require.NotContains(t, out.String(), password)
	require.FileExists(t, filepath.Join(dir, "secret", "bucket.txt"))
	holders := map[string]bool{"fe.conf": true, "cluster_snapshot.yaml": true}
	var checked, held int
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "secret"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if strings.Contains(p, string(filepath.Separator)+"minio"+string(filepath.Separator)) {
			return nil // the object storage server's own data
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		require.False(t, bytes.Contains(b, []byte(password)), "%s holds a user's password", p)
		if !bytes.Contains(b, []byte(secret)) {
			return nil
		}
		// The FE's metadata holds the storage volume with its key, as
		// StarRocks' does (docs/security.md): the journal and images.
		inMeta := strings.Contains(p, string(filepath.Separator)+"meta"+string(filepath.Separator))
		require.True(t, holders[e.Name()] || inMeta, "%s holds the secret key", p)
		info, err := e.Info()
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), "%s holds the secret key and must be 0600", p)
		held++
		return nil
	}))
	require.Greater(t, checked, 20, "the drill's files were read")
	require.Greater(t, held, 0, "the configuration files hold the key")
}
