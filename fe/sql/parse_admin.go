package sql

import "strings"

// parseUser parses a user account: 'u'@'h', u@'h', u@h, 'u' or u. The
// host defaults to "%".
func (p *parser) parseUser() *UserIdent {
	t := p.peek()
	if t.kind != tkString && !isIdentTok(t) {
		p.fail(expIdent)
	}
	p.next()
	u := &UserIdent{At: t.pos, User: t.val, Host: "%"}
	n := p.peek()
	switch {
	case n.kind == tkOp && n.val == "@":
		p.next()
		h := p.peek()
		if h.kind != tkString && !isIdentTok(h) {
			p.fail(expIdent)
		}
		p.next()
		u.Host = h.val
	case n.kind == tkUserVar:
		// u@host is lexed as u followed by the user variable @host.
		p.next()
		u.Host = n.val
	}
	return u
}

// parseCreateUser parses CREATE USER after CREATE.
func (p *parser) parseCreateUser() Stmt {
	p.expectKw("USER")
	st := &CreateUserStmt{IfNotExists: p.parseIfNotExists(), User: p.parseUser()}
	if p.isKw("IDENTIFIED") {
		st.Auth = p.parseAuthOption()
	}
	if p.isKw("DEFAULT") {
		p.next()
		p.expectKw("ROLE")
		st.DefaultRoles = p.parseRoleList()
	}
	return st
}

// parseAuthOption parses IDENTIFIED BY [PASSWORD] 'p' | IDENTIFIED WITH
// plugin [BY 'p' | AS 'hash'].
func (p *parser) parseAuthOption() *AuthOption {
	t := p.expectKw("IDENTIFIED")
	a := &AuthOption{At: t.pos}
	if p.expectOneKw("BY", "WITH") == "BY" {
		a.Hashed = p.acceptKw("PASSWORD")
		a.Password = p.parseString()
		return a
	}
	a.Plugin = p.parseIdentOrString().Name
	switch {
	case p.acceptKw("BY"):
		a.Password = p.parseString()
	case p.acceptKw("AS"):
		a.Password = p.parseString()
		a.Hashed = true
	}
	return a
}

// privItem is one comma-separated item before ON/TO/FROM in GRANT/REVOKE.
type privItem []*token

// parsePrivItems reads the comma-separated list of privileges or roles of
// GRANT/REVOKE, stopping at ON, TO or FROM.
func (p *parser) parsePrivItems() []privItem {
	var items []privItem
	for {
		var cur privItem
		for {
			t := p.peek()
			if t.kind == tkWord && (t.up == "ON" || t.up == "TO" || t.up == "FROM") {
				break
			}
			if t.kind != tkWord && t.kind != tkQIdent && t.kind != tkString {
				break
			}
			cur = append(cur, p.next())
		}
		if len(cur) == 0 {
			p.fail(expIdent)
		}
		items = append(items, cur)
		if !p.acceptOp(",") {
			return items
		}
	}
}

// privileges converts items to upper-case privilege names.
func (p *parser) privileges(items []privItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		words := make([]string, 0, len(it))
		for _, t := range it {
			if t.kind != tkWord {
				p.failInvalid(t)
			}
			words = append(words, t.up)
		}
		s := strings.Join(words, " ")
		if s == "ALL PRIVILEGES" {
			s = "ALL"
		}
		out = append(out, s)
	}
	return out
}

// roles converts items to role names; each item must be a single
// identifier or string, otherwise the input is reported as a malformed
// privilege list at kw (the TO/FROM that was found instead of ON).
func (p *parser) roles(items []privItem, kw *token) []*Ident {
	out := make([]*Ident, 0, len(items))
	for _, it := range items {
		t := it[0]
		if len(it) != 1 || (t.kind == tkWord && reserved[t.up]) {
			p.failAt(kw, "ON", ",")
		}
		out = append(out, &Ident{At: t.pos, Name: t.val})
	}
	return out
}

