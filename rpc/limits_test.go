package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// uvarint is a length prefix as frame writes it.
func uvarint(n uint64) []byte {
	var b [binary.MaxVarintLen64]byte
	return b[:binary.PutUvarint(b[:], n)]
}

// allocated runs fn and returns the bytes it allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLengthPrefixCaps: a length prefix beyond the cap is refused before
// anything is allocated, and one within the cap that the peer does not
// back with bytes costs what was sent, not what was announced.
func TestLengthPrefixCaps(t *testing.T) {
	cases := []struct {
		name string
		read func(body []byte) error
		max  uint64
		want string
	}{
		{"request header", func(body []byte) error {
			var v map[string]any
			return unframe(bufio.NewReader(bytes.NewReader(body)), &v)
		}, MaxHeaderBytes, "rpc header of"},
		{"row stream frame", func(body []byte) error {
			_, err := NewStreamReader(bytes.NewReader(append([]byte{frameBlock}, body...)), "peer").Next()
			return err
		}, MaxFrameBytes, "row stream from peer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []uint64{tc.max + 1, 1 << 40, 1<<64 - 1} {
				var err error
				got := allocated(func() { err = tc.read(append(uvarint(n), `{}`...)) })
				require.ErrorContains(t, err, tc.want)
				require.ErrorContains(t, err, "at most")
				require.Less(t, got, uint64(1<<20), "a refused %d-byte prefix allocated %d bytes", n, got)
			}
			// Announced within the cap, but only 2 bytes follow.
			var err error
			got := allocated(func() { err = tc.read(append(uvarint(tc.max), `{}`...)) })
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			require.ErrorContains(t, err, "ends before its announced length")
			require.Less(t, got, uint64(4<<20), "a %d-byte prefix backed by 2 bytes allocated %d bytes", tc.max, got)
		})
	}
}

// TestServerRefusesHugeHeader: an RPC whose header announces more than
// MaxHeaderBytes is answered "invalid" and its handler never runs.
func TestServerRefusesHugeHeader(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(Handle(func(_ context.Context, r *echoReq) (*echoResp, error) {
		calls++
		return &echoResp{N: r.N}, nil
	}))
	defer srv.Close()
	for _, n := range []uint64{MaxHeaderBytes + 1, 1 << 62} {
		resp, err := http.Post(srv.URL, "application/x-minirocks-rpc", bytes.NewReader(append(uvarint(n), `{"N":1}`...)))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Contains(t, string(body), `"code":"invalid"`)
		require.Contains(t, string(body), "is too large (at most 67108864)")
	}
	require.Zero(t, calls)
	// A well-formed call still works.
	var out echoResp
	require.NoError(t, Call(context.Background(), http.DefaultClient, srv.URL, &echoReq{N: 7}, &out))
	require.Equal(t, 7, out.N)
}

// TestResponseCap: a JSON response larger than MaxResponseBytes is an
// error, not a growing buffer.
func TestResponseCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"N":1,"pad":"`))
		chunk := strings.Repeat("x", 1<<20)
		for i := 0; i <= MaxResponseBytes>>20; i++ {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
		w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	var out echoResp
	err := Call(context.Background(), http.DefaultClient, srv.URL, &echoReq{N: 1}, &out)
	require.ErrorContains(t, err, "exceeds 67108864 bytes")
}
