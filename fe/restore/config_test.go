package restore

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/deploy"
)

const secret = "s3cr3t-do-not-print"

// volumeYAML is a valid storage_volumes section starting at line start.
const volumeYAML = `storage_volumes:
  - name: vol
    type: S3
    location: s3://bucket/prefix
    comment: restored
    properties:
      - key: aws.s3.endpoint
        value: 127.0.0.1:9000
      - key: aws.s3.access_key
        value: ak
      - key: aws.s3.secret_key
        value: ` + secret + `
`

func TestParseConfig(t *testing.T) {
	snap := "cluster_snapshot:\n  cluster_snapshot_path: s3://bucket/prefix/svc-1/meta\n  storage_volume_name: vol\n"
	cases := []struct {
		name string
		yaml string
		err  string // "" = valid
		// check inspects a valid config.
		check func(t *testing.T, c *Config)
	}{
		{name: "empty file: every section absent", yaml: "", check: func(t *testing.T, c *Config) {
			require.Nil(t, c.ClusterSnapshot)
			require.False(t, c.FrontendsSet)
			require.False(t, c.ComputeNodesSet)
		}},
		{name: "comments only", yaml: "# nothing\n", check: func(t *testing.T, c *Config) { require.Nil(t, c.ClusterSnapshot) }},
		{name: "meta dir form", yaml: snap + volumeYAML, check: func(t *testing.T, c *Config) {
			loc, svc, name, err := c.SnapshotLocation()
			require.NoError(t, err)
			require.Equal(t, []string{"s3://bucket/prefix", "svc-1", ""}, []string{loc, svc, name})
			v := c.Volume("vol")
			require.Equal(t, "S3", v.Type)
			require.Equal(t, secret, v.Properties["aws.s3.secret_key"])
			require.Equal(t, 5, v.Line)
		}},
		{name: "snapshot dir form, trailing slash", yaml: "cluster_snapshot:\n  cluster_snapshot_path: s3://bucket/svc-1/meta/image/automated_cluster_snapshot_1700000000000/\n  storage_volume_name: vol\n" + volumeYAML,
			check: func(t *testing.T, c *Config) {
				loc, svc, name, err := c.SnapshotLocation()
				require.NoError(t, err)
				require.Equal(t, []string{"s3://bucket", "svc-1", "automated_cluster_snapshot_1700000000000"}, []string{loc, svc, name})
			}},
		{name: "frontends and compute nodes, type case-insensitive, default follower",
			yaml: snap + "frontends:\n  - host: 10.0.0.2\n    edit_log_port: 9010\n    type: Observer\n  - host: 10.0.0.3\n    edit_log_port: 9010\ncompute_nodes:\n  - host: 10.0.0.4\n    heartbeat_service_port: 9050\n" + volumeYAML,
			check: func(t *testing.T, c *Config) {
				require.True(t, c.FrontendsSet)
				require.Equal(t, []Frontend{{Host: "10.0.0.2", EditLogPort: 9010, Type: "OBSERVER", Line: 5}, {Host: "10.0.0.3", EditLogPort: 9010, Type: "FOLLOWER", Line: 8}}, c.Frontends)
				require.True(t, c.ComputeNodesSet)
				require.Equal(t, []ComputeNode{{Host: "10.0.0.4", HeartbeatServicePort: 9050, Line: 11}}, c.ComputeNodes)
			}},
		{name: "blank frontends is null: no change", yaml: snap + "frontends:\ncompute_nodes:\n" + volumeYAML, check: func(t *testing.T, c *Config) {
			require.False(t, c.FrontendsSet)
			require.False(t, c.ComputeNodesSet)
		}},
		{name: "manual mode: no cluster_snapshot section", yaml: volumeYAML, check: func(t *testing.T, c *Config) { require.Nil(t, c.ClusterSnapshot) }},
		{name: "HDFS parses", yaml: "storage_volumes:\n  - name: hdfs_vol\n    type: HDFS\n    location: hdfs://127.0.0.1:9000/sr/\n    properties:\n      - key: hadoop.security.authentication\n        value: simple\n",
			check: func(t *testing.T, c *Config) {
				require.EqualError(t, c.CheckRestorable(), "f.yaml:2: storage_volumes: storage volume hdfs_vol has type HDFS; restoring onto HDFS storage volumes is not supported (only S3)")
			}},

		{name: "unknown top-level field", yaml: "clusters_snapshot:\n  x: 1\n", err: "Failed to load cluster snapshot config f.yaml: line 1: field clusters_snapshot not found in type restore.rawConfig"},
		{name: "unknown field in a volume", yaml: strings.Replace(volumeYAML, "    comment: restored\n", "    comments: restored\n", 1), err: "line 5: field comments not found"},
		{name: "unknown field in frontends", yaml: snap + "frontends:\n  - host: h\n    edit_log_port: 9010\n    role: follower\n" + volumeYAML, err: "f.yaml:5: frontends[0]: field role not found in type restore.rawFrontend"},
		{name: "volume not under storage_volumes", yaml: strings.Replace(snap, "vol\n", "other\n", 1) + volumeYAML, err: "f.yaml:1: cluster_snapshot.storage_volume_name: Storage volume other not found (it must be listed under storage_volumes)"},
		{name: "cluster_snapshot without storage_volumes", yaml: snap, err: "f.yaml:1: cluster_snapshot.storage_volume_name: Storage volume vol not found"},
		{name: "bad path", yaml: "cluster_snapshot:\n  cluster_snapshot_path: s3://bucket/prefix/svc-1/data\n  storage_volume_name: vol\n" + volumeYAML, err: "f.yaml:1: cluster_snapshot.cluster_snapshot_path: \"s3://bucket/prefix/svc-1/data\" is neither a snapshot directory"},
		{name: "path not s3", yaml: "cluster_snapshot:\n  cluster_snapshot_path: hdfs://h/svc/meta\n  storage_volume_name: vol\n" + volumeYAML, err: "is neither a snapshot directory"},
		{name: "missing path", yaml: "cluster_snapshot:\n  storage_volume_name: vol\n" + volumeYAML, err: "f.yaml:1: cluster_snapshot.cluster_snapshot_path: is required"},
		{name: "property without value", yaml: strings.Replace(volumeYAML, "        value: ak\n", "", 1), err: "f.yaml:9: storage_volumes[0].properties[1]: Missing 'key' or 'value' in properties entry"},
		{name: "unknown property", yaml: strings.Replace(volumeYAML, "aws.s3.endpoint", "aws.s3.endpiont", 1), err: "f.yaml:2: storage_volumes[0].properties: Invalid properties aws.s3.endpiont"},
		{name: "duplicate volume", yaml: volumeYAML + strings.TrimPrefix(volumeYAML, "storage_volumes:\n"), err: "storage_volumes[1].name: storage volume vol is listed twice"},
		{name: "bad port", yaml: snap + "frontends:\n  - host: h\n    edit_log_port: 70000\n" + volumeYAML, err: "f.yaml:5: frontends[0].edit_log_port: 70000 is not a port (1..65535)"},
		{name: "port not a number", yaml: snap + "compute_nodes:\n  - host: h\n    heartbeat_service_port: nine\n" + volumeYAML, err: "f.yaml:5: compute_nodes[0]: cannot unmarshal !!str `***` into int"},
		{name: "bad type", yaml: snap + "frontends:\n  - host: h\n    edit_log_port: 9010\n    type: leader\n" + volumeYAML, err: "f.yaml:5: frontends[0].type: \"leader\" is neither follower nor observer"},
		{name: "host missing", yaml: snap + "compute_nodes:\n  - heartbeat_service_port: 9050\n" + volumeYAML, err: "f.yaml:5: compute_nodes[0].host: is required"},
		{name: "listed twice", yaml: snap + "frontends:\n  - host: h\n    edit_log_port: 9010\n  - host: h\n    edit_log_port: 9010\n" + volumeYAML, err: "f.yaml:7: frontends[1]: h:9010 is listed twice"},
		{name: "not yaml", yaml: "cluster_snapshot: [\n", err: "Failed to load cluster snapshot config f.yaml: yaml: line 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig("f.yaml", []byte(c.yaml))
			if c.err != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), c.err)
				require.NotContains(t, err.Error(), secret)
				return
			}
			require.NoError(t, err)
			c.check(t, cfg)
		})
	}
}

