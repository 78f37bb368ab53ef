package sql

import "strings"

// parseCreate dispatches CREATE DATABASE|SCHEMA|TABLE|STORAGE VOLUME|USER|ROLE.
func (p *parser) parseCreate() Stmt {
	p.expectKw("CREATE")
	switch {
	case p.isKw("DATABASE"), p.isKw("SCHEMA"):
		p.next()
		st := &CreateDatabaseStmt{IfNotExists: p.parseIfNotExists(), Db: p.parseIdent()}
		if p.acceptKw("PROPERTIES") {
			st.Properties = p.parseProperties()
		}
		return st
	case p.isKw("TABLE"):
		return p.parseCreateTable()
	case p.isKw("STORAGE"):
		return p.parseCreateStorageVolume()
	case p.isKw("USER"):
		return p.parseCreateUser()
	case p.isKw("ROLE"):
		p.next()
		st := &CreateRoleStmt{IfNotExists: p.parseIfNotExists(), Roles: p.parseRoleList()}
		if p.acceptKw("COMMENT") {
			st.Comment = p.parseString()
		}
		return st
	}
	p.fail("DATABASE", "SCHEMA", "TABLE", "STORAGE", "USER", "ROLE")
	return nil
}

// parseDrop dispatches DROP DATABASE|SCHEMA|TABLE|STORAGE VOLUME|USER|ROLE.
func (p *parser) parseDrop() Stmt {
	p.expectKw("DROP")
	switch {
	case p.isKw("DATABASE"), p.isKw("SCHEMA"):
		p.next()
		st := &DropDatabaseStmt{IfExists: p.parseIfExists(), Db: p.parseIdent()}
		st.Force = p.acceptKw("FORCE")
		return st
	case p.isKw("TABLE"):
		p.next()
		st := &DropTableStmt{IfExists: p.parseIfExists(), Table: p.parseTableName()}
		st.Force = p.acceptKw("FORCE")
		return st
	case p.isKw("STORAGE"):
		p.next()
		p.expectKw("VOLUME")
		return &DropStorageVolumeStmt{IfExists: p.parseIfExists(), Name: p.parseIdentOrString()}
	case p.isKw("USER"):
		p.next()
		return &DropUserStmt{IfExists: p.parseIfExists(), User: p.parseUser()}
	case p.isKw("ROLE"):
		p.next()
		return &DropRoleStmt{IfExists: p.parseIfExists(), Roles: p.parseRoleList()}
	}
	p.fail("DATABASE", "SCHEMA", "TABLE", "STORAGE", "USER", "ROLE")
	return nil
}

// parseAlter dispatches ALTER TABLE|STORAGE VOLUME|USER|SYSTEM.
func (p *parser) parseAlter() Stmt {
	p.expectKw("ALTER")
	switch {
	case p.isKw("TABLE"):
		return p.parseAlterTable()
	case p.isKw("STORAGE"):
		return p.parseAlterStorageVolume()
	case p.isKw("USER"):
		p.next()
		st := &AlterUserStmt{IfExists: p.parseIfExists(), User: p.parseUser()}
		if !p.isKw("IDENTIFIED") {
			p.fail("IDENTIFIED")
		}
		st.Auth = p.parseAuthOption()
		return st
	case p.isKw("SYSTEM"):
		return p.parseAlterSystem()
	}
	p.fail("TABLE", "STORAGE", "USER", "SYSTEM")
	return nil
}

