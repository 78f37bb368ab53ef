package query

import (
	"context"
	"errors"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/types"
)

// Session is one client connection's state: current database, active
// roles, session variables. Its statements run one at a time.
type Session struct {
	eng    *Engine
	connID uint32
	user   string
	host   string
	ident  catalog.UserIdent
	db     string
	// roles are the active roles (SET ROLE; default roles at login).
	roles []string
	// vars are session values of system variables (lower-case names).
	vars    map[string]string
	userVar map[string]string
	// forwarded: the session runs a statement another FE forwarded here.
	forwarded bool
	// inSets are the hashed IN lists of the running statement.
	inSets map[*sql.InExpr]*types.ValueSet
}

// ConnectionID is the session's connection id (CONNECTION_ID()).
func (s *Session) ConnectionID() uint32 { return s.connID }

// CurrentDB is the session's current database ("" when none).
func (s *Session) CurrentDB() string { return s.db }

// Close releases the session.
func (s *Session) Close() { s.eng.dropSession(s.connID) }

// UseDB implements COM_INIT_DB and USE.
func (s *Session) UseDB(name string) error {
	if name == "" {
		return nil
	}
	if strings.EqualFold(name, infoSchemaDB) {
		s.db = infoSchemaDB
		return nil
	}
	if s.eng.cat.DB(name) == nil {
		return sqlerr.New(sqlerr.ErBadDB, sqlerr.StateBadDB, "Unknown database '%s'", name)
	}
	if !s.privs().AnyOnDatabase(name) {
		return s.errAccessDenied([]string{"ANY"}, catalog.ObjDatabase, name)
	}
	s.db = name
	return nil
}

// errMultiStatements refuses a query of several statements from a client
// that did not ask for them (no CLIENT_MULTI_STATEMENTS), and a prepared
// statement of several statements. Nothing of the text has run.
var errMultiStatements = sqlerr.New(sqlerr.ErParse, sqlerr.StateSyntax,
	"Multiple statements in one query need the client's CLIENT_MULTI_STATEMENTS capability; nothing was executed")

// Run executes the first statement of text and returns the rest: one step
// of a multi-statement query (check the whole text with Check first).
func (s *Session) Run(ctx context.Context, text string) (*Result, string, error) {
	st, rest, err := sql.ParseFirst(text)
	if err != nil {
		// StarRocks sends every syntax error as 1064 with SQLSTATE HY000.
		return nil, "", sqlerr.Generic("%s", err.Error())
	}
	res, err := s.run(ctx, st, text[:len(text)-len(rest)])
	return res, rest, err
}

// RunOne executes text, which must hold one statement: a text with more is
// refused before any of it runs, as MySQL refuses it from a client without
// CLIENT_MULTI_STATEMENTS and in a prepared statement.
func (s *Session) RunOne(ctx context.Context, text string) (*Result, error) {
	if err := s.checkText(text); err != nil {
		return nil, err
	}
	st, rest, err := sql.ParseFirst(text)
	if err != nil {
		return nil, sqlerr.Generic("%s", err.Error())
	}
	if rest != "" {
		more, _, err := sql.ParseFirst(rest)
		if err != nil {
			return nil, sqlerr.Generic("%s", err.Error())
		}
		if more != nil {
			return nil, errMultiStatements
		}
	}
	return s.run(ctx, st, text[:len(text)-len(rest)])
}

// Check parses the whole of a multi-statement text, so that a syntax error
// in any statement stops the query before its first statement runs. A text
// longer than max_allowed_packet or not UTF-8 is refused the same way.
func (s *Session) Check(text string) error {
	if err := s.checkText(text); err != nil {
		return err
	}
	if _, err := sql.Parse(text); err != nil {
		return sqlerr.Generic("%s", err.Error())
	}
	return nil
}

// run executes one parsed statement whose source text is stmtText: on the
// leader, or forwarded to it when the statement needs it.
func (s *Session) run(ctx context.Context, st sql.Stmt, stmtText string) (*Result, error) {
	if st == nil {
		return OK(), nil
	}
	if NeedsLeader(st) && !s.forwarded && !s.eng.fes.IsLeader() {
		return s.eng.fes.Forward(ctx, s.State(), stmtText)
	}
	res, err := s.Exec(ctx, st)
	if err != nil && NeedsLeader(st) && !s.forwarded && errors.Is(err, sqlerr.ErrNotLeader) {
		// Leadership moved between the check above and the first journal
		// write, and nothing was journaled: the statement goes to the new
		// leader (or fails clearly when there is none) like any other.
		return s.eng.fes.Forward(ctx, s.State(), stmtText)
	}
	return res, err
}

