package fe

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/starmgr"
)

// startHTTP serves http_port: /api/health for probes and /metrics for
// Prometheus.
func (n *Node) startHTTP() error {
	addr := net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyHTTPPort))))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on http_port: %w", err)
	}
	n.httpL = ln
	mux := http.NewServeMux()
	mux.HandleFunc("/api/health", n.handleHealth)
	slr := &streamLoadRouter{l: n.lake}
	mux.HandleFunc("PUT /api/{db}/{table}/_stream_load", slr.handleStreamLoad)
	mux.Handle("/metrics", promhttp.HandlerFor(n.metricsRegistry(), promhttp.HandlerOpts{}))
	// Go profiling endpoints, for diagnosing the FE process.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	n.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := n.http.Serve(ln); err != nil && err != http.ErrServerClosed {
			n.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// handleHealth answers the probe the StarRocks Kubernetes operator sends,
// with StarRocks' body (backends only: a shared-data cluster has none).
func (n *Node) handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"online_backend_num":0,"total_backend_num":0,"status":"OK"}`)
}

// metricsRegistry builds this node's Prometheus registry (per node, not global).
func (n *Node) metricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	gauge("starrocks_fe_max_journal_id", "Journal id of the last applied edit-log entry.", func() float64 {
		return float64(n.jr.AppliedID())
	})
	gauge("starrocks_fe_meta_log_count", "Edit-log entries applied since the newest image.", func() float64 {
		return float64(n.jr.AppliedID() - min(n.jr.ImageID(), n.jr.AppliedID()))
	})
	gauge("starrocks_fe_image_journal_id", "Journal id of the newest image (checkpoint) on disk.", func() float64 {
		return float64(n.jr.ImageID())
	})
	gauge("starrocks_fe_starmgr_journal_id", "StarManager journal id of the local state.", func() float64 {
		return float64(n.meta.sm.JournalID())
	})
	gauge("starrocks_fe_starmgr_shard_groups", "StarManager shard groups (one per partition).", func() float64 {
		return float64(len(n.meta.sm.ShardGroups()))
	})
	gauge("starrocks_fe_starmgr_shards", "StarManager shards (one per tablet).", func() float64 {
		return float64(n.meta.sm.ShardCount())
	})
	gauge("starrocks_fe_recycle_bin_partitions", "Partitions in the recycle bin (dropped, still recoverable).", func() float64 {
		cat := n.meta.cat
		parts := len(cat.RecycledPartitions())
		for _, t := range cat.RecycledTables() {
			parts += len(t.Table.Partitions)
		}
		return float64(parts)
	})
	gauge("starrocks_fe_purge_queue_partitions", "Erased partitions whose data awaits deletion by a compute node.", func() float64 {
		return float64(len(n.meta.cat.PurgeQueue()))
	})
	reg.MustRegister(&roleCollector{n: n})
	return reg
}

// roleCollector reports the FE's role: StarRocks' node_info{type="is_master"}
// on the leader only, and starrocks_fe_role{role=...} on every FE.
type roleCollector struct{ n *Node }

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
	for _, f := range c.n.meta.cat.Frontends() {
		if f.Name == c.n.name {
			role = f.Role
		}
	}
	if c.n.leading.Load() {
		role = catalog.RoleLeader
		ch <- prometheus.MustNewConstMetric(nodeInfoDesc, prometheus.GaugeValue, 1, "is_master")
	}
	ch <- prometheus.MustNewConstMetric(roleDesc, prometheus.GaugeValue, 1, role)
}

// nodeMeta gives the query engine its view of the node.
type nodeMeta struct{ n *Node }

func (m nodeMeta) Catalog() *catalog.Catalog { return m.n.meta.cat }
func (m nodeMeta) StarMgr() *starmgr.StarMgr { return m.n.meta.sm }
func (m nodeMeta) Config() *conf.Config      { return m.n.cfg }
func (m nodeMeta) Now() time.Time            { return time.Now() }
func (m nodeMeta) Propose(ctx context.Context, ops ...any) (uint64, error) {
	return m.n.Propose(ctx, ops...)
}
func (m nodeMeta) AllocIDs(ctx context.Context, k int) (int64, error) { return m.n.ids.alloc(ctx, k) }
func (m nodeMeta) Lake() query.Lake                                   { return m.n.lake }
