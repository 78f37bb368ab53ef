// Package s3proxy is an HTTP reverse proxy in front of an S3 endpoint that
// injects storage faults request by request: failures with a proper S3
// error, delays, dropped connections, or the whole storage down while the
// server behind it keeps running. Rules are added and removed while
// requests flow, and each one counts the requests it matched, so a test
// can tell a fault that fired from one that never did.
//
// The proxy passes requests on unchanged, Host header included, so AWS
// signature version 4 stays valid: clients sign for the proxy's address
// (the endpoint they were given) and the server behind checks the
// signature against the same Host. Bodies are streamed both ways. Keys are
// read from path-style URLs (/bucket/key), which MinIO and minirocks use.
package s3proxy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Action is what a rule does to the requests it matches.
type Action int

const (
	// Fail answers with an S3 error (Rule.Status, Rule.Code,
	// Rule.Message) without passing the request on.
	Fail Action = iota + 1
	// Delay holds the request for Rule.Delay, then passes it on. A
	// request body is received first (up to MaxHeldBody), so a client
	// that goes away meanwhile is noticed and its request never reaches
	// the storage.
	Delay
	// Drop resets the client's connection without an answer.
	Drop
)

// String is the action's name.
func (a Action) String() string {
	switch a {
	case Fail:
		return "fail"
	case Delay:
		return "delay"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// MaxHeldBody is the largest request body a Delay rule receives before
// holding the request; larger bodies stay unread during the delay.
const MaxHeldBody = 64 << 20

// Rule says which requests to disturb and how. A request matches when its
// method is one of Methods (all methods when empty), its object key (the
// path without the bucket, "" for requests on a bucket) matches KeyGlob
// (path.Match: "*" does not cross "/") when set and contains KeyContains
// when set. Of the matching requests, the rule fires on the first First
// ones (all when 0), each with Probability (always when 0), drawn from a
// generator seeded with Seed so that a run can be replayed.
//
// When several rules match a request, every Delay that fires adds its
// delay, and the first Fail or Drop (in the order the rules were added)
// that fires ends the request; later Fail or Drop rules do not see it.
type Rule struct {
	Action      Action
	Methods     []string
	KeyGlob     string
	KeyContains string
	First       int
	Probability float64
	Seed        uint64
	// Delay is how long a Delay rule holds each request.
	Delay time.Duration
	// Status, Code and Message are the error a Fail rule answers with:
	// Code defaults to InternalError, Status to the code's usual status
	// (503 for SlowDown, 500 when unknown), Message to S3's text for
	// the code.
	Status  int
	Code    string
	Message string
}

// String describes the rule in one line, for logs.
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(r.Action.String())
	if len(r.Methods) > 0 {
		b.WriteString(" " + strings.Join(r.Methods, ","))
	} else {
		b.WriteString(" any method")
	}
	if r.KeyGlob != "" {
		fmt.Fprintf(&b, " on %q", r.KeyGlob)
	}
	if r.KeyContains != "" {
		fmt.Fprintf(&b, " on keys containing %q", r.KeyContains)
	}
	if r.First > 0 {
		fmt.Fprintf(&b, ", first %d", r.First)
	}
	if r.Probability > 0 {
		fmt.Fprintf(&b, ", p=%g seed %d", r.Probability, r.Seed)
	}
	switch r.Action {
	case Delay:
		fmt.Fprintf(&b, ", %v", r.Delay)
	case Fail:
		fmt.Fprintf(&b, ", %d %s", r.status(), r.code())
	}
	return b.String()
}

// Validate says what is wrong with the rule (nil when nothing).
func (r Rule) Validate() error {
	var errs []error
	if r.Action < Fail || r.Action > Drop {
		errs = append(errs, fmt.Errorf("action %d is not Fail, Delay or Drop", int(r.Action)))
	}
	if r.KeyGlob != "" {
		if _, err := path.Match(r.KeyGlob, ""); err != nil {
			errs = append(errs, fmt.Errorf("key glob %q: %w", r.KeyGlob, err))
		}
	}
	if r.First < 0 {
		errs = append(errs, fmt.Errorf("first %d is negative", r.First))
	}
	if r.Probability < 0 || r.Probability > 1 {
		errs = append(errs, fmt.Errorf("probability %g is not within [0, 1]", r.Probability))
	}
	if r.Action == Delay && r.Delay <= 0 {
		errs = append(errs, errors.New("a delay rule needs a positive Delay"))
	}
	if r.Action != Delay && r.Delay != 0 {
		errs = append(errs, fmt.Errorf("delay %v goes with the Delay action", r.Delay))
	}
	if r.Action != Fail && (r.Status != 0 || r.Code != "" || r.Message != "") {
		errs = append(errs, errors.New("status, code and message go with the Fail action"))
	}
	if r.Status != 0 && (r.Status < 300 || r.Status > 599) {
		errs = append(errs, fmt.Errorf("status %d is not an error status (300-599)", r.Status))
	}
	for _, m := range r.Methods {
		if m == "" || strings.ToUpper(m) != m {
			errs = append(errs, fmt.Errorf("method %q is not an upper-case HTTP method", m))
		}
	}
	return errors.Join(errs...)
}

// Matches tells whether a request with this method on this object key
// matches the rule's methods and key patterns (First and Probability
// aside).
func (r Rule) Matches(method, key string) bool {
	if len(r.Methods) > 0 && !slices.Contains(r.Methods, method) {
		return false
	}
	if r.KeyGlob != "" {
		if ok, _ := path.Match(r.KeyGlob, key); !ok {
			return false
		}
	}
	return r.KeyContains == "" || strings.Contains(key, r.KeyContains)
}

// errorStatus is the usual HTTP status of S3 error codes.
var errorStatus = map[string]int{
	"InternalError":         http.StatusInternalServerError,
	"SlowDown":              http.StatusServiceUnavailable,
	"ServiceUnavailable":    http.StatusServiceUnavailable,
	"AccessDenied":          http.StatusForbidden,
	"InvalidAccessKeyId":    http.StatusForbidden,
	"SignatureDoesNotMatch": http.StatusForbidden,
	"NoSuchKey":             http.StatusNotFound,
	"NoSuchBucket":          http.StatusNotFound,
	"RequestTimeout":        http.StatusBadRequest,
	"EntityTooLarge":        http.StatusBadRequest,
	"BadDigest":             http.StatusBadRequest,
	"InvalidRequest":        http.StatusBadRequest,
	"PreconditionFailed":    http.StatusPreconditionFailed,
}

// errorMessage is S3's text for the codes above.
var errorMessage = map[string]string{
	"InternalError":         "We encountered an internal error. Please try again.",
	"SlowDown":              "Please reduce your request rate.",
	"ServiceUnavailable":    "Service is unable to handle request.",
	"AccessDenied":          "Access Denied",
	"InvalidAccessKeyId":    "The AWS Access Key Id you provided does not exist in our records.",
	"SignatureDoesNotMatch": "The request signature we calculated does not match the signature you provided.",
	"NoSuchKey":             "The specified key does not exist.",
	"NoSuchBucket":          "The specified bucket does not exist.",
	"RequestTimeout":        "Your socket connection to the server was not read from or written to within the timeout period.",
	"EntityTooLarge":        "Your proposed upload exceeds the maximum allowed object size.",
	"BadDigest":             "The Content-MD5 or checksum value that you specified did not match what the server received.",
	"InvalidRequest":        "Invalid Request",
	"PreconditionFailed":    "At least one of the pre-conditions you specified did not hold",
}

func (r Rule) code() string {
	if r.Code == "" {
		return "InternalError"
	}
	return r.Code
}

func (r Rule) status() int {
	if r.Status != 0 {
		return r.Status
	}
	if s, ok := errorStatus[r.code()]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func (r Rule) message() string {
	if r.Message != "" {
		return r.Message
	}
	if m, ok := errorMessage[r.code()]; ok {
		return m
	}
	return "injected storage fault"
}

// Hits is what a rule did so far.
type Hits struct {
	// Matched counts the requests whose method and key matched; Count
	// those the rule fired on (beyond First, or lost to Probability,
	// a request matches without firing).
	Matched, Count int
	// First and Last are when the rule first and last fired.
	First, Last time.Time
	// Keys are the distinct object keys it fired on, the first
	// MaxHitKeys of them, in order.
	Keys []string
}

// MaxHitKeys bounds Hits.Keys.
const MaxHitKeys = 16

// rule is an added rule and its counters.
type rule struct {
	id      int
	Rule    Rule
	rng     *rand.Rand
	hits    Hits
	removed bool
}

// Proxy is a running fault-injecting proxy. Its methods are safe for
// concurrent use.
type Proxy struct {
	target   string
	ln       net.Listener
	srv      *http.Server
	rp       *httputil.ReverseProxy
	tr       *http.Transport
	down     atomic.Bool
	closed   chan struct{}
	closeOne sync.Once
	served   sync.WaitGroup

	mu     sync.Mutex
	rules  map[int]*rule
	order  []int // ids of the active rules, oldest first
	nextID int
}

// Start listens on listen (host:port; port 0 picks a free one) and passes
// requests on to the S3 endpoint target (host:port, plain HTTP).
func Start(listen, target string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("s3proxy: target %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("s3proxy: listen on %s: %w", listen, err)
	}
	p := &Proxy{target: target, ln: ln, closed: make(chan struct{}), rules: map[int]*rule{}}
	p.tr = &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true, // no Accept-Encoding of our own: the answer goes back as is
		ExpectContinueTimeout: time.Second,
	}
	u := &url.URL{Scheme: "http", Host: target}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// Only the destination changes: the Host header, which the
			// client signed, stays the one the client sent.
			pr.Out.URL.Scheme, pr.Out.URL.Host = u.Scheme, u.Host
			pr.Out.Host = pr.In.Host
		},
		Transport:     p.tr,
		FlushInterval: -1,
		ErrorLog:      nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// The storage behind does not answer: the client sees what
			// it would see talking to it directly, a broken connection.
			reset(w)
		},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: time.Minute, ErrorLog: nil}
	p.served.Add(1)
	go func() {
		defer p.served.Done()
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// Addr is the proxy's host:port: the S3 endpoint to give clients.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the S3 endpoint behind the proxy.
func (p *Proxy) Target() string { return p.target }

// Close stops the proxy: the listener, every connection, and requests
// being delayed.
func (p *Proxy) Close() error {
	var err error
	p.closeOne.Do(func() {
		close(p.closed)
		err = p.srv.Close()
		p.served.Wait()
		p.tr.CloseIdleConnections()
	})
	if err != nil {
		return fmt.Errorf("s3proxy: close: %w", err)
	}
	return nil
}

// Add adds a rule, which applies to requests from then on, and returns
// its id.
func (p *Proxy) Add(r Rule) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, fmt.Errorf("s3proxy: rule %s: %w", r, err)
	}
	r.Methods = slices.Clone(r.Methods)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	id := p.nextID
	p.rules[id] = &rule{id: id, Rule: r, rng: rand.New(rand.NewPCG(r.Seed, r.Seed^0x9e3779b97f4a7c15))}
	p.order = append(p.order, id)
	return id, nil
}

