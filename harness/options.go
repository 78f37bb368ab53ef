package harness

import (
	"errors"
	"fmt"
	"strings"
)

// Option changes how Launch builds a cluster. Launch applies its defaults
// first, then the options in order, then checks the result, in the manner
// of testcontainers-go modules.
type Option func(*config)

// config is what the options shape.
type config struct {
	name                 string
	dir                  string
	binary               string
	minioBinary          string
	followers, observers int
	computeNodes         int
	feConf, cnConf       string
	backend              Backend
	logf                 func(format string, args ...any)
	storage              *ObjectStorage
	minioAccessKey       string
	minioSecretKey       string
	storageFaults        bool
}

// defaults is a cluster of one FE, one CN and a MinIO on the process backend.
func defaults() config {
	return config{
		name:         "minirocks",
		computeNodes: 1,
		backend:      ProcessBackend{},
		logf:         func(string, ...any) {},
	}
}

func (c *config) validate() error {
	var errs []error
	if c.name == "" {
		errs = append(errs, errors.New("the cluster needs a name"))
	}
	if c.followers < 0 || c.observers < 0 || c.computeNodes < 0 {
		errs = append(errs, fmt.Errorf("negative node counts: %d followers, %d observers, %d compute nodes", c.followers, c.observers, c.computeNodes))
	}
	if c.backend == nil {
		errs = append(errs, errors.New("no backend"))
	}
	if s := c.storage; s != nil && (s.Endpoint == "" || s.Bucket == "") {
		errs = append(errs, errors.New("object storage needs an endpoint and a bucket"))
	}
	if (c.minioAccessKey == "") != (c.minioSecretKey == "") {
		errs = append(errs, errors.New("MinIO credentials need both an access key and a secret key"))
	}
	return errors.Join(errs...)
}

// WithName names the cluster: its S3 prefix, and its label in messages
// and temp dir names. Default "minirocks".
func WithName(name string) Option {
	return func(c *config) { c.name = strings.NewReplacer("/", "_", " ", "_").Replace(name) }
}

// WithDir puts the cluster's nodes (install trees, logs, MinIO's drive)
// under dir, which Close then leaves in place. Default: a temp dir that
// Close removes.
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithBinary runs the given minirocks executable. Default: ResolveBinary.
func WithBinary(path string) Option { return func(c *config) { c.binary = path } }

// WithMinIOBinary runs the given MinIO server executable. Default: MinIOBinary.
func WithMinIOBinary(path string) Option { return func(c *config) { c.minioBinary = path } }

// WithMinIOCredentials sets the root credentials of the cluster's MinIO
// instead of random ones, e.g. to check that a known secret never leaks.
func WithMinIOCredentials(accessKey, secretKey string) Option {
	return func(c *config) { c.minioAccessKey, c.minioSecretKey = accessKey, secretKey }
}

// WithFollowers adds n voting FEs beyond the first (ALTER SYSTEM ADD
// FOLLOWER, started with --helper). Three voters in all survive the loss
// of one.
func WithFollowers(n int) Option { return func(c *config) { c.followers = n } }

// WithObservers adds n non-voting FEs (ALTER SYSTEM ADD OBSERVER).
func WithObservers(n int) Option { return func(c *config) { c.observers = n } }

// WithComputeNodes sets the number of compute nodes (default 1; 0 gives
// a metadata-only cluster).
func WithComputeNodes(n int) Option { return func(c *config) { c.computeNodes = n } }

// WithFEConf appends fe.conf lines for every FE, after DefaultFEConf (so
// they win). Several calls accumulate.
func WithFEConf(conf string) Option {
	return func(c *config) { c.feConf += "\n" + conf + "\n" }
}

// WithCNConf appends cn.conf lines for every compute node. Several calls
// accumulate.
func WithCNConf(conf string) Option {
	return func(c *config) { c.cnConf += "\n" + conf + "\n" }
}

// WithBackend runs the nodes on b instead of ProcessBackend.
func WithBackend(b Backend) Option { return func(c *config) { c.backend = b } }

// WithLogger receives a line for every step of the cluster's life
// (nodes deployed, started, added, killed); t.Logf fits. Default: silent.
func WithLogger(logf func(format string, args ...any)) Option {
	return func(c *config) {
		if logf != nil {
			c.logf = logf
		}
	}
}

// WithObjectStorage uses existing S3-compatible storage for the builtin
// storage volume instead of starting a MinIO; Cluster.MinIO is then nil.
// An endpoint nothing serves is fine for clusters without compute nodes
// (the FE writes nothing to object storage until data is loaded).
func WithObjectStorage(s ObjectStorage) Option {
	return func(c *config) { c.storage = &s }
}

// WithStorageFaults puts a fault-injecting proxy (package s3proxy) between
// the cluster's nodes and its object storage: fe.conf's aws_s3_endpoint,
// and so the builtin storage volume every node uses, names the proxy.
// Cluster.StorageFaults returns it, to fail, delay or drop requests by
// rule or take the storage down. The harness's own requests (snapshot
// listings, object faults) and restores go to the storage directly; a
// Restore passed WithStorageFaults gets a proxy of its own.
func WithStorageFaults() Option { return func(c *config) { c.storageFaults = true } }
