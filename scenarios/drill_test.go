package scenarios

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
)

// TestDrills runs every scenario file in drills/ as `minirocks drill`
// does; each must PASS.
func TestDrills(t *testing.T) {
	files, err := filepath.Glob("drills/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			t.Parallel()
			d, err := LoadDrill(f)
			require.NoError(t, err)
			if d.Cluster.Backend == "docker" {
				needDocker(t, d)
			}
			var out bytes.Buffer
			res := RunDrill(context.Background(), d, DrillOptions{Dir: t.TempDir(), Binary: harnesstest.Binary(t), Out: &out})
			require.Equal(t, Pass, res.Verdict, "%s\n%s", strings.Join(res.Failures, "\n"), out.String())
			report, err := os.ReadFile(res.ReportPath)
			require.NoError(t, err)
			require.Contains(t, string(report), "Verdict: **PASS**")
			require.FileExists(t, filepath.Join(filepath.Dir(res.ReportPath), "timeline.json"))
			require.FileExists(t, filepath.Join(filepath.Dir(res.ReportPath), "history-catalog.json"))
		})
	}
}

// needDocker skips a drill on the docker backend without a Docker engine
// (failing it when CI=true), and one with partitions when this machine
// cannot make them (harness.PartitionsAvailable).
func needDocker(t *testing.T, d *Drill) {
	t.Helper()
	if err := harness.DockerAvailable(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	for _, s := range d.Steps {
		if s.Fault != nil && (s.Fault.Kind == "partition" || s.Fault.Kind == "partition_storage") {
			if err := harness.PartitionsAvailable(context.Background()); err != nil {
				t.Skip(err)
			}
		}
	}
}

// TestParseDrill: every mistake in a scenario file is refused with its
// file, line and field.
func TestParseDrill(t *testing.T) {
	head := "name: d\nworkloads:\n  - {name: w, table: db.t, clients: 1}\nsteps:\n"
	cases := []struct{ name, yaml, err string }{
		{"unknown field", "name: d\nstep:\n  - sql: SELECT 1\n", "f.yaml: line 2: field step not found in type scenarios.Drill"},
		{"no name", "steps:\n  - sql: SELECT 1\n", "f.yaml:1: name: is required"},
		{"no steps", "name: d\n", "f.yaml:1: steps: a drill needs at least one step"},
		{"name with a quote", "name: \"it's\"\nsteps:\n  - sql: SELECT 1\n", "f.yaml:1: name: \"it's\": use lower-case letters, digits, - and _"},
		{"workload name with a space", "name: d\nworkloads:\n  - {name: my load, table: db.t, clients: 1}\nsteps:\n  - sql: SELECT 1\n", "f.yaml:1: workloads[0].name: \"my load\": use lower-case letters"},
		{"two kinds in one step", head + "  - sql: SELECT 1\n    start_workload: w\n", "f.yaml:5: steps[0]: a step is exactly one of"},
		{"unknown workload", head + "  - start_workload: nope\n", "f.yaml:5: steps[0]: unknown workload \"nope\""},
		{"check of an unknown workload", head + "  - check: {workload: nope}\n", "f.yaml:5: steps[0].check.workload: unknown workload \"nope\""},
		{"bad fault", head + "  - fault: {kind: explode, target: leader}\n", "f.yaml:5: steps[0].fault.kind: \"explode\" is not one of kill, stop"},
		{"fault without target", head + "  - fault: {kind: kill}\n", "f.yaml:5: steps[0].fault.target: \"\" is not one of leader, follower, cn, all"},
		{"lose_all with a target", head + "  - fault: {kind: lose_all, target: leader}\n", "f.yaml:5: steps[0].fault.target: lose_all takes no target"},
		{"bad duration", head + "  - sleep: soon\n", "f.yaml: line 5: cannot unmarshal !!str `soon` into time.Duration"},
		{"expect without sql", head + "  - sleep: 1s\n    expect: [[\"1\"]]\n", "f.yaml:5: steps[0]: expect, expect_error and within go with sql"},
		{"on with a wait", head + "  - wait: {alive: true}\n    on: lost\n", "f.yaml:5: steps[0].on: goes with sql or fault"},
		{"within without an expectation", head + "  - sql: SELECT 1\n    within: 1m\n", "f.yaml:5: steps[0].within: retries until expect or expect_error holds"},
		{"workload after restore", head + "  - restore: {compute_nodes: 1}\n  - start_workload: w\n", "f.yaml:6: steps[1]: workloads run on the cluster before the restore"},
		{"wait for nothing", head + "  - wait: {timeout: 1s}\n", "f.yaml:5: steps[0].wait: wait for exactly one of snapshots (at least 1), listed, job_state, alive"},
		{"bad job state", head + "  - wait: {job_state: DONE}\n", "f.yaml:5: steps[0].wait.job_state: \"DONE\" is not one of INITIALIZING"},
		{"sql on a bad cluster", head + "  - sql: SELECT 1\n    on: other\n", "f.yaml:5: steps[0].on: \"other\" is not one of current, lost"},
		{"wipe the meta of a CN", head + "  - fault: {kind: wipe_meta, target: cn}\n", "f.yaml:5: steps[0].fault.target: \"cn\" is not one of leader, follower, all"},
		{"corrupt without object", head + "  - fault: {kind: corrupt_snapshot, snapshot: newest}\n", "f.yaml:5: steps[0].fault.object: corrupt_snapshot needs the glob"},
		{"corrupt a bad snapshot", head + "  - fault: {kind: delete_snapshot, snapshot: oldest, object: VERSION}\n", "f.yaml:5: steps[0].fault.snapshot: \"oldest\" is not one of newest, previous"},
		{"object on a kill", head + "  - fault: {kind: kill, target: leader, object: x}\n", "f.yaml:5: steps[0].fault.object: object and snapshot go with corrupt_snapshot"},
		{"from_copy without a copy", head + "  - restore: {from_copy: true}\n", "f.yaml:5: steps[0].restore.from_copy: needs a copy_volume fault before it"},
		{"partition on processes", head + "  - fault: {kind: partition, target: leader}\n", "f.yaml:5: steps[0].fault.kind: partition needs backend: docker in the drill's cluster section"},
		{"partition of all", "name: d\ncluster: {backend: docker}\nsteps:\n  - fault: {kind: partition, target: all}\n", "f.yaml:4: steps[0].fault.target: \"all\" is not one of leader, follower, cn"},
		{"same hosts with counts", head + "  - restore: {onto: same_hosts, compute_nodes: 2}\n", "f.yaml:5: steps[0].restore.onto: followers, compute_nodes and fe_conf are for new_hosts"},
		{"bad snapshot choice", head + "  - restore: {snapshot: first}\n", "f.yaml:5: steps[0].restore.snapshot: \"first\" is not one of latest, newest, previous"},
		{"bad sabotage", head + "  - restore: {sabotage: fire}\n", "f.yaml:5: steps[0].restore.sabotage: \"fire\" is not previous_snapshot"},
		{"catalog before a restore", head + "  - check: {catalog: true}\n", "f.yaml:5: steps[0].check.catalog: the catalog is checked after a restore"},
		{"check of two things", head + "  - check: {workload: w, snapshot_age: 1m}\n", "f.yaml:5: steps[0].check: check exactly one of workload, catalog, snapshot_age"},
		{"wait for two things", head + "  - wait: {snapshots: 1, listed: 0}\n", "f.yaml:5: steps[0].wait: wait for exactly one of"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDrill("f.yaml", []byte(c.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), c.err)
		})
	}
	d, err := ParseDrill("f.yaml", []byte(head+"  - sql: SELECT 1\n    expect: [[\"1\"]]\n  - fault: {kind: kill, target: leader}\n"))
	require.NoError(t, err)
	require.Len(t, d.Steps, 2)
}

