package cn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/minirocks/minirocks/rpc"
)

// loadResponse is StarRocks' Stream Load answer, fields in its order.
type loadResponse struct {
	TxnId                  int64  `json:"TxnId"`
	Label                  string `json:"Label"`
	Status                 string `json:"Status"`
	ExistingJobStatus      string `json:"ExistingJobStatus,omitempty"`
	Message                string `json:"Message"`
	NumberTotalRows        int64  `json:"NumberTotalRows"`
	NumberLoadedRows       int64  `json:"NumberLoadedRows"`
	NumberFilteredRows     int64  `json:"NumberFilteredRows"`
	NumberUnselectedRows   int64  `json:"NumberUnselectedRows"`
	LoadBytes              int64  `json:"LoadBytes"`
	LoadTimeMs             int64  `json:"LoadTimeMs"`
	BeginTxnTimeMs         int64  `json:"BeginTxnTimeMs"`
	StreamLoadPlanTimeMs   int64  `json:"StreamLoadPlanTimeMs"`
	ReadDataTimeMs         int64  `json:"ReadDataTimeMs"`
	WriteDataTimeMs        int64  `json:"WriteDataTimeMs"`
	CommitAndPublishTimeMs int64  `json:"CommitAndPublishTimeMs"`
	ErrorURL               string `json:"ErrorURL,omitempty"`
}

// maxErrorLines bounds the rejected rows kept in a load's error log.
const maxErrorLines = 1000

// loadOptions are the Stream Load headers minirocks understands.
type loadOptions struct {
	sep, delim     []byte
	columns        []string
	maxFilterRatio float64
	skipHeader     int
	timeout        time.Duration
}

// parseSeparator decodes StarRocks' separator notation: a literal string,
// or hex bytes written \x01.
func parseSeparator(s, def string) ([]byte, error) {
	if s == "" {
		return []byte(def), nil
	}
	if strings.HasPrefix(s, "\\x") {
		var out []byte
		for _, part := range strings.Split(s, "\\x")[1:] {
			b, err := strconv.ParseUint(part, 16, 8)
			if err != nil {
				return nil, fmt.Errorf("invalid separator %q", s)
			}
			out = append(out, byte(b))
		}
		return out, nil
	}
	s = strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\r`, "\r").Replace(s)
	return []byte(s), nil
}

func loadOptionsOf(h http.Header) (loadOptions, error) {
	o := loadOptions{timeout: 600 * time.Second}
	var err error
	if o.sep, err = parseSeparator(h.Get("column_separator"), "\t"); err != nil {
		return o, err
	}
	if o.delim, err = parseSeparator(h.Get("row_delimiter"), "\n"); err != nil {
		return o, err
	}
	if len(o.sep) == 0 || len(o.delim) == 0 {
		return o, errors.New("column_separator and row_delimiter must not be empty")
	}
	if c := h.Get("columns"); c != "" {
		for _, name := range strings.Split(c, ",") {
			o.columns = append(o.columns, strings.Trim(strings.TrimSpace(name), "`"))
		}
	}
	if r := h.Get("max_filter_ratio"); r != "" {
		if o.maxFilterRatio, err = strconv.ParseFloat(r, 64); err != nil || o.maxFilterRatio < 0 || o.maxFilterRatio > 1 {
			return o, fmt.Errorf("Invalid max_filter_ratio: %s", r)
		}
	}
	if s := h.Get("skip_header"); s != "" {
		if o.skipHeader, err = strconv.Atoi(s); err != nil {
			return o, errors.New("Invalid csv load skip_header format")
		}
		if o.skipHeader < 0 {
			return o, errors.New("skip_header must be equal or greater than 0")
		}
	}
	if t := h.Get("timeout"); t != "" {
		sec, err := strconv.Atoi(t)
		if err != nil || sec <= 0 {
			return o, errors.New("Invalid timeout format")
		}
		o.timeout = time.Duration(sec) * time.Second
	}
	switch f := strings.ToLower(h.Get("format")); f {
	case "", "csv":
	case "json":
		return o, errors.New("format json is not supported by minirocks; use csv")
	default:
		return o, fmt.Errorf("unknown data format, format=%s", h.Get("format"))
	}
	return o, nil
}

