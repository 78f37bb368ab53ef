package httpapi

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPprofOffByDefault checks that the profiling endpoints are served only
// when enable_pprof is set: they reveal memory contents and cost CPU.
func TestPprofOffByDefault(t *testing.T) {
	for _, tc := range []struct {
		name   string
		enable bool
		want   int
	}{
		{"default", false, http.StatusNotFound},
		{"enabled", true, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			srv := Start(Config{Listener: ln, EnablePprof: tc.enable, StreamLoad: func(http.ResponseWriter, *http.Request) {},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			defer srv.Close()
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
				resp, err := http.Get("http://" + ln.Addr().String() + path)
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, tc.want, resp.StatusCode, path)
			}
		})
	}
}
