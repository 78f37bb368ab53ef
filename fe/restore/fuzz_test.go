package restore

import "testing"

// FuzzParseConfig: any cluster_snapshot.yaml loads or is refused with an
// error, never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`cluster_snapshot:
  cluster_snapshot_path: s3://b/p/sid/meta
  storage_volume_name: builtin_storage_volume
frontends:
  - host: 127.0.0.2
    edit_log_port: 9010
    type: follower
compute_nodes:
  - host: 127.0.0.3
    heartbeat_service_port: 9050
storage_volumes:
  - name: builtin_storage_volume
    type: S3
    location: s3://b/p
    comment: ""
    properties:
      - key: aws.s3.endpoint
        value: 127.0.0.1:9000
`))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseConfig("cluster_snapshot.yaml", b)
	})
}
