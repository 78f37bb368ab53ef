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
	if _, _, ok := basicAuth(req.Header.Get("Authorization")); !ok {
		authFailure(w, "Need auth information.")
		return
	}
	u, denied := l.authenticate(req.Header.Get("Authorization"), req.RemoteAddr)
	if u == nil {
		authFailure(w, denied)
		return
	}
	db, table := req.PathValue("db"), req.PathValue("table")
	if cat := l.cat; cat.Table(db, table) != nil && !cat.PrivilegesOf(u.Ident, u.DefaultRoles).Table(db, table, catalog.PrivInsert) {
		writeLoadFailure(w, label, "FAILED", insertDenied(table))
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

// noPasswordHash is hashed against when the user does not exist, so that
// an unknown user costs the same as a wrong password.
var noPasswordHash = catalog.HashPassword("no such user")

// authenticate checks a Basic Authorization header sent from remoteAddr.
// It returns the account, or nil and the refusal, which is the same for an
// unknown user as for a wrong password (StarRocks' "Access denied for
// user@host"), so the answer does not tell which accounts exist.
func (l *Coordinator) authenticate(authorization, remoteAddr string) (*catalog.User, string) {
	user, password, ok := basicAuth(authorization)
	if !ok {
		return nil, "no valid Basic authorization"
	}
	host, _, _ := net.SplitHostPort(remoteAddr)
	u := l.cat.MatchUser(user, host)
	stored := noPasswordHash
	if u != nil {
		stored = u.Password
	}
	if !catalog.PasswordMatches(stored, password) || u == nil {
		return nil, fmt.Sprintf("Access denied for %s@%s", user, host)
	}
	return u, ""
}

// insertDenied is StarRocks' refusal of a load into table without INSERT.
func insertDenied(table string) string {
	return fmt.Sprintf("Access denied; you need (at least one of) the INSERT privilege(s) on TABLE %s for this operation.", table)
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
	mux.Handle(rpc.PathLoadAuth, rpc.Handle(l.loadAuth))
	return mux
}

// loadBegin authenticates the user, checks INSERT on the table and opens
// the transaction.
func (l *Coordinator) loadBegin(ctx context.Context, req *rpc.LoadBeginRequest) (*rpc.LoadBeginResponse, error) {
	fail := func(status, format string, args ...any) (*rpc.LoadBeginResponse, error) {
		return &rpc.LoadBeginResponse{Status: status, Label: req.Label, Message: fmt.Sprintf(format, args...)}, nil
	}
	u, denied := l.authenticate(req.Authorization, req.RemoteAddr)
	if u == nil {
		return fail("Fail", "%s", denied)
	}
	cat := l.cat
	db := cat.DB(req.DB)
	if db == nil {
		return fail("Fail", "unknown database, database=%s", req.DB)
	}
	t := cat.Table(req.DB, req.Table)
	if t == nil {
		return fail("Fail", "unknown table \"%s.%s\"", req.DB, req.Table)
	}
	if !cat.PrivilegesOf(u.Ident, u.DefaultRoles).Table(req.DB, t.Name, catalog.PrivInsert) {
		return fail("Fail", "%s", insertDenied(t.Name))
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

// loadAuth answers a compute node asking whether a request to its
// webserver_port that reads a load's data (its error log) comes from a
// user with INSERT or SELECT on the load's table.
func (l *Coordinator) loadAuth(_ context.Context, req *rpc.LoadAuthRequest) (*rpc.LoadAuthResponse, error) {
	u, denied := l.authenticate(req.Authorization, req.RemoteAddr)
	if u == nil {
		return &rpc.LoadAuthResponse{Status: "Unauthorized", Message: denied}, nil
	}
	privs := l.cat.PrivilegesOf(u.Ident, u.DefaultRoles)
	if !privs.Table(req.DB, req.Table, catalog.PrivInsert) && !privs.Table(req.DB, req.Table, catalog.PrivSelect) {
		return &rpc.LoadAuthResponse{Status: "Forbidden", Message: fmt.Sprintf(
			"Access denied; you need (at least one of) the INSERT OR SELECT privilege(s) on TABLE %s for this operation.", req.Table)}, nil
	}
	return &rpc.LoadAuthResponse{Status: "OK"}, nil
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
