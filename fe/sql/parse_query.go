package sql

import "strings"

// parseSelect parses SELECT ... (the caller records position and text).
func (p *parser) parseSelect() *SelectStmt {
	p.expectKw("SELECT")
	s := &SelectStmt{}
	if p.acceptKw("DISTINCT") {
		s.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	s.Items = []*SelectItem{p.parseSelectItem()}
	for p.acceptOp(",") {
		s.Items = append(s.Items, p.parseSelectItem())
	}
	if p.acceptKw("FROM") {
		if !p.acceptKw("DUAL") {
			s.From = p.parseFrom()
		}
	}
	if p.acceptKw("WHERE") {
		s.Where = p.parseExpr()
	}
	if p.isKw("GROUP") {
		p.next()
		p.expectKw("BY")
		s.GroupBy = p.parseExprList()
	}
	if p.acceptKw("HAVING") {
		s.Having = p.parseExpr()
	}
	if p.isKw("ORDER") {
		s.OrderBy = p.parseOrderBy()
	}
	if p.isKw("LIMIT") {
		s.Limit = p.parseLimit()
	}
	return s
}

// parseSelectItem parses *, t.*, db.t.* or expr [[AS] alias].
func (p *parser) parseSelectItem() *SelectItem {
	t := p.peek()
	if p.isOp("*") {
		p.next()
		return &SelectItem{At: t.pos, Star: true, Text: "*"}
	}
	if isIdentTok(t) && p.isOpAt(1, ".") {
		if p.isOpAt(2, "*") {
			p.next()
			p.next()
			p.next()
			return &SelectItem{At: t.pos, Star: true, StarTable: &TableName{At: t.pos, Name: t.val},
				Text: p.src[t.start:p.last]}
		}
		if n := p.tokAt(2); (n.kind == tkWord || n.kind == tkQIdent) && p.isOpAt(3, ".") && p.isOpAt(4, "*") {
			for range 5 {
				p.next()
			}
			return &SelectItem{At: t.pos, Star: true, StarTable: &TableName{At: t.pos, Db: t.val, Name: n.val},
				Text: p.src[t.start:p.last]}
		}
	}
	e := p.parseExpr()
	item := &SelectItem{At: t.pos, Expr: e, Text: strings.TrimSpace(p.src[t.start:p.last])}
	item.Alias = p.parseOptAlias()
	return item
}

// parseOptAlias reads [AS] alias, where the alias is an identifier or a
// string; without AS a reserved word is never an alias.
func (p *parser) parseOptAlias() string {
	if p.acceptKw("AS") {
		return p.parseIdentOrString().Name
	}
	t := p.peek()
	if isIdentTok(t) || t.kind == tkString {
		p.next()
		return t.val
	}
	return ""
}

// parseFrom parses table references joined by commas or JOINs.
func (p *parser) parseFrom() TableExpr {
	left := p.parseTableRef()
	for {
		if p.acceptOp(",") {
			right := p.parseTableRef()
			left = &JoinExpr{At: left.Pos(), Kind: JoinCross, Left: left, Right: right}
			continue
		}
		kind, ok := p.parseJoinKind()
		if !ok {
			return left
		}
		j := &JoinExpr{At: left.Pos(), Kind: kind, Left: left, Right: p.parseTableRef()}
		if p.acceptKw("ON") {
			j.On = p.parseExpr()
		} else if p.acceptKw("USING") {
			j.Using = p.parseParenIdentList()
		}
		left = j
	}
}

// parseJoinKind reads [INNER|CROSS|LEFT [OUTER]|RIGHT [OUTER]|FULL [OUTER]] JOIN.
func (p *parser) parseJoinKind() (JoinKind, bool) {
	var kind JoinKind
	switch {
	case p.isKw("JOIN"):
		kind = JoinInner
	case p.isKw("INNER"):
		kind = JoinInner
		p.next()
	case p.isKw("CROSS"):
		kind = JoinCross
		p.next()
	case p.isKw("LEFT"), p.isKw("RIGHT"), p.isKw("FULL"):
		kind = JoinKind(p.next().up)
		p.acceptKw("OUTER")
	default:
		return "", false
	}
	p.expectKw("JOIN")
	return kind, true
}

// parseTableRef parses [db.]t [[AS] alias].
func (p *parser) parseTableRef() TableExpr {
	name := p.parseTableName()
	return &TableRef{At: name.At, Name: name, Alias: p.parseOptAliasIdent()}
}

// parseOptAliasIdent reads [AS] alias where the alias is an identifier.
func (p *parser) parseOptAliasIdent() string {
	if p.acceptKw("AS") {
		return p.parseIdent().Name
	}
	if p.isIdent() {
		return p.next().val
	}
	return ""
}

// parseOrderBy parses ORDER BY item[, item...].
func (p *parser) parseOrderBy() []*OrderItem {
	p.expectKw("ORDER")
	p.expectKw("BY")
	var items []*OrderItem
	for {
		t := p.peek()
		it := &OrderItem{At: t.pos, Expr: p.parseExpr()}
		if p.acceptKw("DESC") {
			it.Desc = true
		} else {
			p.acceptKw("ASC")
		}
		items = append(items, it)
		if !p.acceptOp(",") {
			return items
		}
	}
}

// parseLimit parses LIMIT n [OFFSET m] or LIMIT m, n.
func (p *parser) parseLimit() *Limit {
	t := p.expectKw("LIMIT")
	l := &Limit{At: t.pos, Count: p.parseInt(true)}
	if p.acceptOp(",") {
		l.Offset, l.Count = l.Count, p.parseInt(true)
	} else if p.acceptKw("OFFSET") {
		l.Offset = p.parseInt(true)
	}
	return l
}

// parsePartitionNames parses PARTITION (p, ...), PARTITIONS (p, ...) or
// PARTITION p.
func (p *parser) parsePartitionNames() []*Ident {
	p.expectOneKw("PARTITION", "PARTITIONS")
	if !p.isOp("(") {
		return []*Ident{p.parseIdentOrString()}
	}
	p.next()
	list := []*Ident{p.parseIdentOrString()}
	for p.acceptOp(",") {
		list = append(list, p.parseIdentOrString())
	}
	if !p.isOp(")") {
		p.fail(",", ")")
	}
	p.next()
	return list
}

// parseInsert parses INSERT INTO|OVERWRITE ....
func (p *parser) parseInsert() *InsertStmt {
	p.expectKw("INSERT")
	ins := &InsertStmt{}
	ins.Overwrite = p.expectOneKw("INTO", "OVERWRITE") == "OVERWRITE"
	ins.Table = p.parseTableName()
	if p.isKw("PARTITION") || p.isKw("PARTITIONS") {
		ins.Partitions = p.parsePartitionNames()
	}
	if p.isKw("WITH") {
		p.next()
		p.expectKw("LABEL")
		ins.Label = p.parseIdentOrString()
	}
	if p.isOp("(") {
		p.next()
		ins.Columns = p.parseIdentList()
		if !p.isOp(")") {
			p.fail(",", ")")
		}
		p.next()
	}
	switch {
	case p.isKw("VALUES"):
		p.next()
		for {
			ins.Rows = append(ins.Rows, p.parseValuesRow())
			if !p.acceptOp(",") {
				break
			}
		}
	case p.isKw("SELECT"):
		first := p.peek()
		ins.Select = p.parseSelect()
		p.setBase(ins.Select, first)
	default:
		var exp []string
		if ins.Partitions == nil && ins.Label == nil && ins.Columns == nil {
			exp = append(exp, "PARTITION")
		}
		if ins.Label == nil && ins.Columns == nil {
			exp = append(exp, "WITH")
		}
		if ins.Columns == nil {
			exp = append(exp, "(")
		}
		p.fail(append(exp, "VALUES", "SELECT")...)
	}
	return ins
}

// loneLiteral parses a literal that is a whole VALUES item: a number
// (with an optional minus), a string, NULL, TRUE or FALSE directly followed
// by ',' or ')'. It gives the literal parseExpr would, without descending
// through every level of the expression grammar, which is most of the cost
// of a long INSERT ... VALUES; anything else returns nil and consumes
// nothing.
func (p *parser) loneLiteral() *Literal {
	t := p.peek()
	at, n, neg := t.pos, 0, false
	if t.kind == tkOp && t.val == "-" {
		neg, n = true, 1
		t = p.tokAt(1)
	}
	var lit Literal
	switch t.kind {
	case tkInt:
		lit = Literal{Kind: LitInt, Val: t.val}
	case tkDecimal:
		lit = Literal{Kind: LitDecimal, Val: t.val}
	case tkFloat:
		lit = Literal{Kind: LitFloat, Val: t.val}
	case tkString:
		lit = Literal{Kind: LitString, Val: t.val}
	case tkWord:
		switch t.up {
		case "NULL":
			lit = Literal{Kind: LitNull, Val: "NULL"}
		case "TRUE", "FALSE":
			lit = Literal{Kind: LitBool, Val: t.up}
		default:
			return nil
		}
	default:
		return nil
	}
	if neg && lit.Kind != LitInt && lit.Kind != LitDecimal && lit.Kind != LitFloat {
		return nil
	}
	if after := p.tokAt(n + 1); after.kind != tkOp || (after.val != "," && after.val != ")") {
		return nil
	}
	if neg {
		lit.Val = "-" + lit.Val // the lexer never makes signed numbers
		p.next()
	}
	lit.At = at
	p.next()
	return &lit
}

// parseValuesRow parses (expr|DEFAULT[, ...]).
func (p *parser) parseValuesRow() []Expr {
	p.expectOp("(")
	var row []Expr
	for {
		if t := p.peek(); t.kind == tkWord && t.up == "DEFAULT" {
			p.next()
			row = append(row, &DefaultExpr{At: t.pos})
		} else if lit := p.loneLiteral(); lit != nil {
			row = append(row, lit)
		} else {
			row = append(row, p.parseExpr())
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if !p.isOp(")") {
		p.fail(",", ")")
	}
	p.next()
	return row
}
