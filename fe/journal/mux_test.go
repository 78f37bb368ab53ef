package journal

import (
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// TestFencedStream: a connection whose fence differs from the listener's
// is closed before raft sees it; a matching one is delivered.
func TestFencedStream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m := NewMux(ln)
	defer m.Close()
	mine := "fence-a"
	s := m.FencedStream(TagRaft, func() string { return mine })

	other := NewMux(mustListen(t))
	defer other.Close()
	stranger := other.FencedStream(TagRaft, func() string { return "fence-b" })
	c, err := stranger.Dial(raft.ServerAddress(ln.Addr().String()), time.Second)
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err, "the stranger's connection is closed")
	c.Close()

	friend := other.FencedStream(TagRaft, func() string { return mine })
	c, err = friend.Dial(raft.ServerAddress(ln.Addr().String()), time.Second)
	require.NoError(t, err)
	defer c.Close()
	got, err := s.Accept()
	require.NoError(t, err)
	got.Close()
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}