// TestSecretNeverEchoed: a type error on the secret's value does not
// repeat it.
func TestSecretNeverEchoed(t *testing.T) {
	y := strings.Replace(volumeYAML, "        value: "+secret+"\n", "        value: ["+secret+"]\n", 1)
	_, err := ParseConfig("f.yaml", []byte(y))
	require.Error(t, err)
	require.NotContains(t, err.Error(), secret)
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cluster_snapshot.yaml")
	_, err := LoadConfig(path)
	require.ErrorContains(t, err, path+" does not exist: a restore from a cluster snapshot (--cluster_snapshot, RESTORE_CLUSTER_SNAPSHOT=true) reads it")
	require.NoError(t, os.WriteFile(path, []byte(volumeYAML), 0o600))
	cfg, err := LoadConfig(path)
	require.NoError(t, err)
	require.Equal(t, path, cfg.Path)
}

// TestDeployedTemplate: the template an install tree gets parses as an
// empty config, and uncommented it is the seed's example (HDFS included).
func TestDeployedTemplate(t *testing.T) {
	dir := t.TempDir()
	_, err := deploy.Deploy(dir, deploy.Options{Binary: os.Args[0]})
	require.NoError(t, err)
	path := filepath.Join(dir, "fe", "conf", "cluster_snapshot.yaml")
	cfg, err := LoadConfig(path)
	require.NoError(t, err)
	require.Nil(t, cfg.ClusterSnapshot)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	// Uncomment the yaml: "# key:" at the top level and indented lines;
	// prose comments stay out.
	yamlLine := regexp.MustCompile(`^# ([a-z_]+:\s*$|  .*)`)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if m := yamlLine.FindStringSubmatch(l); m != nil {
			lines = append(lines, m[1])
		}
	}
	cfg, err = ParseConfig(path, []byte(strings.Join(lines, "\n")))
	require.NoError(t, err)
	require.Equal(t, "my_s3_volume", cfg.ClusterSnapshot.StorageVolumeName)
	require.Len(t, cfg.Frontends, 2)
	require.Len(t, cfg.ComputeNodes, 1)
	require.Len(t, cfg.StorageVolumes, 2)
	require.ErrorContains(t, cfg.CheckRestorable(), "restoring onto HDFS storage volumes is not supported")
}
