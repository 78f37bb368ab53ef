// Package cn is a minirocks compute node: it keeps no table data of its
// own. It writes segment files and txn logs to the storage volume, turns
// tablet metadata version V-1 plus a txn log into version V when the FE
// publishes, scans tablets at a version (filtering and pre-aggregating for
// the FE), compacts and vacuums, and runs Stream Loads. storage_root_path
// is only a cache: wiping it loses nothing.
//
// It learns everything about the cluster, storage-volume credentials
// included, from the leader FE's heartbeats.
package cn

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/volume"
)

// Version is the version a compute node reports.
const Version = "3.4.2-minirocks"

// Keys of cn.conf, StarRocks' names.
const (
	KeySysLogDir        = "sys_log_dir"
	KeySysLogLevel      = "sys_log_level"
	KeyBePort           = "be_port"
	KeyWebserverPort    = "webserver_port"
	KeyHeartbeatPort    = "heartbeat_service_port"
	KeyBrpcPort         = "brpc_port"
	KeyStarletPort      = "starlet_port"
	KeyStorageRootPath  = "storage_root_path"
	KeyPriorityNetworks = "priority_networks"
	KeyMemLimit         = "mem_limit"
	KeyLoadMaxMB        = "streaming_load_max_mb"
)

// ConfigSpecs declares every cn.conf key minirocks understands.
func ConfigSpecs() []conf.Spec {
	return []conf.Spec{
		{Key: "LOG_DIR", Default: "${STARROCKS_HOME}/log"},
		{Key: KeySysLogDir, Default: "${STARROCKS_HOME}/log", Doc: "directory of cn.log"},
		{Key: KeySysLogLevel, Kind: conf.Enum, Default: "INFO", Choices: []string{"DEBUG", "INFO", "WARNING", "WARN", "ERROR", "FATAL"}},
		{Key: KeyBePort, Kind: conf.Int, Default: "9060", Min: 1, Max: 65535},
		{Key: KeyWebserverPort, Kind: conf.Int, Default: "8040", Min: 1, Max: 65535, Doc: "HTTP: /api/health, Stream Load"},
		{Key: KeyHeartbeatPort, Kind: conf.Int, Default: "9050", Min: 1, Max: 65535, Doc: "FE heartbeats"},
		{Key: KeyBrpcPort, Kind: conf.Int, Default: "8060", Min: 1, Max: 65535, Doc: "tablet work from the FE"},
		{Key: KeyStarletPort, Kind: conf.Int, Default: "9070", Min: 1, Max: 65535},
		{Key: KeyStorageRootPath, Default: "${STARROCKS_HOME}/storage", Doc: "local cache; may be wiped at any time"},
		{Key: KeyPriorityNetworks, Kind: conf.CIDRList, Default: ""},
		{Key: KeyMemLimit, Kind: conf.MemSize, Default: "90%", Doc: "memory the node may use: a share of physical memory or an amount"},
		{Key: KeyLoadMaxMB, Kind: conf.Int, Default: "102400", Min: 1, Max: 1 << 40, Doc: "largest Stream Load body in MB"},
	}
}

// Options says how to start a compute node.
type Options struct {
	// Home is the install directory (STARROCKS_HOME) holding conf/cn.conf.
	Home string
	// LogOutput, when set, receives the log instead of log/cn.log.
	LogOutput io.Writer
}

// Node is a running compute node.
type Node struct {
	cfg   *conf.Config
	log   *slog.Logger
	logF  *os.File
	host  string
	start time.Time
	root  string
	lock  *os.File
	cache *cache
	// memLimit is mem_limit in bytes, reported to the FE.
	memLimit int64

	client  *http.Client
	servers []*http.Server

	mu        sync.RWMutex
	clusterID string
	serviceID string
	nodeID    int64
	leaderRPC string
	volumes   map[string]rpc.Volume
	stores    map[string]*volume.Store
	// token is the cluster token of the cluster that adopted this node,
	// kept in storage_root_path (token.go).
	token string

	// terms is the highest leader term seen (fence.go).
	terms termFence

	ctx    context.Context
	cancel context.CancelFunc
	closed sync.Once
}