// Exec executes one parsed statement.
func (s *Session) Exec(ctx context.Context, st sql.Stmt) (*Result, error) {
	s.inSets = nil
	if s.eng.cat.User(s.ident) == nil {
		// The account was dropped while this session was open.
		return nil, sqlerr.New(sqlerr.ErAccessDenied, sqlerr.StateAccessDenied, "Access denied for user '%s' (using password: YES)", s.user)
	}
	switch st := st.(type) {
	case *sql.SelectStmt:
		return s.execSelect(ctx, st)
	case *sql.InsertStmt:
		return s.execInsert(ctx, st)
	case *sql.TruncateTableStmt:
		return s.execTruncate(ctx, st)
	case *sql.AlterTableStmt:
		return s.execAlterTable(ctx, st)
	case *sql.RecoverTableStmt:
		return s.execRecoverTable(ctx, st)
	case *sql.RecoverPartitionStmt:
		return s.execRecoverPartition(ctx, st)
	case *sql.RecoverDatabaseStmt:
		return s.execRecoverDatabase(ctx, st)
	case *sql.ShowLoadStmt:
		return s.execShowLoad(st)
	case *sql.UseStmt:
		if st.Catalog != nil && st.Catalog.Name != catalog.InternalCatalog {
			return nil, at(st.Catalog.At, "Unknown catalog '%s'", st.Catalog.Name)
		}
		if err := s.UseDB(st.Db.Name); err != nil {
			return nil, err
		}
		return OK(), nil
	case *sql.SetStmt:
		return s.execSet(ctx, st)
	case *sql.SetRoleStmt:
		return s.execSetRole(ctx, st)
	case *sql.SetPasswordStmt:
		return s.execSetPassword(ctx, st)
	case *sql.ShowStmt:
		return s.execShow(st)
	case *sql.ShowVariablesStmt:
		return s.execShowVariables(st)
	case *sql.ShowTablesStmt:
		return s.execShowTables(st)
	case *sql.ShowColumnsStmt:
		return s.execShowColumns(st)
	case *sql.ShowCreateTableStmt:
		return s.execShowCreateTable(st)
	case *sql.ShowCreateDatabaseStmt:
		return s.execShowCreateDatabase(st)
	case *sql.DescTableStmt:
		return s.execDesc(st)
	case *sql.ShowProcStmt:
		return s.execShowProc(st)
	case *sql.ShowGrantsStmt:
		return s.execShowGrants(st)
	case *sql.ShowWarningsStmt:
		return &Result{Columns: StringColumns("Level", "Code", "Message")}, nil
	case *sql.ShowPartitionsStmt:
		return s.execShowPartitions(st)
	case *sql.CreateDatabaseStmt:
		return s.execCreateDatabase(ctx, st)
	case *sql.DropDatabaseStmt:
		return s.execDropDatabase(ctx, st)
	case *sql.CreateTableStmt:
		return s.execCreateTable(ctx, st)
	case *sql.DropTableStmt:
		return s.execDropTable(ctx, st)
	case *sql.CreateStorageVolumeStmt:
		return s.execCreateVolume(ctx, st)
	case *sql.AlterStorageVolumeStmt:
		return s.execAlterVolume(ctx, st)
	case *sql.DropStorageVolumeStmt:
		return s.execDropVolume(ctx, st)
	case *sql.DescStorageVolumeStmt:
		return s.execDescVolume(st)
	case *sql.SetDefaultStorageVolumeStmt:
		return s.execSetDefaultVolume(ctx, st)
	case *sql.CreateUserStmt:
		return s.execCreateUser(ctx, st)
	case *sql.AlterUserStmt:
		return s.execAlterUser(ctx, st)
	case *sql.DropUserStmt:
		return s.execDropUser(ctx, st)
	case *sql.CreateRoleStmt:
		return s.execCreateRole(ctx, st)
	case *sql.DropRoleStmt:
		return s.execDropRole(ctx, st)
	case *sql.GrantPrivilegeStmt:
		return s.execGrantPrivilege(ctx, st.Privileges, st.Object, st.Grantee, true)
	case *sql.RevokePrivilegeStmt:
		return s.execGrantPrivilege(ctx, st.Privileges, st.Object, st.Grantee, false)
	case *sql.GrantRoleStmt:
		return s.execGrantRole(ctx, st.Roles, st.Grantee, true)
	case *sql.RevokeRoleStmt:
		return s.execGrantRole(ctx, st.Roles, st.Grantee, false)
	case *sql.AdminSetConfigStmt:
		return s.execAdminSetConfig(ctx, st)
	case *sql.AdminShowConfigStmt:
		return s.execAdminShowConfig(st)
	case *sql.AlterSystemStmt:
		return s.execAlterSystem(ctx, st)
	case *sql.AdminSetClusterSnapshotStmt:
		return s.execAdminSetClusterSnapshot(ctx, st)
	case *sql.AdminShowClusterSnapshotStmt:
		return s.execAdminShowClusterSnapshot()
	case *sql.KillStmt:
		return s.execKill(st)
	}
	return nil, errNotSupported(st.Pos(), "This statement")
}