// streamLoad runs a Stream Load redirected here by the FE: begin the
// transaction on the leader FE, parse and route the CSV rows, write every
// tablet's segments and txn log to the storage volume, commit.
func (n *Node) streamLoad(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	resp := &loadResponse{TxnId: -1, Label: r.Header.Get("label"), Status: "Fail"}
	if resp.Label == "" {
		resp.Label = uuid.NewString()
	}
	finish := func() {
		resp.LoadTimeMs = time.Since(start).Milliseconds()
		writeJSON(w, resp)
	}
	fail := func(format string, args ...any) {
		resp.Status, resp.Message = "Fail", fmt.Sprintf(format, args...)
		finish()
	}
	if _, _, ok := r.BasicAuth(); !ok {
		fail("no valid Basic authorization")
		return
	}
	if max := n.cfg.Int(KeyLoadMaxMB) << 20; r.ContentLength > max {
		fail("body size %d exceed limit: %d, You can increase the limit by setting streaming_load_max_mb in be.conf.", r.ContentLength, max)
		return
	}
	opts, err := loadOptionsOf(r.Header)
	if err != nil {
		fail("%v", err)
		return
	}
	n.mu.RLock()
	leader := n.leaderRPC
	n.mu.RUnlock()
	if leader == "" {
		fail("compute node has not received a heartbeat from the FE yet")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), opts.timeout)
	defer cancel()

	t0 := time.Now()
	var begin rpc.LoadBeginResponse
	leader, err = n.beginOnLeader(ctx, leader, rpc.LoadBeginRequest{
		Authorization: r.Header.Get("Authorization"), RemoteAddr: r.RemoteAddr,
		DB: r.PathValue("db"), Table: r.PathValue("table"), Label: resp.Label, TimeoutSec: int64(opts.timeout.Seconds())}, &begin)
	resp.BeginTxnTimeMs = time.Since(t0).Milliseconds()
	if err != nil {
		fail("begin transaction on the FE %s failed: %v", leader, err)
		return
	}
	if begin.Status != "OK" {
		resp.Status, resp.Message, resp.ExistingJobStatus = begin.Status, begin.Message, begin.ExistingJobState
		finish()
		return
	}
	resp.TxnId = begin.TxnID
	resp.Label = begin.Label
	abort := func(reason string) {
		actx, acancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer acancel()
		_ = rpc.Call(actx, n.client, "http://"+leader+rpc.PathLoadAbort, rpc.LoadAbortRequest{TxnID: begin.TxnID, Reason: reason}, nil)
	}
	ld, err := n.newLoader(ctx, &begin, opts)
	if err != nil {
		abort(err.Error())
		fail("%v", err)
		return
	}
	defer ld.cancel()
	t1 := time.Now()
	// A chunked body has no Content-Length to check up front: reading stops
	// at the limit.
	err = ld.read(http.MaxBytesReader(w, r.Body, n.cfg.Int(KeyLoadMaxMB)<<20))
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		err = fmt.Errorf("body size exceed limit: %d, You can increase the limit by setting streaming_load_max_mb in be.conf.", tooLarge.Limit)
	}
	resp.ReadDataTimeMs = time.Since(t1).Milliseconds()
	resp.LoadBytes = ld.bytes
	resp.NumberTotalRows, resp.NumberLoadedRows, resp.NumberFilteredRows = ld.total, ld.loaded, ld.filtered
	if err == nil {
		t2 := time.Now()
		err = ld.finish(ctx)
		resp.WriteDataTimeMs = time.Since(t2).Milliseconds() + resp.ReadDataTimeMs
	}
	if ld.filtered > 0 {
		resp.ErrorURL = n.saveErrorLog(ld, r.PathValue("db"), r.PathValue("table"))
	}
	if err != nil {
		ld.stop()
		abort(err.Error())
		fail("%v", err)
		return
	}
	if ld.total > 0 && float64(ld.filtered) > float64(ld.total)*opts.maxFilterRatio {
		abort("too many filtered rows")
		fail("too many filtered rows")
		return
	}
	t3 := time.Now()
	var commit rpc.LoadCommitResponse
	err = rpc.Call(ctx, n.client, "http://"+leader+rpc.PathLoadCommit, rpc.LoadCommitRequest{
		TxnID: begin.TxnID, Writes: ld.writes, Rows: ld.loaded, FilteredRows: ld.filtered, Bytes: ld.bytes}, &commit)
	resp.CommitAndPublishTimeMs = time.Since(t3).Milliseconds()
	switch {
	case err != nil:
		fail("Commit transaction fail cause %v, Transaction status unknown, you can retry with same label.", err)
		return
	case commit.Status == "VISIBLE":
		resp.Status, resp.Message = "Success", "OK"
	case commit.Status == "COMMITTED":
		resp.Status, resp.Message = "Publish Timeout", "Publish timeout. The data will be visible after a while"
	default:
		fail("%s", commit.Message)
		return
	}
	n.log.Info("stream load finished", "label", resp.Label, "txn", resp.TxnId, "rows", ld.loaded, "filtered", ld.filtered, "bytes", ld.bytes, "ms", time.Since(start).Milliseconds())
	finish()
}