// Remove removes the rule id; it reports whether the rule was active. Its
// Hits stay readable.
func (p *Proxy) Remove(id int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.rules[id]
	if !ok || r.removed {
		return false
	}
	r.removed = true
	p.order = slices.DeleteFunc(p.order, func(i int) bool { return i == id })
	return true
}

// Clear removes every rule (their Hits stay readable) and brings the
// storage back up if Down took it down.
func (p *Proxy) Clear() {
	p.mu.Lock()
	for _, id := range p.order {
		p.rules[id].removed = true
	}
	p.order = nil
	p.mu.Unlock()
	p.down.Store(false)
}

// Rules are the ids of the active rules, oldest first.
func (p *Proxy) Rules() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.order)
}

// Rule is the rule added as id (ok false for an unknown id).
func (p *Proxy) Rule(id int) (_ Rule, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.rules[id]
	if !ok {
		return Rule{}, false
	}
	return r.Rule, true
}

// Hits reports what rule id did, removed or not (ok false for an unknown
// id).
func (p *Proxy) Hits(id int) (_ Hits, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.rules[id]
	if !ok {
		return Hits{}, false
	}
	h := r.hits
	h.Keys = slices.Clone(h.Keys)
	return h, true
}

// Down with true makes the storage look down while the server behind
// still runs: every request gets its connection reset, none is passed
// on. Down(false) brings it back.
func (p *Proxy) Down(down bool) { p.down.Store(down) }

