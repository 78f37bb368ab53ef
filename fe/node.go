// Package fe is a minirocks frontend node: it wires the journal, the
// replicated metadata state, membership, compute nodes, loads, scans, lake
// maintenance, the SQL engine, the MySQL front and the HTTP API together,
// the way a StarRocks FE process is put together. Each job lives in its own
// package below; this one owns only start-up order, configuration, leader
// takeover and the adapters the SQL engine uses (docs/architecture.md).
package fe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/computenodes"
	"github.com/minirocks/minirocks/fe/fence"
	"github.com/minirocks/minirocks/fe/frontends"
	"github.com/minirocks/minirocks/fe/httpapi"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/fe/lakegc"
	"github.com/minirocks/minirocks/fe/loads"
	"github.com/minirocks/minirocks/fe/meta"
	"github.com/minirocks/minirocks/fe/mysqlserver"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/restore"
	"github.com/minirocks/minirocks/fe/scan"
	"github.com/minirocks/minirocks/fe/snapshot"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/starmgr"
)

// Version is what minirocks reports as its StarRocks-compatible version.
const Version = "3.4.2-minirocks"

// Options says how to start a node.
type Options struct {
	// Home is the FE install directory (STARROCKS_HOME): conf/fe.conf, meta/, log/.
	Home string
	// Helper is HOST:EDIT_LOG_PORT of an FE of the cluster to join (--helper).
	Helper string
	// ClusterSnapshot starts the node in restore mode (--cluster_snapshot).
	ClusterSnapshot bool
	// LogOutput, when set, receives the log instead of log/fe.log.
	LogOutput io.Writer
}