// parseGrantee parses [USER] user | ROLE r.
func (p *parser) parseGrantee() *Grantee {
	t := p.peek()
	next := p.tokAt(1)
	named := next.kind == tkString || isIdentTok(next)
	if t.kind == tkWord && t.up == "ROLE" && named {
		p.next()
		return &Grantee{At: t.pos, Role: p.parseIdentOrString()}
	}
	if t.kind == tkWord && t.up == "USER" && named {
		p.next()
	}
	u := p.parseUser()
	return &Grantee{At: u.At, User: u}
}

// parseGrant parses GRANT privileges ON object TO grantee [WITH GRANT
// OPTION] and GRANT roles TO grantee.
func (p *parser) parseGrant() Stmt {
	p.expectKw("GRANT")
	items := p.parsePrivItems()
	if p.isKw("TO") {
		kw := p.next()
		return &GrantRoleStmt{Roles: p.roles(items, kw), Grantee: p.parseGrantee()}
	}
	if !p.isKw("ON") {
		p.fail("ON", "TO", ",")
	}
	p.next()
	st := &GrantPrivilegeStmt{Privileges: p.privileges(items), Object: p.parsePrivObject()}
	p.expectKw("TO")
	st.Grantee = p.parseGrantee()
	if p.isKw("WITH") {
		p.next()
		p.expectKw("GRANT")
		p.expectKw("OPTION")
		st.WithGrantOption = true
	}
	return st
}

// parseRevoke parses REVOKE privileges ON object FROM grantee and REVOKE
// roles FROM grantee.
func (p *parser) parseRevoke() Stmt {
	p.expectKw("REVOKE")
	items := p.parsePrivItems()
	if p.isKw("FROM") {
		kw := p.next()
		return &RevokeRoleStmt{Roles: p.roles(items, kw), Grantee: p.parseGrantee()}
	}
	if !p.isKw("ON") {
		p.fail("ON", "FROM", ",")
	}
	p.next()
	st := &RevokePrivilegeStmt{Privileges: p.privileges(items), Object: p.parsePrivObject()}
	p.expectKw("FROM")
	st.Grantee = p.parseGrantee()
	return st
}

// parsePrivObject parses the object after ON (see PrivObject).
func (p *parser) parsePrivObject() *PrivObject {
	t := p.peek()
	o := &PrivObject{At: t.pos}
	nextIsName := func(n int) bool { return isIdentTok(p.tokAt(n)) || p.tokAt(n).kind == tkString }
	switch {
	case p.isKw("ALL"):
		p.next()
		switch {
		case p.acceptKw("TABLES"):
			o.Type = ObjTable
		case p.acceptKw("VIEWS"):
			o.Type = ObjView
		case p.acceptKws("MATERIALIZED", "VIEWS"):
			o.Type = ObjMaterialized
		case p.acceptKw("DATABASES"):
			o.Type, o.AllNames = ObjDatabase, true
			return o
		case p.acceptKws("STORAGE", "VOLUMES"):
			o.Type, o.AllNames = ObjStorageVolume, true
			return o
		case p.acceptKw("CATALOGS"):
			o.Type, o.AllNames = ObjCatalog, true
			return o
		default:
			p.fail("TABLES", "VIEWS", "MATERIALIZED", "DATABASES", "STORAGE", "CATALOGS")
		}
		o.AllNames = true
		p.expectKw("IN")
		if p.acceptKw("ALL") {
			p.expectKw("DATABASES")
			o.AllDatabases = true
		} else {
			p.expectKw("DATABASE")
			o.Db = p.parseIdent().Name
		}
		return o
	case p.isKw("TABLE"):
		p.next()
		o.Type = ObjTable
		p.parsePrivTableName(o)
		return o
	case p.isKw("VIEW") && nextIsName(1):
		p.next()
		o.Type = ObjView
		p.parsePrivTableName(o)
		return o
	case p.isKw("MATERIALIZED") && p.isKwAt(1, "VIEW"):
		p.next()
		p.next()
		o.Type = ObjMaterialized
		p.parsePrivTableName(o)
		return o
	case p.isKw("DATABASE") && nextIsName(1):
		p.next()
		o.Type = ObjDatabase
		o.Db = p.parseIdent().Name
		return o
	case p.isKw("STORAGE") && p.isKwAt(1, "VOLUME"):
		p.next()
		p.next()
		o.Type = ObjStorageVolume
		o.Name = p.parseIdentOrString().Name
		return o
	case p.isKw("CATALOG") && nextIsName(1):
		p.next()
		o.Type = ObjCatalog
		o.Name = p.parseIdentOrString().Name
		return o
	case p.isKw("SYSTEM") && !p.isOpAt(1, "."):
		p.next()
		o.Type = ObjSystem
		return o
	case p.isOp("*"):
		p.next()
		p.expectOp(".")
		p.expectOp("*")
		o.Type, o.AllNames, o.AllDatabases = ObjTable, true, true
		return o
	case isIdentTok(t):
		o.Type = ObjTable
		p.parsePrivTableName(o)
		return o
	}
	p.fail(expIdent)
	return nil
}