// TestDrillCatchesLoss: when acknowledged rows are gone, the check FAILs
// and names the loads; `minirocks drill` would exit 1.
func TestDrillCatchesLoss(t *testing.T) {
	t.Parallel()
	d, err := LoadDrill("testdata/lost-rows.yaml")
	require.NoError(t, err)
	var out bytes.Buffer
	res := RunDrill(context.Background(), d, DrillOptions{Dir: t.TempDir(), Binary: harnesstest.Binary(t), Out: &out})
	require.Equal(t, Fail, res.Verdict, out.String())
	require.NotEmpty(t, res.Failures)
	for _, f := range res.Failures {
		require.Regexp(t, `^load lost_rows_orders_\d+ was acknowledged \S+ before the cut but is missing$`, f)
	}
	require.Equal(t, len(res.Failures), res.Checks["orders"].LostAcknowledged)
	report, err := os.ReadFile(res.ReportPath)
	require.NoError(t, err)
	require.Contains(t, string(report), "Verdict: **FAIL**")
	require.Contains(t, string(report), res.Failures[0])
	// A failed drill leaves the bucket's and the meta dirs' listings.
	require.Contains(t, string(report), "Evidence: `bucket.txt`")
	bucket, err := os.ReadFile(filepath.Join(filepath.Dir(res.ReportPath), "bucket.txt"))
	require.NoError(t, err)
	require.Regexp(t, `(?m)^# s3://\S+/lost-rows: [1-9]\d* objects$`, string(bucket))
	require.Regexp(t, `(?m)^\S+Z +\d+  lost-rows/\S+$`, string(bucket))
	meta, err := os.ReadFile(filepath.Join(filepath.Dir(res.ReportPath), "meta.txt"))
	require.NoError(t, err)
	require.Regexp(t, `(?m)^# lost-rows fe1 \(\S+\)\nmeta/bdb\nmeta/image\n`, string(meta))
	require.Regexp(t, `(?m)^meta/bdb/raft\.db$`, string(meta))
}

