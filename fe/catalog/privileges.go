package catalog

import (
	"slices"
	"strings"
)

// Builtin users and roles, named as in StarRocks.
const (
	RootUser         = "root"
	RoleRoot         = "root"
	RoleClusterAdmin = "cluster_admin"
	RoleDBAdmin      = "db_admin"
	RoleUserAdmin    = "user_admin"
	RolePublic       = "public"
)

// Privilege names.
const (
	PrivSelect         = "SELECT"
	PrivInsert         = "INSERT"
	PrivUpdate         = "UPDATE"
	PrivDelete         = "DELETE"
	PrivAlter          = "ALTER"
	PrivDrop           = "DROP"
	PrivCreateTable    = "CREATE TABLE"
	PrivCreateDatabase = "CREATE DATABASE"
	PrivUsage          = "USAGE"
	PrivAll            = "ALL"
	PrivNode           = "NODE"
	PrivOperate        = "OPERATE"
	PrivGrant          = "GRANT"
	PrivCreateVolume   = "CREATE STORAGE VOLUME"
)

// TablePrivs are the privileges that exist on tables, in StarRocks' order.
var TablePrivs = []string{PrivDelete, PrivDrop, PrivInsert, PrivSelect, PrivAlter, "EXPORT", PrivUpdate}

// DBPrivs are the privileges that exist on databases.
var DBPrivs = []string{PrivCreateTable, PrivDrop, PrivAlter, "CREATE VIEW", "CREATE FUNCTION", "CREATE MATERIALIZED VIEW"}

// SystemPrivs are the system-level privileges.
var SystemPrivs = []string{PrivGrant, PrivNode, PrivOperate, PrivCreateVolume, "CREATE RESOURCE GROUP", "CREATE RESOURCE", "CREATE EXTERNAL CATALOG", "CREATE GLOBAL FUNCTION", "REPOSITORY", "BLACKLIST", "FILE", "PLUGIN"}

// CatalogPrivs are the privileges that exist on a catalog.
var CatalogPrivs = []string{PrivUsage, PrivCreateDatabase, PrivDrop, PrivAlter}

func builtinRoles() []*Role {
	return []*Role{
		{Name: RoleRoot, Builtin: true},
		// StarRocks' cluster_admin holds NODE only; minirocks also gives it
		// OPERATE and the storage-volume privileges, so that ADMIN, ALTER
		// SYSTEM and volume statements need root or cluster_admin, as the
		// project decided.
		{Name: RoleClusterAdmin, Builtin: true, Grants: []Grant{
			{Privs: []string{PrivNode, PrivOperate, PrivCreateVolume}, Object: Object{Type: ObjSystem}},
			{Privs: []string{PrivAll}, Object: Object{Type: ObjVolume, Name: "*"}},
		}},
		{Name: RoleDBAdmin, Builtin: true, Grants: []Grant{
			{Privs: []string{"CREATE RESOURCE", "PLUGIN", "FILE", "BLACKLIST", PrivOperate, "CREATE EXTERNAL CATALOG", "REPOSITORY", "CREATE RESOURCE GROUP", "CREATE GLOBAL FUNCTION", PrivCreateVolume}, Object: Object{Type: ObjSystem}},
			{Privs: []string{PrivAll}, Object: Object{Type: ObjCatalog, Name: "*"}},
			{Privs: []string{PrivAll}, Object: Object{Type: ObjDatabase, DB: "*"}},
			{Privs: []string{PrivAll}, Object: Object{Type: ObjTable, DB: "*", Table: "*"}},
			{Privs: []string{PrivAll}, Object: Object{Type: ObjVolume, Name: "*"}},
		}},
		{Name: RoleUserAdmin, Builtin: true, Grants: []Grant{
			{Privs: []string{PrivGrant}, Object: Object{Type: ObjSystem}},
		}},
		{Name: RolePublic, Builtin: true},
	}
}

// Privileges answers privilege questions for one session: a user plus the
// roles active in it. It is a value computed once per statement from the
// catalog, so checks do not hold the catalog lock.
type Privileges struct {
	root   bool
	grants []Grant
}

// PrivilegesOf returns what user may do with roles active. Only roles the
// user holds (and public, which everyone has) count.
func (c *Catalog) PrivilegesOf(ident UserIdent, active []string) Privileges {
	c.mu.RLock()
	defer c.mu.RUnlock()
	u := c.s.Users[ident.String()]
	if u == nil {
		return Privileges{}
	}
	p := Privileges{grants: append([]Grant(nil), u.Grants...)}
	roles := append([]string{RolePublic}, active...)
	for _, rn := range roles {
		if rn != RolePublic && !slices.Contains(u.Roles, rn) {
			continue
		}
		r := c.s.Roles[rn]
		if r == nil {
			continue
		}
		if r.Name == RoleRoot {
			p.root = true
		}
		p.grants = append(p.grants, r.Grants...)
	}
	return p
}

