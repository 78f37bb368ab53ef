package loads

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/lakedesc"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/rpc"
)

// Stream Load, the StarRocks way: the client PUTs to the FE's http_port,
// the FE answers 307 with a compute node's webserver_port (curl
// --location-trusted follows it with the credentials), and the compute
// node parses the data and calls back the leader FE's rpc_port to begin and
// commit the transaction.

// writeLoadFailure answers a Stream Load with StarRocks' JSON failure body.
func writeLoadFailure(w http.ResponseWriter, label, status, msg string) {
	w.Header().Set("Content-Type", "application/json")
	body := map[string]any{"TxnId": -1, "Label": label, "Status": status, "Message": msg}
	b, _ := json.MarshalIndent(body, "", "    ")
	w.Write(b)
}

// authFailure answers 401 with StarRocks' REST error body.
func authFailure(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm=""`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	b, _ := json.Marshal(struct {
		Status  string `json:"status"`
		Code    string `json:"code"`
		Msg     string `json:"msg"`
		Message string `json:"message"`
	}{"FAILED", "1", msg, msg})
	w.Write(b)
}

// StreamLoadRedirect serves PUT /api/{db}/{table}/_stream_load on the
// http_port: it checks the credentials and redirects to a live compute
// node, in turn. A missing database or table is reported by the compute
// node, as in StarRocks.
func (l *Coordinator) StreamLoadRedirect(w http.ResponseWriter, req *http.Request) {
	label := req.Header.Get("label")
	user, password, ok := basicAuth(req.Header.Get("Authorization"))
	if !ok {
		authFailure(w, "Need auth information.")
		return
	}
	host, _, _ := net.SplitHostPort(req.RemoteAddr)
	cat := l.cat
	u := cat.MatchUser(user, host)
	if u == nil || !catalog.PasswordMatches(u.Password, password) {
		authFailure(w, fmt.Sprintf("Access denied for %s@%s", user, host))
		return
	}
	db, table := req.PathValue("db"), req.PathValue("table")
	if cat.Table(db, table) != nil && !cat.PrivilegesOf(u.Ident, u.DefaultRoles).Table(db, table, catalog.PrivInsert) {
		writeLoadFailure(w, label, "FAILED", fmt.Sprintf("Access denied; you need (at least one of) the INSERT privilege(s) on TABLE %s for this operation.", table))
		return
	}
	live := l.cfg.Nodes.Live()
	if live.Len() == 0 {
		writeLoadFailure(w, label, "FAILED", "No backend or compute node alive.")
		return
	}
	wk := live.Nth(l.next.Add(1))
	target := "http://" + wk.HTTP + req.URL.RequestURI()
	http.Redirect(w, req, target, http.StatusTemporaryRedirect)
}

// basicAuth parses an Authorization header.
func basicAuth(h string) (user, password string, ok bool) {
	raw, found := strings.CutPrefix(h, "Basic ")
	if !found {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return "", "", false
	}
	user, password, ok = strings.Cut(string(b), ":")
	return user, password, ok
}

// RPCHandler serves the FE's rpc_port: the Stream Load calls compute
// nodes make (begin, commit, abort).
func (l *Coordinator) RPCHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(rpc.PathLoadBegin, rpc.Handle(l.loadBegin))
	mux.Handle(rpc.PathLoadCommit, rpc.Handle(l.loadCommit))
	mux.Handle(rpc.PathLoadAbort, rpc.Handle(l.loadAbort))
	return mux
}

// loadBegin authenticates the user, checks INSERT on the table and opens
// the transaction.
func (l *Coordinator) loadBegin(ctx context.Context, req *rpc.LoadBeginRequest) (*rpc.LoadBeginResponse, error) {
	fail := func(status, format string, args ...any) (*rpc.LoadBeginResponse, error) {
		return &rpc.LoadBeginResponse{Status: status, Label: req.Label, Message: fmt.Sprintf(format, args...)}, nil
	}
	user, password, ok := basicAuth(req.Authorization)
	if !ok {
		return fail("Fail", "no valid Basic authorization")
	}
	cat := l.cat
	host, _, _ := net.SplitHostPort(req.RemoteAddr)
	u := cat.MatchUser(user, host)
	if u == nil || !catalog.PasswordMatches(u.Password, password) {
		return fail("Fail", "Access denied for %s@%s", user, host)
	}
	db := cat.DB(req.DB)
	if db == nil {
		return fail("Fail", "unknown database, database=%s", req.DB)
	}
	t := cat.Table(req.DB, req.Table)
	if t == nil {
		return fail("Fail", "unknown table \"%s.%s\"", req.DB, req.Table)
	}
	if !cat.PrivilegesOf(u.Ident, u.DefaultRoles).Table(req.DB, t.Name, catalog.PrivInsert) {
		return fail("Fail", "Access denied; you need (at least one of) the INSERT privilege(s) for this operation")
	}
	label := req.Label
	if label == "" {
		label = uuid.NewString()
	}
	if prev := cat.TxnByLabel(db.ID, label); prev != nil {
		state := "RUNNING"
		if prev.State == catalog.TxnVisible || prev.State == catalog.TxnCommitted {
			state = "FINISHED"
		}
		return &rpc.LoadBeginResponse{Status: "Label Already Exists", Label: label, ExistingJobState: state,
			Message: fmt.Sprintf("Label [%s] has already been used.", label)}, nil
	}
	timeout := req.TimeoutSec
	if timeout <= 0 {
		timeout = 600 // stream_load_default_timeout_second
	}
	txn, err := l.Begin(ctx, db, t, label, catalog.TxnStreamLoad, u.Ident.String(), timeout)
	if err != nil {
		if strings.Contains(err.Error(), "has already been used") {
			return &rpc.LoadBeginResponse{Status: "Label Already Exists", Label: label, ExistingJobState: "RUNNING", Message: err.Error()}, nil
		}
		return fail("Fail", "%v", err)
	}
	targets, pcol, dist, err := lakedesc.Targets(cat, t, t.Partitions)
	if err != nil {
		l.Abort(txn.ID, err.Error())
		return fail("Fail", "%v", err)
	}
	return &rpc.LoadBeginResponse{Status: "OK", TxnID: txn.ID, GTID: txn.GTID, Label: label, Schema: lakedesc.Schema(t),
		PartitionColumn: pcol, DistColumns: dist, Partitions: targets}, nil
}

// loadCommit commits a Stream Load and waits for it to become visible.
func (l *Coordinator) loadCommit(ctx context.Context, req *rpc.LoadCommitRequest) (*rpc.LoadCommitResponse, error) {
	status, err := l.CommitAndPublish(ctx, req.TxnID, req.Writes, req.Rows, req.FilteredRows, req.Bytes)
	if err != nil {
		msg := err.Error()
		if se, ok := sqlerr.As(err); ok {
			msg = se.Message
		}
		return &rpc.LoadCommitResponse{Status: "Fail", Message: msg}, nil
	}
	return &rpc.LoadCommitResponse{Status: status}, nil
}

// loadAbort aborts a Stream Load.
func (l *Coordinator) loadAbort(_ context.Context, req *rpc.LoadAbortRequest) (*rpc.Empty, error) {
	l.Abort(req.TxnID, req.Reason)
	return &rpc.Empty{}, nil
}