// Start loads cn.conf, takes storage_root_path and serves until Close.
func Start(opts Options) (_ *Node, err error) {
	home, err := filepath.Abs(opts.Home)
	if err != nil {
		return nil, err
	}
	env := func(k string) string {
		if k == "STARROCKS_HOME" {
			return home
		}
		return os.Getenv(k)
	}
	cfg, warns, err := conf.Load(filepath.Join(home, "conf", "cn.conf"), ConfigSpecs(), env)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, start: time.Now(), volumes: map[string]rpc.Volume{}, stores: map[string]*volume.Store{}}
	n.client = rpc.WithToken(rpc.NewClient(), n.clusterToken)
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if err := n.openLog(opts.LogOutput); err != nil {
		return nil, err
	}
	for _, w := range warns {
		n.log.Warn("config: " + w.String())
	}
	nets, _ := conf.ParseCIDRList(cfg.Get(KeyPriorityNetworks))
	addr, err := conf.PriorityAddress(nets)
	if err != nil {
		return nil, fmt.Errorf("cn.conf: key %q: %w", KeyPriorityNetworks, err)
	}
	n.host = addr.String()
	n.memLimit, _ = conf.ParseMemSize(cfg.Get(KeyMemLimit), physicalMemory())
	n.root = cfg.Get(KeyStorageRootPath)
	if err := os.MkdirAll(n.root, 0o755); err != nil {
		return nil, fmt.Errorf("create storage_root_path: %w", err)
	}
	if n.lock, err = lockDir(n.root); err != nil {
		return nil, err
	}
	n.cache = &cache{dir: filepath.Join(n.root, "cache")}
	if n.token, err = readToken(n.root); err != nil {
		return nil, err
	}
	if err := n.listen(); err != nil {
		return nil, err
	}
	n.log.Info("compute node started", "version", Version, "host", n.host, "storage_root_path", n.root)
	return n, nil
}

func (n *Node) openLog(w io.Writer) error {
	if w == nil {
		dir := n.cfg.Get(KeySysLogDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create sys_log_dir: %w", err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "cn.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open cn.log: %w", err)
		}
		n.logF, w = f, f
	}
	level := slog.LevelInfo
	switch n.cfg.Get(KeySysLogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warning", "warn":
		level = slog.LevelWarn
	case "error", "fatal":
		level = slog.LevelError
	}
	n.log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	return nil
}

