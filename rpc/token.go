package rpc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
)

// TokenHeader carries the cluster token on every internal request: FE to
// FE (edit_log_port), FE to CN (heartbeat_service_port, brpc_port) and CN
// to FE (rpc_port). The token is made once, when the cluster bootstraps,
// and is the one credential the nodes of a cluster share (StarRocks keeps
// its counterpart in meta/image/VERSION).
const TokenHeader = "X-Minirocks-Cluster-Token"

// CodeUnauthorized is the code of a request refused for want of the
// cluster token.
const CodeUnauthorized = "unauthorized"

// WithToken returns c whose requests carry token() in TokenHeader (none
// while token is nil or returns ""). token is asked at every request: a
// node learns its cluster's token after start-up (a CN from its first
// heartbeat, a joining FE from its helper).
func WithToken(c *http.Client, token func() string) *http.Client {
	if token == nil {
		return c
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out := *c
	out.Transport = &tokenTransport{base: base, token: token}
	return &out
}

type tokenTransport struct {
	base  http.RoundTripper
	token func() string
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tok := t.token()
	if tok == "" {
		return t.base.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set(TokenHeader, tok)
	return t.base.RoundTrip(r)
}

// CloseIdleConnections passes on to the wrapped transport.
func (t *tokenTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// TokenMatches reports whether the request carries the token want, in
// constant time. A node that has no token yet (want "") matches nothing.
func TokenMatches(r *http.Request, want string) bool {
	got := r.Header.Get(TokenHeader)
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// RequireToken serves h only to requests that carry the cluster token
// want(). Others are refused with 403 and CodeUnauthorized before h reads
// anything, so they change nothing; while want() is "" (the node has not
// learnt its cluster's token yet) every request is answered CodeNotReady.
func RequireToken(h http.Handler, want func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := want()
		if tok == "" {
			writeStatus(w, http.StatusServiceUnavailable, Errorf(CodeNotReady, "this node has no cluster token yet; it cannot serve internal requests"))
			return
		}
		if !TokenMatches(r, tok) {
			RefuseToken(w, "request refused: missing or wrong cluster token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// RefuseToken answers a request that lacks the cluster token with 403,
// CodeUnauthorized and why (which must never include a token).
func RefuseToken(w http.ResponseWriter, why string) {
	writeStatus(w, http.StatusForbidden, Errorf(CodeUnauthorized, "%s", why))
}

// IsUnauthorized reports whether err is a CodeUnauthorized refusal.
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeUnauthorized
}

func writeStatus(w http.ResponseWriter, status int, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

type tokenKey struct{}

// WithTokenTrust marks in the request's context whether it carries the
// cluster token want(), for handlers that answer strangers too but less
// (TrustedCaller tells them).
func WithTokenTrust(h http.Handler, want func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := TokenMatches(r, want())
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, ok)))
	})
}

// TrustedCaller reports whether WithTokenTrust found the cluster token on
// the request whose context ctx is.
func TrustedCaller(ctx context.Context) bool {
	ok, _ := ctx.Value(tokenKey{}).(bool)
	return ok
}
