// Package mysqlserver is the FE's MySQL wire-protocol front on query_port.
// It uses the server side of github.com/dolthub/vitess/go/mysql for the
// protocol (handshake, mysql_native_password, packets, prepared statements)
// and hands every statement text to an Engine unparsed: minirocks parses its
// own StarRocks dialect. It knows nothing of raft or the catalog.
package mysqlserver

import (
	"cmp"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
)

// Engine executes SQL for authenticated sessions.
type Engine interface {
	// Account finds the account a login as user from host uses and returns
	// its identity and mysql_native_password hash (SHA1(SHA1(password)),
	// empty for no password); ok is false when no account matches.
	Account(user, host string) (account string, passwordHash []byte, ok bool)
	// Open starts a session for an authenticated connection.
	Open(c ConnInfo) Session
}

// ConnInfo describes an authenticated connection.
type ConnInfo = query.ConnInfo

// Session runs the statements of one connection, in order.
type Session interface {
	// Run executes the first statement of text and returns its result and the
	// text of the statements after it ("" when none).
	Run(ctx context.Context, text string) (res *query.Result, rest string, err error)
	// RunOne executes a text that must hold one statement; a text with more
	// is refused before any of it runs.
	RunOne(ctx context.Context, text string) (*query.Result, error)
	// Check parses a whole multi-statement text without running it.
	Check(text string) error
	// UseDB changes the current database (COM_INIT_DB).
	UseDB(name string) error
	// MaxAllowedPacket is the session's max_allowed_packet: the largest
	// packet its connection accepts.
	MaxAllowedPacket() int
	// Close releases the session.
	Close()
}

// Config configures a Server.
type Config struct {
	// Addr is host:query_port to listen on.
	Addr string
	// ServerVersion is the version sent in the handshake.
	ServerVersion string
	// Engine runs the statements.
	Engine Engine
	// Logger receives the front's diagnostics.
	Logger *slog.Logger
	// MaxConns bounds the authenticated connections (qe_max_connection);
	// 0 means no bound. One more is refused after authentication with
	// StarRocks' "Reach cluster-wide connection limit" error.
	MaxConns uint64
	// Node names this FE in that error.
	Node string
	// MaxPreparedStmts bounds the prepared statements one connection holds
	// (0: MySQL's default max_prepared_stmt_count, 16382).
	MaxPreparedStmts int
	// HandshakeTimeout is how long a new connection may take to
	// authenticate (0: HandshakeTimeout).
	HandshakeTimeout time.Duration
}

// DefaultMaxPreparedStmts is MySQL's default max_prepared_stmt_count.
const DefaultMaxPreparedStmts = 16382

// Server is a running MySQL front.
type Server struct {
	l      *mysql.Listener
	h      *handler
	done   chan struct{}
	closed sync.Once
}

// Start listens on cfg.Addr and serves connections until Close.
func Start(cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on query_port %s: %w", cfg.Addr, err)
	}
	h := &handler{engine: cfg.Engine, log: cfg.Logger, sessions: map[uint32]Session{}, pending: map[uint32]string{},
		conns: &connLimit{max: int(cfg.MaxConns), node: cfg.Node, open: map[uint32]bool{}}, maxPrepared: cfg.MaxPreparedStmts}
	if h.maxPrepared <= 0 {
		h.maxPrepared = DefaultMaxPreparedStmts
	}
	l, err := mysql.NewListenerWithConfig(mysql.ListenerConfig{
		Listener:   packetListener{Listener: ln, handshake: cmp.Or(cfg.HandshakeTimeout, HandshakeTimeout)},
		AuthServer: &authServer{engine: cfg.Engine, h: h},
		Handler:    h,
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("mysql listener: %w", err)
	}
	if cfg.ServerVersion != "" {
		l.ServerVersion = cfg.ServerVersion
	}
	s := &Server{l: l, h: h, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		l.Accept()
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.l.Addr() }

// Close stops accepting connections and closes the open ones.
func (s *Server) Close() {
	s.closed.Do(func() {
		s.l.Close()
		<-s.done
		s.h.closeAll()
	})
}

// account is the Getter the auth step leaves on the connection.
type account struct{ user, account string }

func (a *account) Get() *querypb.VTGateCallerID {
	return &querypb.VTGateCallerID{Username: a.user, Groups: []string{a.account}}
}

type authServer struct {
	engine Engine
	h      *handler
}

func (a *authServer) AuthMethods() []mysql.AuthMethod {
	return []mysql.AuthMethod{limitedAuth{AuthMethod: mysql.NewMysqlNativeAuthMethod(a, a), h: a.h}}
}

func (a *authServer) DefaultAuthMethodDescription() mysql.AuthMethodDescription {
	return mysql.MysqlNativePassword
}

// HandleUser accepts every user name; the password check decides.
func (a *authServer) HandleUser(string, net.Addr) bool { return true }

// UserEntryWithHash checks a mysql_native_password scramble against the
// stored SHA1(SHA1(password)). An unknown user and a wrong password get
// the same error, byte for byte, after the same work (the scramble is
// checked against a hash no password has), so a login attempt does not
// tell whether a user exists.
func (a *authServer) UserEntryWithHash(_ []*x509.Certificate, salt []byte, user string, resp []byte, remote net.Addr) (mysql.Getter, error) {
	host := hostOf(remote)
	acct, hash, ok := a.engine.Account(user, host)
	if !ok {
		hash = unknownUserHash[:]
	}
	if !CheckScramble(salt, hash, resp) || !ok {
		return nil, mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError,
			"Access denied for user '%s' (using password: %s)", user, yesNo(len(resp) > 0))
	}
	return &account{user: user, account: acct}, nil
}

// unknownUserHash stands for the password hash of a user that does not
// exist: a scramble is checked against it as against a real one.
var unknownUserHash = sha1.Sum([]byte("minirocks: no such user"))

// CheckScramble verifies a mysql_native_password response: the client sends
// SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw))); the server holds SHA1(SHA1(pw)).
func CheckScramble(salt, hash, resp []byte) bool {
	if len(hash) == 0 {
		return len(resp) == 0
	}
	if len(resp) != sha1.Size || len(hash) != sha1.Size {
		return false
	}
	h := sha1.New()
	h.Write(salt)
	h.Write(hash)
	mix := h.Sum(nil)
	stage1 := make([]byte, sha1.Size)
	for i := range stage1 {
		stage1[i] = resp[i] ^ mix[i]
	}
	got := sha1.Sum(stage1)
	return subtle.ConstantTimeCompare(got[:], hash) == 1
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// toSQLError turns any error into the error packet the client sees.
func toSQLError(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := sqlerr.As(err); ok {
		return mysql.NewSQLError(int(e.Number), e.State, "%s", e.Message)
	}
	var me *mysql.SQLError
	if errors.As(err, &me) {
		return me
	}
	if errors.Is(err, context.Canceled) {
		return mysql.NewSQLError(mysql.ERQueryInterrupted, mysql.SSQueryInterrupted, "Query was interrupted")
	}
	return mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState, "%s", err.Error())
}
