// Package sql is minirocks' lexer, AST and recursive-descent parser for the
// subset of the StarRocks SQL dialect it supports. Parse, ParseOne and
// ParseExpr return either nodes of this package or a *SyntaxError whose
// text follows StarRocks.
package sql

import (
	"math"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of expressions so that hostile input cannot
// exhaust the stack.
const maxDepth = 500

// reserved lists the keywords that cannot be used as unquoted identifiers.
// Every other keyword (USER, COMMENT, TYPE, STATUS, DATE, LABEL, KEY, ...)
// is an ordinary identifier outside the places where it has a meaning.
var reserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		ALL ALTER AND AS ASC BETWEEN BY CASE CREATE CROSS CURRENT_DATE CURRENT_TIME
		CURRENT_TIMESTAMP CURRENT_USER DEFAULT DELETE DESC DESCRIBE DISTINCT DIV DROP DUAL
		ELSE END EXCEPT EXISTS FALSE FOR FROM FULL GRANT GROUP HAVING IF IN INDEX INNER
		INSERT INTERSECT INTERVAL INTO IS JOIN LEFT LIKE LIMIT LOCALTIME LOCALTIMESTAMP MOD
		NOT NULL ON OR ORDER OUTER PARTITION REGEXP REVOKE RIGHT RLIKE SELECT SET SHOW
		TABLE THEN TO TRUE UNION UPDATE USE USING VALUES WHEN WHERE WITH XOR`) {
		reserved[w] = true
	}
}

// stmtStarts are the keywords a supported statement can begin with.
var stmtStarts = []string{"ADMIN", "ALTER", "CREATE", "DESC", "DESCRIBE", "DROP", "GRANT", "INSERT", "KILL",
	"RECOVER", "REVOKE", "SELECT", "SET", "SHOW", "TRUNCATE", "USE"}

// parser is a recursive-descent parser over a pre-lexed token slice.
// Errors are raised by panicking with a *SyntaxError and recovered at the
// entry points.
type parser struct {
	src    string
	lx     *lexer
	base   int // the stream index of lx.toks[0]
	i      int // the stream index of the current token
	depth  int
	links  int // operators chained in the current top-level expression
	params int
	last   int // byte offset after the last consumed token
}

func newParser(text string) *parser {
	return &parser{src: text, lx: &lexer{src: text, line: 1}}
}

// tokenWindow is how many consumed tokens the parser keeps before it
// forgets them.
const tokenWindow = 2048

// bailout is the panic payload used for syntax errors.
type bailout struct{ err *SyntaxError }

func (p *parser) run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	f()
	return nil
}

// Parse parses one or more statements separated by ';'. Empty statements
// are skipped and a trailing ';' is fine; text with no statement at all
// (only blanks, comments or ';') gives an empty slice and no error.
func Parse(text string) ([]Stmt, error) {
	p := newParser(text)
	var out []Stmt
	err := p.run(func() {
		for {
			for p.acceptOp(";") {
			}
			if p.peek().kind == tkEOF {
				return
			}
			out = append(out, p.parseStatement())
			if !p.isOp(";") && p.peek().kind != tkEOF {
				p.fail(expEOF, ";")
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseOne parses exactly one statement (optionally followed by ';').
func ParseOne(text string) (Stmt, error) {
	p := newParser(text)
	var st Stmt
	err := p.run(func() {
		for p.acceptOp(";") {
		}
		st = p.parseStatement()
		for p.acceptOp(";") {
		}
		if p.peek().kind != tkEOF {
			p.fail(expEOF)
		}
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// ParseExpr parses a single expression, such as a column default.
func ParseExpr(text string) (Expr, error) {
	p := newParser(text)
	var e Expr
	err := p.run(func() {
		e = p.parseExpr()
		if p.peek().kind != tkEOF {
			p.fail(expEOF)
		}
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ---------------------------------------------------------------- token access

// tokAt returns the token n ahead of the current one. Looking at a lexical
// error raises it.
func (p *parser) tokAt(n int) *token {
	i := p.i + n - p.base
	for i >= len(p.lx.toks) && !p.lx.done {
		p.lx.more()
	}
	if i >= len(p.lx.toks) {
		i = len(p.lx.toks) - 1
	}
	t := &p.lx.toks[i]
	if t.kind == tkErr {
		panic(bailout{t.err})
	}
	return t
}

func (p *parser) peek() *token { return p.tokAt(0) }

func (p *parser) next() *token {
	t := p.peek()
	if t.kind != tkEOF {
		p.i++
		p.last = t.end
		if k := p.i - p.base; k >= tokenWindow {
			// Forget consumed tokens (the parser never looks back), so
			// memory follows the lookahead, not the statement's length.
			// The lookahead moves to a new array of a fixed size, so the
			// lexer appends without regrowing; tokens handed out earlier
			// stay valid: nothing overwrites them.
			rest := p.lx.toks[k:]
			p.lx.toks = append(make([]token, 0, tokenWindow+len(rest)+16), rest...)
			p.base = p.i
		}
	}
	return t
}

// display is how a token is shown in error messages.
func (p *parser) display(t *token) string {
	if t.kind == tkEOF {
		return expEOF
	}
	return p.src[t.start:t.end]
}

// fail raises "Unexpected input" at the current token.
func (p *parser) fail(expected ...string) {
	p.failAt(p.peek(), expected...)
}

func (p *parser) failAt(t *token, expected ...string) {
	panic(bailout{&SyntaxError{Line: t.pos.Line, Col: t.pos.Col, Msg: unexpectedMsg(p.display(t), expected)}})
}

// failInvalid raises "Input 'x' is not valid at this position." at t.
func (p *parser) failInvalid(t *token) {
	panic(bailout{&SyntaxError{Line: t.pos.Line, Col: t.pos.Col, Msg: notValidMsg(p.display(t))}})
}

func (p *parser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == tkWord && t.up == kw
}

func (p *parser) isKwAt(n int, kw string) bool {
	t := p.tokAt(n)
	return t.kind == tkWord && t.up == kw
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.next()
		return true
	}
	return false
}

// acceptKws consumes the keyword sequence kws if the input starts with it.
func (p *parser) acceptKws(kws ...string) bool {
	for i, kw := range kws {
		if !p.isKwAt(i, kw) {
			return false
		}
	}
	for range kws {
		p.next()
	}
	return true
}

// expectKw consumes kw or fails expecting it.
func (p *parser) expectKw(kw string) *token {
	if !p.isKw(kw) {
		p.fail(kw)
	}
	return p.next()
}

// expectOneKw consumes one of kws and returns it, or fails expecting them.
func (p *parser) expectOneKw(kws ...string) string {
	for _, kw := range kws {
		if p.isKw(kw) {
			p.next()
			return kw
		}
	}
	p.fail(kws...)
	return ""
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tkOp && t.val == op
}

func (p *parser) isOpAt(n int, op string) bool {
	t := p.tokAt(n)
	return t.kind == tkOp && t.val == op
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) *token {
	if !p.isOp(op) {
		p.fail(op)
	}
	return p.next()
}

// isIdentTok reports whether t can be an identifier.
func isIdentTok(t *token) bool {
	return t.kind == tkQIdent || (t.kind == tkWord && !reserved[t.up])
}

func (p *parser) isIdent() bool { return isIdentTok(p.peek()) }

// parseIdent reads an identifier: a non-reserved word or a backquoted name.
func (p *parser) parseIdent() *Ident {
	t := p.peek()
	if !isIdentTok(t) {
		p.fail(expIdent)
	}
	p.next()
	return &Ident{At: t.pos, Name: t.val}
}

// parseIdentOrString reads an identifier or a quoted string used as a
// name (StarRocks' identifierOrString).
func (p *parser) parseIdentOrString() *Ident {
	t := p.peek()
	if t.kind == tkString {
		p.next()
		return &Ident{At: t.pos, Name: t.val}
	}
	return p.parseIdent()
}

// parseIdentList reads ident[, ident...].
func (p *parser) parseIdentList() []*Ident {
	list := []*Ident{p.parseIdent()}
	for p.acceptOp(",") {
		list = append(list, p.parseIdent())
	}
	return list
}

// parseParenIdentList reads (ident[, ident...]).
func (p *parser) parseParenIdentList() []*Ident {
	p.expectOp("(")
	list := p.parseIdentList()
	p.expectOp(")")
	return list
}

// parseString reads a quoted string and returns its value.
func (p *parser) parseString() string {
	t := p.peek()
	if t.kind != tkString {
		p.fail(expSQ, expDQ)
	}
	p.next()
	return t.val
}

// parseStringList reads 'a'[, 'b'...].
func (p *parser) parseStringList() []string {
	list := []string{p.parseString()}
	for p.acceptOp(",") {
		list = append(list, p.parseString())
	}
	return list
}

// parseInt reads an integer literal that must fit in int64; larger values
// are clamped when clamp is set and rejected otherwise.
func (p *parser) parseInt(clamp bool) int64 {
	t := p.peek()
	if t.kind != tkInt {
		p.fail(expInt)
	}
	n, err := strconv.ParseInt(t.val, 10, 64)
	if err != nil {
		if !clamp {
			p.failInvalid(t)
		}
		n = math.MaxInt64
	}
	p.next()
	return n
}

// parseSmallInt reads an integer literal that must fit in an int32.
func (p *parser) parseSmallInt() int {
	t := p.peek()
	n := p.parseInt(false)
	if n > math.MaxInt32 {
		p.failInvalid(t)
	}
	return int(n)
}

// parseTableName reads [[catalog.]db.]table.
func (p *parser) parseTableName() *TableName {
	first := p.parseIdent()
	parts := []string{first.Name}
	for len(parts) < 3 && p.isOp(".") {
		p.next()
		parts = append(parts, p.parseIdent().Name)
	}
	tn := &TableName{At: first.At}
	switch len(parts) {
	case 1:
		tn.Name = parts[0]
	case 2:
		tn.Db, tn.Name = parts[0], parts[1]
	default:
		tn.Catalog, tn.Db, tn.Name = parts[0], parts[1], parts[2]
	}
	return tn
}

// parseIfNotExists reads an optional IF NOT EXISTS.
func (p *parser) parseIfNotExists() bool {
	if p.isKw("IF") {
		p.next()
		p.expectKw("NOT")
		p.expectKw("EXISTS")
		return true
	}
	return false
}

// parseIfExists reads an optional IF EXISTS.
func (p *parser) parseIfExists() bool {
	if p.isKw("IF") {
		p.next()
		p.expectKw("EXISTS")
		return true
	}
	return false
}

// parseProperties reads ("k" = "v"[, ...]). Keys may also be identifiers
// and values numbers, identifiers or TRUE/FALSE.
func (p *parser) parseProperties() []*Property {
	p.expectOp("(")
	props := []*Property{}
	if p.isOp(")") {
		p.next()
		return props
	}
	for {
		t := p.peek()
		var key string
		if t.kind == tkString {
			key = t.val
			p.next()
		} else if isIdentTok(t) {
			key = p.parseIdent().Name
		} else {
			p.fail(expSQ, expDQ)
		}
		p.expectOp("=")
		v := p.peek()
		var val string
		switch {
		case v.kind == tkString || v.kind == tkInt || v.kind == tkDecimal || v.kind == tkFloat:
			val = v.val
			p.next()
		case v.kind == tkWord && (v.up == "TRUE" || v.up == "FALSE"):
			val = strings.ToLower(v.val)
			p.next()
		case isIdentTok(v):
			val = p.parseIdent().Name
		default:
			p.fail(expSQ, expDQ)
		}
		props = append(props, &Property{At: t.pos, Key: key, Value: val})
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return props
}

// parseLikeOrWhere reads an optional LIKE 'p' or WHERE expr.
func (p *parser) parseLikeOrWhere() (*string, Expr) {
	if p.acceptKw("LIKE") {
		s := p.parseString()
		return &s, nil
	}
	if p.acceptKw("WHERE") {
		return nil, p.parseExpr()
	}
	return nil, nil
}

// parseOptLike reads an optional LIKE 'p'.
func (p *parser) parseOptLike() *string {
	if p.acceptKw("LIKE") {
		s := p.parseString()
		return &s
	}
	return nil
}

// ---------------------------------------------------------------- statements

// parseStatement parses one statement and fills in its position and text.
func (p *parser) parseStatement() Stmt {
	first := p.peek()
	p.params = 0
	var st Stmt
	if first.kind == tkWord {
		switch first.up {
		case "SELECT":
			st = p.parseSelect()
		case "INSERT":
			st = p.parseInsert()
		case "CREATE":
			st = p.parseCreate()
		case "DROP":
			st = p.parseDrop()
		case "ALTER":
			st = p.parseAlter()
		case "SHOW":
			st = p.parseShow()
		case "DESC", "DESCRIBE":
			st = p.parseDesc()
		case "USE":
			st = p.parseUse()
		case "SET":
			st = p.parseSet()
		case "GRANT":
			st = p.parseGrant()
		case "REVOKE":
			st = p.parseRevoke()
		case "TRUNCATE":
			st = p.parseTruncate()
		case "RECOVER":
			st = p.parseRecover()
		case "ADMIN":
			st = p.parseAdmin()
		case "KILL":
			st = p.parseKill()
		}
	}
	if st == nil {
		p.fail(append(append([]string{}, stmtStarts...), ";")...)
	}
	p.setBase(st, first)
	return st
}

// setBase records the position and source text of a statement that
// started at first and ends at the last consumed token.
func (p *parser) setBase(st Stmt, first *token) {
	b := baseOf(st)
	b.At = first.pos
	b.Src = strings.TrimSpace(p.src[first.start:p.last])
}

// baseOf returns the StmtBase embedded in st.
func baseOf(st Stmt) *StmtBase {
	type based interface{ base() *StmtBase }
	return st.(based).base()
}

func (b *StmtBase) base() *StmtBase { return b }
