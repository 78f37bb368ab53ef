package sql

// showKeywords are the words that may follow SHOW, for error messages.
var showKeywords = []string{"ALL", "BACKENDS", "CATALOGS", "CHARACTER", "CHARSET", "COLLATION", "COLUMNS",
	"COMPUTE", "CREATE", "DATA", "DATABASES", "ENGINES", "ERRORS", "FIELDS", "FRONTENDS", "FULL", "GLOBAL",
	"GRANTS", "LOAD", "LOCAL", "PARTITIONS", "PROC", "PROCESSLIST", "ROLES", "SCHEMAS", "SESSION", "STATUS",
	"STORAGE", "TABLES", "TEMPORARY", "TRANSACTION", "USERS", "VARIABLES", "WARNINGS"}

// parseShow parses the SHOW statements.
func (p *parser) parseShow() Stmt {
	p.expectKw("SHOW")
	t := p.peek()
	if t.kind != tkWord {
		p.fail(showKeywords...)
	}
	switch t.up {
	case "FULL":
		p.next()
		switch {
		case p.isKw("TABLES"):
			return p.parseShowTables(true)
		case p.isKw("COLUMNS"), p.isKw("FIELDS"):
			return p.parseShowColumns(true)
		case p.acceptKw("PROCESSLIST"):
			return &ShowStmt{Kind: ShowProcesslist, Full: true}
		}
		p.fail("TABLES", "COLUMNS", "FIELDS", "PROCESSLIST")
	case "GLOBAL", "SESSION", "LOCAL":
		if p.isKwAt(1, "VARIABLES") || p.isKwAt(1, "STATUS") {
			p.next()
			scope := ScopeSession
			if t.up == "GLOBAL" {
				scope = ScopeGlobal
			}
			return p.parseShowVarsOrStatus(scope)
		}
		p.next()
		p.fail("VARIABLES", "STATUS")
	case "VARIABLES", "STATUS":
		return p.parseShowVarsOrStatus(ScopeDefault)
	case "DATABASES", "SCHEMAS":
		p.next()
		like, where := p.parseLikeOrWhere()
		return &ShowStmt{Kind: ShowDatabases, Like: like, Where: where}
	case "TABLES":
		return p.parseShowTables(false)
	case "COLUMNS", "FIELDS":
		return p.parseShowColumns(false)
	case "CREATE":
		p.next()
		switch p.expectOneKw("TABLE", "DATABASE", "SCHEMA") {
		case "TABLE":
			return &ShowCreateTableStmt{Table: p.parseTableName()}
		default:
			return &ShowCreateDatabaseStmt{Db: p.parseIdent()}
		}
	case "FRONTENDS", "BACKENDS", "ROLES", "USERS", "PROCESSLIST", "ENGINES":
		p.next()
		return &ShowStmt{Kind: map[string]ShowKind{"FRONTENDS": ShowFrontends, "BACKENDS": ShowBackends,
			"ROLES": ShowRoles, "USERS": ShowUsers, "PROCESSLIST": ShowProcesslist, "ENGINES": ShowEngines}[t.up]}
	case "COMPUTE":
		p.next()
		p.expectKw("NODES")
		return &ShowStmt{Kind: ShowComputeNodes}
	case "CATALOGS":
		p.next()
		return &ShowStmt{Kind: ShowCatalogs, Like: p.parseOptLike()}
	case "CHARSET", "CHARACTER", "COLLATION":
		p.next()
		kind := ShowCharset
		if t.up == "CHARACTER" {
			p.expectKw("SET")
		} else if t.up == "COLLATION" {
			kind = ShowCollation
		}
		like, where := p.parseLikeOrWhere()
		return &ShowStmt{Kind: kind, Like: like, Where: where}
	case "PROC":
		p.next()
		return &ShowProcStmt{Path: p.parseString()}
	case "STORAGE":
		p.next()
		p.expectKw("VOLUMES")
		return &ShowStmt{Kind: ShowStorageVolumes, Like: p.parseOptLike()}
	case "GRANTS":
		return p.parseShowGrants(false)
	case "ALL":
		p.next()
		if !p.isKw("GRANTS") {
			p.fail("GRANTS")
		}
		return p.parseShowGrants(true)
	case "WARNINGS", "ERRORS":
		p.next()
		st := &ShowWarningsStmt{Errors: t.up == "ERRORS"}
		if p.isKw("LIMIT") {
			st.Limit = p.parseLimit()
		}
		return st
	case "PARTITIONS", "TEMPORARY":
		p.next()
		st := &ShowPartitionsStmt{Temporary: t.up == "TEMPORARY"}
		if st.Temporary {
			p.expectKw("PARTITIONS")
		}
		p.expectKw("FROM")
		st.Table = p.parseTableName()
		st.Where, st.OrderBy, st.Limit = p.parseWhereOrderLimit()
		return st
	case "LOAD":
		p.next()
		st := &ShowLoadStmt{}
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			st.Db = p.parseIdent()
		}
		st.Where, st.OrderBy, st.Limit = p.parseWhereOrderLimit()
		return st
	case "DATA":
		p.next()
		st := &ShowDataStmt{}
		if p.acceptKw("FROM") {
			st.Table = p.parseTableName()
		}
		return st
	case "TRANSACTION":
		p.next()
		st := &ShowTransactionStmt{}
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			st.Db = p.parseIdent()
		}
		if p.acceptKw("WHERE") {
			st.Where = p.parseExpr()
		}
		return st
	}
	p.fail(showKeywords...)
	return nil
}