// parsePrivTableName parses db.tbl, db.* or tbl into o.
func (p *parser) parsePrivTableName(o *PrivObject) {
	first := p.parseIdent()
	if !p.acceptOp(".") {
		o.Name = first.Name
		return
	}
	o.Db = first.Name
	if p.acceptOp("*") {
		o.AllNames = true
		return
	}
	o.Name = p.parseQualifiedPart()
}

// parseAdmin parses ADMIN SET|SHOW FRONTEND CONFIG, ADMIN SET AUTOMATED
// CLUSTER SNAPSHOT ON [STORAGE VOLUME v] | OFF and ADMIN SHOW AUTOMATED
// CLUSTER SNAPSHOT. As in StarRocks' grammar, the volume is an identifier,
// not a string.
func (p *parser) parseAdmin() Stmt {
	p.expectKw("ADMIN")
	if p.expectOneKw("SET", "SHOW") == "SHOW" {
		if p.expectOneKw("FRONTEND", "AUTOMATED") == "AUTOMATED" {
			p.expectKw("CLUSTER")
			p.expectKw("SNAPSHOT")
			return &AdminShowClusterSnapshotStmt{}
		}
		p.expectKw("CONFIG")
		return &AdminShowConfigStmt{Like: p.parseOptLike()}
	}
	if p.expectOneKw("FRONTEND", "AUTOMATED") == "FRONTEND" {
		p.expectKw("CONFIG")
		return &AdminSetConfigStmt{Configs: p.parseProperties()}
	}
	p.expectKw("CLUSTER")
	p.expectKw("SNAPSHOT")
	st := &AdminSetClusterSnapshotStmt{}
	if p.expectOneKw("ON", "OFF") == "ON" {
		st.On = true
		if p.acceptKw("STORAGE") {
			p.expectKw("VOLUME")
			st.StorageVolume = p.parseIdent()
		}
	}
	return st
}

// parseAlterSystem parses ALTER SYSTEM ADD|DROP|DECOMMISSION node "h:p"[, ...].
func (p *parser) parseAlterSystem() Stmt {
	p.expectKw("SYSTEM")
	st := &AlterSystemStmt{Op: AlterSystemOp(p.expectOneKw("ADD", "DROP", "DECOMMISSION"))}
	if st.Op == SystemDecommission {
		if p.acceptKw("BACKEND") {
			st.Node = NodeBackend
		} else {
			p.expectKw("COMPUTE")
			p.expectKw("NODE")
			st.Node = NodeComputeNode
		}
	} else {
		switch p.expectOneKw("FOLLOWER", "OBSERVER", "BACKEND", "COMPUTE") {
		case "FOLLOWER":
			st.Node = NodeFollower
		case "OBSERVER":
			st.Node = NodeObserver
		case "BACKEND":
			st.Node = NodeBackend
		default:
			p.expectKw("NODE")
			st.Node = NodeComputeNode
		}
	}
	if st.Node == NodeFollower || st.Node == NodeObserver {
		st.Hosts = []string{p.parseString()}
	} else {
		st.Hosts = p.parseStringList()
	}
	return st
}

// parseKill parses KILL [CONNECTION|QUERY] id.
func (p *parser) parseKill() Stmt {
	p.expectKw("KILL")
	st := &KillStmt{}
	if p.acceptKw("QUERY") {
		st.Query = true
	} else {
		p.acceptKw("CONNECTION")
	}
	st.ConnectionID = p.parseInt(false)
	return st
}
