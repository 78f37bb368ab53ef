package sql

import (
	"fmt"
	"strings"
)

// Expression grammar, lowest precedence first (MySQL order):
//
//	OR ||  >  XOR  >  AND &&  >  NOT  >  comparison, IS, LIKE, REGEXP, IN, BETWEEN
//	>  |  >  &  >  << >>  >  + -  >  * / % DIV MOD  >  ^  >  unary - + ~ !  >  primary

// intervalUnits are the units accepted after INTERVAL n.
var intervalUnits = []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND",
	"MILLISECOND", "MICROSECOND"}

// funcKeywords are reserved words that are still function names when
// followed by '('.
var funcKeywords = map[string]bool{
	"IF": true, "LEFT": true, "RIGHT": true, "MOD": true, "INSERT": true, "CURRENT_DATE": true,
	"CURRENT_TIME": true, "CURRENT_TIMESTAMP": true, "CURRENT_USER": true, "LOCALTIME": true,
	"LOCALTIMESTAMP": true,
}

// niladicKeywords are reserved words that are function calls even without
// parentheses.
var niladicKeywords = map[string]bool{
	"CURRENT_DATE": true, "CURRENT_TIME": true, "CURRENT_TIMESTAMP": true, "CURRENT_USER": true,
	"LOCALTIME": true, "LOCALTIMESTAMP": true,
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		t := p.peek()
		panic(bailout{&SyntaxError{Line: t.pos.Line, Col: t.pos.Col,
			Msg: notValidMsg(p.display(t)) + fmt.Sprintf(" The statement nests expressions more than %d levels deep.", maxDepth)}})
	}
}

func (p *parser) leave() { p.depth-- }

// maxChain bounds the operators of one expression chained left to right
// (1+1+...+1, a OR b OR ...): each one nests the tree a level deeper,
// and evaluating it recurses once per level.
const maxChain = 10000

// link counts one more operator in the current expression.
func (p *parser) link() {
	p.links++
	if p.links > maxChain {
		t := p.peek()
		panic(bailout{&SyntaxError{Line: t.pos.Line, Col: t.pos.Col,
			Msg: fmt.Sprintf("The expression has more than %d operators. Split it, or use IN for a long list of OR.", maxChain)}})
	}
}

// parseExpr parses a full expression.
func (p *parser) parseExpr() Expr {
	if p.depth == 0 {
		p.links = 0
	}
	p.enter()
	e := p.parseOr()
	p.leave()
	return e
}

// parseExprList parses expr[, expr...].
func (p *parser) parseExprList() []Expr {
	list := []Expr{p.parseExpr()}
	for p.acceptOp(",") {
		list = append(list, p.parseExpr())
	}
	return list
}

func (p *parser) parseOr() Expr {
	l := p.parseXor()
	for p.isKw("OR") || p.isOp("||") {
		p.next()
		p.link()
		l = &BinaryExpr{At: l.Pos(), Op: OpOr, L: l, R: p.parseXor()}
	}
	return l
}

func (p *parser) parseXor() Expr {
	l := p.parseAnd()
	for p.isKw("XOR") {
		p.next()
		p.link()
		l = &BinaryExpr{At: l.Pos(), Op: OpXor, L: l, R: p.parseAnd()}
	}
	return l
}

func (p *parser) parseAnd() Expr {
	l := p.parseNot()
	for p.isKw("AND") || p.isOp("&&") {
		p.next()
		p.link()
		l = &BinaryExpr{At: l.Pos(), Op: OpAnd, L: l, R: p.parseNot()}
	}
	return l
}

func (p *parser) parseNot() Expr {
	if p.isKw("NOT") {
		t := p.next()
		p.enter()
		x := p.parseNot()
		p.leave()
		return &UnaryExpr{At: t.pos, Op: OpNot, X: x}
	}
	return p.parsePredicate()
}

var comparisonOps = map[string]BinaryOp{
	"=": OpEq, "<=>": OpNullEq, "!=": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe,
}