// parseWhereOrderLimit parses the optional [WHERE e] [ORDER BY ...] [LIMIT ...] tail.
func (p *parser) parseWhereOrderLimit() (Expr, []*OrderItem, *Limit) {
	var where Expr
	var order []*OrderItem
	var limit *Limit
	if p.acceptKw("WHERE") {
		where = p.parseExpr()
	}
	if p.isKw("ORDER") {
		order = p.parseOrderBy()
	}
	if p.isKw("LIMIT") {
		limit = p.parseLimit()
	}
	return where, order, limit
}

func (p *parser) parseShowVarsOrStatus(scope VarScope) Stmt {
	kw := p.expectOneKw("VARIABLES", "STATUS")
	like, where := p.parseLikeOrWhere()
	if kw == "VARIABLES" {
		return &ShowVariablesStmt{Scope: scope, Like: like, Where: where}
	}
	return &ShowStmt{Kind: ShowStatus, Scope: scope, Like: like, Where: where}
}

func (p *parser) parseShowTables(full bool) Stmt {
	p.expectKw("TABLES")
	st := &ShowTablesStmt{Full: full}
	if p.acceptKw("FROM") || p.acceptKw("IN") {
		st.Db = p.parseIdent()
	}
	st.Like, st.Where = p.parseLikeOrWhere()
	return st
}

func (p *parser) parseShowColumns(full bool) Stmt {
	p.expectOneKw("COLUMNS", "FIELDS")
	st := &ShowColumnsStmt{Full: full}
	p.expectOneKw("FROM", "IN")
	st.Table = p.parseTableName()
	if p.acceptKw("FROM") || p.acceptKw("IN") {
		st.Db = p.parseIdent()
	}
	st.Like, st.Where = p.parseLikeOrWhere()
	return st
}

func (p *parser) parseShowGrants(all bool) Stmt {
	p.expectKw("GRANTS")
	st := &ShowGrantsStmt{All: all}
	if !all && p.acceptKw("FOR") {
		if p.isKw("ROLE") && (isIdentTok(p.tokAt(1)) || p.tokAt(1).kind == tkString) {
			p.next()
			st.Role = p.parseIdentOrString()
		} else {
			st.User = p.parseUser()
		}
	}
	return st
}

// parseDesc parses DESC|DESCRIBE [db.]t [ALL] and DESC STORAGE VOLUME v.
func (p *parser) parseDesc() Stmt {
	p.next()
	if p.isKw("STORAGE") && p.isKwAt(1, "VOLUME") {
		p.next()
		p.next()
		return &DescStorageVolumeStmt{Name: p.parseIdentOrString()}
	}
	st := &DescTableStmt{Table: p.parseTableName()}
	st.All = p.acceptKw("ALL")
	return st
}

// parseUse parses USE [catalog.]db.
func (p *parser) parseUse() Stmt {
	p.expectKw("USE")
	st := &UseStmt{Db: p.parseIdent()}
	if p.acceptOp(".") {
		st.Catalog = st.Db
		st.Db = p.parseIdent()
	}
	return st
}

// parseSet parses the SET family: variables, NAMES, CHARACTER SET,
// PASSWORD, ROLE, DEFAULT ROLE and SET v AS DEFAULT STORAGE VOLUME.
func (p *parser) parseSet() Stmt {
	p.expectKw("SET")
	t := p.peek()
	assign := p.isOpAt(1, "=") || p.isOpAt(1, ":=")
	switch {
	case t.kind == tkWord && t.up == "PASSWORD":
		return p.parseSetPassword()
	case t.kind == tkWord && t.up == "ROLE" && !assign:
		p.next()
		return p.parseSetRole(false)
	case t.kind == tkWord && t.up == "DEFAULT" && p.isKwAt(1, "ROLE"):
		p.next()
		p.next()
		return p.parseSetRole(true)
	case (isIdentTok(t) || t.kind == tkString) && p.isKwAt(1, "AS"):
		name := p.parseIdentOrString()
		p.expectKw("AS")
		p.expectKw("DEFAULT")
		p.expectKw("STORAGE")
		p.expectKw("VOLUME")
		return &SetDefaultStorageVolumeStmt{Name: name}
	}
	st := &SetStmt{}
	for {
		st.Assignments = append(st.Assignments, p.parseSetAssignment())
		if !p.acceptOp(",") {
			return st
		}
	}
}