// parseCreateTable parses CREATE TABLE after CREATE.
func (p *parser) parseCreateTable() *CreateTableStmt {
	p.expectKw("TABLE")
	ct := &CreateTableStmt{IfNotExists: p.parseIfNotExists(), Table: p.parseTableName()}
	p.expectOp("(")
	ct.Columns = []*ColumnDef{p.parseColumnDef()}
	for p.acceptOp(",") {
		if p.isKw("INDEX") {
			ct.Indexes = append(ct.Indexes, p.parseIndexDef())
		} else if ct.Indexes != nil {
			p.fail("INDEX")
		} else {
			ct.Columns = append(ct.Columns, p.parseColumnDef())
		}
	}
	if !p.isOp(")") {
		p.fail(",", ")")
	}
	p.next()
	if p.acceptKw("ENGINE") {
		p.expectOp("=")
		ct.Engine = p.parseIdent().Name
	}
	for _, kt := range []KeysType{KeysDuplicate, KeysAggregate, KeysUnique, KeysPrimary} {
		if p.isKw(string(kt)) {
			t := p.next()
			p.expectKw("KEY")
			ct.Keys = &KeysDesc{At: t.pos, Type: kt, Columns: p.parseParenIdentList()}
			break
		}
	}
	if p.acceptKw("COMMENT") {
		ct.Comment = p.parseString()
	}
	if p.isKw("PARTITION") {
		ct.Partition = p.parsePartitionDesc()
	}
	if p.isKw("DISTRIBUTED") {
		ct.Distribution = p.parseDistribution()
	}
	if p.isKw("ORDER") {
		p.next()
		p.expectKw("BY")
		ct.OrderBy = p.parseParenIdentList()
	}
	if p.acceptKw("PROPERTIES") {
		ct.Properties = p.parseProperties()
	}
	return ct
}

var aggTypes = []AggType{AggSum, AggMax, AggMin, AggReplace, AggReplaceIfNotNull, AggHllUnion, AggBitmapUnion,
	AggPercentileUnion}

// parseColumnDef parses one column definition.
func (p *parser) parseColumnDef() *ColumnDef {
	name := p.parseIdent()
	cd := &ColumnDef{At: name.At, Name: name.Name, Type: p.parseType()}
	cd.IsKey = p.acceptKw("KEY")
	for _, a := range aggTypes {
		if p.acceptKw(string(a)) {
			cd.Agg = a
			break
		}
	}
	if p.acceptKw("NULL") {
		cd.Null = NullAllowed
	} else if p.acceptKw("NOT") {
		p.expectKw("NULL")
		cd.Null = NotNull
	}
	if p.acceptKw("DEFAULT") {
		cd.Default = p.parseColumnDefault()
	}
	cd.AutoIncrement = p.acceptKw("AUTO_INCREMENT")
	if p.acceptKw("COMMENT") {
		cd.Comment = p.parseString()
	}
	return cd
}

// parseColumnDefault parses the value after DEFAULT: a literal,
// CURRENT_TIMESTAMP[()] or (expr).
func (p *parser) parseColumnDefault() Expr {
	t := p.peek()
	switch {
	case t.kind == tkString:
		p.next()
		return &Literal{At: t.pos, Kind: LitString, Val: t.val}
	case t.kind == tkWord && (t.up == "NULL" || t.up == "TRUE" || t.up == "FALSE"):
		return p.parsePrimary()
	case t.kind == tkWord && t.up == "CURRENT_TIMESTAMP":
		p.next()
		if p.isOp("(") {
			p.next()
			p.expectOp(")")
		}
		return &FuncCall{At: t.pos, Name: "CURRENT_TIMESTAMP"}
	case t.kind == tkInt || t.kind == tkDecimal || t.kind == tkFloat ||
		(t.kind == tkOp && (t.val == "-" || t.val == "+") && isNumberTok(p.tokAt(1))):
		return p.parseUnary()
	case t.kind == tkOp && t.val == "(":
		p.next()
		e := p.parseExpr()
		p.expectOp(")")
		return e
	}
	p.fail(expSQ, expDQ, "NULL", "CURRENT_TIMESTAMP", "(")
	return nil
}

func isNumberTok(t *token) bool {
	return t.kind == tkInt || t.kind == tkDecimal || t.kind == tkFloat
}

// parseIndexDef parses INDEX name (cols) [USING type] [COMMENT 'c'].
func (p *parser) parseIndexDef() *IndexDef {
	t := p.expectKw("INDEX")
	idx := &IndexDef{At: t.pos, Name: p.parseIdent().Name, Columns: p.parseParenIdentList()}
	if p.acceptKw("USING") {
		idx.Using = strings.ToUpper(p.parseIdent().Name)
	}
	if p.acceptKw("COMMENT") {
		idx.Comment = p.parseString()
	}
	return idx
}

