package mysqlserver

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/dolthub/vitess/go/mysql"

	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
)

// Limits on what a client may send, enforced on the byte stream before the
// protocol library allocates anything for a packet.
const (
	// HandshakeMaxPacket bounds the packets of a connection that has not
	// authenticated yet (its handshake response and auth switch response,
	// a few hundred bytes from real clients).
	HandshakeMaxPacket = 64 << 10
	// HandshakeTimeout is how long a new connection may take to
	// authenticate (MySQL's connect_timeout is 10 s); a connection that
	// has not finished by then is closed.
	HandshakeTimeout = 10 * time.Second
	// drainTimeout bounds how long an oversized packet is read (and
	// discarded) so that the client, which is still sending it, reads the
	// error packet instead of a reset connection.
	drainTimeout = 30 * time.Second
)

// maxChunk is the largest payload of one MySQL packet; a packet of exactly
// this length is continued by the next one.
const maxChunk = 1<<24 - 1

// packetListener wraps every accepted connection in a packetConn.
type packetListener struct {
	net.Listener
	handshake time.Duration
}

// Accept returns the next connection, with its packet limits and its
// handshake deadline.
func (l packetListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if err := c.SetReadDeadline(time.Now().Add(l.handshake)); err != nil {
		c.Close()
		return nil, fmt.Errorf("set handshake deadline: %w", err)
	}
	return &packetConn{Conn: c}, nil
}

// packetConn follows the MySQL packet framing of what the client sends and
// refuses a packet longer than the limit when its header arrives, before
// the header is passed on: the protocol library never sees (or allocates
// for) it. The limit is HandshakeMaxPacket until authenticated, then the
// session's max_allowed_packet. The client gets MySQL's 1153 error packet
// and the connection is closed, as MySQL does.
//
// All its methods but Write and Close run on the connection's goroutine.
type packetConn struct {
	net.Conn
	// limit, once authenticated, is the current max_allowed_packet.
	limit func() int
	// pending holds header bytes checked but not yet returned.
	pending []byte
	hdr     [4]byte
	// remaining is the payload of the current chunk not yet returned.
	remaining int
	// total is the length of the current packet so far (chunks of
	// maxChunk bytes continue a packet).
	total int
	cont  bool
	// longData is, per prepared statement id, the bytes of its parameters
	// sent with COM_STMT_SEND_LONG_DATA since its last execution, reset
	// or close: the protocol library keeps them all in memory, so they
	// are bounded like a packet.
	longData map[uint32]int
	// inLong: the current packet is COM_STMT_SEND_LONG_DATA for longID.
	inLong bool
	longID uint32
	peek   [7]byte
	// closed is set once a packet was refused: reads answer EOF.
	closed bool
}

// Commands whose prepared statement id packetConn follows.
const (
	comStmtExecute      = 0x17
	comStmtSendLongData = 0x18
	comStmtClose        = 0x19
	comStmtReset        = 0x1a
)

// authenticated switches the connection to its session's limit and lifts
// the handshake deadline.
func (c *packetConn) authenticated(limit func() int) error {
	c.limit = limit
	if err := c.Conn.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clear handshake deadline: %w", err)
	}
	return nil
}

func (c *packetConn) maxPacket() int {
	if c.limit == nil {
		return HandshakeMaxPacket
	}
	return c.limit()
}