// IsDown tells whether Down(true) is in effect.
func (p *Proxy) IsDown() bool { return p.down.Load() }

// verdict is what the rules decided for one request.
type verdict struct {
	delay    time.Duration
	terminal *Rule // Fail or Drop, nil to pass on
}

// decide runs the active rules over a request and counts their hits.
func (p *Proxy) decide(method, key string) verdict {
	now := time.Now()
	var v verdict
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range p.order {
		r := p.rules[id]
		if r.Rule.Action != Delay && v.terminal != nil {
			continue
		}
		if !r.Rule.Matches(method, key) {
			continue
		}
		r.hits.Matched++
		if r.Rule.First > 0 && r.hits.Count >= r.Rule.First {
			continue
		}
		if r.Rule.Probability > 0 && r.rng.Float64() >= r.Rule.Probability {
			continue
		}
		r.hits.Count++
		if r.hits.First.IsZero() {
			r.hits.First = now
		}
		r.hits.Last = now
		if len(r.hits.Keys) < MaxHitKeys && !slices.Contains(r.hits.Keys, key) {
			r.hits.Keys = append(r.hits.Keys, key)
		}
		if r.Rule.Action == Delay {
			v.delay += r.Rule.Delay
		} else {
			rr := r.Rule
			v.terminal = &rr
		}
	}
	return v
}