// TestDrillSeedFixesFaults: the same seed picks the same targets.
func TestDrillSeedFixesFaults(t *testing.T) {
	t.Parallel()
	d, err := LoadDrill("testdata/seeded-faults.yaml")
	require.NoError(t, err)
	faults := func() []string {
		var out bytes.Buffer
		res := RunDrill(context.Background(), d, DrillOptions{Dir: t.TempDir(), Binary: harnesstest.Binary(t), Out: &out})
		require.Equal(t, Pass, res.Verdict, out.String())
		var got []string
		for _, l := range strings.Split(out.String(), "\n") {
			if _, what, ok := strings.Cut(l, "] fault   "); ok {
				got = append(got, what)
			}
		}
		return got
	}
	first, second := faults(), faults()
	require.Len(t, first, 3+2, "three pauses (one compute node twice), then the two nodes paused resumed")
	require.Equal(t, first, second)
}

// TestDrillCatchesBrokenRestore: a restore broken on purpose (the
// snapshot before the newest restored while the checks expect the newest)
// FAILs, and the checkers say precisely what differs: the loads
// acknowledged before the newest snapshot's cut that are missing, and the
// table created between the two snapshots.
func TestDrillCatchesBrokenRestore(t *testing.T) {
	t.Parallel()
	d, err := LoadDrill("testdata/broken-restore.yaml")
	require.NoError(t, err)
	var out bytes.Buffer
	res := RunDrill(context.Background(), d, DrillOptions{Dir: t.TempDir(), Binary: harnesstest.Binary(t), Out: &out})
	require.Equal(t, Fail, res.Verdict, "%s\n%s", res.Error, out.String())
	require.NotEmpty(t, res.Failures)
	catalog := 0
	for _, f := range res.Failures {
		if strings.HasPrefix(f, "the restored catalog differs") {
			catalog++
			require.Contains(t, f, "tables missing: shop.late_table")
			continue
		}
		require.Regexp(t, `^load broken_restore_orders_\d+ was committed at journal id \d+, inside the snapshot \(fe_journal_id \d+\), but is missing$`, f)
	}
	require.Equal(t, 1, catalog, "the catalog check names the table: %v", res.Failures)
	require.Greater(t, len(res.Failures), 1, "the loads committed between the two snapshots are named")
	require.GreaterOrEqual(t, res.Checks["orders"].LostAcknowledged, len(res.Failures)-1, "every load named is counted in the RPO")
	require.Contains(t, out.String(), "SABOTAGE: restoring ")
}