// lockDir flocks <dir>/lock so two compute nodes never share a storage
// root; the lock file holds the pid.
func lockDir(dir string) (*os.File, error) {
	p := filepath.Join(dir, "lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(p)
		f.Close()
		return nil, fmt.Errorf("storage_root_path %s is in use by process %s", dir, string(holder))
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	return f, nil
}

// listen opens the four ports: heartbeats, tablet work, HTTP, and be_port
// (bound so that SHOW COMPUTE NODES' BePort is a real, reserved port).
func (n *Node) listen() error {
	hb := http.NewServeMux()
	hb.Handle(rpc.PathHeartbeat, n.adoptToken(rpc.Handle(n.heartbeat)))
	brpc := http.NewServeMux()
	brpc.Handle(rpc.PathWrite, rpc.HandleWithBody(n.write))
	brpc.Handle(rpc.PathPublish, rpc.Handle(n.publish))
	brpc.Handle(rpc.PathScan, rpc.HandleStream(n.scan))
	brpc.Handle(rpc.PathCompact, rpc.Handle(n.compact))
	brpc.Handle(rpc.PathVacuum, rpc.Handle(n.vacuum))
	brpc.Handle(rpc.PathDrop, rpc.Handle(n.drop))
	web := http.NewServeMux()
	web.HandleFunc("/api/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status": "OK","msg": "To Be Added"}`)
	})
	web.HandleFunc("PUT /api/{db}/{table}/_stream_load", n.streamLoad)
	web.HandleFunc("GET /api/_load_error_log", n.loadErrorLog)
	// Go profiling endpoints, for diagnosing the compute node process.
	web.HandleFunc("/debug/pprof/", pprof.Index)
	web.HandleFunc("/debug/pprof/profile", pprof.Profile)
	for _, s := range []struct {
		key string
		h   http.Handler
	}{{KeyHeartbeatPort, hb}, {KeyBrpcPort, rpc.RequireToken(brpc, n.clusterToken)}, {KeyWebserverPort, web}, {KeyBePort, http.NotFoundHandler()}} {
		ln, err := net.Listen("tcp", net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(s.key)))))
		if err != nil {
			return fmt.Errorf("listen on %s: %w", s.key, err)
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 30 * time.Second}
		n.servers = append(n.servers, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
				n.log.Error("server stopped", "port", s.key, "err", err)
			}
		}()
	}
	return nil
}

// heartbeat answers the leader FE and takes the cluster's identity and
// storage volumes from it. A node serving one cluster answers another
// cluster's heartbeat with its own cluster id, so that FE shows the error.
func (n *Node) heartbeat(_ context.Context, req *rpc.HeartbeatRequest) (*rpc.HeartbeatResponse, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	resp := &rpc.HeartbeatResponse{Status: "OK", StartTime: n.start.UnixMilli(), Version: Version,
		BePort: int(n.cfg.Int(KeyBePort)), HTTPPort: int(n.cfg.Int(KeyWebserverPort)), BrpcPort: int(n.cfg.Int(KeyBrpcPort)),
		CPUCores: runtime.NumCPU(), MemLimitBytes: n.memLimit, ClusterID: req.ClusterID}
	if n.clusterID != "" && n.clusterID != req.ClusterID {
		resp.ClusterID = n.clusterID
		return resp, nil
	}
	if err := n.fence(req.Term, "heartbeat"); err != nil {
		return nil, err
	}
	if n.clusterID == "" {
		n.log.Info("joined cluster", "cluster_id", req.ClusterID, "service_id", req.ServiceID, "compute_node_id", req.ComputeNodeID)
	}
	n.clusterID, n.serviceID, n.nodeID, n.leaderRPC = req.ClusterID, req.ServiceID, req.ComputeNodeID, req.LeaderRPC
	seen := map[string]bool{}
	for _, v := range req.Volumes {
		seen[v.ID] = true
		old, ok := n.volumes[v.ID]
		if ok && old.Location == v.Location && equalProps(old.Properties, v.Properties) {
			continue
		}
		n.volumes[v.ID] = v
		if s := n.stores[v.ID]; s != nil {
			s.Close()
			delete(n.stores, v.ID)
		}
	}
	for id := range n.volumes {
		if !seen[id] {
			delete(n.volumes, id)
			if s := n.stores[id]; s != nil {
				s.Close()
				delete(n.stores, id)
			}
		}
	}
	return resp, nil
}

func equalProps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// store opens (once) the storage volume id, as the FE last described it.
func (n *Node) store(ctx context.Context, id string) (*volume.Store, string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.serviceID == "" {
		return nil, "", rpc.Errorf(rpc.CodeNotReady, "compute node has not received a heartbeat from the FE yet")
	}
	if s := n.stores[id]; s != nil {
		return s, n.serviceID, nil
	}
	v, ok := n.volumes[id]
	if !ok {
		return nil, "", rpc.Errorf("invalid", "unknown storage volume id %s", id)
	}
	s, err := volume.Open(ctx, v.Location, v.Properties)
	if err != nil {
		return nil, "", rpc.Errorf("storage", "storage volume %s: %v", v.Name, err)
	}
	n.stores[id] = s
	return s, n.serviceID, nil
}

// Host is the address the node binds and advertises.
func (n *Node) Host() string { return n.host }

// Done is closed when the node stops.
func (n *Node) Done() <-chan struct{} { return n.ctx.Done() }

// Close stops the servers and releases the storage root.
func (n *Node) Close() error {
	n.closed.Do(func() {
		if n.log != nil {
			n.log.Info("stopping compute node")
		}
		n.cancel()
		for _, s := range n.servers {
			s.Close()
		}
		n.mu.Lock()
		for _, s := range n.stores {
			s.Close()
		}
		n.mu.Unlock()
		if n.lock != nil {
			n.lock.Close()
		}
		if n.logF != nil {
			n.logF.Close()
		}
	})
	return nil
}

// writeJSON answers an HTTP request with pretty JSON (StarRocks' load
// responses are indented by four spaces).
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.MarshalIndent(v, "", "    ")
	w.Write(b)
}

// physicalMemory is the machine's memory (MemTotal of /proc/meminfo), or
// 0 when it cannot be read.
func physicalMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