// parseSetAssignment parses one item of SET.
func (p *parser) parseSetAssignment() *SetAssignment {
	t := p.peek()
	a := &SetAssignment{At: t.pos}
	assign := p.isOpAt(1, "=") || p.isOpAt(1, ":=")
	switch {
	case t.kind == tkUserVar:
		p.next()
		a.Kind, a.Name = SetUserVar, t.val
	case t.kind == tkOp && t.val == "@" && (p.tokAt(1).kind == tkString || p.tokAt(1).kind == tkQIdent):
		p.next()
		a.Kind, a.Name = SetUserVar, p.next().val
	case t.kind == tkSysVar:
		p.next()
		a.Kind, a.Name, a.Scope = SetSystemVar, t.val, t.scope
	case t.kind == tkWord && !assign && (t.up == "GLOBAL" || t.up == "SESSION" || t.up == "LOCAL"):
		p.next()
		a.Kind, a.Scope = SetSystemVar, ScopeSession
		if t.up == "GLOBAL" {
			a.Scope = ScopeGlobal
		}
		a.Name = p.parseIdent().Name
	case t.kind == tkWord && !assign && t.up == "NAMES":
		p.next()
		a.Kind = SetNames
		a.Charset = p.parseCharsetName()
		if p.acceptKw("COLLATE") {
			a.Collate = p.parseCharsetName()
		}
		return a
	case t.kind == tkWord && !assign && (t.up == "CHARSET" || (t.up == "CHARACTER" && p.isKwAt(1, "SET"))):
		p.next()
		if t.up == "CHARACTER" {
			p.next()
		}
		a.Kind = SetCharset
		a.Charset = p.parseCharsetName()
		return a
	case isIdentTok(t):
		p.next()
		a.Kind, a.Name = SetSystemVar, t.val
	default:
		p.fail(expIdent)
	}
	if !p.acceptOp("=") && !p.acceptOp(":=") {
		p.fail("=")
	}
	a.Value = p.parseSetValue()
	return a
}

// parseCharsetName reads a character set or collation name: an
// identifier, a string or DEFAULT ("").
func (p *parser) parseCharsetName() string {
	if p.acceptKw("DEFAULT") {
		return ""
	}
	t := p.peek()
	if t.kind == tkWord || t.kind == tkQIdent || t.kind == tkString {
		p.next()
		return t.val
	}
	p.fail(expIdent)
	return ""
}

// parseSetValue parses the right side of a SET assignment.
func (p *parser) parseSetValue() Expr {
	t := p.peek()
	if t.kind == tkWord {
		switch t.up {
		case "DEFAULT":
			p.next()
			return &DefaultExpr{At: t.pos}
		case "ON", "ALL":
			p.next()
			return &Literal{At: t.pos, Kind: LitString, Val: t.up}
		}
	}
	e := p.parseExpr()
	if c, ok := e.(*ColumnRef); ok && c.Table == "" {
		return &Literal{At: c.At, Kind: LitString, Val: c.Name}
	}
	return e
}

// parseSetPassword parses SET PASSWORD [FOR user] = PASSWORD('p') | 'hash'.
func (p *parser) parseSetPassword() Stmt {
	p.expectKw("PASSWORD")
	st := &SetPasswordStmt{}
	if p.acceptKw("FOR") {
		st.User = p.parseUser()
	}
	p.expectOp("=")
	if p.isKw("PASSWORD") && p.isOpAt(1, "(") {
		p.next()
		p.next()
		st.Password = p.parseString()
		p.expectOp(")")
	} else {
		if p.peek().kind != tkString {
			p.fail("PASSWORD", expSQ, expDQ)
		}
		st.Password = p.parseString()
		st.Hashed = true
	}
	return st
}

// parseSetRole parses the rest of SET ROLE / SET DEFAULT ROLE.
func (p *parser) parseSetRole(def bool) Stmt {
	st := &SetRoleStmt{Default: def}
	switch {
	case !def && p.acceptKw("DEFAULT"):
		st.Spec = RolesDefault
	case p.acceptKw("NONE"):
		st.Spec = RolesNone
	case p.acceptKw("ALL"):
		st.Spec = RolesAll
		if !def && p.acceptKw("EXCEPT") {
			st.Roles = p.parseRoleList()
		}
	default:
		st.Spec = RolesList
		st.Roles = p.parseRoleList()
	}
	if def {
		p.expectKw("TO")
		st.User = p.parseUser()
	}
	return st
}

// parseRoleList parses role[, role...], each an identifier or a string.
func (p *parser) parseRoleList() []*Ident {
	list := []*Ident{p.parseIdentOrString()}
	for p.acceptOp(",") {
		list = append(list, p.parseIdentOrString())
	}
	return list
}