// Node is a running FE.
type Node struct {
	opts  Options
	cfg   *conf.Config
	log   *slog.Logger
	logF  *os.File
	host  string
	name  string
	start time.Time

	meta   *meta.State
	jr     *journal.Journal
	writer meta.Writer
	mux    *journal.Mux
	ids    *meta.IDAllocator
	eng    *query.Engine
	mysql  *mysqlserver.Server
	http   *httpapi.Server
	rpcS   *http.Server
	cns    *computenodes.Monitor
	loads  *loads.Coordinator
	scan   *scan.Scanner
	gc     *lakegc.Collector
	snaps  *snapshot.Scheduler
	fence  *fence.Fence
	// restorePlan is the restore from a cluster snapshot this start does
	// (--cluster_snapshot); becomeLeader finishes it before serving.
	restorePlan *restore.Plan
	restoring   atomic.Bool

	feLn     net.Listener // FE-to-FE RPC listener, registered before the journal opens
	feClient *frontends.Client
	// versionToken is the cluster token of meta_dir/image/VERSION, used until the
	// catalog holds one (a joining node before it caught up).
	versionToken atomic.Value
	fes          *frontends.Service

	// leading: this FE is the raft leader and has finished taking over
	// (becomeLeader). Leader-only work and statements wait for it.
	leading  atomic.Bool
	leaderCh <-chan bool // leadership changes, subscribed before the journal is ready
	// term is the raft term of this FE's leadership (becomeLeader).
	term atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// Start loads the configuration, opens the journal and serves until Close.
// It returns once the node is ready to answer queries.
func Start(ctx context.Context, opts Options) (_ *Node, err error) {
	home, err := filepath.Abs(opts.Home)
	if err != nil {
		return nil, err
	}
	opts.Home = home
	confPath := filepath.Join(home, "conf", "fe.conf")
	env := func(k string) string {
		if k == "STARROCKS_HOME" {
			return home
		}
		return os.Getenv(k)
	}
	cfg, warns, err := conf.Load(confPath, ConfigSpecs(), env)
	if err != nil {
		return nil, err
	}
	n := &Node{opts: opts, cfg: cfg, start: time.Now()}
	n.feClient = frontends.NewClient(n.clusterToken, func() string { return n.host })
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if err := n.openLog(); err != nil {
		return nil, err
	}
	for _, w := range warns {
		n.log.Warn("config: " + w.String())
	}
	if err := n.checkConfig(confPath); err != nil {
		return nil, err
	}
	nets, _ := conf.ParseCIDRList(cfg.Get(KeyPriorityNetworks))
	addr, err := conf.PriorityAddress(nets)
	if err != nil {
		return nil, fmt.Errorf("%s: key %q: %w", confPath, KeyPriorityNetworks, err)
	}
	n.host = addr.String()
	metaDir := cfg.Get(KeyMetaDir)
	if err := os.MkdirAll(metaDir, 0o755); err != nil {
		return nil, fmt.Errorf("create meta_dir: %w", err)
	}
	n.log.Info("starting frontend", "version", Version, "host", n.host, "meta_dir", metaDir, "helper", opts.Helper)

	if err := n.openJournal(ctx, metaDir); err != nil {
		return nil, err
	}
	if err := n.startServers(); err != nil {
		return nil, err
	}
	n.wg.Add(1)
	go n.leaderLoop()
	n.log.Info("frontend ready", "name", n.name, "query_port", cfg.Int(KeyQueryPort), "journal_id", n.jr.AppliedID())
	return n, nil
}

func (n *Node) openLog() error {
	w := n.opts.LogOutput
	if w == nil {
		dir := n.cfg.Get(KeySysLogDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create sys_log_dir: %w", err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "fe.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open fe.log: %w", err)
		}
		n.logF = f
		w = f
	}
	level := slog.LevelInfo
	switch n.cfg.Get(KeySysLogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error", "fatal":
		level = slog.LevelError
	}
	n.log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	return nil
}

// checkConfig validates combinations of keys that single values cannot.
func (n *Node) checkConfig(path string) error {
	if n.cfg.Get(KeyRunMode) == RunModeSharedData && n.cfg.Bool(KeyLoadVolumeFromConf) {
		if n.cfg.Get(KeyStorageType) != "s3" {
			return fmt.Errorf("%s: key %q: only S3 storage volumes are supported, got %q", path, KeyStorageType, n.cfg.Get(KeyStorageType))
		}
		for _, k := range []string{KeyS3Path, KeyS3Endpoint} {
			if n.cfg.Get(k) == "" {
				return fmt.Errorf("%s: key %q: must be set when run_mode = shared_data and enable_load_volume_from_conf = true", path, k)
			}
		}
		if !n.cfg.Bool(KeyS3InstanceProfile) && !n.cfg.Bool(KeyS3DefaultBehavior) &&
			(n.cfg.Get(KeyS3AccessKey) == "" || n.cfg.Get(KeyS3SecretKey) == "") {
			return fmt.Errorf("%s: key %q: aws_s3_access_key and aws_s3_secret_key must be set unless aws_s3_use_instance_profile = true", path, KeyS3AccessKey)
		}
	}
	return nil
}

func (n *Node) openJournal(ctx context.Context, metaDir string) error {
	// Lock the meta dir before anything else, so a second FE on it fails
	// with a clear message rather than on a busy port.
	lock, err := journal.LockMetaDir(metaDir)
	if err != nil {
		return err
	}
	handedOver := false
	defer func() {
		if !handedOver {
			lock.Unlock()
		}
	}()
	editPort := int(n.cfg.Int(KeyEditLogPort))
	if n.opts.ClusterSnapshot {
		if err := n.prepareRestore(ctx, metaDir, editPort); err != nil {
			return err
		}
	}
	hasState, err := journal.HasState(metaDir)
	if err != nil {
		return err
	}
	// Listen first: once the leader adds this node, raft reaches it here.
	ln, err := net.Listen("tcp", net.JoinHostPort(n.host, strconv.Itoa(editPort)))
	if err != nil {
		return fmt.Errorf("listen on edit_log_port: %w", err)
	}
	n.mux = journal.NewMux(ln)
	// Other FEs' RPCs wait in this listener until the servers start,
	// rather than being turned away while the journal opens.
	n.feLn = n.mux.Listener(journal.TagRPC)
	n.meta = meta.NewState()
	n.versionToken.Store(frontends.ReadVersionToken(metaDir))
	join := frontends.JoinConfig{Helper: n.opts.Helper, Host: n.host, EditLogPort: editPort, MetaDir: metaDir,
		HasState: hasState, Client: n.feClient, Logger: n.log, Stop: n.ctx.Done()}
	plan, err := frontends.PrepareJoin(ctx, join)
	if err != nil {
		return err
	}
	if plan != nil {
		n.versionToken.Store(plan.Token)
	}
	name, err := frontends.LoadOrCreateName(metaDir, n.host, editPort)
	if err != nil {
		return err
	}
	n.name = name
	// A node with no journal bootstraps a new cluster unless it joins one
	// through a helper; a node with a journal restarts from it.
	bootstrap := plan == nil
	roll := uint64(n.cfg.Int(KeyEditLogRollNum))
	handedOver = true
	jr, err := journal.Open(journal.Config{
		MetaDir:            metaDir,
		Lock:               lock,
		NodeID:             name,
		Advertise:          net.JoinHostPort(n.host, strconv.Itoa(editPort)),
		Stream:             n.mux.FencedStream(journal.TagRaft, n.raftFence),
		Bootstrap:          bootstrap,
		RollNum:            roll,
		CheckpointInterval: time.Duration(n.cfg.Int(KeyCheckpointInterval)) * time.Second,
		Logger:             n.log.With("component", "journal"),
	}, n.meta)
	if err != nil {
		return err
	}
	n.jr = jr
	n.writer = meta.Writer{Journal: jr}
	n.leaderCh = jr.LeaderChanges()
	n.ids = meta.NewIDAllocator(n.meta.Catalog, n.writer)
	n.newServices()
	// No time limit: a follower restarting while its quorum is away waits
	// for it (SIGTERM ends the wait).
	rctx := ctx
	if plan != nil {
		if err := frontends.FinishJoin(rctx, join, jr, plan); err != nil {
			return err
		}
		n.log.Info("joined the cluster", "helper", plan.Helper, "role", plan.Role, "name", plan.Name)
	}
	if err := jr.WaitReady(rctx); err != nil {
		return fmt.Errorf("wait for the journal to catch up: %w", err)
	}
	if cid := n.meta.Catalog.ClusterID(); cid != "" {
		if err := n.writeVersion(metaDir, cid); err != nil {
			return err
		}
	}
	if jr.IsLeader() {
		if err := n.becomeLeader(rctx); err != nil {
			return err
		}
	}
	return nil
}

// becomeLeader does what a new leader does before serving writes: reset the
// id generator, abort the loads the previous leader coordinated, bootstrap
// the cluster's metadata if that never finished, load the builtin storage
// volume. Only then does the FE count as leading.
func (n *Node) becomeLeader(ctx context.Context) error {
	n.term.Store(int64(n.jr.Term()))
	n.ids.Reset()
	// Loads the previous leader coordinated can never commit now.
	n.loads.TakeOver(ctx)
	cat := n.meta.Catalog
	var ops []any
	if cat.ClusterID() == "" {
		port := int(n.cfg.Int(KeyEditLogPort))
		ops = append(ops, &catalog.BootstrapOp{
			ClusterID: newClusterID(),
			Frontend:  catalog.Frontend{Name: n.name, Host: n.host, EditLogPort: port, Role: catalog.RoleFollower},
			Token:     newClusterToken(),
		})
	}
	if n.meta.StarMgr.ServiceID() == "" {
		ops = append(ops, &starmgr.InitOp{ServiceID: newUUID()})
	}
	if len(ops) > 0 {
		if _, err := n.writer.Propose(ctx, ops...); err != nil {
			return fmt.Errorf("bootstrap cluster metadata: %w", err)
		}
		n.log.Info("cluster metadata bootstrapped", "cluster_id", cat.ClusterID(), "service_id", n.meta.StarMgr.ServiceID())
	}
	// A restore from a cluster snapshot completes before anything else
	// is served (it renews the cluster token, so VERSION follows).
	if p := n.restorePlan; p != nil && !p.Done && n.restoring.Load() {
		err := restore.Finish(ctx, p, restore.FinishDeps{Catalog: cat, StarMgr: n.meta.StarMgr, Proposer: n.writer, IDs: n.ids,
			Self:     catalog.Frontend{Name: n.name, Host: n.host, EditLogPort: int(n.cfg.Int(KeyEditLogPort)), Role: catalog.RoleFollower},
			NewToken: newClusterToken(),
			Logger:   n.log.With("component", "restore")})
		if err != nil {
			return err
		}
		n.restoring.Store(false)
	}
	if err := n.writeVersion(n.cfg.Get(KeyMetaDir), cat.ClusterID()); err != nil {
		return err
	}
	if err := n.loadBuiltinVolume(ctx); err != nil {
		return err
	}
	n.leading.Store(true)
	// The compute nodes are heartbeated now rather than at the next round
	// (up to heartbeat_timeout_second away): a new leader, a restored one
	// above all, serves data only once they are alive again.
	n.cns.HeartbeatNew()
	return nil
}

// prepareRestore runs the restore from a cluster snapshot before the
// journal opens (--cluster_snapshot, or RESTORE_CLUSTER_SNAPSHOT=true,
// which start_fe.sh turns into the flag).
func (n *Node) prepareRestore(ctx context.Context, metaDir string, editPort int) error {
	if n.opts.Helper != "" {
		return fmt.Errorf("--cluster_snapshot restores the leader of a new cluster and cannot be combined with --helper; start the other FEs with --helper once the leader runs")
	}
	reason := "--cluster_snapshot"
	if os.Getenv("RESTORE_CLUSTER_SNAPSHOT") == "true" {
		reason = "RESTORE_CLUSTER_SNAPSHOT=true"
	}
	plan, err := restore.Prepare(ctx, restore.Options{
		ConfPath:  filepath.Join(n.opts.Home, "conf", "cluster_snapshot.yaml"),
		MetaDir:   metaDir,
		Reason:    reason,
		Name:      func() (string, error) { return frontends.LoadOrCreateName(metaDir, n.host, editPort) },
		Advertise: net.JoinHostPort(n.host, strconv.Itoa(editPort)),
		Logger:    n.log.With("component", "restore"),
	})
	if err != nil {
		return err
	}
	n.restorePlan = plan
	n.restoring.Store(!plan.Done)
	return nil
}

// RestoreState is what GET /api/v2/get_cluster_snapshot_restore_state
// answers: "restoring" until a restore from a cluster snapshot has
// finished on this FE, else "finished".
func (n *Node) RestoreState() string {
	if n.restoring.Load() {
		return "restoring"
	}
	return "finished"
}

// loadBuiltinVolume creates builtin_storage_volume from the aws_s3_* keys
// when shared-data mode asks for it and it does not exist yet; it becomes
// the default volume when there is none.
func (n *Node) loadBuiltinVolume(ctx context.Context) error {
	if n.cfg.Get(KeyRunMode) != RunModeSharedData || !n.cfg.Bool(KeyLoadVolumeFromConf) {
		return nil
	}
	cat := n.meta.Catalog
	if cat.StorageVolume(BuiltinVolume) == nil {
		v := BuiltinVolumeFromConfig(n.cfg)
		v.ID = newUUID()
		if _, err := n.writer.Propose(ctx, &catalog.CreateStorageVolumeOp{Volume: v}); err != nil {
			return fmt.Errorf("create %s: %w", BuiltinVolume, err)
		}
		n.log.Info("created storage volume from fe.conf", "name", BuiltinVolume, "location", v.Locations[0])
	}
	// Checked apart from the creation: a leader may have died between the two.
	if cat.DefaultStorageVolume() == "" {
		if _, err := n.writer.Propose(ctx, &catalog.SetDefaultStorageVolumeOp{Name: BuiltinVolume}); err != nil {
			return fmt.Errorf("set %s as default: %w", BuiltinVolume, err)
		}
	}
	return nil
}

// leaderLoop reacts to leadership changes: it takes over when this FE
// becomes the raft leader (retrying while it stays leader) and stops
// counting as leading when it no longer is.
func (n *Node) leaderLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case isLeader, ok := <-n.leaderCh:
			if !ok {
				return
			}
			if !isLeader {
				if n.leading.Swap(false) {
					n.log.Info("lost leadership")
				}
				continue
			}
			if !n.leading.Load() {
				n.takeOver()
			}
		}
	}
}

