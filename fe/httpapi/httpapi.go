// Package httpapi serves an FE's http_port: /api/health (the probe the
// StarRocks Kubernetes operator sends), Prometheus /metrics with StarRocks'
// metric names, the Stream Load redirect, and Go profiling when enabled. Its seams: the
// Journal and Leadership it reports on and the replicas it reads.
package httpapi

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/starmgr"
)

// Journal is what the metrics read of the FE's journal.
type Journal interface {
	AppliedID() uint64
	ImageID() uint64
}

// Leadership tells whether this FE leads and has finished taking over.
type Leadership interface {
	Leading() bool
}

// Config is what the HTTP API needs.
type Config struct {
	// Listener is the http_port's, already bound.
	Listener net.Listener
	// Name is this FE's name, to find its role in the catalog.
	Name    string
	Catalog *catalog.Catalog
	StarMgr *starmgr.StarMgr
	Journal Journal
	Leader  Leadership
	// StreamLoad serves PUT /api/{db}/{table}/_stream_load.
	StreamLoad http.HandlerFunc
	Logger     *slog.Logger
	// EnablePprof serves Go profiling under /debug/pprof/ (fe.conf
	// enable_pprof). Off by default: profiles show memory contents and
	// anyone who can reach http_port could fetch them.
	EnablePprof bool
	// Collectors are more metrics to export, from the FE's other parts
	// (cluster snapshots).
	Collectors []prometheus.Collector
	// RestoreState is "restoring" while this FE restores a cluster
	// snapshot, else "finished" (GET /api/v2/get_cluster_snapshot_restore_state).
	RestoreState func() string
}

// Server serves the http_port.
type Server struct {
	cfg Config
	srv *http.Server
}

// Start serves cfg.Listener until Close.
func Start(cfg Config) *Server {
	n := &Server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/health", n.handleHealth)
	mux.HandleFunc("GET /api/v2/get_cluster_snapshot_restore_state", n.handleRestoreState)
	mux.HandleFunc("PUT /api/{db}/{table}/_stream_load", cfg.StreamLoad)
	mux.Handle("/metrics", promhttp.HandlerFor(n.metricsRegistry(), promhttp.HandlerOpts{}))
	if cfg.EnablePprof {
		// Go profiling endpoints, for diagnosing the FE process.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	n.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := n.srv.Serve(cfg.Listener); err != nil && err != http.ErrServerClosed {
			cfg.Logger.Error("http server stopped", "err", err)
		}
	}()
	return n
}

// Close stops the server.
func (n *Server) Close() { n.srv.Close() }

// handleHealth answers the probe the StarRocks Kubernetes operator sends,
// with StarRocks' body (backends only: a shared-data cluster has none).
func (n *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"online_backend_num":0,"total_backend_num":0,"status":"OK"}`)
}

// handleRestoreState answers the Kubernetes operator's probe of a restore
// from a cluster snapshot, with StarRocks' body.
func (n *Server) handleRestoreState(w http.ResponseWriter, _ *http.Request) {
	state := "finished"
	if n.cfg.RestoreState != nil {
		state = n.cfg.RestoreState()
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"status":"OK","msg":"Success","cluster_snapshot_restore_state":%q}`, state)
}

// metricsRegistry builds this node's Prometheus registry (per node, not global).
func (n *Server) metricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	gauge("starrocks_fe_max_journal_id", "Journal id of the last applied edit-log entry.", func() float64 {
		return float64(n.cfg.Journal.AppliedID())
	})
	gauge("starrocks_fe_meta_log_count", "Edit-log entries applied since the newest image.", func() float64 {
		return float64(n.cfg.Journal.AppliedID() - min(n.cfg.Journal.ImageID(), n.cfg.Journal.AppliedID()))
	})
	gauge("starrocks_fe_image_journal_id", "Journal id of the newest image (checkpoint) on disk.", func() float64 {
		return float64(n.cfg.Journal.ImageID())
	})
	gauge("starrocks_fe_starmgr_journal_id", "StarManager journal id of the local state.", func() float64 {
		return float64(n.cfg.StarMgr.JournalID())
	})
	gauge("starrocks_fe_starmgr_shard_groups", "StarManager shard groups (one per partition).", func() float64 {
		return float64(len(n.cfg.StarMgr.ShardGroups()))
	})
	gauge("starrocks_fe_starmgr_shards", "StarManager shards (one per tablet).", func() float64 {
		return float64(n.cfg.StarMgr.ShardCount())
	})
	gauge("starrocks_fe_recycle_bin_partitions", "Partitions in the recycle bin (dropped, still recoverable).", func() float64 {
		cat := n.cfg.Catalog
		parts := len(cat.RecycledPartitions())
		for _, t := range cat.RecycledTables() {
			parts += len(t.Table.Partitions)
		}
		return float64(parts)
	})
	gauge("starrocks_fe_purge_queue_partitions", "Erased partitions whose data awaits deletion by a compute node.", func() float64 {
		return float64(len(n.cfg.Catalog.PurgeQueue()))
	})
	reg.MustRegister(&roleCollector{n: n})
	for _, c := range n.cfg.Collectors {
		reg.MustRegister(c)
	}
	return reg
}

// roleCollector reports the FE's role: StarRocks' node_info{type="is_master"}
// on the leader only, and starrocks_fe_role{role=...} on every FE.
type roleCollector struct{ n *Server }

var (
	nodeInfoDesc = prometheus.NewDesc("node_info", "Node information (StarRocks: is_master on the leader).", []string{"type"}, nil)
	roleDesc     = prometheus.NewDesc("starrocks_fe_role", "Role of this FE: 1 for the role in the label.", []string{"role"}, nil)
)

func (c *roleCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- nodeInfoDesc
	ch <- roleDesc
}

func (c *roleCollector) Collect(ch chan<- prometheus.Metric) {
	role := catalog.RoleFollower
	for _, f := range c.n.cfg.Catalog.Frontends() {
		if f.Name == c.n.cfg.Name {
			role = f.Role
		}
	}
	if c.n.cfg.Leader.Leading() {
		role = catalog.RoleLeader
		ch <- prometheus.MustNewConstMetric(nodeInfoDesc, prometheus.GaugeValue, 1, "is_master")
	}
	ch <- prometheus.MustNewConstMetric(roleDesc, prometheus.GaugeValue, 1, role)
}
