package harness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/minirocks/minirocks/harness/s3proxy"
)

// DefaultFEConf makes clusters react quickly for tests and drills:
// heartbeats every second (a CN is dead after four missed ones), and the
// background lake work every two seconds. WithFEConf adds to it.
const DefaultFEConf = "heartbeat_timeout_second = 1\nlake_autovacuum_partition_naptime_seconds = 2\n"

// ObjectStorage is the S3-compatible storage a cluster's builtin storage
// volume lives on: the cluster's own MinIO, or what WithObjectStorage gave.
type ObjectStorage struct {
	// Endpoint is host:port of the S3 API (plain HTTP).
	Endpoint string
	// AccessKey and SecretKey are the credentials the cluster uses.
	AccessKey, SecretKey string
	// Bucket holds the cluster's data under the prefix named after the cluster.
	Bucket string
	// NodeEndpoint is host:port of the S3 API as the nodes reach it, when
	// that differs from Endpoint (a MinIO container); empty means Endpoint.
	NodeEndpoint string
}

// Cluster is a running minirocks cluster: its FEs and CNs on a Backend and
// its object storage. DSN follows the leader across failovers. Close stops
// everything and removes what Launch created. Methods are safe for
// concurrent use.
type Cluster struct {
	cfg     config
	dir     string
	ownDir  bool // dir was made by Launch and goes with Close
	binary  string
	feConf  string // appended to every FE's fe.conf
	minio   *MinIO
	storage ObjectStorage
	proxy   *s3proxy.Proxy // WithStorageFaults: between the nodes and storage
	// releaseHost gives back what keeps the proxy's address valid
	// (HostAddresser); nil on the process backend.
	releaseHost func() error
	netName     string // go-sql-driver network that dials the leader
	// location is the storage volume's location when it is not
	// s3://<bucket>/<name>: a restored cluster's is the one its
	// cluster_snapshot.yaml gave (the lost cluster's data stays where it is).
	location string

	mu     sync.Mutex
	fes    []*FE
	cns    []*CN
	nextFE int
	nextCN int
	closed atomic.Bool
}