// takeOver runs becomeLeader after a barrier (the state then holds every
// committed entry), retrying while this FE stays the raft leader.
func (n *Node) takeOver() {
	for n.jr.IsLeader() && n.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(n.ctx, time.Minute)
		err := n.jr.Barrier(ctx)
		if err == nil {
			err = n.becomeLeader(ctx)
		}
		cancel()
		if err == nil {
			n.log.Info("became leader")
			return
		}
		n.log.Error("leader start-up failed; retrying", "err", err)
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// newServices builds the FE's services over the open journal, before this
// FE can become leader (a new leader's takeover uses them); nothing serves
// or runs until startServers.
func (n *Node) newServices() {
	cat, sm := n.meta.Catalog, n.meta.StarMgr
	seconds := func(key string) func() time.Duration {
		return func() time.Duration { return time.Duration(n.cfg.Int(key)) * time.Second }
	}
	n.fence = fence.New(fence.Config{Catalog: cat, ServiceID: sm.ServiceID, Leader: n, Host: n.host,
		Logger: n.log.With("component", "fence")})
	writer := fencedLeader{n, n.fence}
	n.cns = computenodes.New(computenodes.Config{Catalog: cat, StarMgr: sm, Proposer: n.writer, Leader: n,
		Interval:  seconds(KeyHeartbeatTimeout),
		LeaderRPC: net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyRPCPort)))),
		Logger:    n.log.With("component", "computenodes"), Token: n.clusterToken})
	n.loads = loads.New(loads.Config{Catalog: cat, Proposer: n.writer, IDs: n.ids, Leader: n, Nodes: n.cns, Fence: n.fence.Err,
		Logger: n.log.With("component", "loads"), Token: n.clusterToken,
		PublishTimeout: seconds(KeyPublishTimeout), RPCTimeout: seconds(KeyTabletRPCTimeout),
		LabelKeepMax:          seconds(KeyLabelKeepMax),
		LabelCleanInterval:    seconds(KeyLabelCleanInterval),
		MaxRunningTxnNumPerDB: func() int64 { return n.cfg.Int(KeyMaxRunningTxnPerDB) }})
	n.scan = scan.New(scan.Config{Catalog: cat, Nodes: n.cns, Token: n.clusterToken, RPCTimeout: seconds(KeyTabletRPCTimeout)})
	n.gc = lakegc.New(n.ctx, lakegc.Config{Catalog: cat, Proposer: n.writer, Leader: writer, Nodes: n.cns, Txns: n.loads,
		Logger:             n.log.With("component", "lakegc"),
		RPCTimeout:         seconds(KeyTabletRPCTimeout),
		Naptime:            seconds(KeyVacuumNaptime),
		CompactionMinScore: func() int64 { return n.cfg.Int(KeyCompactionMinScore) },
		VacuumGrace:        func() time.Duration { return time.Duration(n.cfg.Int(KeyVacuumGrace)) * time.Minute },
		TrashExpire:        seconds(KeyTrashExpire),
		Token:              n.clusterToken})
	n.snaps = snapshot.New(snapshot.Config{Catalog: cat, ServiceID: sm.ServiceID, Proposer: n.writer, IDs: n.ids,
		Leader: writer, Images: journalImages{n.jr}, MetaFiles: n.metaImageFiles,
		Interval:   seconds(KeySnapshotInterval),
		Timeout:    seconds(KeySnapshotTimeout),
		MaxHistory: func() int { return int(n.cfg.Int(KeySnapshotMaxJobs)) },
		Logger:     n.log.With("component", "snapshot")})
	n.fes = frontends.NewService(frontends.Config{Name: n.name, Host: n.host,
		HTTPPort: int(n.cfg.Int(KeyHTTPPort)), QueryPort: int(n.cfg.Int(KeyQueryPort)), RPCPort: int(n.cfg.Int(KeyRPCPort)),
		StartTime: n.start, Version: Version, Catalog: cat, Journal: n.jr, Leader: n, Client: n.feClient,
		SetConfig: n.cfg.Set, Interval: seconds(KeyHeartbeatTimeout), Logger: n.log.With("component", "frontends"),
		Token: n.clusterToken})
	n.eng = query.NewEngine(query.Config{
		Catalog:        cat,
		StarMgr:        sm,
		Writer:         engineWriter{n.writer, n.ids},
		Frontends:      n.fes,
		Lake:           engineLake{loads: n.loads, scan: n.scan, gc: n.gc, cns: n.cns},
		Conf:           n.cfg,
		Logger:         n.log.With("component", "query"),
		VersionComment: Version,
		ServerVersion:  n.cfg.Get(KeyServerVersion),
	})
	n.fes.SetRunner(n.eng)
}

