package cn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/rpc"
)

// TestIsConnError: a Stream Load begin is retried on a broken connection,
// never on an answer of the FE.
func TestIsConnError(t *testing.T) {
	post := func(err error) error { return &url.Error{Op: "Post", URL: "http://fe:9020/load/begin", Err: err} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", post(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{"kept-alive connection to a dead leader", post(io.EOF), true},
		{"killed mid-answer", post(io.ErrUnexpectedEOF), true},
		{"reset", post(&net.OpError{Op: "read", Err: fmt.Errorf("read: %w", syscall.ECONNRESET)}), true},
		{"an answer of the FE", rpc.Errorf("invalid", "unknown table"), false},
		{"timeout of the load", post(errors.New("context deadline exceeded")), false},
		{"no error", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, isConnError(tc.err)) })
	}
}