func displaySep(b []byte) string {
	return strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(string(b))
}

// errorLogTarget is kept beside an error log (name + ".target"): the table
// whose load rejected the rows, whose privileges guard reading them.
type errorLogTarget struct {
	DB    string `json:"db"`
	Table string `json:"table"`
}

// saveErrorLog keeps the rejected rows under storage_root_path/error_log
// and returns the URL that serves them (StarRocks' ErrorURL).
func (n *Node) saveErrorLog(ld *loader, db, table string) string {
	dir := filepath.Join(n.root, "error_log")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		n.log.Warn("stream load: cannot keep the error log", "err", err)
		return ""
	}
	name := fmt.Sprintf("error_log_%x_%x", ld.begin.TxnID, time.Now().UnixNano())
	target, _ := json.Marshal(errorLogTarget{DB: db, Table: table})
	if err := os.WriteFile(filepath.Join(dir, name+".target"), target, 0o600); err != nil {
		n.log.Warn("stream load: cannot keep the error log", "err", err)
		return ""
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(ld.errLines, "\n")+"\n"), 0o600); err != nil {
		n.log.Warn("stream load: cannot keep the error log", "err", err)
		return ""
	}
	return "http://" + net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyWebserverPort)))) + "/api/_load_error_log?file=" + name
}