// startServers starts serving: MySQL, the FE-to-FE RPC, HTTP, the
// rpc_port, and the background loops (compute-node and FE heartbeats, the
// publisher, lake maintenance).
func (n *Node) startServers() error {
	cat, sm := n.meta.Catalog, n.meta.StarMgr
	srv, err := mysqlserver.Start(mysqlserver.Config{
		Addr:          net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyQueryPort)))),
		ServerVersion: n.cfg.Get(KeyServerVersion),
		Engine:        mysqlEngine{n.eng},
		MaxConns:      uint64(n.cfg.Int(KeyMaxConnections)),
		Node:          net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyEditLogPort)))),
		Logger:        n.log.With("component", "mysql"),
	})
	if err != nil {
		return err
	}
	n.mysql = srv
	n.fes.Serve(n.feLn)
	httpLn, err := net.Listen("tcp", net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyHTTPPort)))))
	if err != nil {
		return fmt.Errorf("listen on http_port: %w", err)
	}
	n.http = httpapi.Start(httpapi.Config{Listener: httpLn, Name: n.name, Catalog: cat, StarMgr: sm, Journal: n.jr,
		Leader: n, StreamLoad: n.loads.StreamLoadRedirect, Logger: n.log.With("component", "http"),
		EnablePprof:  n.cfg.Bool(KeyEnablePprof),
		Collectors:   []prometheus.Collector{&snapshot.Collector{Catalog: cat, Scheduler: n.snaps}},
		RestoreState: n.RestoreState})
	if err := n.startRPC(); err != nil {
		return err
	}
	for _, loop := range []func(context.Context){n.cns.Run, n.loads.Run, n.gc.Run, n.fes.Run, n.snaps.Run, n.fence.Run} {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			loop(n.ctx)
		}()
	}
	return nil
}

