package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Error is a failure reported by the peer; Message is meant for users (it
// names objects, nodes and causes, never secrets).
type Error struct {
	// Code is a short machine-readable kind: "corrupt", "storage",
	// "not_found", "invalid", "internal".
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

// CodeNotReady is the code of a compute node that has not yet had the FE's
// heartbeat (just started): the FE heartbeats it and retries.
const CodeNotReady = "not_ready"

// IsNotReady reports whether err is a CodeNotReady error.
func IsNotReady(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeNotReady
}

// Errorf builds an Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NewClient returns the HTTP client FE and CN use for RPCs: bounded dial
// time, connection reuse, no overall timeout (callers pass contexts; a
// 1 GB scan may take a while).
func NewClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// frame writes the length-prefixed JSON header that starts every body.
func frame(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var n [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(n[:], uint64(len(b)))
	if _, err := w.Write(n[:k]); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// unframe reads a header written by frame into v.
func unframe(r *bufio.Reader, v any) error {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("read rpc header: %w", err)
	}
	if n > MaxHeaderBytes {
		return fmt.Errorf("rpc header of %d bytes is too large (at most %d)", n, MaxHeaderBytes)
	}
	b, err := readExactly(r, nil, n)
	if err != nil {
		return fmt.Errorf("read rpc header of %d bytes: %w", n, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode rpc header: %w", err)
	}
	return nil
}

// post sends a framed request (header, then body if any) and returns the
// response body once the status says success.
func post(ctx context.Context, c *http.Client, url string, req any, body io.Reader) (io.ReadCloser, error) {
	var buf bytes.Buffer
	if err := frame(&buf, req); err != nil {
		return nil, err
	}
	var rd io.Reader = &buf
	if body != nil {
		rd = io.MultiReader(&buf, body)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, rd)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/x-minirocks-rpc")
	resp, err := c.Do(hreq)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e Error
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			return nil, &e
		}
		return nil, fmt.Errorf("%s: http %d: %s", url, resp.StatusCode, bytes.TrimSpace(data))
	}
	return resp.Body, nil
}

// Call sends req to url and decodes the JSON response into resp.
func Call(ctx context.Context, c *http.Client, url string, req, resp any) error {
	return CallWithBody(ctx, c, url, req, nil, resp)
}

// CallWithBody sends req followed by body (row blocks) and decodes the
// JSON response into resp.
func CallWithBody(ctx context.Context, c *http.Client, url string, req any, body io.Reader, resp any) error {
	rc, err := post(ctx, c, url, req, body)
	if err != nil {
		return err
	}
	defer rc.Close()
	capped := &cappedReader{r: rc, left: MaxResponseBytes, max: MaxResponseBytes, what: "rpc response from " + url}
	if resp == nil {
		_, err = io.Copy(io.Discard, capped)
		return err
	}
	if err := json.NewDecoder(capped).Decode(resp); err != nil {
		return fmt.Errorf("decode rpc response from %s: %w", url, err)
	}
	return nil
}

// CallStream sends req and returns the response body (row blocks) for the
// caller to read and close.
func CallStream(ctx context.Context, c *http.Client, url string, req any) (io.ReadCloser, error) {
	return post(ctx, c, url, req, nil)
}

// WriteError answers an RPC with an error. Errors that are not *Error
// become "internal".
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "internal", Message: err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	status := http.StatusInternalServerError
	switch e.Code {
	case "invalid", "not_found":
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

// Handle serves a JSON-in, JSON-out RPC.
func Handle[Req, Resp any](fn func(ctx context.Context, req *Req) (*Resp, error)) http.HandlerFunc {
	return HandleWithBody(func(ctx context.Context, req *Req, _ io.Reader) (*Resp, error) { return fn(ctx, req) })
}

// HandleWithBody serves an RPC whose request carries a body after the
// header (row blocks to write).
func HandleWithBody[Req, Resp any](fn func(ctx context.Context, req *Req, body io.Reader) (*Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReaderSize(r.Body, 64<<10)
		var req Req
		if err := unframe(br, &req); err != nil {
			WriteError(w, Errorf("invalid", "bad request: %v", err))
			return
		}
		resp, err := fn(r.Context(), &req, br)
		if err != nil {
			WriteError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}
}

// HandleStream serves an RPC whose response is a stream (row blocks): fn
// writes to out. An error before anything was written is sent as an error
// response; after that the stream is cut, which the client sees as a
// truncated stream (row block streams end with an explicit terminator).
func HandleStream[Req any](fn func(ctx context.Context, req *Req, out io.Writer) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReaderSize(r.Body, 64<<10)
		var req Req
		if err := unframe(br, &req); err != nil {
			WriteError(w, Errorf("invalid", "bad request: %v", err))
			return
		}
		sw := &startWriter{w: w}
		if err := fn(r.Context(), &req, sw); err != nil {
			if !sw.started {
				WriteError(w, err)
				return
			}
			panic(http.ErrAbortHandler)
		}
	}
}

// startWriter records whether a streamed response has begun.
type startWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", "application/octet-stream")
		s.w.WriteHeader(http.StatusOK)
	}
	return s.w.Write(p)
}