// parsePredicate parses comparisons and the IS / LIKE / REGEXP / IN /
// BETWEEN predicates, left-associatively.
func (p *parser) parsePredicate() Expr {
	l := p.parseBitOr()
	for {
		t := p.peek()
		if t.kind == tkOp {
			if op, ok := comparisonOps[t.val]; ok {
				p.next()
				p.link()
				l = &BinaryExpr{At: l.Pos(), Op: op, L: l, R: p.parseBitOr()}
				continue
			}
			return l
		}
		if t.kind != tkWord {
			return l
		}
		if t.up == "IS" {
			p.next()
			not := p.acceptKw("NOT")
			var what string
			if not {
				what = p.expectOneKw("NULL", "TRUE", "FALSE", "UNKNOWN")
			} else {
				what = p.expectOneKw("NOT", "NULL", "TRUE", "FALSE", "UNKNOWN")
			}
			p.link()
			l = &IsExpr{At: l.Pos(), X: l, Not: not, What: IsWhat(what)}
			continue
		}
		not := false
		kw := t.up
		if kw == "NOT" {
			n := p.tokAt(1)
			if n.kind != tkWord {
				return l
			}
			switch n.up {
			case "IN", "LIKE", "BETWEEN", "REGEXP", "RLIKE":
			default:
				return l
			}
			p.next()
			not = true
			kw = n.up
		}
		switch kw {
		case "IN":
			p.next()
			p.expectOp("(")
			if p.isKw("SELECT") {
				p.failInvalid(p.peek())
			}
			list := []Expr{p.parseExpr()}
			for p.acceptOp(",") {
				list = append(list, p.parseExpr())
			}
			if !p.isOp(")") {
				p.fail(",", ")")
			}
			p.next()
			p.link()
			l = &InExpr{At: l.Pos(), X: l, List: list, Not: not}
		case "LIKE", "REGEXP", "RLIKE":
			p.next()
			le := &LikeExpr{At: l.Pos(), X: l, Not: not, Regexp: kw != "LIKE"}
			le.Pattern = p.parseBitOr()
			if kw == "LIKE" && p.isKw("ESCAPE") {
				p.next()
				le.Escape = p.parsePrimary()
			}
			l = le
		case "BETWEEN":
			p.next()
			low := p.parseBitOr()
			p.expectKw("AND")
			high := p.parseBitOr()
			p.link()
			l = &BetweenExpr{At: l.Pos(), X: l, Low: low, High: high, Not: not}
		default:
			return l
		}
	}
}

// parseBinaryLevel parses a left-associative level of operators given by
// symbol (and, for words, keyword) spellings.
func (p *parser) parseBinaryLevel(next func() Expr, ops map[string]BinaryOp) Expr {
	l := next()
	for {
		t := p.peek()
		var op BinaryOp
		var ok bool
		switch t.kind {
		case tkOp:
			op, ok = ops[t.val]
		case tkWord:
			op, ok = ops[t.up]
		}
		if !ok {
			return l
		}
		p.next()
		p.link()
		l = &BinaryExpr{At: l.Pos(), Op: op, L: l, R: next()}
	}
}

var (
	bitOrOps  = map[string]BinaryOp{"|": OpBitOr}
	bitAndOps = map[string]BinaryOp{"&": OpBitAnd}
	shiftOps  = map[string]BinaryOp{"<<": OpShl, ">>": OpShr}
	addOps    = map[string]BinaryOp{"+": OpAdd, "-": OpSub}
	mulOps    = map[string]BinaryOp{"*": OpMul, "/": OpDiv, "%": OpMod, "DIV": OpIntDiv, "MOD": OpMod}
	bitXorOps = map[string]BinaryOp{"^": OpBitXor}
)

func (p *parser) parseBitOr() Expr  { return p.parseBinaryLevel(p.parseBitAnd, bitOrOps) }
func (p *parser) parseBitAnd() Expr { return p.parseBinaryLevel(p.parseShift, bitAndOps) }
func (p *parser) parseShift() Expr  { return p.parseBinaryLevel(p.parseAdd, shiftOps) }
func (p *parser) parseAdd() Expr    { return p.parseBinaryLevel(p.parseMul, addOps) }
func (p *parser) parseMul() Expr    { return p.parseBinaryLevel(p.parseBitXor, mulOps) }
func (p *parser) parseBitXor() Expr { return p.parseBinaryLevel(p.parseUnary, bitXorOps) }

func isNumericLit(e Expr) (*Literal, bool) {
	l, ok := e.(*Literal)
	if ok && (l.Kind == LitInt || l.Kind == LitDecimal || l.Kind == LitFloat) {
		return l, true
	}
	return nil, false
}

