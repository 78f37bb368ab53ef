package query

import (
	"fmt"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
)

// at wraps an analysis failure at a position in StarRocks' format.
func at(pos sql.Pos, format string, args ...any) error {
	return sqlerr.Analysis(pos.Line, pos.Col, 0, "", fmt.Sprintf(format, args...))
}

// atCode is at with a specific error number and SQLSTATE.
func atCode(pos sql.Pos, number uint16, state, format string, args ...any) error {
	return sqlerr.Analysis(pos.Line, pos.Col, number, state, fmt.Sprintf(format, args...))
}

func errUnknownDB(pos sql.Pos, db string) error {
	return atCode(pos, sqlerr.ErBadDB, sqlerr.StateBadDB, "Unknown database '%s'", db)
}

func errUnknownTable(pos sql.Pos, name string) error {
	return atCode(pos, sqlerr.ErBadTable, sqlerr.StateBadTable, "Unknown table '%s'", name)
}

func errNoDB(pos sql.Pos) error {
	return atCode(pos, sqlerr.ErNoDB, sqlerr.StateNoDB, "No database selected")
}

func errNotSupported(pos sql.Pos, what string) error {
	return at(pos, "%s is not supported by minirocks", what)
}

// errAccessDenied is StarRocks' privilege error. object is "" for SYSTEM.
func (s *Session) errAccessDenied(privs []string, objType, object string) error {
	obj := objType
	if object != "" {
		obj += " " + object
	}
	active := "NONE"
	if len(s.roles) > 0 {
		active = "[" + strings.Join(s.roles, ", ") + "]"
	}
	inactive := "NONE"
	if u := s.eng.cat.User(s.ident); u != nil {
		var in []string
		for _, r := range u.Roles {
			if !contains(s.roles, r) {
				in = append(in, r)
			}
		}
		if len(in) > 0 {
			inactive = "[" + strings.Join(in, ", ") + "]"
		}
	}
	return sqlerr.New(sqlerr.ErSpecificAccessDeny, sqlerr.StateSyntax,
		"Access denied; you need (at least one of) the %s privilege(s) on %s for this operation. "+
			"Please ask the admin to grant permission(s) or try activating existing roles using <set [default] role>. "+
			"Current role(s): %s. Inactivated role(s): %s.",
		strings.Join(privs, " OR "), obj, active, inactive)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// privs returns the session's privileges as of now.
func (s *Session) privs() catalog.Privileges {
	return s.eng.cat.PrivilegesOf(s.ident, s.roles)
}

func (s *Session) requireSystem(privs ...string) error {
	p := s.privs()
	for _, pr := range privs {
		if p.System(pr) {
			return nil
		}
	}
	return s.errAccessDenied(privs, catalog.ObjSystem, "")
}

func (s *Session) requireTable(db, tbl, priv string) error {
	if s.privs().Table(db, tbl, priv) {
		return nil
	}
	return s.errAccessDenied([]string{priv}, catalog.ObjTable, tbl)
}

func (s *Session) requireDatabase(db, priv string) error {
	if s.privs().Database(db, priv) {
		return nil
	}
	return s.errAccessDenied([]string{priv}, catalog.ObjDatabase, db)
}

func (s *Session) requireVolume(name, priv string) error {
	if s.privs().Volume(name, priv) {
		return nil
	}
	return s.errAccessDenied([]string{priv}, catalog.ObjVolume, name)
}
