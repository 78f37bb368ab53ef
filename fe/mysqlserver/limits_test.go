package mysqlserver

import (
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/internal/poll"
)

// fakeEngine knows root with password "pw" (and users added to it), and
// records every statement text its sessions receive.
type fakeEngine struct {
	mu    sync.Mutex
	texts []string
	users map[string]string
	limit int
}

func (e *fakeEngine) Account(user, _ string) (string, []byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	pw, ok := e.users[user]
	if !ok {
		return "", nil, false
	}
	return "'" + user + "'@'%'", catalog.HashPassword(pw), true
}

func (e *fakeEngine) setUser(user, pw string, exists bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if exists {
		e.users[user] = pw
	} else {
		delete(e.users, user)
	}
}

func (e *fakeEngine) Open(ConnInfo) Session { return &fakeSession{e: e} }

func (e *fakeEngine) ran() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.texts...)
}

type fakeSession struct{ e *fakeEngine }

func (s *fakeSession) record(text string) {
	s.e.mu.Lock()
	s.e.texts = append(s.e.texts, text)
	s.e.mu.Unlock()
}

func (s *fakeSession) Run(_ context.Context, text string) (*query.Result, string, error) {
	s.record(text)
	return query.OK(), "", nil
}

func (s *fakeSession) RunOne(_ context.Context, text string) (*query.Result, error) {
	s.record(text)
	return query.OK(), nil
}

func (s *fakeSession) Check(string) error    { return nil }
func (s *fakeSession) UseDB(string) error    { return nil }
func (s *fakeSession) MaxAllowedPacket() int { return s.e.limit }
func (s *fakeSession) Close()                {}

func startFake(t *testing.T, maxConns uint64, limit int) (*Server, *fakeEngine) {
	t.Helper()
	e := &fakeEngine{limit: limit, users: map[string]string{"root": "pw"}}
	srv, err := Start(Config{Addr: "127.0.0.1:0", Engine: e, MaxConns: maxConns, Node: "fe-test", MaxPreparedStmts: 5,
		HandshakeTimeout: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, e
}

func dsn(srv *Server, user, password string, opts ...func(*gomysql.Config)) string {
	c := gomysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = user, password, "tcp", srv.Addr().String()
	c.Timeout = 5 * time.Second
	for _, o := range opts {
		o(c)
	}
	return c.FormatDSN()
}

func conn(t *testing.T, srv *Server, user, password string, opts ...func(*gomysql.Config)) (*sql.Conn, error) {
	t.Helper()
	db, err := sql.Open("mysql", dsn(srv, user, password, opts...))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	db.SetMaxIdleConns(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.PingContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func mysqlErr(t *testing.T, err error) *gomysql.MySQLError {
	t.Helper()
	var me *gomysql.MySQLError
	require.ErrorAs(t, err, &me, "error %v is not a MySQL error packet", err)
	return me
}

// TestOversizedPacketIsRefused: a statement longer than the session's
// max_allowed_packet gets MySQL's 1153 error packet; the statement never
// reaches the session, and the connection is closed.
func TestOversizedPacketIsRefused(t *testing.T) {
	srv, e := startFake(t, 0, 4096)
	c, err := conn(t, srv, "root", "pw")
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	_, err = c.ExecContext(ctx, "SELECT '"+strings.Repeat("a", 1000)+"'")
	require.NoError(t, err, "below the limit")

	for _, n := range []int{4096, 200 << 10, 17 << 20} { // one packet, and continued packets past 16 MiB
		c, err := conn(t, srv, "root", "pw")
		require.NoError(t, err)
		_, err = c.ExecContext(ctx, "SELECT '"+strings.Repeat("b", n)+"'")
		me := mysqlErr(t, err)
		require.Equal(t, uint16(1153), me.Number, n)
		require.Equal(t, "Got a packet bigger than 'max_allowed_packet' bytes", me.Message)
		_, err = c.ExecContext(ctx, "SELECT 1")
		require.Error(t, err, "the connection is closed")
		c.Close()
	}
	for _, text := range e.ran() {
		require.NotContains(t, text, "bbbb", "an oversized statement ran")
	}
}

// rawHandshake reads the server's greeting on a raw connection.
func rawHandshake(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(20*time.Second)))
	var hdr [4]byte
	_, err = io.ReadFull(nc, hdr[:])
	require.NoError(t, err)
	_, err = io.CopyN(io.Discard, nc, int64(hdr[0])|int64(hdr[1])<<8|int64(hdr[2])<<16)
	require.NoError(t, err)
	return nc
}

// readPacket reads one packet's payload.
func readPacket(t *testing.T, nc net.Conn) []byte {
	t.Helper()
	var hdr [4]byte
	_, err := io.ReadFull(nc, hdr[:])
	require.NoError(t, err)
	p := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	_, err = io.ReadFull(nc, p)
	require.NoError(t, err)
	return p
}

// TestHandshakePacketIsCapped: before authentication a packet may hold at
// most HandshakeMaxPacket bytes: a header announcing 16 MiB is refused
// when it arrives, and the client that sends the whole of it gets 1153.
func TestHandshakePacketIsCapped(t *testing.T) {
	srv, _ := startFake(t, 0, 1<<20)
	nc := rawHandshake(t, srv)
	n := maxChunk - 1
	hdr := []byte{byte(n), byte(n >> 8), byte(n >> 16), 1}
	_, err := nc.Write(hdr)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := nc.Write(make([]byte, n))
		done <- err
	}()
	p := readPacket(t, nc)
	require.Equal(t, byte(0xff), p[0])
	require.Equal(t, uint16(1153), binary.LittleEndian.Uint16(p[1:3]))
	require.Equal(t, "#08S01Got a packet bigger than 'max_allowed_packet' bytes", string(p[3:]))
	require.NoError(t, <-done)
	_, err = nc.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "then the connection is closed")
}