// parseUnary parses prefix - + ~ !; a sign directly before a number is
// folded into the literal.
func (p *parser) parseUnary() Expr {
	t := p.peek()
	if t.kind != tkOp || (t.val != "-" && t.val != "+" && t.val != "~" && t.val != "!") {
		return p.parsePrimary()
	}
	p.next()
	p.enter()
	x := p.parseUnary()
	p.leave()
	switch t.val {
	case "-":
		if lit, ok := isNumericLit(x); ok {
			if strings.HasPrefix(lit.Val, "-") {
				lit.Val = lit.Val[1:]
			} else {
				lit.Val = "-" + lit.Val
			}
			lit.At = t.pos
			return lit
		}
		return &UnaryExpr{At: t.pos, Op: OpNeg, X: x}
	case "+":
		if lit, ok := isNumericLit(x); ok {
			lit.At = t.pos
			return lit
		}
		return &UnaryExpr{At: t.pos, Op: OpPlus, X: x}
	case "~":
		return &UnaryExpr{At: t.pos, Op: OpBitNot, X: x}
	}
	return &UnaryExpr{At: t.pos, Op: OpNot, X: x}
}

// exprStart is what may begin an expression (an identifier among them).
var exprStart = []string{expIdent}

// parsePrimary parses literals, names, variables, calls, CAST, CASE,
// INTERVAL and parenthesised expressions.
func (p *parser) parsePrimary() Expr {
	t := p.peek()
	switch t.kind {
	case tkInt:
		p.next()
		return &Literal{At: t.pos, Kind: LitInt, Val: t.val}
	case tkDecimal:
		p.next()
		return &Literal{At: t.pos, Kind: LitDecimal, Val: t.val}
	case tkFloat:
		p.next()
		return &Literal{At: t.pos, Kind: LitFloat, Val: t.val}
	case tkString:
		p.next()
		return &Literal{At: t.pos, Kind: LitString, Val: t.val}
	case tkParam:
		p.next()
		e := &ParamExpr{At: t.pos, Index: p.params}
		p.params++
		return e
	case tkUserVar:
		p.next()
		return &VariableExpr{At: t.pos, Name: t.val}
	case tkSysVar:
		p.next()
		return &VariableExpr{At: t.pos, Name: t.val, System: true, Scope: t.scope}
	case tkOp:
		switch t.val {
		case "(":
			p.next()
			if p.isKw("SELECT") {
				p.failInvalid(p.peek())
			}
			e := p.parseExpr()
			p.expectOp(")")
			return e
		case "@":
			// @'quoted' and @`quoted` user variables.
			n := p.tokAt(1)
			if n.kind == tkString || n.kind == tkQIdent {
				p.next()
				p.next()
				return &VariableExpr{At: t.pos, Name: n.val}
			}
		}
	case tkQIdent:
		if p.isOpAt(1, "(") {
			return p.parseFuncCall()
		}
		return p.parseColumnRef()
	case tkWord:
		if e := p.parseKeywordPrimary(t); e != nil {
			return e
		}
		if p.isOpAt(1, "(") && (!reserved[t.up] || funcKeywords[t.up]) {
			return p.parseFuncCall()
		}
		if !reserved[t.up] {
			return p.parseColumnRef()
		}
	}
	p.fail(exprStart...)
	return nil
}

// parseKeywordPrimary handles primaries introduced by a keyword; it
// returns nil when t does not start one.
func (p *parser) parseKeywordPrimary(t *token) Expr {
	switch t.up {
	case "NULL":
		p.next()
		return &Literal{At: t.pos, Kind: LitNull, Val: "NULL"}
	case "TRUE", "FALSE":
		p.next()
		return &Literal{At: t.pos, Kind: LitBool, Val: t.up}
	case "CASE":
		return p.parseCase()
	case "INTERVAL":
		p.next()
		v := p.parseExpr()
		unit := p.expectOneKw(intervalUnits...)
		return &IntervalExpr{At: t.pos, Value: v, Unit: unit}
	case "CAST":
		if p.isOpAt(1, "(") {
			p.next()
			p.next()
			x := p.parseExpr()
			p.expectKw("AS")
			typ := p.parseType()
			p.expectOp(")")
			return &CastExpr{At: t.pos, X: x, Type: typ}
		}
	case "DATE", "DATETIME", "TIMESTAMP":
		if n := p.tokAt(1); n.kind == tkString {
			p.next()
			p.next()
			kind := LitDatetime
			if t.up == "DATE" {
				kind = LitDate
			}
			return &Literal{At: t.pos, Kind: kind, Val: n.val}
		}
	case "EXISTS":
		p.failInvalid(t)
	}
	if niladicKeywords[t.up] && !p.isOpAt(1, "(") {
		p.next()
		return &FuncCall{At: t.pos, Name: t.up}
	}
	return nil
}

