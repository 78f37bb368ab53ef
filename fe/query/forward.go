package query

import (
	"context"
	"maps"
	"slices"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
)

// SessionState is what a statement needs of its session to run on another
// FE: who runs it, where, with which roles and variables. A non-leader FE
// sends it with the statement text when it forwards a statement to the
// leader.
type SessionState struct {
	User     string            `json:"user"`
	Host     string            `json:"host"`
	Ident    catalog.UserIdent `json:"ident"`
	DB       string            `json:"db,omitempty"`
	Roles    []string          `json:"roles,omitempty"`
	Vars     map[string]string `json:"vars,omitempty"`
	UserVars map[string]string `json:"user_vars,omitempty"`
}

// State captures the session for forwarding.
func (s *Session) State() SessionState {
	return SessionState{User: s.user, Host: s.host, Ident: s.ident, DB: s.db,
		Roles: slices.Clone(s.roles), Vars: maps.Clone(s.vars), UserVars: maps.Clone(s.userVar)}
}

// RunForwarded runs one statement that another FE forwarded, in a
// transient session rebuilt from st. It never forwards again: a leader
// that lost its leadership meanwhile answers with the journal's error.
func (e *Engine) RunForwarded(ctx context.Context, st SessionState, text string) (*Result, error) {
	s := &Session{eng: e, user: st.User, host: st.Host, ident: st.Ident, db: st.DB,
		roles: slices.Clone(st.Roles), vars: maps.Clone(st.Vars), userVar: maps.Clone(st.UserVars), forwarded: true}
	if s.vars == nil {
		s.vars = map[string]string{}
	}
	if s.userVar == nil {
		s.userVar = map[string]string{}
	}
	res, _, err := s.Run(ctx, text)
	return res, err
}

// NeedsLeader reports whether a statement changes metadata (or loads
// data) and so runs on the leader FE: on any other FE it is forwarded,
// as StarRocks forwards such statements to its leader.
func NeedsLeader(st sql.Stmt) bool {
	switch st := st.(type) {
	case *sql.InsertStmt, *sql.TruncateTableStmt, *sql.AlterTableStmt,
		*sql.RecoverTableStmt, *sql.RecoverPartitionStmt, *sql.RecoverDatabaseStmt,
		*sql.CreateDatabaseStmt, *sql.DropDatabaseStmt, *sql.CreateTableStmt, *sql.DropTableStmt,
		*sql.CreateStorageVolumeStmt, *sql.AlterStorageVolumeStmt, *sql.DropStorageVolumeStmt, *sql.SetDefaultStorageVolumeStmt,
		*sql.CreateUserStmt, *sql.AlterUserStmt, *sql.DropUserStmt, *sql.CreateRoleStmt, *sql.DropRoleStmt,
		*sql.GrantPrivilegeStmt, *sql.RevokePrivilegeStmt, *sql.GrantRoleStmt, *sql.RevokeRoleStmt,
		*sql.SetPasswordStmt, *sql.AlterSystemStmt, *sql.AdminSetClusterSnapshotStmt:
		return true
	case *sql.SetRoleStmt:
		return st.Default
	}
	return false
}