// Launch starts a cluster: object storage (a MinIO of its own unless
// WithObjectStorage), the first FE, the followers and observers (each
// added with ALTER SYSTEM ADD and started with --helper), the compute
// nodes (added with ALTER SYSTEM ADD COMPUTE NODE), and waits until every
// compute node is alive. On error everything started is stopped again.
func Launch(ctx context.Context, opts ...Option) (_ *Cluster, err error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	c, err := newCluster(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	first, err := c.DeployFE(ctx, FESpec{Role: RoleFirst})
	if err != nil {
		return nil, err
	}
	if err := first.Start(ctx); err != nil {
		return nil, err
	}
	c.cfg.logf("harness: %s: FE %s leads on %s", c.cfg.name, first.Name(), first.Host())
	for i := 0; i < cfg.followers+cfg.observers; i++ {
		role := RoleFollower
		if i >= cfg.followers {
			role = RoleObserver
		}
		if _, err := c.AddFE(ctx, role); err != nil {
			return nil, err
		}
	}
	for i := 0; i < cfg.computeNodes; i++ {
		if _, err := c.AddComputeNode(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.WaitComputeNodes(ctx, cfg.computeNodes); err != nil {
		return nil, err
	}
	return c, nil
}

// New prepares a cluster with no node: its dir, its object storage (a
// MinIO of its own, or WithObjectStorage to use another cluster's bucket)
// and its leader-following DSN. It is where a cluster is restored from a
// snapshot: DeployFE a first FE, StartRestore it, then start the FEs and
// compute nodes its cluster_snapshot.yaml names (DeployFE with the leader
// as Helper, DeployComputeNode).
func New(ctx context.Context, opts ...Option) (*Cluster, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	return newCluster(ctx, cfg)
}

// newCluster prepares a cluster without nodes: its dir, its binary, its
// object storage and its leader-following DSN.
func newCluster(ctx context.Context, cfg config) (_ *Cluster, err error) {
	c := &Cluster{cfg: cfg, dir: cfg.dir, binary: cfg.binary, feConf: DefaultFEConf + cfg.feConf}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "minirocks-"+cfg.name+"-"); err != nil {
			return nil, err
		}
		c.ownDir = true
	}
	if c.dir, err = filepath.Abs(c.dir); err != nil {
		return nil, err
	}
	if c.binary == "" {
		if c.binary, err = ResolveBinary(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.storage != nil {
		c.storage = *cfg.storage
	} else {
		if mb, ok := cfg.backend.(MinIOBackend); ok {
			c.minio, err = mb.NewMinIO(ctx, NodeSpec{Cluster: cfg.name, Name: "minio", Dir: filepath.Join(c.dir, "minio"), Binary: cfg.minioBinary})
		} else {
			c.minio, err = NewMinIO(filepath.Join(c.dir, "minio"), cfg.minioBinary, "")
		}
		if err != nil {
			return nil, err
		}
		if cfg.minioAccessKey != "" {
			c.minio.AccessKey, c.minio.SecretKey = cfg.minioAccessKey, cfg.minioSecretKey
		}
		mctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := c.minio.Start(mctx); err != nil {
			return nil, err
		}
		c.storage = ObjectStorage{Endpoint: c.minio.Endpoint, AccessKey: c.minio.AccessKey, SecretKey: c.minio.SecretKey, Bucket: "minirocks", NodeEndpoint: c.minio.NodeEndpoint}
		if err := c.minio.CreateBucket(ctx, c.storage.Bucket); err != nil {
			return nil, err
		}
		c.cfg.logf("harness: %s: MinIO on %s", cfg.name, c.minio.Endpoint)
	}
	if cfg.storageFaults {
		host := "127.0.0.1"
		if ha, ok := cfg.backend.(HostAddresser); ok {
			if host, c.releaseHost, err = ha.HostAddr(ctx, cfg.name); err != nil {
				return nil, fmt.Errorf("harness: storage faults: the address the nodes reach this program at: %w", err)
			}
		}
		if c.proxy, err = s3proxy.Start(net.JoinHostPort(host, "0"), c.storage.Endpoint); err != nil {
			return nil, fmt.Errorf("harness: storage faults: %w", err)
		}
		c.cfg.logf("harness: %s: storage fault proxy on %s in front of %s", cfg.name, c.proxy.Addr(), c.storage.Endpoint)
	}
	c.netName = "minirocks-" + cfg.name + "-" + minioRandomHex(6)
	mysql.RegisterDialContext(c.netName, c.dialLeader)
	return c, nil
}

// Name is the cluster's name (WithName).
func (c *Cluster) Name() string { return c.cfg.name }

// Dir is the directory holding the cluster's nodes.
func (c *Cluster) Dir() string { return c.dir }

// Binary is the minirocks executable the cluster runs.
func (c *Cluster) Binary() string { return c.binary }

// Backend is the backend running the cluster's nodes.
func (c *Cluster) Backend() Backend { return c.cfg.backend }

// MinIO is the cluster's own MinIO, nil with WithObjectStorage.
func (c *Cluster) MinIO() *MinIO { return c.minio }

// ObjectStorage is where the builtin storage volume lives.
func (c *Cluster) ObjectStorage() ObjectStorage { return c.storage }

// StorageFaults is the proxy between the cluster's nodes and its object
// storage, to inject storage faults (nil without WithStorageFaults).
func (c *Cluster) StorageFaults() *s3proxy.Proxy { return c.proxy }

// nodeStorage is the object storage as the nodes reach it: through the
// storage fault proxy when there is one.
func (c *Cluster) nodeStorage() ObjectStorage {
	s := c.storage
	if s.NodeEndpoint != "" {
		s.Endpoint = s.NodeEndpoint
	}
	if c.proxy != nil {
		s.Endpoint = c.proxy.Addr()
	}
	return s
}

// Bucket is the bucket of the builtin storage volume.
func (c *Cluster) Bucket() string { return c.storage.Bucket }

// FEs are the cluster's FEs in the order they were deployed: the first,
// then followers and observers.
func (c *Cluster) FEs() []*FE {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*FE(nil), c.fes...)
}

// CNs are the cluster's compute nodes.
func (c *Cluster) CNs() []*CN {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*CN(nil), c.cns...)
}

// DSN is a go-sql-driver DSN for root that always reaches the current
// leader: every new connection asks the live FEs (SHOW FRONTENDS) which
// one leads and dials its query port, so sql.Open("mysql", c.DSN()) keeps
// working after a failover (connections to a dead leader fail once and are
// replaced). A connection attempt waits up to 15 s for a leader.
func (c *Cluster) DSN() string { return c.DSNFor("root", "", "") }

// DSNFor is DSN for user with password, on database db ("" for none).
func (c *Cluster) DSNFor(user, password, db string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, c.netName, "leader", db
	cfg.Timeout = 15 * time.Second
	cfg.InterpolateParams = true
	return cfg.FormatDSN()
}

// dialLeader is the DSN's dialer.
func (c *Cluster) dialLeader(ctx context.Context, _ string) (net.Conn, error) {
	if c.closed.Load() {
		return nil, fmt.Errorf("cluster %s is closed", c.cfg.name)
	}
	f, err := c.Leader(ctx)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", f.QueryAddr())
}

// Leader returns the FE that leads now, as the live FEs' SHOW FRONTENDS
// say, waiting up to 30 s (or until ctx ends) for one: an election may be
// under way.
func (c *Cluster) Leader(ctx context.Context) (*FE, error) {
	var leader *FE
	err := WaitFor(ctx, 30*time.Second, func() error {
		fes := c.FEs()
		last := errors.New("no FE is running")
		for _, f := range fes {
			if !f.Running() {
				continue
			}
			host, err := f.leaderHost(ctx)
			if err != nil {
				last = err
				continue
			}
			for _, g := range fes {
				if g.Host() == host && g.Running() {
					leader = g
					return nil
				}
			}
			last = fmt.Errorf("the leader %s is not a running FE of the cluster", host)
		}
		return last
	})
	if err != nil {
		return nil, fmt.Errorf("no leader FE: %w", err)
	}
	return leader, nil
}

// DeployFE lays out a new FE of the cluster on its backend (fe.conf with
// the cluster's object storage, DefaultFEConf, WithFEConf and spec.Conf,
// in that order), neither added to the membership nor started. The
// cluster fills spec's NodeSpec; an empty Name gets the next "feN". Use
// it for FEs a scenario adds, or expects to be refused, by hand;
// AddFE does the whole join.
func (c *Cluster) DeployFE(ctx context.Context, spec FESpec) (*FE, error) {
	if c.closed.Load() {
		return nil, errors.New("cluster is closed")
	}
	c.mu.Lock()
	c.nextFE++
	n := c.nextFE
	c.mu.Unlock()
	if spec.Name == "" {
		spec.Name = "fe" + strconv.Itoa(n)
	}
	if spec.Role == "" {
		spec.Role = RoleFollower
	}
	spec.Cluster, spec.Binary = c.cfg.name, c.binary
	spec.Dir = filepath.Join(c.dir, spec.Name)
	spec.Conf = fmt.Sprintf(`
aws_s3_path = %s/%s
aws_s3_endpoint = %s
aws_s3_region = %s
aws_s3_access_key = %s
aws_s3_secret_key = %s
`, c.storage.Bucket, c.cfg.name, c.nodeStorage().Endpoint, MinIORegion, c.storage.AccessKey, c.storage.SecretKey) + c.feConf + spec.Conf
	node, err := c.cfg.backend.NewFE(ctx, spec)
	if err != nil {
		return nil, err
	}
	f := &FE{node: node, spec: spec, helper: spec.Helper}
	c.mu.Lock()
	c.fes = append(c.fes, f)
	c.mu.Unlock()
	c.cfg.logf("harness: %s: deployed FE %s (%s) on %s", c.cfg.name, spec.Name, strings.ToLower(string(spec.Role)), node.Host())
	return f, nil
}

// AddFE adds a follower or an observer: deploys it with the leader as its
// --helper, runs ALTER SYSTEM ADD FOLLOWER|OBSERVER on the leader, starts
// it and waits until it answers queries.
func (c *Cluster) AddFE(ctx context.Context, role FERole) (*FE, error) {
	if role != RoleFollower && role != RoleObserver {
		return nil, fmt.Errorf("AddFE: role %q is neither %s nor %s", role, RoleFollower, RoleObserver)
	}
	leader, err := c.Leader(ctx)
	if err != nil {
		return nil, err
	}
	f, err := c.DeployFE(ctx, FESpec{Role: role, Helper: leader.EditLogAddr()})
	if err != nil {
		return nil, err
	}
	if err := c.exec(ctx, fmt.Sprintf(`ALTER SYSTEM ADD %s "%s"`, role, f.EditLogAddr())); err != nil {
		return nil, fmt.Errorf("add %s: %w", strings.ToLower(string(role)), err)
	}
	if err := f.Start(ctx); err != nil {
		return nil, err
	}
	c.cfg.logf("harness: %s: FE %s joined as %s", c.cfg.name, f.Name(), strings.ToLower(string(role)))
	return f, nil
}

// AddComputeNode deploys and starts a compute node, waits until it is
// healthy and registers it with ALTER SYSTEM ADD COMPUTE NODE. It does not
// wait for the first heartbeat (WaitComputeNodes does).
func (c *Cluster) AddComputeNode(ctx context.Context) (*CN, error) {
	cn, err := c.DeployComputeNode(ctx)
	if err != nil {
		return nil, err
	}
	if err := cn.Start(ctx); err != nil {
		return nil, err
	}
	if err := c.exec(ctx, fmt.Sprintf(`ALTER SYSTEM ADD COMPUTE NODE "%s"`, cn.HeartbeatAddr())); err != nil {
		return nil, fmt.Errorf("add compute node: %w", err)
	}
	c.cfg.logf("harness: %s: compute node %s added on %s", c.cfg.name, cn.Name(), cn.Host())
	return cn, nil
}

// DeployComputeNode lays out a compute node on a host of its own, neither
// started nor registered: for a restore whose cluster_snapshot.yaml names
// it, or a scenario that registers it by hand.
func (c *Cluster) DeployComputeNode(ctx context.Context) (*CN, error) {
	if c.closed.Load() {
		return nil, errors.New("cluster is closed")
	}
	c.mu.Lock()
	c.nextCN++
	n := c.nextCN
	c.mu.Unlock()
	spec := CNSpec{NodeSpec: NodeSpec{Cluster: c.cfg.name, Name: "cn" + strconv.Itoa(n), Binary: c.binary}, Conf: c.cfg.cnConf}
	spec.Dir = filepath.Join(c.dir, spec.Name)
	node, err := c.cfg.backend.NewCN(ctx, spec)
	if err != nil {
		return nil, err
	}
	cn := &CN{node: node, spec: spec}
	c.mu.Lock()
	c.cns = append(c.cns, cn)
	c.mu.Unlock()
	return cn, nil
}

// exec runs one statement as root on the leader.
func (c *Cluster) exec(ctx context.Context, q string) error {
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, q)
	return err
}

