package query

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/types"
)

func identOf(u *sql.UserIdent) catalog.UserIdent {
	return catalog.UserIdent{User: u.User, Host: u.Host}
}

// passwordOf turns an IDENTIFIED clause into a stored hash.
func passwordOf(a *sql.AuthOption) ([]byte, error) {
	if a == nil {
		return nil, nil
	}
	if a.Plugin != "" && !strings.EqualFold(a.Plugin, "mysql_native_password") {
		return nil, at(a.At, "Unsupported authentication plugin %s; minirocks supports mysql_native_password", a.Plugin)
	}
	if a.Hashed {
		h, err := catalog.ParsePasswordHash(a.Password)
		if err != nil {
			return nil, sqlerr.New(sqlerr.ErPasswordFormat, sqlerr.StateGeneral, "%v", err)
		}
		return h, nil
	}
	return catalog.HashPassword(a.Password), nil
}

func (s *Session) execCreateUser(ctx context.Context, st *sql.CreateUserStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivGrant); err != nil {
		return nil, err
	}
	ident := identOf(st.User)
	if ident.User == catalog.RootUser {
		// One account is root: another 'root'@'host' would pass for root itself.
		return nil, at(st.User.At, "Operation CREATE USER failed for %s : user name %s is reserved", ident, catalog.RootUser)
	}
	cat := s.eng.cat
	if cat.User(ident) != nil {
		if st.IfNotExists {
			return OK(), nil
		}
		return nil, at(st.User.At, "Operation CREATE USER failed for %s : user already exists", ident)
	}
	pw, err := passwordOf(st.Auth)
	if err != nil {
		return nil, err
	}
	u := catalog.User{Ident: ident, Password: pw}
	for _, r := range st.DefaultRoles {
		if cat.Role(r.Name) == nil {
			return nil, at(r.At, "cannot find role %s!", r.Name)
		}
		if err := s.checkGrantableRole(r); err != nil {
			return nil, err
		}
		u.Roles = append(u.Roles, r.Name)
	}
	u.DefaultRoles = slices.Clone(u.Roles)
	_, err = s.eng.writer.Propose(ctx, &catalog.CreateUserOp{User: u})
	if err != nil && st.IfNotExists && cat.User(ident) != nil {
		return OK(), nil
	}
	if err != nil {
		return nil, err
	}
	return OK(), nil
}

// isRootItself reports whether the session is the one root account
// ('root'@'%'), not merely a user that happens to be named root.
func (s *Session) isRootItself() bool {
	return s.ident == catalog.UserIdent{User: catalog.RootUser, Host: "%"}
}

