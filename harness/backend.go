package harness

import (
	"context"
)

// Backend runs the nodes of a cluster: it lays a node out from its spec,
// and returns a Node handle through which the harness starts, faults and
// inspects it. The harness itself never knows whether a node is a child
// process or a container; it speaks to nodes only through their public
// surfaces (SQL, HTTP, logs, user-visible files) and this interface.
//
// ProcessBackend is the first implementation. A backend is given to Launch
// with WithBackend; one backend value may serve several clusters.
type Backend interface {
	// Name identifies the backend in messages ("process", "docker").
	Name() string
	// NewFE lays out a frontend for spec (install tree, fe.conf) and
	// returns its handle, not started.
	NewFE(ctx context.Context, spec FESpec) (Node, error)
	// NewCN lays out a compute node for spec (install tree, cn.conf) and
	// returns its handle, not started.
	NewCN(ctx context.Context, spec CNSpec) (Node, error)
}

// NodeSpec is what every node spec carries.
type NodeSpec struct {
	// Cluster is the name of the cluster the node belongs to.
	Cluster string
	// Name is the node's name, unique in its cluster ("fe1", "cn2").
	Name string
	// Dir is a directory on this machine reserved for the node: the
	// process backend puts the install tree there, another backend may
	// keep only logs there.
	Dir string
	// Binary is the minirocks executable the node runs.
	Binary string
}

// FERole is the part an FE plays in the cluster's membership.
type FERole string

// The FE roles: the first FE bootstraps the cluster and leads at first;
// followers vote; observers replicate without voting.
const (
	RoleFirst    FERole = "FIRST"
	RoleFollower FERole = "FOLLOWER"
	RoleObserver FERole = "OBSERVER"
)

// FESpec describes a frontend a backend lays out.
type FESpec struct {
	NodeSpec
	// Role is the FE's part in the membership; informational for the
	// backend (membership itself is SQL: ALTER SYSTEM ADD ...).
	Role FERole
	// Helper is the edit_log address (host:port) passed as --helper on
	// start; empty for the first FE.
	Helper string
	// Conf is appended to fe.conf. The backend adds the settings that
	// depend on where the node runs (priority_networks) before it, so Conf
	// wins where both set a key.
	Conf string
}

// CNSpec describes a compute node a backend lays out.
type CNSpec struct {
	NodeSpec
	// Conf is appended to cn.conf, after the backend's own settings.
	Conf string
}

// StartOptions are what may change from one start of a node to the next.
type StartOptions struct {
	// Helper is passed to an FE as --helper when not empty.
	Helper string
	// ClusterSnapshot starts an FE with --cluster_snapshot: it restores
	// the cluster from the snapshot its conf/cluster_snapshot.yaml names.
	ClusterSnapshot bool
	// Env is added to the node's environment (KEY=VALUE), e.g.
	// RESTORE_CLUSTER_SNAPSHOT=true as the Kubernetes operator sets it.
	Env []string
}

// Node is one FE or CN as a backend runs it. Start returns once the node
// is launched; readiness (answering SQL or /api/health) is the harness'
// business. Methods are safe for concurrent use.
type Node interface {
	// Name is the spec's name.
	Name() string
	// Host is the address other nodes reach this node at, and what SHOW
	// FRONTENDS and ALTER SYSTEM show and take.
	Host() string
	// Addr is host:port through which this program reaches the node's
	// port (one of the StarRocks standard ports, e.g. 9030).
	Addr(port int) string
	// Start launches the node (again, after Kill or Stop: same install,
	// same host, its meta dir or cache as the previous run left them).
	Start(ctx context.Context, opts StartOptions) error
	// Kill ends the node at once (SIGKILL) and waits until it is gone.
	Kill() error
	// Stop shuts the node down cleanly (SIGTERM) and waits until it is gone.
	Stop() error
	// Pause freezes the node (SIGSTOP): it holds its connections and
	// answers nothing until Resume.
	Pause() error
	// Resume continues a paused node (SIGCONT).
	Resume() error
	// Running reports whether the node has been started and has not ended.
	Running() bool
	// Wait waits until the node ends and returns its exit code.
	Wait(ctx context.Context) (int, error)
	// Wipe deletes the node's state on its disk: an FE's meta dir, a CN's
	// storage_root_path. The node must not be running.
	Wipe() error
	// WriteFile writes a file of the node's home (fe/ or be/ of the
	// install tree), e.g. "conf/cluster_snapshot.yaml".
	WriteFile(rel string, data []byte) error
	// ListDir names the entries of a directory of the node's home
	// (fe/ or be/ of the install tree), e.g. "meta/image"; a directory
	// that does not exist is empty.
	ListDir(rel string) ([]string, error)
	// LogNames lists the node's log files ("fe.out", "fe.log").
	LogNames() []string
	// ReadLog returns one of the node's log files.
	ReadLog(name string) ([]byte, error)
	// Close kills the node and releases what the backend holds for it
	// (its host). The node's files stay; the cluster removes its dir.
	Close() error
}

// MinIOBackend is a Backend that also runs the MinIO of a cluster that
// starts one of its own (the docker backend: a container on the cluster's
// network). Launch and New use it instead of a MinIO child process.
type MinIOBackend interface {
	Backend
	// NewMinIO prepares, not started, a MinIO for spec's cluster with its
	// drive under spec.Dir, running the MinIO server spec.Binary ("" means
	// MinIOBinary()). Its Endpoint is how this program reaches it, its
	// NodeEndpoint how the cluster's nodes do.
	NewMinIO(ctx context.Context, spec NodeSpec) (*MinIO, error)
}

// HostAddresser is a backend whose nodes reach this program at an
// address of their own network rather than at loopback (the docker
// backend: the bridge's gateway). A listener the nodes must reach, such
// as the storage fault proxy, binds there.
type HostAddresser interface {
	// HostAddr is this machine's address as the nodes of cluster reach
	// it. The backend keeps what makes it valid (the cluster's network)
	// until release is called.
	HostAddr(ctx context.Context, cluster string) (addr string, release func() error, err error)
}
