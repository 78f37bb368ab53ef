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