// loadErrorLog serves a saved error log to a user with INSERT or SELECT on
// the load's table (the leader FE checks the credentials): the rows in it
// are table data.
func (n *Node) loadErrorLog(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("file")
	if name == "" || strings.ContainsAny(name, "/\\") || strings.Contains(name, "..") || strings.HasSuffix(name, ".target") {
		http.Error(w, "bad file name", http.StatusBadRequest)
		return
	}
	if _, _, ok := r.BasicAuth(); !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm=""`)
		http.Error(w, "Need auth information.", http.StatusUnauthorized)
		return
	}
	dir := filepath.Join(n.root, "error_log")
	b, err := os.ReadFile(filepath.Join(dir, name+".target"))
	var target errorLogTarget
	if err == nil {
		err = json.Unmarshal(b, &target)
	}
	// An unknown log is reported only to valid credentials: the
	// credentials are checked first either way.
	missing := err != nil
	n.mu.RLock()
	leader := n.leaderRPC
	n.mu.RUnlock()
	if leader == "" {
		http.Error(w, "compute node has not received a heartbeat from the FE yet", http.StatusServiceUnavailable)
		return
	}
	var auth rpc.LoadAuthResponse
	if err := rpc.Call(r.Context(), n.client, "http://"+leader+rpc.PathLoadAuth, rpc.LoadAuthRequest{
		Authorization: r.Header.Get("Authorization"), RemoteAddr: r.RemoteAddr, DB: target.DB, Table: target.Table}, &auth); err != nil {
		http.Error(w, fmt.Sprintf("check the credentials on the FE %s: %v", leader, err), http.StatusServiceUnavailable)
		return
	}
	switch {
	case auth.Status == "Unauthorized":
		w.Header().Set("WWW-Authenticate", `Basic realm=""`)
		http.Error(w, auth.Message, http.StatusUnauthorized)
		return
	case missing:
		http.NotFound(w, r)
		return
	case auth.Status == "OK":
	default:
		http.Error(w, auth.Message, http.StatusForbidden)
		return
	}
	http.ServeFile(w, r, filepath.Join(dir, name))
}

// leaderRetryInterval is how often a Stream Load that could not reach the
// leader FE looks again for the leader the heartbeats name.
const leaderRetryInterval = 200 * time.Millisecond

// beginOnLeader begins a Stream Load transaction on the leader FE and
// returns the leader that answered. Right after a failover the leader this
// node knows is gone (its rpc_port refuses connections) or no longer leads,
// and the new leader may still be taking over: until ctx ends (the load's
// timeout) it waits for the heartbeat of the new leader and tries again.
// It retries when the begin surely did not happen (the connection was
// refused, or the FE answered that it does not lead), when the connection
// broke without an answer (a leader killed with the request in flight, or
// a kept-alive connection to a dead one), and when a heartbeat names
// another leader while the call waits (a frozen leader that lost its
// leadership). A begin a lost leader may have journaled can never commit:
// the new leader aborts it, freeing the label, before it serves; a leader
// that is still alive answers the retry with "Label Already Exists".
func (n *Node) beginOnLeader(ctx context.Context, leader string, req rpc.LoadBeginRequest, begin *rpc.LoadBeginResponse) (string, error) {
	for {
		*begin = rpc.LoadBeginResponse{}
		moved, err := n.callWhileLeader(ctx, leader, rpc.PathLoadBegin, req, begin)
		retry := moved || isConnError(err) || (err == nil && begin.Status != "OK" && strings.Contains(begin.Message, "not the leader"))
		if !retry {
			return leader, err
		}
		n.log.Info("stream load: leader FE unavailable, waiting for a heartbeat from the new leader", "leader", leader, "label", req.Label, "err", err, "message", begin.Message)
		select {
		case <-ctx.Done():
			if err == nil {
				return leader, nil // the FE's own answer says why
			}
			return leader, fmt.Errorf("%w (no leader FE answered within the load's timeout)", err)
		case <-time.After(leaderRetryInterval):
		}
		n.mu.RLock()
		leader = n.leaderRPC
		n.mu.RUnlock()
	}
}

// callWhileLeader calls path on leader; it gives up (moved) when a
// heartbeat names another leader before the answer arrives.
func (n *Node) callWhileLeader(ctx context.Context, leader, path string, req, resp any) (moved bool, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var gone atomic.Bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(leaderRetryInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n.mu.RLock()
				now := n.leaderRPC
				n.mu.RUnlock()
				if now != leader {
					gone.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	err = rpc.Call(cctx, n.client, "http://"+leader+path, req, resp)
	return err != nil && gone.Load() && ctx.Err() == nil, err
}

// isConnError reports whether err is a failure of the connection rather
// than an answer: no connection (the request was never sent), or one that
// broke before the answer came.
func isConnError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}
