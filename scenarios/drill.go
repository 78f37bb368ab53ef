package scenarios

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Drill is a scenario file (scenarios/drills/*.yaml, docs/scenarios.md):
// a cluster shape, workloads that run while the steps do, and the steps.
type Drill struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Seed        uint64 `yaml:"seed"`
	// Timeout bounds the whole drill (DefaultDrillTimeout when zero): a
	// drill that runs longer ends UNKNOWN, naming the step it was on.
	Timeout   time.Duration  `yaml:"timeout"`
	Cluster   ClusterShape   `yaml:"cluster"`
	Workloads []WorkloadSpec `yaml:"workloads"`
	Steps     []Step         `yaml:"steps"`
	path      string
}

// ClusterShape is the cluster a drill launches.
type ClusterShape struct {
	Followers    int               `yaml:"followers"`
	Observers    int               `yaml:"observers"`
	ComputeNodes int               `yaml:"compute_nodes"`
	FEConf       map[string]string `yaml:"fe_conf"`
	// StorageFaults puts a fault-injecting S3 proxy between the nodes and
	// the object storage (harness.WithStorageFaults), for the
	// storage_fail, storage_slow and storage_clear faults. Only the
	// cluster the drill launches has it: a cluster restored onto new
	// hosts reaches the storage directly.
	StorageFaults bool `yaml:"storage_faults"`
	// Backend runs the drill's nodes: "process" (the default) or
	// "docker" (harness.DockerBackend: a container per node and MinIO).
	// DrillOptions.Backend overrides it.
	Backend string `yaml:"backend"`
}

// WorkloadSpec is a workload of labelled loads into table, which the
// drill creates (load_id INT, line INT, amount DECIMAL(10, 2)).
type WorkloadSpec struct {
	Name    string `yaml:"name"`
	Table   string `yaml:"table"`
	Clients int    `yaml:"clients"`
}

// Step is one step; exactly one of its kinds is set.
type Step struct {
	SQL string `yaml:"sql"`
	// On is the cluster the sql or fault goes to: "current" (the default:
	// the restored cluster once there is one) or "lost" (the cluster the
	// drill launched, e.g. the old cluster still running after a restore).
	On     string     `yaml:"on"`
	Expect [][]string `yaml:"expect"`
	Error  string     `yaml:"expect_error"`
	// Within retries the sql until it gives the expected rows or error,
	// up to this long (a condition that becomes true, e.g. fencing).
	Within  time.Duration `yaml:"within"`
	Start   string        `yaml:"start_workload"`
	Stop    string        `yaml:"stop_workload"`
	Wait    *WaitStep     `yaml:"wait"`
	Fault   *FaultStep    `yaml:"fault"`
	Heal    bool          `yaml:"heal"`
	Restore *RestoreStep  `yaml:"restore"`
	Check   *CheckStep    `yaml:"check"`
	Sleep   time.Duration `yaml:"sleep"`
	line    int
}

// WaitStep waits, up to Timeout (2 minutes when zero), for one
// condition: Snapshots snapshots finished since the drill began, exactly
// Listed rows in information_schema.cluster_snapshots, a snapshot job in
// the state JobState (e.g. SNAPSHOTING; after a restore only jobs newer
// than the snapshot restored count, not the records the image brought
// along), with Alive every FE and compute node of the cluster alive, or
// with StorageFired every storage fault in force having hit a request.
type WaitStep struct {
	Snapshots    int           `yaml:"snapshots"`
	Listed       *int          `yaml:"listed"`
	JobState     string        `yaml:"job_state"`
	Alive        bool          `yaml:"alive"`
	StorageFired bool          `yaml:"storage_fired"`
	Timeout      time.Duration `yaml:"timeout"`
}

// FaultStep injects a fault (docs/scenarios.md lists them):
//   - kill, stop, pause, resume, restart on Target leader, follower (a
//     seeded one), cn (a seeded one) or all;
//   - wipe_meta (Target leader, follower or all FEs, which must be
//     stopped) and wipe_storage (Target cn or all compute nodes);
//   - lose_all: every FE and CN killed: the whole cluster lost;
//   - storage_down / storage_up: the object storage stopped and started;
//   - corrupt_snapshot / delete_snapshot: the objects of Snapshot (newest
//     or previous) whose base name matches the glob Object (e.g. "image.*");
//   - partition: Target (leader, follower or cn) cut off from the
//     cluster's other nodes by the network (docker backend), until heal;
//     partition_storage: Target (or all nodes) cut off from the object
//     storage;
//   - copy_volume: the volume's objects copied to a new bucket (a restore
//     with from_copy reads them there), the original bucket deleted with
//     DeleteOriginal;
//   - storage_fail / storage_slow: requests to the object storage whose
//     key below the volume's location matches the glob Object (and whose
//     method is one of Methods, all when empty; only the First ones when
//     not zero) answered with the S3 error code Error (InternalError by
//     default) / held for Delay; they last until storage_clear or heal
//     (cluster.storage_faults must be true).
type FaultStep struct {
	Kind           string `yaml:"kind"`
	Target         string `yaml:"target"`
	Snapshot       string `yaml:"snapshot"`
	Object         string `yaml:"object"`
	DeleteOriginal bool   `yaml:"delete_original"`
	// Methods, First, Delay and Error shape storage_fail and storage_slow.
	Methods []string      `yaml:"methods"`
	First   int           `yaml:"first"`
	Delay   time.Duration `yaml:"delay"`
	Error   string        `yaml:"error"`
}

// RestoreStep restores the lost cluster from a snapshot by StarRocks'
// runbook.
type RestoreStep struct {
	// Onto is new_hosts (the default: a new leader, Followers new
	// followers and ComputeNodes new compute nodes, all named in
	// cluster_snapshot.yaml) or same_hosts (the operator's way: every node
	// stopped, meta dirs and caches wiped, the first FE restored with
	// RESTORE_CLUSTER_SNAPSHOT=true, the others started as before).
	Onto         string `yaml:"onto"`
	Followers    int    `yaml:"followers"`
	ComputeNodes int    `yaml:"compute_nodes"`
	// Snapshot is latest (the default: the meta directory; the FE takes
	// the newest complete snapshot), newest or previous (that snapshot
	// named by its own path).
	Snapshot string `yaml:"snapshot"`
	// FromCopy reads the snapshot and the data from the copy that a
	// copy_volume fault made.
	FromCopy bool `yaml:"from_copy"`
	// Error, when set, is the refusal the restore must end with (the
	// drill goes on with the cluster it had).
	Error string `yaml:"expect_error"`
	// FEConf are fe.conf lines for the new hosts on top of the drill's
	// own (new_hosts only), as an operator may change the configuration
	// while copying it.
	FEConf map[string]string `yaml:"fe_conf"`
	// Sabotage breaks the restore on purpose to prove the checkers:
	// previous_snapshot restores the snapshot before the one the checks
	// expect.
	Sabotage string `yaml:"sabotage"`
}

// CheckStep is one check (exactly one of its fields is set). Workload
// checks a workload's table: after a restore, every load acknowledged
// before the restored snapshot began is there, none sent after the
// disaster, each exactly once row for row; without a restore, no
// acknowledged load lost or doubled. Catalog compares the databases,
// tables, partitions, users, grants and storage volumes with the lost
// cluster's as of the restored snapshot. SnapshotAge fails when the
// newest FINISHED snapshot is older than that (snapshots that silently
// stopped being taken). With ExpectFail the check must find a problem.
type CheckStep struct {
	Workload    string        `yaml:"workload"`
	Catalog     bool          `yaml:"catalog"`
	SnapshotAge time.Duration `yaml:"snapshot_age"`
	ExpectFail  bool          `yaml:"expect_fail"`
}

var faultKinds = []string{"kill", "stop", "pause", "resume", "restart", "wipe_meta", "wipe_storage", "lose_all", "storage_down", "storage_up",
	"corrupt_snapshot", "delete_snapshot", "copy_volume", "storage_fail", "storage_slow", "storage_clear", "partition", "partition_storage"}
var faultTargets = []string{"leader", "follower", "cn", "all"}

// drillName is what a drill's and a workload's names may be: they become
// a cluster name, folder names and load labels (StarRocks labels take
// letters, digits, - and _).
var drillName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// DefaultDrillTimeout bounds a drill whose file sets no timeout.
const DefaultDrillTimeout = 10 * time.Minute

var jobStates = []string{"INITIALIZING", "SNAPSHOTING", "FINISHED", "EXPIRED", "DELETED", "ERROR"}

// storageMethods are the HTTP methods S3 clients use.
var storageMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// s3ErrorCode is the shape of an S3 error code (InternalError, SlowDown).
var s3ErrorCode = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// storageFaultKind tells the faults that need cluster.storage_faults.
func storageFaultKind(kind string) bool {
	return kind == "storage_fail" || kind == "storage_slow" || kind == "storage_clear"
}

// checkStorageFault says what is wrong with a storage_fail, storage_slow
// or storage_clear fault ("" when nothing); enabled tells whether the
// cluster has storage_faults.
func checkStorageFault(f *FaultStep, enabled bool) string {
	rule := f.Kind != "storage_clear"
	switch {
	case !enabled:
		return fmt.Sprintf("kind: %s needs storage_faults: true in the drill's cluster section", f.Kind)
	case f.Snapshot != "" || f.DeleteOriginal:
		return fmt.Sprintf("snapshot: snapshot and delete_original do not go with %s", f.Kind)
	case !rule && (f.Object != "" || f.Methods != nil || f.First != 0 || f.Delay != 0 || f.Error != ""):
		return "object: storage_clear takes no object, methods, first, delay or error"
	case !rule:
		return ""
	case f.Object == "":
		return fmt.Sprintf("object: %s needs the glob of the object keys below the volume's location, e.g. \"*/meta/image/*/image.*\"", f.Kind)
	case f.First < 0:
		return fmt.Sprintf("first: %d is negative", f.First)
	case f.Kind == "storage_slow" && f.Delay <= 0:
		return "delay: storage_slow needs a positive delay, e.g. 30s"
	case f.Kind != "storage_slow" && f.Delay != 0:
		return "delay: goes with storage_slow"
	case f.Kind != "storage_fail" && f.Error != "":
		return "error: goes with storage_fail"
	case f.Error != "" && !s3ErrorCode.MatchString(f.Error):
		return fmt.Sprintf("error: %q is not an S3 error code such as InternalError or SlowDown", f.Error)
	}
	if _, err := path.Match(f.Object, ""); err != nil {
		return fmt.Sprintf("object: %q is not a glob: %v", f.Object, err)
	}
	for _, m := range f.Methods {
		if !slices.Contains(storageMethods, m) {
			return fmt.Sprintf("methods: %q is not one of %s", m, strings.Join(storageMethods, ", "))
		}
	}
	return ""
}

// checkFault says what is wrong with a fault step ("" when nothing);
// copied tells whether a copy_volume came before, storageFaults whether
// the cluster has storage_faults.
func checkFault(f *FaultStep, copied, storageFaults bool) string {
	if !slices.Contains(faultKinds, f.Kind) {
		return fmt.Sprintf("kind: %q is not one of %s", f.Kind, strings.Join(faultKinds, ", "))
	}
	targets := map[string][]string{
		"kill": faultTargets, "stop": faultTargets, "pause": faultTargets, "resume": faultTargets, "restart": faultTargets,
		"wipe_meta": {"leader", "follower", "all"}, "wipe_storage": {"cn", "all"},
		"partition": {"leader", "follower", "cn"}, "partition_storage": faultTargets,
	}[f.Kind]
	switch {
	case targets != nil && !slices.Contains(targets, f.Target):
		return fmt.Sprintf("target: %q is not one of %s", f.Target, strings.Join(targets, ", "))
	case targets == nil && f.Target != "":
		return fmt.Sprintf("target: %s takes no target", f.Kind)
	case storageFaultKind(f.Kind):
		return checkStorageFault(f, storageFaults)
	case f.Methods != nil || f.First != 0 || f.Delay != 0 || f.Error != "":
		return fmt.Sprintf("methods: methods, first, delay and error go with storage_fail and storage_slow, not %s", f.Kind)
	}
	snapshotFault := f.Kind == "corrupt_snapshot" || f.Kind == "delete_snapshot"
	switch {
	case snapshotFault && f.Object == "":
		return fmt.Sprintf("object: %s needs the glob of the objects to damage, e.g. \"image.*\"", f.Kind)
	case snapshotFault && f.Snapshot != "newest" && f.Snapshot != "previous":
		return fmt.Sprintf("snapshot: %q is not one of newest, previous", f.Snapshot)
	case !snapshotFault && (f.Object != "" || f.Snapshot != ""):
		return fmt.Sprintf("object: object and snapshot go with corrupt_snapshot and delete_snapshot, not %s", f.Kind)
	case f.DeleteOriginal && f.Kind != "copy_volume":
		return "delete_original: goes with copy_volume"
	case f.Kind == "copy_volume" && copied:
		return "kind: the volume is copied once"
	}
	return ""
}

// checkRestore says what is wrong with a restore step ("" when nothing).
func checkRestore(rs *RestoreStep, copied bool) string {
	switch {
	case rs.Onto != "" && rs.Onto != "new_hosts" && rs.Onto != "same_hosts":
		return fmt.Sprintf("onto: %q is not one of new_hosts, same_hosts", rs.Onto)
	case rs.Onto == "same_hosts" && (rs.Followers != 0 || rs.ComputeNodes != 0 || len(rs.FEConf) > 0):
		return "onto: followers, compute_nodes and fe_conf are for new_hosts; same_hosts restores every node the cluster had"
	case rs.Snapshot != "" && !slices.Contains([]string{"latest", "newest", "previous"}, rs.Snapshot):
		return fmt.Sprintf("snapshot: %q is not one of latest, newest, previous", rs.Snapshot)
	case rs.FromCopy && !copied:
		return "from_copy: needs a copy_volume fault before it"
	case rs.Sabotage != "" && rs.Sabotage != "previous_snapshot":
		return fmt.Sprintf("sabotage: %q is not previous_snapshot", rs.Sabotage)
	case rs.Followers < 0 || rs.ComputeNodes < 0:
		return "followers: followers and compute_nodes are not negative"
	}
	return ""
}

// LoadDrill reads and checks a scenario file; every error names the file,
// and where it applies the line and the field.
func LoadDrill(path string) (*Drill, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseDrill(path, b)
}

// ParseDrill is LoadDrill of the file's content b.
func ParseDrill(path string, b []byte) (*Drill, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	d := &Drill{path: path}
	if err := dec.Decode(d); err != nil {
		return nil, fmt.Errorf("%s: %v", path, strings.ReplaceAll(err.Error(), "yaml: unmarshal errors:\n  ", ""))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(b, &root)
	var stepNodes []*yaml.Node
	if len(root.Content) > 0 {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "steps" {
				stepNodes = m.Content[i+1].Content
			}
		}
	}
	fail := func(line int, field, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s: %s", path, line, field, fmt.Sprintf(format, args...))
	}
	if d.Name == "" {
		return nil, fail(1, "name", "is required")
	}
	if !drillName.MatchString(d.Name) {
		return nil, fail(1, "name", "%q: use lower-case letters, digits, - and _ (it names the cluster, its folder and the loads' labels)", d.Name)
	}
	if b := d.Cluster.Backend; b != "" && b != "process" && b != "docker" {
		return nil, fail(clusterFieldLine(&root, "backend"), "cluster.backend", "%q is not one of process, docker", b)
	}
	if len(d.Steps) == 0 {
		return nil, fail(1, "steps", "a drill needs at least one step")
	}
	if d.Timeout < 0 {
		return nil, fail(1, "timeout", "%v is negative", d.Timeout)
	}
	workloads := map[string]bool{}
	for i, w := range d.Workloads {
		if w.Name == "" || w.Table == "" || w.Clients < 1 {
			return nil, fail(1, fmt.Sprintf("workloads[%d]", i), "needs name, table and clients >= 1")
		}
		if !drillName.MatchString(w.Name) {
			return nil, fail(1, fmt.Sprintf("workloads[%d].name", i), "%q: use lower-case letters, digits, - and _ (it is part of the loads' labels)", w.Name)
		}
		workloads[w.Name] = true
	}
	restored, copied := false, false
	for i := range d.Steps {
		s := &d.Steps[i]
		if i < len(stepNodes) {
			s.line = stepNodes[i].Line
		}
		field := fmt.Sprintf("steps[%d]", i)
		kinds := 0
		for _, set := range []bool{s.SQL != "", s.Start != "", s.Stop != "", s.Wait != nil, s.Fault != nil, s.Heal, s.Restore != nil, s.Check != nil, s.Sleep > 0} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			return nil, fail(s.line, field, "a step is exactly one of sql, start_workload, stop_workload, wait, fault, heal, restore, check, sleep")
		}
		if (s.Expect != nil || s.Error != "" || s.Within != 0) && s.SQL == "" {
			return nil, fail(s.line, field, "expect, expect_error and within go with sql")
		}
		if s.On != "" && s.SQL == "" && s.Fault == nil {
			return nil, fail(s.line, field+".on", "goes with sql or fault")
		}
		if s.Within != 0 && s.Expect == nil && s.Error == "" {
			return nil, fail(s.line, field+".within", "retries until expect or expect_error holds: give one")
		}
		if s.On != "" && s.On != "current" && s.On != "lost" {
			return nil, fail(s.line, field+".on", "%q is not one of current, lost", s.On)
		}
		for _, name := range []string{s.Start, s.Stop} {
			if name != "" && !workloads[name] {
				return nil, fail(s.line, field, "unknown workload %q", name)
			}
		}
		if c := s.Check; c != nil {
			n := 0
			for _, set := range []bool{c.Workload != "", c.Catalog, c.SnapshotAge > 0} {
				if set {
					n++
				}
			}
			if n != 1 {
				return nil, fail(s.line, field+".check", "check exactly one of workload, catalog, snapshot_age")
			}
			if c.Workload != "" && !workloads[c.Workload] {
				return nil, fail(s.line, field+".check.workload", "unknown workload %q", c.Workload)
			}
			if c.Catalog && !restored {
				return nil, fail(s.line, field+".check.catalog", "the catalog is checked after a restore")
			}
		}
		if f := s.Fault; f != nil {
			if err := checkFault(f, copied, d.Cluster.StorageFaults); err != "" {
				sub, msg, _ := strings.Cut(err, ": ")
				return nil, fail(s.line, field+".fault."+sub, "%s", msg)
			}
			if (f.Kind == "partition" || f.Kind == "partition_storage") && d.Cluster.Backend != "docker" {
				return nil, fail(s.line, field+".fault.kind", "%s needs backend: docker in the drill's cluster section (nodes with hosts of their own)", f.Kind)
			}
			copied = copied || f.Kind == "copy_volume"
		}
		if w := s.Wait; w != nil {
			n := 0
			for _, set := range []bool{w.Snapshots > 0, w.Listed != nil, w.JobState != "", w.Alive, w.StorageFired} {
				if set {
					n++
				}
			}
			if n != 1 || w.Snapshots < 0 {
				return nil, fail(s.line, field+".wait", "wait for exactly one of snapshots (at least 1), listed, job_state, alive, storage_fired")
			}
			if w.StorageFired && !d.Cluster.StorageFaults {
				return nil, fail(s.line, field+".wait.storage_fired", "needs storage_faults: true in the drill's cluster section")
			}
			if w.JobState != "" && !slices.Contains(jobStates, w.JobState) {
				return nil, fail(s.line, field+".wait.job_state", "%q is not one of %s", w.JobState, strings.Join(jobStates, ", "))
			}
		}
		if rs := s.Restore; rs != nil {
			if err := checkRestore(rs, copied); err != "" {
				sub, msg, _ := strings.Cut(err, ": ")
				return nil, fail(s.line, field+".restore."+sub, "%s", msg)
			}
			if rs.Error == "" {
				restored = true
			}
		}
		if restored && (s.Start != "" || s.Stop != "") {
			return nil, fail(s.line, field, "workloads run on the cluster before the restore")
		}
	}
	return d, nil
}

// clusterFieldLine is the line of the cluster section's field in the
// parsed file (1 when not found).
func clusterFieldLine(root *yaml.Node, field string) int {
	if len(root.Content) == 0 {
		return 1
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "cluster" {
			continue
		}
		c := m.Content[i+1]
		for j := 0; j+1 < len(c.Content); j += 2 {
			if c.Content[j].Value == field {
				return c.Content[j].Line
			}
		}
	}
	return 1
}