// parsePartitionDesc parses PARTITION BY RANGE (cols) (items).
func (p *parser) parsePartitionDesc() *PartitionDesc {
	t := p.expectKw("PARTITION")
	p.expectKw("BY")
	p.expectKw("RANGE")
	pd := &PartitionDesc{At: t.pos, Columns: p.parseParenIdentList()}
	p.expectOp("(")
	if !p.isOp(")") {
		for {
			switch {
			case p.isKw("PARTITION"):
				pd.Ranges = append(pd.Ranges, p.parseRangePartition())
			case p.isKw("START"):
				pd.Batches = append(pd.Batches, p.parsePartitionBatch())
			default:
				p.fail("PARTITION", "START")
			}
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if !p.isOp(")") {
		p.fail(",", ")")
	}
	p.next()
	return pd
}

// parseRangePartition parses PARTITION [IF NOT EXISTS] p VALUES LESS THAN
// (...)|MAXVALUE [(properties)].
func (p *parser) parseRangePartition() *RangePartition {
	t := p.expectKw("PARTITION")
	rp := &RangePartition{At: t.pos, IfNotExists: p.parseIfNotExists()}
	rp.Name = p.parseIdent().Name
	p.expectKw("VALUES")
	p.expectKw("LESS")
	p.expectKw("THAN")
	if m := p.peek(); m.kind == tkWord && m.up == "MAXVALUE" {
		p.next()
		rp.LessThan = []*PartitionValue{{At: m.pos, MaxValue: true}}
	} else {
		if !p.isOp("(") {
			p.fail("MAXVALUE", "(")
		}
		p.next()
		for {
			rp.LessThan = append(rp.LessThan, p.parsePartitionValue())
			if !p.acceptOp(",") {
				break
			}
		}
		if !p.isOp(")") {
			p.fail(",", ")")
		}
		p.next()
	}
	if p.isOp("(") {
		rp.Properties = p.parseProperties()
	}
	return rp
}

// parsePartitionValue parses 'v', -'v', a number or MAXVALUE.
func (p *parser) parsePartitionValue() *PartitionValue {
	t := p.peek()
	switch {
	case t.kind == tkWord && t.up == "MAXVALUE":
		p.next()
		return &PartitionValue{At: t.pos, MaxValue: true}
	case t.kind == tkString || isNumberTok(t):
		p.next()
		return &PartitionValue{At: t.pos, Value: t.val}
	case t.kind == tkOp && t.val == "-":
		n := p.tokAt(1)
		if n.kind == tkString || isNumberTok(n) {
			p.next()
			p.next()
			return &PartitionValue{At: t.pos, Value: "-" + n.val}
		}
	}
	p.fail("MAXVALUE", expSQ, expDQ, "-")
	return nil
}

// parsePartitionBatch parses START ('a') END ('b') EVERY (INTERVAL n unit | n).
func (p *parser) parsePartitionBatch() *PartitionBatch {
	t := p.expectKw("START")
	b := &PartitionBatch{At: t.pos}
	p.expectOp("(")
	b.Start = p.parseString()
	p.expectOp(")")
	p.expectKw("END")
	p.expectOp("(")
	b.End = p.parseString()
	p.expectOp(")")
	p.expectKw("EVERY")
	p.expectOp("(")
	if p.acceptKw("INTERVAL") {
		b.Every = p.parseInt(false)
		b.Unit = p.expectOneKw(intervalUnits...)
	} else if p.peek().kind == tkInt {
		b.Every = p.parseInt(false)
	} else {
		p.fail("INTERVAL", expInt)
	}
	p.expectOp(")")
	return b
}

// parseDistribution parses DISTRIBUTED BY HASH (cols) [BUCKETS n] |
// RANDOM [BUCKETS n].
func (p *parser) parseDistribution() *DistributionDesc {
	t := p.expectKw("DISTRIBUTED")
	p.expectKw("BY")
	d := &DistributionDesc{At: t.pos}
	if p.expectOneKw("HASH", "RANDOM") == "HASH" {
		d.Type = DistHash
		d.Columns = p.parseParenIdentList()
	} else {
		d.Type = DistRandom
	}
	if p.acceptKw("BUCKETS") {
		d.Buckets = p.parseSmallInt()
	}
	return d
}

// parseAlterTable parses ALTER TABLE t clause[, clause...].
func (p *parser) parseAlterTable() *AlterTableStmt {
	p.expectKw("TABLE")
	at := &AlterTableStmt{Table: p.parseTableName()}
	for {
		at.Clauses = append(at.Clauses, p.parseAlterClause())
		if !p.acceptOp(",") {
			return at
		}
	}
}

func (p *parser) parseAlterClause() AlterClause {
	t := p.peek()
	switch {
	case p.isKw("ADD"):
		p.next()
		if !p.isKw("PARTITION") {
			p.fail("PARTITION")
		}
		c := &AddPartitionClause{At: t.pos, Partition: p.parseRangePartition()}
		if p.isKw("DISTRIBUTED") {
			c.Distribution = p.parseDistribution()
		}
		return c
	case p.isKw("DROP"):
		p.next()
		p.expectKw("PARTITION")
		c := &DropPartitionClause{At: t.pos, IfExists: p.parseIfExists(), Name: p.parseIdent()}
		c.Force = p.acceptKw("FORCE")
		return c
	case p.isKw("COMPACT"):
		p.next()
		c := &CompactClause{At: t.pos}
		if p.isOp("(") {
			c.Partitions = p.parseParenIdentList()
		} else if p.isIdent() {
			c.Partitions = []*Ident{p.parseIdent()}
		}
		return c
	case p.isKw("SET"):
		p.next()
		return &SetPropertiesClause{At: t.pos, Properties: p.parseProperties()}
	}
	p.fail("ADD", "DROP", "COMPACT", "SET")
	return nil
}

// parseTruncate parses TRUNCATE TABLE t [PARTITION (...)].
func (p *parser) parseTruncate() Stmt {
	p.expectKw("TRUNCATE")
	p.expectKw("TABLE")
	st := &TruncateTableStmt{Table: p.parseTableName()}
	if p.isKw("PARTITION") || p.isKw("PARTITIONS") {
		st.Partitions = p.parsePartitionNames()
	}
	return st
}

// parseRecover parses RECOVER TABLE|PARTITION|DATABASE.
func (p *parser) parseRecover() Stmt {
	p.expectKw("RECOVER")
	switch p.expectOneKw("TABLE", "PARTITION", "DATABASE", "SCHEMA") {
	case "TABLE":
		return &RecoverTableStmt{Table: p.parseTableName()}
	case "PARTITION":
		part := p.parseIdent()
		p.expectKw("FROM")
		return &RecoverPartitionStmt{Partition: part, Table: p.parseTableName()}
	}
	return &RecoverDatabaseStmt{Db: p.parseIdent()}
}

// parseCreateStorageVolume parses CREATE STORAGE VOLUME after CREATE.
func (p *parser) parseCreateStorageVolume() Stmt {
	p.expectKw("STORAGE")
	p.expectKw("VOLUME")
	st := &CreateStorageVolumeStmt{IfNotExists: p.parseIfNotExists(), Name: p.parseIdentOrString()}
	p.expectKw("TYPE")
	p.expectOp("=")
	st.Type = strings.ToUpper(p.parseIdentOrString().Name)
	p.expectKw("LOCATIONS")
	p.expectOp("=")
	p.expectOp("(")
	st.Locations = []string{p.parseString()}
	for p.acceptOp(",") {
		st.Locations = append(st.Locations, p.parseString())
	}
	if !p.isOp(")") {
		p.fail(",", ")")
	}
	p.next()
	if p.acceptKw("COMMENT") {
		st.Comment = p.parseString()
	}
	if p.acceptKw("PROPERTIES") {
		st.Properties = p.parseProperties()
	}
	return st
}

// parseAlterStorageVolume parses ALTER STORAGE VOLUME v SET (...) |
// COMMENT = 'c' [, ...] after ALTER.
func (p *parser) parseAlterStorageVolume() Stmt {
	p.expectKw("STORAGE")
	p.expectKw("VOLUME")
	st := &AlterStorageVolumeStmt{Name: p.parseIdentOrString()}
	for {
		switch {
		case p.acceptKw("SET"):
			st.Properties = append(st.Properties, p.parseProperties()...)
		case p.acceptKw("COMMENT"):
			p.expectOp("=")
			c := p.parseString()
			st.Comment = &c
		default:
			p.fail("SET", "COMMENT")
		}
		if !p.acceptOp(",") {
			return st
		}
	}
}
