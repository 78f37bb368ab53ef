package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

// StreamLoad sends body as a Stream Load into db.table with label, as root
// with no password, the way `curl --location-trusted` does: to the FE's
// http_port, then, with the credentials again, to the compute node the FE
// redirects to. headers are further Stream Load headers
// (column_separator, columns, ...). It returns StarRocks' JSON answer.
func (f *FE) StreamLoad(ctx context.Context, db, table, label string, body []byte, headers map[string]string) (map[string]any, error) {
	return f.streamLoad(ctx, db, table, label, func() (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(body)), int64(len(body)), nil
	}, headers)
}

// StreamLoadFile is StreamLoad with the body read from a file, streamed
// (never held in memory whole).
func (f *FE) StreamLoadFile(ctx context.Context, db, table, label, path string, headers map[string]string) (map[string]any, error) {
	return f.streamLoad(ctx, db, table, label, func() (io.ReadCloser, int64, error) {
		file, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		st, err := file.Stat()
		if err != nil {
			file.Close()
			return nil, 0, err
		}
		return file, st.Size(), nil
	}, headers)
}

// streamLoad follows at most two redirects, opening the body afresh for
// each request.
func (f *FE) streamLoad(ctx context.Context, db, table, label string, open func() (io.ReadCloser, int64, error), headers map[string]string) (map[string]any, error) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	url := fmt.Sprintf("%s/api/%s/%s/_stream_load", f.HTTPURL(), db, table)
	for hop := 0; hop < 3; hop++ {
		body, size, err := open()
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, body)
		if err != nil {
			body.Close()
			return nil, err
		}
		req.ContentLength = size
		req.SetBasicAuth("root", "")
		req.Header.Set("label", label)
		req.Header.Set("Expect", "100-continue")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		body.Close()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusTemporaryRedirect {
			url = resp.Header.Get("Location")
			continue
		}
		var out map[string]any
		if err := json.Unmarshal(data, &out); err != nil {
			return nil, fmt.Errorf("stream load answer %q: %w", data, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("stream load: too many redirects")
}

// StreamLoadRequest is a Stream Load sent by FE.StreamLoadWith or
// CN.StreamLoadWith.
type StreamLoadRequest struct {
	DB, Table, Label string
	// User and Password are the Basic credentials; root with no password
	// when User is "".
	User, Password string
	// Body is read once, as it is sent: a body generated on the fly never
	// sits in memory whole.
	Body io.Reader
	// Size is the Content-Length; -1 sends the body chunked, without one.
	Size int64
	// Headers are further Stream Load headers (column_separator, ...).
	Headers map[string]string
}

// StreamLoadWith sends req to the FE's http_port the way `curl
// --location-trusted` does, except that the FE's redirect is asked for
// without the body, which then goes to the compute node alone (so it is
// read once). It returns the JSON answer of whichever node answered (the
// FE's refusal or the compute node's result) and its HTTP status.
func (f *FE) StreamLoadWith(ctx context.Context, req StreamLoadRequest) (map[string]any, int, error) {
	url := fmt.Sprintf("%s/api/%s/%s/_stream_load", f.HTTPURL(), req.DB, req.Table)
	ask := req
	ask.Body, ask.Size = nil, 0
	out, status, location, err := sendStreamLoad(ctx, url, ask)
	if err != nil || location == "" {
		return out, status, err
	}
	out, status, location, err = sendStreamLoad(ctx, location, req)
	if err == nil && location != "" {
		return nil, status, fmt.Errorf("stream load: redirected again, to %s", location)
	}
	return out, status, err
}

// StreamLoadWith sends req straight to the compute node's webserver_port,
// as a client that skips the FE's redirect would.
func (c *CN) StreamLoadWith(ctx context.Context, req StreamLoadRequest) (map[string]any, int, error) {
	out, status, location, err := sendStreamLoad(ctx, fmt.Sprintf("%s/api/%s/%s/_stream_load", c.HTTPURL(), req.DB, req.Table), req)
	if err == nil && location != "" {
		return nil, status, fmt.Errorf("stream load: the compute node redirected to %s", location)
	}
	return out, status, err
}

// sendStreamLoad sends one Stream Load request; a redirect is returned as
// its location.
func sendStreamLoad(ctx context.Context, url string, req StreamLoadRequest) (map[string]any, int, string, error) {
	body := req.Body
	if body == nil {
		body = http.NoBody
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPut, url, body)
	if err != nil {
		return nil, 0, "", err
	}
	hreq.ContentLength = req.Size
	if req.Body == nil {
		hreq.ContentLength = 0
	}
	user := req.User
	if user == "" {
		user = "root"
	}
	hreq.SetBasicAuth(user, req.Password)
	hreq.Header.Set("label", req.Label)
	for k, v := range req.Headers {
		hreq.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, resp.StatusCode, "", err
	}
	if resp.StatusCode == http.StatusTemporaryRedirect {
		return nil, resp.StatusCode, resp.Header.Get("Location"), nil
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, resp.StatusCode, "", fmt.Errorf("stream load answer %q (http %d): %w", data, resp.StatusCode, err)
	}
	return out, resp.StatusCode, "", nil
}