// WaitComputeNodes waits, up to a minute, until SHOW COMPUTE NODES on the
// leader lists n alive nodes.
func (c *Cluster) WaitComputeNodes(ctx context.Context, n int) error {
	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	err = WaitFor(ctx, time.Minute, func() error {
		alive, err := aliveComputeNodes(ctx, db)
		if err != nil {
			return err
		}
		if alive != n {
			return fmt.Errorf("%d compute nodes alive, want %d", alive, n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("compute nodes: %w", err)
	}
	return nil
}

func aliveComputeNodes(ctx context.Context, db *sql.DB) (int, error) {
	return countAlive(ctx, db, "SHOW COMPUTE NODES")
}

// countAlive runs q (SHOW FRONTENDS or SHOW COMPUTE NODES) and counts the
// rows whose Alive column is true.
func countAlive(ctx context.Context, db *sql.DB, q string) (int, error) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rows, err := db.QueryContext(qctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	alive := 0
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		for i, name := range cols {
			if name == "Alive" && vals[i].String == "true" {
				alive++
			}
		}
	}
	return alive, rows.Err()
}

// Logs returns the tail (last n lines) of every node's logs, for failure
// reports.
func (c *Cluster) Logs(n int) string {
	var b strings.Builder
	for _, f := range c.FEs() {
		fmt.Fprintf(&b, "=== FE %s (%s)\n%s", f.Name(), f.Host(), f.LogTail(n))
	}
	for _, cn := range c.CNs() {
		fmt.Fprintf(&b, "=== CN %s (%s)\n%s", cn.Name(), cn.Host(), cn.LogTail(n))
	}
	if c.minio != nil {
		fmt.Fprintf(&b, "=== MinIO (%s)\n%s", c.minio.Endpoint, c.minio.LogTail(n))
	}
	return b.String()
}

// Close stops every node and the MinIO, releases their hosts, and removes
// the cluster's dir when Launch made it (not one given with WithDir). The
// DSN's network is deregistered from the driver: connections on it fail
// from then on. Closing twice is harmless.
func (c *Cluster) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, cn := range c.CNs() {
		errs = append(errs, cn.node.Close())
	}
	for _, f := range c.FEs() {
		errs = append(errs, f.node.Close())
	}
	if c.proxy != nil {
		errs = append(errs, c.proxy.Close())
	}
	if c.minio != nil {
		c.minio.Close()
	}
	if c.releaseHost != nil {
		errs = append(errs, c.releaseHost())
	}
	if c.netName != "" {
		mysql.DeregisterDialContext(c.netName)
	}
	if c.ownDir && c.dir != "" {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	c.cfg.logf("harness: %s: closed", c.cfg.name)
	return errors.Join(errs...)
}