// TestConnectionLimit: with qe_max_connection = 2 the third connection is
// refused after authentication with StarRocks' error; once one closes, a
// new one is accepted.
func TestConnectionLimit(t *testing.T) {
	srv, _ := startFake(t, 2, 1<<20)
	c1, err := conn(t, srv, "root", "pw")
	require.NoError(t, err)
	c2, err := conn(t, srv, "root", "pw")
	require.NoError(t, err)
	defer c2.Close()
	_, err = conn(t, srv, "root", "pw")
	me := mysqlErr(t, err)
	require.Equal(t, uint16(1064), me.Number)
	require.Equal(t, "Reach cluster-wide connection limit, qe_max_connection=2, connectionMap.size=2, node=fe-test", me.Message)
	_, err = conn(t, srv, "root", "wrong")
	require.Equal(t, uint16(1045), mysqlErr(t, err).Number, "authentication comes first")

	// The server notices the close asynchronously: wait for it.
	require.NoError(t, c1.Close())
	poll.For(t, 10*time.Second, func() error {
		c3, err := conn(t, srv, "root", "pw")
		if err != nil {
			return err
		}
		return c3.Close()
	})
}

// TestLoginFailureDoesNotRevealUsers: a wrong password for a user, and
// any password once that user is dropped, get the same error packet, byte
// for byte.
func TestLoginFailureDoesNotRevealUsers(t *testing.T) {
	srv, e := startFake(t, 0, 1<<20)
	e.setUser("alice", "s3cret", true)
	_, err := conn(t, srv, "alice", "s3cret")
	require.NoError(t, err)
	_, errWrong := conn(t, srv, "alice", "wrong")
	e.setUser("alice", "", false)
	_, errUnknown := conn(t, srv, "alice", "wrong")
	w, u := mysqlErr(t, errWrong), mysqlErr(t, errUnknown)
	require.Equal(t, *w, *u)
	require.Equal(t, uint16(1045), w.Number)
	require.Equal(t, [5]byte{'2', '8', '0', '0', '0'}, w.SQLState)
	require.Equal(t, "Access denied for user 'alice' (using password: YES)", w.Message)

	_, errNoPw := conn(t, srv, "alice", "")
	require.Equal(t, "Access denied for user 'alice' (using password: NO)", mysqlErr(t, errNoPw).Message)
}

// TestLongDataIsBounded: the parameters a client sends in pieces with
// COM_STMT_SEND_LONG_DATA are bounded by max_allowed_packet like a packet
// (the protocol library keeps them in memory until the execution).
func TestLongDataIsBounded(t *testing.T) {
	const limit = 1 << 20
	srv, e := startFake(t, 0, limit)
	// With the client's max_allowed_packet at 1 MiB, go-sql-driver sends
	// a parameter of more than 512 KiB as long data, in pieces of < 1 MiB.
	small := func(c *gomysql.Config) { c.MaxAllowedPacket = limit }
	c, err := conn(t, srv, "root", "pw", small)
	require.NoError(t, err)
	_, err = c.ExecContext(context.Background(), "SELECT ?", strings.Repeat("a", 700<<10))
	require.NoError(t, err, "long data below the limit")
	require.Len(t, e.ran(), 1)
	require.Len(t, e.ran()[0], len("SELECT ''")+700<<10)
	// The next execution starts from zero.
	_, err = c.ExecContext(context.Background(), "SELECT ?", strings.Repeat("b", 900<<10))
	require.NoError(t, err)
	c.Close()

	c, err = conn(t, srv, "root", "pw", small)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ExecContext(context.Background(), "SELECT ?", strings.Repeat("c", 3<<20))
	me := mysqlErr(t, err)
	require.Equal(t, uint16(1153), me.Number)
	require.Len(t, e.ran(), 2, "the statement did not run")
}

// TestPreparedStatementsAreBounded: a connection holds at most
// MaxPreparedStmts prepared statements; closing one makes room.
func TestPreparedStatementsAreBounded(t *testing.T) {
	srv, _ := startFake(t, 0, 1<<20)
	c, err := conn(t, srv, "root", "pw")
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	var stmts []*sql.Stmt
	for i := 0; i < 5; i++ {
		st, err := c.PrepareContext(ctx, "SELECT "+strconv.Itoa(i)+", ?")
		require.NoError(t, err)
		stmts = append(stmts, st)
	}
	_, err = c.PrepareContext(ctx, "SELECT 6, ?")
	me := mysqlErr(t, err)
	require.Equal(t, uint16(1461), me.Number)
	require.Equal(t, "Can't create more than max_prepared_stmt_count statements (current value: 5)", me.Message)
	require.NoError(t, stmts[0].Close())
	st, err := c.PrepareContext(ctx, "SELECT 7, ?")
	require.NoError(t, err)
	_, err = st.ExecContext(ctx, 1)
	require.NoError(t, err)
}

// TestSilentConnectionIsClosed: a connection that never answers the
// greeting is closed after the handshake timeout; an authenticated one
// may stay idle longer.
func TestSilentConnectionIsClosed(t *testing.T) {
	srv, _ := startFake(t, 0, 1<<20)
	c, err := conn(t, srv, "root", "pw")
	require.NoError(t, err)
	defer c.Close()
	nc := rawHandshake(t, srv)
	start := time.Now()
	_, err = nc.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	require.Less(t, time.Since(start), 15*time.Second)
	require.NoError(t, c.PingContext(context.Background()), "the authenticated connection, idle as long, is open")
}