func (s *Session) execAlterUser(ctx context.Context, st *sql.AlterUserStmt) (*Result, error) {
	ident := identOf(st.User)
	if ident != s.ident {
		if err := s.requireSystem(catalog.PrivGrant); err != nil {
			return nil, err
		}
	}
	if s.eng.cat.User(ident) == nil {
		if st.IfExists {
			return OK(), nil
		}
		return nil, at(st.User.At, "Operation ALTER USER failed for %s : user not exists", ident)
	}
	if ident.User == catalog.RootUser && !s.isRootItself() {
		return nil, at(st.User.At, "Can not set password for root user, except root itself")
	}
	pw, err := passwordOf(st.Auth)
	if err != nil {
		return nil, err
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.AlterUserOp{Ident: ident, Password: pw}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execDropUser(ctx context.Context, st *sql.DropUserStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivGrant); err != nil {
		return nil, err
	}
	ident := identOf(st.User)
	if s.eng.cat.User(ident) == nil {
		if st.IfExists {
			return OK(), nil
		}
		return nil, at(st.User.At, "Operation DROP USER failed for %s : user not exists", ident)
	}
	if ident.User == catalog.RootUser {
		return nil, at(st.User.At, "Operation DROP USER failed for %s : cannot drop user %s", ident, ident)
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.DropUserOp{Ident: ident}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execSetPassword(ctx context.Context, st *sql.SetPasswordStmt) (*Result, error) {
	ident := s.ident
	if st.User != nil {
		ident = identOf(st.User)
		if ident != s.ident {
			if err := s.requireSystem(catalog.PrivGrant); err != nil {
				return nil, err
			}
		}
	}
	if s.eng.cat.User(ident) == nil {
		return nil, at(st.Pos(), "authentication info for user %s not found", ident)
	}
	if ident.User == catalog.RootUser && !s.isRootItself() {
		return nil, at(st.Pos(), "Can not set password for root user, except root itself")
	}
	var pw []byte
	if st.Hashed {
		h, err := catalog.ParsePasswordHash(st.Password)
		if err != nil {
			return nil, sqlerr.New(sqlerr.ErPasswordFormat, sqlerr.StateGeneral, "%v", err)
		}
		pw = h
	} else {
		pw = catalog.HashPassword(st.Password)
	}
	if _, err := s.eng.writer.Propose(ctx, &catalog.AlterUserOp{Ident: ident, Password: pw}); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execCreateRole(ctx context.Context, st *sql.CreateRoleStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivGrant); err != nil {
		return nil, err
	}
	for _, r := range st.Roles {
		if s.eng.cat.Role(r.Name) != nil {
			if st.IfNotExists {
				continue
			}
			return nil, at(r.At, "Operation CREATE ROLE failed for %s : role already exists", r.Name)
		}
		if _, err := s.eng.writer.Propose(ctx, &catalog.CreateRoleOp{Name: r.Name}); err != nil {
			return nil, err
		}
	}
	return OK(), nil
}

func (s *Session) execDropRole(ctx context.Context, st *sql.DropRoleStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivGrant); err != nil {
		return nil, err
	}
	for _, r := range st.Roles {
		if s.eng.cat.Role(r.Name) == nil {
			if st.IfExists {
				continue
			}
			return nil, at(r.At, "cannot find role %s!", r.Name)
		}
		if _, err := s.eng.writer.Propose(ctx, &catalog.DropRoleOp{Name: r.Name}); err != nil {
			return nil, err
		}
	}
	return OK(), nil
}

// checkGrantableRole enforces that only root hands out root and cluster_admin.
func (s *Session) checkGrantableRole(r *sql.Ident) error {
	if (r.Name == catalog.RoleRoot || r.Name == catalog.RoleClusterAdmin) && !s.privs().IsRoot() {
		return at(r.At, "Can not grant root or cluster_admin role except root user")
	}
	return nil
}

// granteeOf resolves the grantee of a GRANT/REVOKE into the op's fields.
func (s *Session) granteeOf(g *sql.Grantee) (*catalog.UserIdent, string, error) {
	cat := s.eng.cat
	if g.User != nil {
		id := identOf(g.User)
		if cat.User(id) == nil {
			return nil, "", at(g.At, "cannot find user %s!", id)
		}
		return &id, "", nil
	}
	if cat.Role(g.Role.Name) == nil {
		return nil, "", at(g.At, "cannot find role %s!", g.Role.Name)
	}
	return nil, g.Role.Name, nil
}

// objectOf maps a GRANT's ON clause onto a catalog object, checking that
// named databases, tables and volumes exist.
func (s *Session) objectOf(o *sql.PrivObject) (catalog.Object, error) {
	cat := s.eng.cat
	switch o.Type {
	case sql.ObjSystem:
		return catalog.Object{Type: catalog.ObjSystem}, nil
	case sql.ObjCatalog:
		if !o.AllNames && o.Name != catalog.InternalCatalog {
			return catalog.Object{}, at(o.At, "Unknown catalog '%s'", o.Name)
		}
		return catalog.Object{Type: catalog.ObjCatalog, Name: "*"}, nil
	case sql.ObjStorageVolume:
		if o.AllNames {
			return catalog.Object{Type: catalog.ObjVolume, Name: "*"}, nil
		}
		if cat.StorageVolume(o.Name) == nil {
			return catalog.Object{}, at(o.At, "Unknown storage volume: %s", o.Name)
		}
		return catalog.Object{Type: catalog.ObjVolume, Name: o.Name}, nil
	case sql.ObjDatabase:
		if o.AllNames {
			return catalog.Object{Type: catalog.ObjDatabase, DB: "*"}, nil
		}
		if cat.DB(o.Db) == nil && cat.DB(o.Name) == nil {
			name := o.Name
			if name == "" {
				name = o.Db
			}
			return catalog.Object{}, errUnknownDB(o.At, name)
		}
		name := o.Name
		if cat.DB(name) == nil {
			name = o.Db
		}
		return catalog.Object{Type: catalog.ObjDatabase, DB: name}, nil
	case sql.ObjTable:
		if o.AllDatabases {
			return catalog.Object{Type: catalog.ObjTable, DB: "*", Table: "*"}, nil
		}
		db, err := s.resolveDB(o.At, o.Db)
		if err != nil {
			return catalog.Object{}, err
		}
		if cat.DB(db) == nil {
			return catalog.Object{}, errUnknownDB(o.At, db)
		}
		if o.AllNames {
			return catalog.Object{Type: catalog.ObjTable, DB: db, Table: "*"}, nil
		}
		if cat.Table(db, o.Name) == nil {
			return catalog.Object{}, errUnknownTable(o.At, db+"."+o.Name)
		}
		return catalog.Object{Type: catalog.ObjTable, DB: db, Table: o.Name}, nil
	}
	return catalog.Object{}, errNotSupported(o.At, "Privileges on "+string(o.Type))
}

func (s *Session) execGrantPrivilege(ctx context.Context, privs []string, o *sql.PrivObject, g *sql.Grantee, grant bool) (*Result, error) {
	if err := s.requireSystem(catalog.PrivGrant); err != nil {
		return nil, err
	}
	obj, err := s.objectOf(o)
	if err != nil {
		return nil, err
	}
	norm, bad := catalog.NormalizePrivs(obj.Type, privs)
	if bad != "" {
		return nil, at(o.At, "Cannot grant or revoke '%s' on object type %s", bad, obj.Type)
	}
	user, role, err := s.granteeOf(g)
	if err != nil {
		return nil, err
	}
	op := &catalog.GrantOp{User: user, Role: role, Grant: &catalog.Grant{Privs: norm, Object: obj}}
	var cop catalog.Op = op
	if !grant {
		cop = (*catalog.RevokeOp)(op)
	}
	if _, err := s.eng.writer.Propose(ctx, cop); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execGrantRole(ctx context.Context, roles []*sql.Ident, g *sql.Grantee, grant bool) (*Result, error) {
	if err := s.requireSystem(catalog.PrivGrant); err != nil {
		return nil, err
	}
	cat := s.eng.cat
	var names []string
	for _, r := range roles {
		if cat.Role(r.Name) == nil {
			return nil, at(r.At, "cannot find role %s!", r.Name)
		}
		if err := s.checkGrantableRole(r); err != nil {
			return nil, err
		}
		names = append(names, r.Name)
	}
	user, role, err := s.granteeOf(g)
	if err != nil {
		return nil, err
	}
	if role != "" {
		return nil, errNotSupported(g.At, "Granting roles to roles")
	}
	op := &catalog.GrantOp{User: user, Roles: names}
	var cop catalog.Op = op
	if !grant {
		cop = (*catalog.RevokeOp)(op)
	}
	if _, err := s.eng.writer.Propose(ctx, cop); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Session) execSetRole(ctx context.Context, st *sql.SetRoleStmt) (*Result, error) {
	cat := s.eng.cat
	ident := s.ident
	if st.Default {
		ident = identOf(st.User)
		if ident != s.ident {
			if err := s.requireSystem(catalog.PrivGrant); err != nil {
				return nil, err
			}
		}
	}
	u := cat.User(ident)
	if u == nil {
		return nil, at(st.Pos(), "cannot find user %s!", ident)
	}
	var roles []string
	switch st.Spec {
	case sql.RolesNone:
	case sql.RolesDefault:
		roles = slices.Clone(u.DefaultRoles)
	case sql.RolesAll:
		for _, r := range u.Roles {
			if !slices.ContainsFunc(st.Roles, func(x *sql.Ident) bool { return x.Name == r }) {
				roles = append(roles, r)
			}
		}
	default:
		for _, r := range st.Roles {
			if !slices.Contains(u.Roles, r.Name) {
				return nil, at(r.At, "Role %s is not granted to %s", r.Name, ident)
			}
			roles = append(roles, r.Name)
		}
	}
	if st.Default {
		if _, err := s.eng.writer.Propose(ctx, &catalog.SetDefaultRolesOp{Ident: ident, Roles: roles}); err != nil {
			return nil, err
		}
		return OK(), nil
	}
	s.roles = roles
	return OK(), nil
}

// objectText renders a grant's object the way SHOW GRANTS prints it.
func objectText(o catalog.Object) string {
	switch o.Type {
	case catalog.ObjSystem:
		return "SYSTEM"
	case catalog.ObjCatalog:
		if o.Name == "*" {
			return "ALL CATALOGS"
		}
		return "CATALOG " + o.Name
	case catalog.ObjVolume:
		if o.Name == "*" {
			return "ALL STORAGE VOLUMES"
		}
		return "STORAGE VOLUME " + o.Name
	case catalog.ObjDatabase:
		if o.DB == "*" {
			return "ALL DATABASES"
		}
		return "DATABASE " + o.DB
	}
	switch {
	case o.DB == "*":
		return "ALL TABLES IN ALL DATABASES"
	case o.Table == "*":
		return "ALL TABLES IN DATABASE " + o.DB
	}
	return "TABLE " + o.DB + "." + o.Table
}

func grantCatalogColumn(o catalog.Object) types.Value {
	if o.Type == catalog.ObjCatalog && o.Name == "*" {
		return types.NullValue
	}
	return types.StringValue(catalog.InternalCatalog)
}

func grantRows(who string, grantee string, roles []string, grants []catalog.Grant) [][]types.Value {
	var rows [][]types.Value
	if len(roles) > 0 {
		q := make([]string, len(roles))
		for i, r := range roles {
			q[i] = "'" + r + "'"
		}
		rows = append(rows, []types.Value{types.StringValue(who), types.NullValue,
			types.StringValue(fmt.Sprintf("GRANT %s TO %s", strings.Join(q, ", "), who))})
	}
	for _, g := range grants {
		rows = append(rows, []types.Value{types.StringValue(who), grantCatalogColumn(g.Object),
			types.StringValue(fmt.Sprintf("GRANT %s ON %s TO %s", strings.Join(g.Privs, ", "), objectText(g.Object), grantee))})
	}
	return rows
}

func (s *Session) execShowGrants(st *sql.ShowGrantsStmt) (*Result, error) {
	cat := s.eng.cat
	if st.Role != nil {
		if err := s.requireSystem(catalog.PrivGrant); err != nil {
			return nil, err
		}
		r := cat.Role(st.Role.Name)
		if r == nil {
			return nil, at(st.Role.At, "cannot find role %s!", st.Role.Name)
		}
		res := &Result{Columns: StringColumns("RoleName", "Catalog", "Grants")}
		res.Rows = grantRows(r.Name, "ROLE '"+r.Name+"'", nil, r.Grants)
		return res, nil
	}
	res := &Result{Columns: StringColumns("UserIdentity", "Catalog", "Grants")}
	var users []*catalog.User
	switch {
	case st.All:
		if err := s.requireSystem(catalog.PrivGrant); err != nil {
			return nil, err
		}
		users = cat.Users()
	case st.User != nil:
		id := identOf(st.User)
		if id != s.ident {
			if err := s.requireSystem(catalog.PrivGrant); err != nil {
				return nil, err
			}
		}
		u := cat.User(id)
		if u == nil {
			return nil, at(st.User.At, "cannot find user %s!", id)
		}
		users = []*catalog.User{u}
	default:
		users = []*catalog.User{cat.User(s.ident)}
	}
	for _, u := range users {
		who := u.Ident.String()
		res.Rows = append(res.Rows, grantRows(who, "USER "+who, u.Roles, u.Grants)...)
	}
	return res, nil
}
