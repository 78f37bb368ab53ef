// Package frontends is FE membership, as StarRocks FEs practise it: joining
// a cluster with --helper (the ROLE and VERSION files in meta_dir/image), the
// FE-to-FE RPC on the edit_log_port (who am I, join, heartbeat status,
// statement forwarding, config changes), heartbeats of the other FEs for
// SHOW FRONTENDS, and forwarding statements that change metadata to the
// leader with read-your-writes. Its seams: the Journal it asks about
// leadership and membership, a Leadership signal, and the StatementRunner
// that runs forwarded statements on the leader.
package frontends

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/rpc"
)

// The FE-to-FE RPC runs on each FE's edit_log_port (journal.TagRPC on the
// port's multiplexer), as StarRocks FEs talk to each other on that port: a
// joining node asks a helper who it is and asks the leader to add it to
// the journal; FEs heartbeat each other; non-leaders forward statements
// that change metadata to the leader.
const (
	pathFERole    = "/fe/role"
	pathFEJoin    = "/fe/join"
	pathFEStatus  = "/fe/status"
	pathFEForward = "/fe/forward"
	pathFEConfig  = "/fe/config"
)

// Error codes of the FE-to-FE RPC.
const (
	codeNotAdded        = "not_added"
	codeClusterMismatch = "cluster_mismatch"
	codeNoLeader        = "no_leader"
)

// roleRequest asks a helper what a node at host:edit_log_port is.
type roleRequest struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