// Read passes the client's bytes on, checking each packet header first.
func (c *packetConn) Read(p []byte) (int, error) {
	if c.closed {
		return 0, io.EOF
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if c.remaining > 0 {
		if len(p) > c.remaining {
			p = p[:c.remaining]
		}
		n, err := c.Conn.Read(p)
		c.remaining -= n
		return n, err
	}
	if _, err := io.ReadFull(c.Conn, c.hdr[:]); err != nil {
		return 0, err
	}
	n := int(c.hdr[0]) | int(c.hdr[1])<<8 | int(c.hdr[2])<<16
	if c.cont {
		c.total += n
	} else {
		c.total = n
	}
	limit := c.maxPacket()
	if c.total > limit {
		c.refuse(n, n == maxChunk, c.hdr[3], c.cont && c.inLong)
		return 0, io.EOF
	}
	first := !c.cont
	c.cont = n == maxChunk
	c.remaining = n
	c.pending = c.hdr[:]
	if first {
		c.inLong = false
	} else if c.inLong {
		c.longData[c.longID] += n
		if c.longData[c.longID] > limit {
			c.refuse(n, c.cont, c.hdr[3], true)
			return 0, io.EOF
		}
	}
	if first && c.hdr[3] == 0 && c.limit != nil {
		// A command: look at its first bytes (command and statement id).
		k := min(n, len(c.peek))
		if _, err := io.ReadFull(c.Conn, c.peek[:k]); err != nil {
			return 0, err
		}
		c.remaining -= k
		c.pending = append(c.hdr[:], c.peek[:k]...)
		if k >= 5 {
			id := binary.LittleEndian.Uint32(c.peek[1:5])
			switch c.peek[0] {
			case comStmtSendLongData:
				if c.longData == nil {
					c.longData = map[uint32]int{}
				}
				c.inLong, c.longID = true, id
				c.longData[id] += n - k
				if c.longData[id] > limit {
					c.refuse(c.remaining, c.cont, c.hdr[3], true)
					return 0, io.EOF
				}
			case comStmtExecute, comStmtClose, comStmtReset:
				delete(c.longData, id)
			}
		}
	}
	m := copy(p, c.pending)
	c.pending = c.pending[m:]
	return m, nil
}

// refuse discards the rest of an oversized packet: rest more bytes of the
// current chunk (with sequence number seq), and the chunks continuing it
// when more (without keeping any of it, and for at most drainTimeout), so
// that the client, still sending, reads the answer: MySQL's 1153 error
// packet. COM_STMT_SEND_LONG_DATA has no answer: when longData, the long
// data packets after it are discarded too, and the error answers the
// command that follows them (the execution). The caller closes the
// connection.
func (c *packetConn) refuse(rest int, more bool, seq byte, longData bool) {
	c.closed = true
	if err := c.Conn.SetReadDeadline(time.Now().Add(drainTimeout)); err != nil {
		return
	}
	seq, err := c.discard(rest, more, seq)
	for err == nil && longData {
		if _, err = io.ReadFull(c.Conn, c.hdr[:]); err != nil {
			return
		}
		n := int(c.hdr[0]) | int(c.hdr[1])<<8 | int(c.hdr[2])<<16
		seq = c.hdr[3]
		if n == 0 {
			break
		}
		if _, err = io.ReadFull(c.Conn, c.peek[:1]); err != nil {
			return
		}
		longData = c.peek[0] == comStmtSendLongData
		seq, err = c.discard(n-1, n == maxChunk, seq)
	}
	if err != nil {
		return
	}
	e := query.ErrPacketTooLarge
	_, _ = c.Conn.Write(errorPacket(seq+1, e.Number, e.State, e.Message))
}

// discard reads and drops rest bytes of a chunk with sequence number seq
// and, when more, the chunks continuing it; it returns the sequence
// number of the last chunk.
func (c *packetConn) discard(rest int, more bool, seq byte) (byte, error) {
	for {
		if _, err := io.CopyN(io.Discard, c.Conn, int64(rest)); err != nil {
			return 0, fmt.Errorf("discard a refused packet: %w", err)
		}
		if !more {
			return seq, nil
		}
		if _, err := io.ReadFull(c.Conn, c.hdr[:]); err != nil {
			return 0, fmt.Errorf("discard a refused packet: %w", err)
		}
		rest, seq = int(c.hdr[0])|int(c.hdr[1])<<8|int(c.hdr[2])<<16, c.hdr[3]
		more = rest == maxChunk
	}
}

// errorPacket encodes a MySQL ERR packet (protocol 4.1) with its header.
func errorPacket(seq byte, number uint16, state, msg string) []byte {
	payload := make([]byte, 0, 9+len(msg))
	payload = append(payload, 0xff)
	payload = binary.LittleEndian.AppendUint16(payload, number)
	payload = append(payload, '#')
	payload = append(payload, state...)
	payload = append(payload, msg...)
	out := make([]byte, 4, 4+len(payload))
	out[0], out[1], out[2], out[3] = byte(len(payload)), byte(len(payload)>>8), byte(len(payload)>>16), seq
	return append(out, payload...)
}

// connLimit counts the authenticated connections against
// qe_max_connection, as StarRocks' ConnectScheduler registers them.
type connLimit struct {
	max  int
	node string

	mu   sync.Mutex
	open map[uint32]bool
}

// register counts connection id, or refuses it with StarRocks' error when
// max connections are open already.
func (l *connLimit) register(id uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && len(l.open) >= l.max {
		return mysql.NewSQLError(sqlerr.ErParse, sqlerr.StateGeneral,
			"Reach cluster-wide connection limit, qe_max_connection=%d, connectionMap.size=%d, node=%s",
			l.max, len(l.open), l.node)
	}
	l.open[id] = true
	return nil
}

// unregister forgets connection id (a no-op for one never registered).
func (l *connLimit) unregister(id uint32) {
	l.mu.Lock()
	delete(l.open, id)
	l.mu.Unlock()
}

// limitedAuth is mysql_native_password followed by the checks StarRocks
// makes after authentication: the connection limit; and it switches the
// connection's packet limit to its session's max_allowed_packet.
type limitedAuth struct {
	mysql.AuthMethod
	h *handler
}

// HandleAuthPluginData authenticates, then registers the connection.
func (a limitedAuth) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, remote net.Addr) (mysql.Getter, error) {
	g, err := a.AuthMethod.HandleAuthPluginData(c, user, serverData, clientData, remote)
	if err != nil {
		return nil, err
	}
	if err := a.h.conns.register(c.ConnectionID); err != nil {
		return nil, err
	}
	if pc, ok := c.Conn.(*packetConn); ok {
		if err := pc.authenticated(func() int { return a.h.session(c).MaxAllowedPacket() }); err != nil {
			a.h.conns.unregister(c.ConnectionID)
			return nil, mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState, "%s", err.Error())
		}
	}
	return g, nil
}