// IsRoot reports whether the root role is active.
func (p Privileges) IsRoot() bool { return p.root }

// HasActiveRole reports whether role (or root) is among the session's active
// roles and granted to the user.
func (c *Catalog) HasActiveRole(ident UserIdent, active []string, role string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	u := c.s.Users[ident.String()]
	if u == nil {
		return false
	}
	for _, r := range active {
		if (r == role || r == RoleRoot) && slices.Contains(u.Roles, r) {
			return true
		}
	}
	return false
}

func hasPriv(g Grant, priv string) bool {
	for _, p := range g.Privs {
		if p == PrivAll || p == priv {
			return true
		}
	}
	return false
}

// System reports whether the session holds a system-level privilege.
func (p Privileges) System(priv string) bool {
	if p.root {
		return true
	}
	for _, g := range p.grants {
		if g.Object.Type == ObjSystem && hasPriv(g, priv) {
			return true
		}
	}
	return false
}

// Table reports whether the session holds priv on table db.tbl.
func (p Privileges) Table(db, tbl, priv string) bool {
	if p.root {
		return true
	}
	for _, g := range p.grants {
		if g.Object.Type == ObjTable && matchName(g.Object.DB, db) && matchName(g.Object.Table, tbl) && hasPriv(g, priv) {
			return true
		}
	}
	return false
}

// Database reports whether the session holds priv on database db.
func (p Privileges) Database(db, priv string) bool {
	if p.root {
		return true
	}
	for _, g := range p.grants {
		if g.Object.Type == ObjDatabase && matchName(g.Object.DB, db) && hasPriv(g, priv) {
			return true
		}
	}
	return false
}

// Catalog reports whether the session holds priv on the internal catalog
// (default_catalog): CREATE DATABASE lives there.
func (p Privileges) Catalog(priv string) bool {
	if p.root {
		return true
	}
	for _, g := range p.grants {
		if g.Object.Type == ObjCatalog && hasPriv(g, priv) {
			return true
		}
	}
	return false
}

// Volume reports whether the session holds priv on storage volume name.
func (p Privileges) Volume(name, priv string) bool {
	if p.root {
		return true
	}
	for _, g := range p.grants {
		if g.Object.Type == ObjVolume && matchName(g.Object.Name, name) && hasPriv(g, priv) {
			return true
		}
	}
	return false
}

// AnyOnDatabase reports whether the session holds any privilege on db or on
// a table in it: what USE and SHOW DATABASES require.
func (p Privileges) AnyOnDatabase(db string) bool {
	if p.root {
		return true
	}
	for _, g := range p.grants {
		if (g.Object.Type == ObjDatabase || g.Object.Type == ObjTable) && matchName(g.Object.DB, db) && len(g.Privs) > 0 {
			return true
		}
	}
	return false
}

// AnyOnTable reports whether the session holds any privilege on db.tbl
// (what SHOW TABLES and information_schema require to list it).
func (p Privileges) AnyOnTable(db, tbl string) bool {
	if p.root {
		return true
	}
	for _, g := range p.grants {
		if g.Object.Type == ObjTable && matchName(g.Object.DB, db) && matchName(g.Object.Table, tbl) && len(g.Privs) > 0 {
			return true
		}
		if g.Object.Type == ObjDatabase && matchName(g.Object.DB, db) && hasPriv(g, PrivAll) {
			return true
		}
	}
	return false
}

func matchName(pattern, name string) bool { return pattern == "*" || pattern == name }

// NormalizePrivs upper-cases, validates and de-duplicates privilege names
// for an object type; ALL [PRIVILEGES] stays ALL.
func NormalizePrivs(objType string, privs []string) ([]string, string) {
	var allowed []string
	switch objType {
	case ObjTable:
		allowed = TablePrivs
	case ObjDatabase:
		allowed = DBPrivs
	case ObjSystem:
		allowed = SystemPrivs
	case ObjCatalog:
		allowed = CatalogPrivs
	case ObjVolume:
		allowed = []string{PrivUsage, PrivAlter, PrivDrop}
	}
	var out []string
	for _, p := range privs {
		p = strings.ToUpper(strings.Join(strings.Fields(p), " "))
		if p == "ALL PRIVILEGES" {
			p = PrivAll
		}
		if p != PrivAll && !slices.Contains(allowed, p) {
			return nil, p
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, ""
}
