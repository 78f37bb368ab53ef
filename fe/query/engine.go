// Package query executes SQL statements for the FE: it analyses a parsed
// statement against the catalog, checks privileges, and either answers it
// from local state (SHOW, DESC, information_schema, SELECT without a table)
// or turns it into edit-log ops that the journal makes durable. A statement
// that fails changes nothing: every change is one journal entry, checked
// again when applied.
package query

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/starmgr"
)

// ConnInfo describes an authenticated connection.
type ConnInfo struct {
	ConnectionID uint32
	// User is the login name; Account is the matched account ('u'@'%').
	User, Account string
	// Host is the client's address without port.
	Host string
}

// Config configures an Engine.
type Config struct {
	// Catalog and StarMgr are the local replicas of the state machines.
	Catalog *catalog.Catalog
	StarMgr *starmgr.StarMgr
	// Writer journals changes; Frontends is the FE membership; Lake is the
	// data path through the compute nodes.
	Writer    Writer
	Frontends Membership
	Lake      Lake
	// Conf is this FE's configuration (fe.conf plus run-time changes).
	Conf *conf.Config
	// Now is the clock for timestamps stored in the catalog; nil means
	// time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// VersionComment is @@version_comment (StarRocks: version-commit).
	VersionComment string
	// ServerVersion is @@version / VERSION().
	ServerVersion string
}

// Engine runs sessions for one FE.
type Engine struct {
	cat    *catalog.Catalog
	sm     *starmgr.StarMgr
	writer Writer
	fes    Membership
	lake   Lake
	conf   *conf.Config
	now    func() time.Time
	log    *slog.Logger
	vars   *varTable

	versionComment string

	mu       sync.Mutex
	sessions map[uint32]*Session
	nextConn atomic.Uint32
}

// NewEngine returns an engine over the roles in cfg.
func NewEngine(cfg Config) *Engine {
	if cfg.VersionComment == "" {
		cfg.VersionComment = "unknown"
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "8.0.33"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{
		cat:            cfg.Catalog,
		sm:             cfg.StarMgr,
		writer:         cfg.Writer,
		fes:            cfg.Frontends,
		lake:           cfg.Lake,
		conf:           cfg.Conf,
		now:            cfg.Now,
		log:            log,
		vars:           newVarTable(sysVars(cfg.VersionComment, cfg.ServerVersion), cfg.Catalog.GlobalVar),
		versionComment: cfg.VersionComment,
		sessions:       map[uint32]*Session{},
	}
}

// Account returns the account a login as user from host uses, and its
// password hash (what the MySQL front checks the scramble against).
func (e *Engine) Account(user, host string) (string, []byte, bool) {
	u := e.cat.MatchUser(user, host)
	if u == nil {
		return "", nil, false
	}
	return u.Ident.String(), u.Password, true
}

// NewSession starts a session for an authenticated connection.
func (e *Engine) NewSession(c ConnInfo) *Session {
	ident := parseAccount(c.Account, c.User)
	s := &Session{
		eng:     e,
		connID:  c.ConnectionID,
		user:    c.User,
		host:    c.Host,
		ident:   ident,
		vars:    map[string]string{},
		userVar: map[string]string{},
	}
	if u := e.cat.User(ident); u != nil {
		if e.vars.getGlobal("activate_all_roles_on_login") == "true" {
			s.roles = append([]string(nil), u.Roles...)
		} else {
			s.roles = append([]string(nil), u.DefaultRoles...)
		}
	}
	e.mu.Lock()
	e.sessions[c.ConnectionID] = s
	e.mu.Unlock()
	return s
}

func (e *Engine) dropSession(id uint32) {
	e.mu.Lock()
	delete(e.sessions, id)
	e.mu.Unlock()
}

// parseAccount turns "'u'@'h'" back into an identity.
func parseAccount(account, user string) catalog.UserIdent {
	if account == "" {
		return catalog.UserIdent{User: user, Host: "%"}
	}
	i := strings.LastIndex(account, "@")
	if i < 0 {
		return catalog.UserIdent{User: user, Host: "%"}
	}
	return catalog.UserIdent{User: strings.Trim(account[:i], "'"), Host: strings.Trim(account[i+1:], "'")}
}
