package rpc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

type echoReq struct{ N int }
type echoResp struct{ N int }

func TestRequireToken(t *testing.T) {
	var calls int
	token := "s3cret-token"
	h := RequireToken(Handle(func(_ context.Context, r *echoReq) (*echoResp, error) {
		calls++
		return &echoResp{N: r.N + 1}, nil
	}), func() string { return token })
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		send   func() string
		want   func() string
		ok     bool
		code   string
		served int
	}{
		{"no token", nil, nil, false, CodeUnauthorized, 0},
		{"wrong token", func() string { return "other" }, nil, false, CodeUnauthorized, 0},
		{"prefix of the token", func() string { return "s3cret" }, nil, false, CodeUnauthorized, 0},
		{"the token", func() string { return token }, nil, true, "", 1},
		{"server without a token yet", func() string { return "" }, func() string { return "" }, false, CodeNotReady, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			url := srv.URL
			if tc.want != nil {
				s2 := httptest.NewServer(RequireToken(h, tc.want))
				defer s2.Close()
				url = s2.URL
			}
			var resp echoResp
			err := Call(context.Background(), WithToken(NewClient(), tc.send), url, &echoReq{N: 1}, &resp)
			require.Equal(t, tc.served, calls)
			if tc.ok {
				require.NoError(t, err)
				require.Equal(t, 2, resp.N)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.code, e.Code)
			require.NotContains(t, e.Message, token)
			require.Equal(t, tc.code == CodeUnauthorized, IsUnauthorized(err))
		})
	}
}

func TestTokenTrust(t *testing.T) {
	srv := httptest.NewServer(WithTokenTrust(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if TrustedCaller(r.Context()) {
			w.Write([]byte("trusted"))
			return
		}
		w.Write([]byte("stranger"))
	}), func() string { return "t" }))
	defer srv.Close()
	for _, tc := range []struct{ send, want string }{{"", "stranger"}, {"x", "stranger"}, {"t", "trusted"}} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if tc.send != "" {
			req.Header.Set(TokenHeader, tc.send)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b := make([]byte, 16)
		n, _ := resp.Body.Read(b)
		resp.Body.Close()
		require.Equal(t, tc.want, string(b[:n]), tc.send)
	}
}