// startRPC serves rpc_port: the calls compute nodes make (Stream Load).
func (n *Node) startRPC() error {
	ln, err := net.Listen("tcp", net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyRPCPort)))))
	if err != nil {
		return fmt.Errorf("listen on rpc_port: %w", err)
	}
	// Only compute nodes of this cluster (holders of its token) may begin,
	// commit or abort loads here.
	n.rpcS = &http.Server{Handler: rpc.RequireToken(n.loads.RPCHandler(), n.clusterToken), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := n.rpcS.Serve(ln); err != nil && err != http.ErrServerClosed {
			n.log.Error("rpc server stopped", "err", err)
		}
	}()
	return nil
}

// clusterToken is the secret cluster token: the catalog's, or before the
// catalog holds one, meta_dir/image/VERSION's.
func (n *Node) clusterToken() string {
	if m := n.meta; m != nil {
		if t := m.Catalog.ClusterToken(); t != "" {
			return t
		}
	}
	t, _ := n.versionToken.Load().(string)
	return t
}

// writeVersion writes meta_dir/image/VERSION with the cluster token as
// the catalog has it now, and makes that the token raft connections are
// fenced with.
func (n *Node) writeVersion(metaDir, clusterID string) error {
	token := n.clusterToken()
	if err := frontends.WriteVersion(metaDir, clusterID, token); err != nil {
		return err
	}
	n.versionToken.Store(token)
	return nil
}