// SplitPath splits a path-style request path (/bucket/key) into the
// bucket and the object key ("" for requests on the service or a bucket).
func SplitPath(p string) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return bucket, key
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		reset(w)
		return
	}
	bucket, key := SplitPath(r.URL.Path)
	v := p.decide(r.Method, key)
	if v.delay > 0 {
		if !p.hold(w, r, v.delay) {
			return
		}
	}
	if v.terminal != nil {
		switch v.terminal.Action {
		case Drop:
			reset(w)
		case Fail:
			writeError(w, r, *v.terminal, bucket, key)
		}
		return
	}
	if p.down.Load() {
		reset(w)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// hold delays a request by d, first receiving its body (up to
// MaxHeldBody) so that a client that goes away is noticed; it reports
// whether the request should go on.
func (p *Proxy) hold(w http.ResponseWriter, r *http.Request, d time.Duration) bool {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength >= 0 && r.ContentLength <= MaxHeldBody {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			reset(w)
			return false
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-p.closed:
		reset(w)
		return false
	}
}

// s3Error is the XML body of an S3 error answer.
type s3Error struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	Key        string   `xml:"Key,omitempty"`
	BucketName string   `xml:"BucketName,omitempty"`
	Resource   string   `xml:"Resource"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
}

var requestSeq atomic.Uint64

// writeError answers r with rule's S3 error, after reading the request's
// body as a server does before it answers.
func writeError(w http.ResponseWriter, r *http.Request, rule Rule, bucket, key string) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	id := fmt.Sprintf("S3PROXY%016X", requestSeq.Add(1))
	body, _ := xml.Marshal(s3Error{Code: rule.code(), Message: rule.message(), Key: key, BucketName: bucket,
		Resource: r.URL.Path, RequestID: id, HostID: "s3proxy"})
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", id)
	h.Set("X-Amz-Id-2", "s3proxy")
	if rule.code() == "SlowDown" || rule.status() == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	full := append([]byte(xml.Header), body...)
	if r.Method == http.MethodHead {
		// A HEAD answer has no body: the client reads the status alone.
		w.WriteHeader(rule.status())
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(full)))
	w.WriteHeader(rule.status())
	_, _ = w.Write(full)
}

// reset ends the client's connection abruptly (a TCP reset), without an
// answer.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort the handler, which drops the stream.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