// parseFuncCall parses name(args), name(*) for COUNT, name(DISTINCT args).
func (p *parser) parseFuncCall() Expr {
	t := p.next()
	p.expectOp("(")
	fc := &FuncCall{At: t.pos, Name: t.val}
	if p.isOp("*") && strings.EqualFold(t.val, "COUNT") {
		p.next()
		fc.Star = true
		p.expectOp(")")
		return fc
	}
	if p.acceptOp(")") {
		return fc
	}
	if p.acceptKw("DISTINCT") {
		fc.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	fc.Args = []Expr{p.parseExpr()}
	for p.acceptOp(",") {
		fc.Args = append(fc.Args, p.parseExpr())
	}
	if !p.isOp(")") {
		p.fail(",", ")")
	}
	p.next()
	return fc
}

// parseQualifiedPart reads a name after a '.', where any word is allowed.
func (p *parser) parseQualifiedPart() string {
	t := p.peek()
	if t.kind != tkWord && t.kind != tkQIdent {
		p.fail(expIdent)
	}
	p.next()
	return t.val
}

// parseColumnRef parses a, t.a or db.t.a.
func (p *parser) parseColumnRef() Expr {
	first := p.parseIdent()
	parts := []string{first.Name}
	for len(parts) < 3 && p.isOp(".") {
		p.next()
		parts = append(parts, p.parseQualifiedPart())
	}
	c := &ColumnRef{At: first.At}
	switch len(parts) {
	case 1:
		c.Name = parts[0]
	case 2:
		c.Table, c.Name = parts[0], parts[1]
	default:
		c.Db, c.Table, c.Name = parts[0], parts[1], parts[2]
	}
	return c
}

// parseCase parses CASE [x] WHEN .. THEN .. [ELSE ..] END.
func (p *parser) parseCase() Expr {
	t := p.next()
	c := &CaseExpr{At: t.pos}
	if !p.isKw("WHEN") {
		c.Operand = p.parseExpr()
	}
	for p.isKw("WHEN") {
		w := p.next()
		cond := p.parseExpr()
		p.expectKw("THEN")
		c.Whens = append(c.Whens, &When{At: w.pos, Cond: cond, Result: p.parseExpr()})
	}
	if len(c.Whens) == 0 {
		p.fail("WHEN")
	}
	if p.acceptKw("ELSE") {
		c.Else = p.parseExpr()
	} else if !p.isKw("END") {
		p.fail("WHEN", "ELSE", "END")
	}
	p.expectKw("END")
	return c
}

// typeNames are the type keywords, for error messages.
var typeNames = []string{"BOOLEAN", "TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "LARGEINT", "FLOAT", "DOUBLE",
	"DECIMAL", "DECIMALV2", "DECIMAL32", "DECIMAL64", "DECIMAL128", "CHAR", "VARCHAR", "STRING", "DATE", "DATETIME",
	"JSON", "BITMAP", "HLL", "BINARY", "VARBINARY", "SIGNED", "UNSIGNED"}

// parseType parses a column or CAST type.
func (p *parser) parseType() *TypeDef {
	t := p.peek()
	if t.kind != tkWord {
		p.fail(typeNames...)
	}
	td := &TypeDef{At: t.pos}
	switch t.up {
	case "BOOLEAN", "BOOL":
		td.Name = "BOOLEAN"
	case "TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "LARGEINT":
		td.Name = t.up
		if td.Name == "INTEGER" {
			td.Name = "INT"
		}
		p.next()
		if p.isOp("(") {
			p.next()
			td.Len, td.HasLen = p.parseSmallInt(), true
			p.expectOp(")")
		}
		return td
	case "FLOAT", "DOUBLE", "STRING", "DATE", "DATETIME", "JSON", "BITMAP", "HLL":
		td.Name = t.up
	case "DECIMAL", "DECIMALV2", "DECIMAL32", "DECIMAL64", "DECIMAL128":
		td.Name = t.up
		p.next()
		if p.isOp("(") {
			p.next()
			td.Precision, td.HasPrecision = p.parseSmallInt(), true
			if p.acceptOp(",") {
				td.Scale, td.HasScale = p.parseSmallInt(), true
			}
			if !p.isOp(")") {
				p.fail(",", ")")
			}
			p.next()
		}
		return td
	case "CHAR", "VARCHAR", "BINARY", "VARBINARY":
		td.Name = t.up
		p.next()
		if p.isOp("(") {
			p.next()
			td.Len, td.HasLen = p.parseSmallInt(), true
			p.expectOp(")")
		}
		return td
	case "SIGNED", "UNSIGNED":
		td.Name = "BIGINT"
		if t.up == "UNSIGNED" {
			td.Name = "LARGEINT"
		}
		p.next()
		if !p.acceptKw("INT") {
			p.acceptKw("INTEGER")
		}
		return td
	default:
		p.fail(typeNames...)
	}
	p.next()
	return td
}