// TestParseDrillStorageFaults: storage faults need the cluster's proxy
// and well-formed rules; mistakes name the file, line and field.
func TestParseDrillStorageFaults(t *testing.T) {
	head := "name: d\ncluster:\n  storage_faults: true\nsteps:\n"
	plain := "name: d\nsteps:\n"
	img := `object: "*/meta/image/*/image.*"`
	cases := []struct{ name, yaml, err string }{
		{"without the proxy", plain + "  - fault: {kind: storage_fail, " + img + "}\n", "f.yaml:3: steps[0].fault.kind: storage_fail needs storage_faults: true in the drill's cluster section"},
		{"clear without the proxy", plain + "  - fault: {kind: storage_clear}\n", "f.yaml:3: steps[0].fault.kind: storage_clear needs storage_faults: true"},
		{"wait without the proxy", plain + "  - wait: {storage_fired: true}\n", "f.yaml:3: steps[0].wait.storage_fired: needs storage_faults: true"},
		{"fail without object", head + "  - fault: {kind: storage_fail}\n", "f.yaml:5: steps[0].fault.object: storage_fail needs the glob of the object keys"},
		{"bad glob", head + "  - fault: {kind: storage_fail, object: \"[\"}\n", "f.yaml:5: steps[0].fault.object: \"[\" is not a glob"},
		{"bad method", head + "  - fault: {kind: storage_fail, " + img + ", methods: [put]}\n", "f.yaml:5: steps[0].fault.methods: \"put\" is not one of GET, PUT, POST, DELETE, HEAD"},
		{"negative first", head + "  - fault: {kind: storage_fail, " + img + ", first: -1}\n", "f.yaml:5: steps[0].fault.first: -1 is negative"},
		{"slow without delay", head + "  - fault: {kind: storage_slow, " + img + "}\n", "f.yaml:5: steps[0].fault.delay: storage_slow needs a positive delay"},
		{"fail with delay", head + "  - fault: {kind: storage_fail, " + img + ", delay: 1s}\n", "f.yaml:5: steps[0].fault.delay: goes with storage_slow"},
		{"slow with error", head + "  - fault: {kind: storage_slow, " + img + ", delay: 1s, error: SlowDown}\n", "f.yaml:5: steps[0].fault.error: goes with storage_fail"},
		{"bad error code", head + "  - fault: {kind: storage_fail, " + img + ", error: \"slow down\"}\n", "f.yaml:5: steps[0].fault.error: \"slow down\" is not an S3 error code"},
		{"clear with an object", head + "  - fault: {kind: storage_clear, " + img + "}\n", "f.yaml:5: steps[0].fault.object: storage_clear takes no object"},
		{"storage fault with a target", head + "  - fault: {kind: storage_fail, target: leader, " + img + "}\n", "f.yaml:5: steps[0].fault.target: storage_fail takes no target"},
		{"storage fault with a snapshot", head + "  - fault: {kind: storage_fail, snapshot: newest, " + img + "}\n", "f.yaml:5: steps[0].fault.snapshot: snapshot and delete_original do not go with storage_fail"},
		{"methods on a kill", head + "  - fault: {kind: kill, target: leader, methods: [PUT]}\n", "f.yaml:5: steps[0].fault.methods: methods, first, delay and error go with storage_fail and storage_slow, not kill"},
		{"unknown field", head + "  - fault: {kind: storage_fail, " + img + ", code: SlowDown}\n", "f.yaml: line 5: field code not found in type scenarios.FaultStep"},
		{"wait for two things", head + "  - wait: {storage_fired: true, alive: true}\n", "f.yaml:5: steps[0].wait: wait for exactly one of snapshots (at least 1), listed, job_state, alive, storage_fired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDrill("f.yaml", []byte(c.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), c.err)
		})
	}
	d, err := ParseDrill("f.yaml", []byte(head+
		"  - fault: {kind: storage_fail, "+img+", methods: [PUT], first: 3, error: SlowDown}\n"+
		"  - fault: {kind: storage_slow, object: \"*/data/*\", delay: 2s}\n    on: lost\n"+
		"  - wait: {storage_fired: true}\n"+
		"  - fault: {kind: storage_clear}\n"))
	require.NoError(t, err)
	require.True(t, d.Cluster.StorageFaults)
	require.Equal(t, FaultStep{Kind: "storage_fail", Object: "*/meta/image/*/image.*", Methods: []string{"PUT"}, First: 3, Error: "SlowDown"}, *d.Steps[0].Fault)
	require.Equal(t, 2*time.Second, d.Steps[1].Fault.Delay)
	require.True(t, d.Steps[2].Wait.StorageFired)
}

// TestDrillStorageFaultNeverFired: a storage fault that matched no
// request makes the drill FAIL, naming it.
func TestDrillStorageFaultNeverFired(t *testing.T) {
	t.Parallel()
	d, err := LoadDrill("testdata/storage-fault-never-fired.yaml")
	require.NoError(t, err)
	var out bytes.Buffer
	res := RunDrill(context.Background(), d, DrillOptions{Dir: t.TempDir(), Binary: harnesstest.Binary(t), Out: &out})
	require.Equal(t, Fail, res.Verdict, "%s\n%s", res.Error, out.String())
	require.Equal(t, []string{"storage fault on no/such/objects/* never fired"}, res.Failures)
}