// raftFence is what raft connections between FEs carry and check (see
// journal.Mux.FencedStream): a digest of the cluster token of this FE's
// VERSION file (what it was given when it joined, or wrote as leader),
// never the token itself, and not the replica's: a joining FE's replica
// starts from an image older than the token. A restore renews the token,
// so the FEs of the lost timeline cannot reach the restored raft group.
func (n *Node) raftFence() string {
	t, _ := n.versionToken.Load().(string)
	if t == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("minirocks raft fence\x00" + t))
	return hex.EncodeToString(sum[:16])
}

// Leading reports whether this FE is the leader and has finished taking
// over (becomeLeader): leader-only work and statements wait for it.
func (n *Node) Leading() bool { return n.leading.Load() }

// Term is the raft term in which this FE became leader: it fences the
// requests that change compute nodes' data (a deposed leader's carry a
// lower term than the new leader's, and compute nodes refuse them).
func (n *Node) Term() int64 { return n.term.Load() }

// Done is closed when the node stops.
func (n *Node) Done() <-chan struct{} { return n.ctx.Done() }

// Close stops the node: servers first, then the journal.
func (n *Node) Close() error {
	var err error
	n.closed.Do(func() {
		if n.log != nil {
			n.log.Info("stopping frontend")
		}
		if n.cancel != nil {
			n.cancel()
		}
		if n.http != nil {
			n.http.Close()
		}
		if n.rpcS != nil {
			n.rpcS.Close()
		}
		if n.fes != nil {
			n.fes.Close()
		}
		n.feClient.Close()
		if n.mysql != nil {
			n.mysql.Close()
		}
		if n.jr != nil {
			err = n.jr.Close()
		}
		if n.mux != nil {
			n.mux.Close()
		}
		n.wg.Wait()
		if n.gc != nil {
			n.gc.Wait()
		}
		if n.logF != nil {
			n.logF.Close()
		}
	})
	return err
}

// journalImages gives the snapshot scheduler the journal's forced
// checkpoint with its image held.
type journalImages struct{ jr *journal.Journal }

func (j journalImages) CheckpointAndHold(ctx context.Context) (snapshot.Image, error) {
	h, err := j.jr.CheckpointAndHold(ctx)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// metaImageFiles returns the files that travel with a snapshot's image:
// the meta dir's VERSION and ROLE.
func (n *Node) metaImageFiles() (map[string][]byte, error) {
	return frontends.ReadMetaImageFiles(n.cfg.Get(KeyMetaDir))
}

// fencedLeader is the leadership signal of the FE's work that writes to or
// deletes from object storage on its own (lake maintenance, snapshots): it
// leads only while no newer incarnation of the cluster holds the storage.
type fencedLeader struct {
	n *Node
	f *fence.Fence
}

func (l fencedLeader) Leading() bool { return l.n.Leading() && l.f.Err() == nil }
func (l fencedLeader) Term() int64   { return l.n.Term() }