// roleResponse is the node's registration: its name (assigned by ALTER
// SYSTEM ADD FOLLOWER|OBSERVER), role and cluster.
type roleResponse struct {
	ClusterID string `json:"cluster_id"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	// Token is the cluster token, which the node needs for every other
	// call (docs/security.md).
	Token string `json:"token"`
}

// joinRequest asks the leader to add a registered node to the journal's
// membership (a voter for a follower, a non-voter for an observer).
type joinRequest struct {
	ClusterID string `json:"cluster_id"`
	Name      string `json:"name"`
}

// joinResponse carries the leader's journal id when it added the node:
// the node serves once it has replayed that far.
type joinResponse struct {
	JournalID uint64 `json:"journal_id"`
}

// feStatus is an FE's answer to another FE's heartbeat.
type feStatus struct {
	Name              string `json:"name"`
	ClusterID         string `json:"cluster_id"`
	HTTPPort          int    `json:"http_port"`
	QueryPort         int    `json:"query_port"`
	RPCPort           int    `json:"rpc_port"`
	ReplayedJournalID uint64 `json:"replayed_journal_id"`
	ImageJournalID    uint64 `json:"image_journal_id"`
	StartTime         int64  `json:"start_time"` // ms
	Version           string `json:"version"`
}

type statusRequest struct{}

// Client calls other FEs over the FE-to-FE RPC: every connection is
// dialled to the peer's edit_log_port with the RPC tag, and every request
// carries the cluster token.
type Client struct{ http *http.Client }

// NewClient returns a Client whose requests carry the cluster token token
// returns (none while it is "": a joining node before its helper told it)
// and whose connections come from the address local returns (this FE's
// host; "" lets the system choose), which /fe/role checks.
func NewClient(token, local func() string) *Client {
	return &Client{http: rpc.WithToken(&http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			timeout := 3 * time.Second
			if dl, ok := ctx.Deadline(); ok {
				timeout = min(timeout, time.Until(dl))
			}
			return journal.DialFrom(local(), addr, journal.TagRPC, timeout)
		},
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}}, token)}
}

// Call calls another FE at addr (host:edit_log_port).
func (c *Client) Call(ctx context.Context, addr, path string, req, resp any) error {
	return rpc.Call(ctx, c.http, "http://"+addr+path, req, resp)
}

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Journal is what membership needs of the FE's journal (*journal.Journal).
type Journal interface {
	Leader() (id, addr string)
	IsLeader() bool
	Servers() ([]journal.Server, error)
	AddFollower(ctx context.Context, id, addr string) error
	AddObserver(ctx context.Context, id, addr string) error
	RemoveNode(ctx context.Context, id string) error
	AppliedID() uint64
	ImageID() uint64
	WaitApplied(ctx context.Context, id uint64) error
}

// Leadership tells whether this FE leads and has finished taking over.
type Leadership interface {
	Leading() bool
}

// StatementRunner runs a statement forwarded from another FE (the query
// engine on the leader).
type StatementRunner interface {
	RunForwarded(ctx context.Context, st query.SessionState, text string) (*query.Result, error)
}

// Config is what a Service needs.
type Config struct {
	// Name is this FE's name (host_editlogport_timestamp), Host its address.
	Name, Host string
	// The ports other FEs learn from heartbeats.
	HTTPPort, QueryPort, RPCPort int
	StartTime                    time.Time
	Version                      string
	Catalog                      *catalog.Catalog
	Journal                      Journal
	Leader                       Leadership
	Runner                       StatementRunner
	Client                       *Client
	// SetConfig applies a mutable fe.conf change sent by another FE.
	SetConfig func(key, value string) error
	// Interval is heartbeat_timeout_second, read at every round.
	Interval func() time.Duration
	Logger   *slog.Logger
	// Token returns the cluster token; requests without it are refused,
	// except /fe/role and /fe/status, which answer strangers less.
	Token func() string
}

// Service serves the FE-to-FE RPC, heartbeats the other FEs and forwards
// statements to the leader.
type Service struct {
	cfg Config
	cat *catalog.Catalog
	jr  Journal
	log *slog.Logger
	srv *http.Server

	mu    sync.Mutex
	beats map[string]*feBeat // by FE name
	kick  chan struct{}      // heartbeatUnheardFrom's request to Run (1-buffered)
}

// NewService returns a Service; Serve starts its RPC server and Run its
// heartbeats.
func NewService(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, cat: cfg.Catalog, jr: cfg.Journal, log: log, beats: map[string]*feBeat{}, kick: make(chan struct{}, 1)}
}

// SetRunner sets the StatementRunner; call it before Serve.
func (n *Service) SetRunner(r StatementRunner) { n.cfg.Runner = r }

// Serve serves the FE-to-FE RPC on ln (the edit_log_port's RPC listener)
// until Close.
func (n *Service) Serve(ln net.Listener) {
	mux := http.NewServeMux()
	// A node joining with --helper asks who it is before it has the token;
	// a stranger's /fe/status learns only that this is an FE.
	mux.Handle(pathFERole, withCallerHost(rpc.Handle(n.handleRole)))
	mux.Handle(pathFEStatus, withCallerHost(rpc.WithTokenTrust(rpc.Handle(n.handleStatus), n.cfg.Token)))
	mux.Handle(pathFEJoin, rpc.RequireToken(rpc.Handle(n.handleJoin), n.cfg.Token))
	mux.Handle(pathFEForward, rpc.RequireToken(rpc.Handle(n.handleForward), n.cfg.Token))
	mux.Handle(pathFEConfig, rpc.RequireToken(rpc.Handle(n.handleConfig), n.cfg.Token))
	n.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := n.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			n.log.Error("FE RPC server stopped", "err", err)
		}
	}()
}

// Close stops the RPC server.
func (n *Service) Close() {
	if n.srv != nil {
		n.srv.Close()
	}
}

// handleRole tells a starting node what it is registered as, and hands it
// the cluster token: only a node added with ALTER SYSTEM ADD
// FOLLOWER|OBSERVER gets an answer. Any FE can answer from its catalog.
func (n *Service) handleRole(ctx context.Context, req *roleRequest) (*roleResponse, error) {
	cat := n.cat
	for _, f := range cat.Frontends() {
		if f.Host == req.Host && f.EditLogPort == req.Port {
			// Only the node itself may learn its role and the token.
			if caller, _ := ctx.Value(callerHostKey{}).(string); caller != f.Host {
				n.log.Warn("refused to tell the role of a frontend to another host", "frontend", f.Name, "caller", caller)
				return nil, rpc.Errorf(codeNotAdded, "current node is not added to the group. please add it first. (asked from %s, not from %s)", caller, f.Host)
			}
			return &roleResponse{ClusterID: cat.ClusterID(), Name: f.Name, Role: f.Role, Token: cat.ClusterToken()}, nil
		}
	}
	return nil, rpc.Errorf(codeNotAdded, "current node is not added to the group. please add it first.")
}

type callerHostKey struct{}

// withCallerHost puts the caller's IP address in the request's context.
func withCallerHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerHostKey{}, host)))
	})
}

// handleJoin adds a registered node to the journal's membership. A helper
// that does not lead passes the request on to the leader.
func (n *Service) handleJoin(ctx context.Context, req *joinRequest) (*joinResponse, error) {
	cat := n.cat
	if req.ClusterID != cat.ClusterID() {
		return nil, rpc.Errorf(codeClusterMismatch, "cluster id %s is not the cluster id %s of this node", req.ClusterID, cat.ClusterID())
	}
	if !n.cfg.Leader.Leading() {
		_, addr := n.jr.Leader()
		if n.jr.IsLeader() {
			return nil, rpc.Errorf(codeNoLeader, "this FE is taking over as leader; retry")
		}
		if addr == "" {
			return nil, rpc.Errorf(codeNoLeader, "the cluster has no leader now (an election is under way or quorum is lost)")
		}
		var resp joinResponse
		if err := n.cfg.Client.Call(ctx, addr, pathFEJoin, req, &resp); err != nil {
			return nil, err
		}
		return &resp, nil
	}
	var fe *catalog.Frontend
	for _, f := range cat.Frontends() {
		if f.Name == req.Name {
			fe = f
		}
	}
	if fe == nil {
		return nil, rpc.Errorf(codeNotAdded, "frontend %s is not added to the group. please add it first.", req.Name)
	}
	servers, err := n.jr.Servers()
	if err != nil {
		return nil, err
	}
	for _, s := range servers {
		if s.ID == fe.Name && s.Addr == fe.Addr() {
			return &joinResponse{JournalID: n.jr.AppliedID()}, nil // already a member: a restart
		}
	}
	jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if fe.Role == catalog.RoleObserver {
		err = n.jr.AddObserver(jctx, fe.Name, fe.Addr())
	} else {
		err = n.jr.AddFollower(jctx, fe.Name, fe.Addr())
	}
	if err != nil {
		return nil, fmt.Errorf("add %s %s to the journal: %w", fe.Role, fe.Name, err)
	}
	n.log.Info("frontend joined", "name", fe.Name, "role", fe.Role, "addr", fe.Addr())
	return &joinResponse{JournalID: n.jr.AppliedID()}, nil
}

// handleStatus answers another FE's heartbeat. A caller without the
// cluster token learns only that this is a frontend and its version: no
// name, cluster id or ports. A caller this FE has not heard from yet is
// heartbeated back at once (heartbeatUnheardFrom).
func (n *Service) handleStatus(ctx context.Context, _ *statusRequest) (*feStatus, error) {
	if !rpc.TrustedCaller(ctx) {
		return &feStatus{Version: n.cfg.Version}, nil
	}
	if caller, _ := ctx.Value(callerHostKey{}).(string); caller != "" {
		n.heartbeatUnheardFrom(caller)
	}
	return n.localStatus(), nil
}

func (n *Service) localStatus() *feStatus {
	return &feStatus{
		Name:              n.cfg.Name,
		ClusterID:         n.cat.ClusterID(),
		HTTPPort:          n.cfg.HTTPPort,
		QueryPort:         n.cfg.QueryPort,
		RPCPort:           n.cfg.RPCPort,
		ReplayedJournalID: n.jr.AppliedID(),
		ImageJournalID:    n.jr.ImageID(),
		StartTime:         n.cfg.StartTime.UnixMilli(),
		Version:           n.cfg.Version,
	}
}

// configRequest carries ADMIN SET FRONTEND CONFIG changes to another FE.
type configRequest struct {
	ClusterID string            `json:"cluster_id"`
	Changes   map[string]string `json:"changes"`
}

type configResponse struct{}

// handleConfig applies another FE's ADMIN SET FRONTEND CONFIG here.
func (n *Service) handleConfig(_ context.Context, req *configRequest) (*configResponse, error) {
	if req.ClusterID != n.cat.ClusterID() {
		return nil, rpc.Errorf(codeClusterMismatch, "cluster id %s is not the cluster id %s of this node", req.ClusterID, n.cat.ClusterID())
	}
	for k, v := range req.Changes {
		if err := n.cfg.SetConfig(k, v); err != nil {
			return nil, rpc.Errorf("invalid", "%v", err)
		}
		n.log.Info("frontend config changed by another FE", "key", k)
	}
	return &configResponse{}, nil
}

// SetConfigOnOtherFEs applies mutable fe.conf changes (ADMIN SET FRONTEND
// CONFIG) on every other FE; the error names the FEs that could not.
func (n *Service) SetConfigOnOtherFEs(ctx context.Context, changes map[string]string) error {
	var msg strings.Builder
	for _, f := range n.cat.Frontends() {
		if f.Name == n.cfg.Name {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := n.cfg.Client.Call(cctx, f.Addr(), pathFEConfig, &configRequest{ClusterID: n.cat.ClusterID(), Changes: changes}, &configResponse{})
		cancel()
		if err != nil {
			fmt.Fprintf(&msg, "set config for fe[%s] failed: %v;", f.Host, err)
		}
	}
	if msg.Len() > 0 {
		return errors.New(msg.String())
	}
	return nil
}
