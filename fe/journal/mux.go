package journal

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Connection tags on the edit_log_port. The first byte a dialer writes on a
// new connection selects the sub-listener that receives it.
const (
	// TagRaft selects the raft transport (AppendEntries, votes, InstallSnapshot).
	TagRaft byte = 'R'
	// TagRPC selects the FE-to-FE RPC (join, heartbeat, statement forwarding).
	TagRPC byte = 'F'
)

// tagReadTimeout bounds how long an accepted connection may take to send
// its tag byte before it is dropped.
const tagReadTimeout = 10 * time.Second

// Mux shares one listening socket (the edit_log_port) between raft and other
// FE-to-FE protocols: each accepted connection's first byte is a tag that
// selects a sub-listener; Dial writes the tag first. It exists so that one
// port per FE is enough, as in StarRocks.
type Mux struct {
	ln     net.Listener
	mu     sync.Mutex
	subs   map[byte]*muxListener
	closed bool
	done   chan struct{}
}

// NewMux starts routing connections accepted on ln. Close the Mux (not ln)
// to stop it.
func NewMux(ln net.Listener) *Mux {
	m := &Mux{ln: ln, subs: make(map[byte]*muxListener), done: make(chan struct{})}
	go m.serve()
	return m
}

// Addr returns the address of the underlying listener.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

func (m *Mux) serve() {
	var backoff time.Duration
	for {
		c, err := m.ln.Accept()
		if err != nil {
			m.mu.Lock()
			closed := m.closed
			m.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				m.Close()
				return
			}
			// Transient accept error (e.g. EMFILE): back off and retry.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			select {
			case <-time.After(backoff):
			case <-m.done:
				return
			}
			continue
		}
		backoff = 0
		go m.route(c)
	}
}

func (m *Mux) route(c net.Conn) {
	var tag [1]byte
	_ = c.SetReadDeadline(time.Now().Add(tagReadTimeout))
	if _, err := c.Read(tag[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	m.mu.Lock()
	l := m.subs[tag[0]]
	var fence func() string
	if l != nil {
		fence = l.fence
	}
	m.mu.Unlock()
	if l == nil {
		c.Close()
		return
	}
	if fence != nil {
		_ = c.SetReadDeadline(time.Now().Add(tagReadTimeout))
		got, err := readFence(c)
		_ = c.SetReadDeadline(time.Time{})
		if err != nil || got != fence() {
			// Another cluster, or the lost timeline of this one.
			c.Close()
			return
		}
	}
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

// Listener returns the sub-listener for tag, creating it on first use. Its
// Addr is the shared listener's address. Closing it stops routing tag (a
// later call creates a fresh one); it does not close the Mux.
func (m *Mux) Listener(tag byte) net.Listener {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.subs[tag]; l != nil {
		return l
	}
	l := &muxListener{m: m, tag: tag, ch: make(chan net.Conn), done: make(chan struct{})}
	if m.closed {
		l.closeOnce.Do(func() { close(l.done) })
		return l
	}
	m.subs[tag] = l
	return l
}

// Dial connects to a Mux at addr and writes tag, so that the connection is
// delivered to that Mux's Listener(tag).
func (m *Mux) Dial(addr string, tag byte, timeout time.Duration) (net.Conn, error) {
	return dialTag(addr, tag, timeout)
}

// Dial connects to the Mux listening at addr (an FE's edit_log_port) and
// writes tag, for callers that have no Mux of their own.
func Dial(addr string, tag byte, timeout time.Duration) (net.Conn, error) {
	return dialTag(addr, tag, timeout)
}

// DialFrom is Dial from the local address host (any port), so that the
// peer sees the connection come from this node's advertised address even
// on a loopback network; "" lets the system choose.
func DialFrom(host, addr string, tag byte, timeout time.Duration) (net.Conn, error) {
	return dialTagFrom(host, addr, tag, timeout)
}

func dialTag(addr string, tag byte, timeout time.Duration) (net.Conn, error) {
	return dialTagFrom("", addr, tag, timeout)
}

func dialTagFrom(host, addr string, tag byte, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if host != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(host)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		_ = c.SetWriteDeadline(time.Now().Add(timeout))
	}
	if _, err := c.Write([]byte{tag}); err != nil {
		c.Close()
		return nil, fmt.Errorf("dial %s: writing tag: %w", addr, err)
	}
	_ = c.SetWriteDeadline(time.Time{})
	return c, nil
}

// Stream returns a raft.StreamLayer over the sub-listener for tag; use
// Stream(TagRaft) for Config.Stream.
func (m *Mux) Stream(tag byte) raft.StreamLayer {
	return &muxStream{Listener: m.Listener(tag), m: m, tag: tag}
}

// FencedStream is Stream whose connections carry a fence: the dialer
// sends its fence() after the tag, and an accepted connection whose fence
// differs from this node's fence() is closed. The FE fences raft with a
// digest of the cluster token, which a restore renews, so that the FEs of
// the lost timeline of a restored cluster (or of any other cluster) can
// never reach its raft group, whatever their terms say.
func (m *Mux) FencedStream(tag byte, fence func() string) raft.StreamLayer {
	l := m.Listener(tag).(*muxListener)
	m.mu.Lock()
	l.fence = fence
	m.mu.Unlock()
	return &muxStream{Listener: l, m: m, tag: tag, fence: fence}
}

// maxFence bounds the fence a dialer may send.
const maxFence = 255

// readFence reads a fence frame: one length byte, then the fence.
func readFence(c net.Conn) (string, error) {
	var n [1]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return "", err
	}
	b := make([]byte, n[0])
	if _, err := io.ReadFull(c, b); err != nil {
		return "", err
	}
	return string(b), nil
}

// Close closes the shared listener and every sub-listener.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	subs := m.subs
	m.subs = map[byte]*muxListener{}
	close(m.done)
	m.mu.Unlock()
	err := m.ln.Close()
	for _, l := range subs {
		l.closeOnce.Do(func() { close(l.done) })
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

type muxListener struct {
	m         *Mux
	tag       byte
	fence     func() string // set by FencedStream
	ch        chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func (l *muxListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *muxListener) Close() error {
	l.closeOnce.Do(func() {
		l.m.mu.Lock()
		if l.m.subs[l.tag] == l {
			delete(l.m.subs, l.tag)
		}
		l.m.mu.Unlock()
		close(l.done)
	})
	return nil
}

func (l *muxListener) Addr() net.Addr { return l.m.ln.Addr() }

type muxStream struct {
	net.Listener
	m     *Mux
	tag   byte
	fence func() string
}

func (s *muxStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	c, err := s.m.Dial(string(address), s.tag, timeout)
	if err != nil || s.fence == nil {
		return c, err
	}
	f := s.fence()
	if len(f) > maxFence {
		f = f[:maxFence]
	}
	if timeout > 0 {
		_ = c.SetWriteDeadline(time.Now().Add(timeout))
	}
	if _, err := c.Write(append([]byte{byte(len(f))}, f...)); err != nil {
		c.Close()
		return nil, fmt.Errorf("dial %s: writing fence: %w", address, err)
	}
	_ = c.SetWriteDeadline(time.Time{})
	return c, nil
}

// advertisedStream overrides a stream layer's Addr with the address other
// nodes dial (the listener may be bound to a wildcard address).
type advertisedStream struct {
	raft.StreamLayer
	addr tcpAddrString
}

func (s *advertisedStream) Addr() net.Addr { return s.addr }

type tcpAddrString string

func (a tcpAddrString) Network() string { return "tcp" }
func (a tcpAddrString) String() string  { return string(a) }
