package sql

import (
	"strings"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind int

const (
	tkEOF     tokKind = iota
	tkErr             // a lexical error; err is set and nothing follows
	tkWord            // a bare word: keyword or unquoted identifier
	tkQIdent          // a `backquoted` identifier
	tkString          // a '...' or "..." string
	tkInt             // 123
	tkDecimal         // 1.5, .5, 1.
	tkFloat           // 1e3, 1.5E-3
	tkUserVar         // @name
	tkSysVar          // @@name, @@session.name, ...
	tkParam           // ?
	tkOp              // punctuation and operators; val is the operator
)

// token is one lexical token.
type token struct {
	kind  tokKind
	val   string   // word/identifier name, decoded string, number text, variable name or operator
	up    string   // upper-cased val for tkWord
	scope VarScope // tkSysVar only
	pos   Pos
	start int // byte offset of the first character
	end   int // byte offset after the last character
	err   *SyntaxError
}

// lexer turns SQL text into tokens, on demand: the parser asks for more
// as it goes, so a long statement (INSERT ... VALUES of megabytes) is
// never held as tokens all at once, and the text after the first statement
// is not lexed until it is parsed. It stops at the first error, which it
// returns as a final tkErr token so that the parser reports it only if it
// gets that far.
type lexer struct {
	src  string
	off  int
	line int
	col  int
	toks []token
	done bool // the last token (tkEOF or tkErr) was emitted
}

// tokenize lexes all of src.
func tokenize(src string) []token {
	lx := &lexer{src: src, line: 1}
	for !lx.done {
		lx.step()
	}
	return lx.toks
}

// more lexes until at least one more token is available or the source is
// exhausted.
func (lx *lexer) more() {
	for n := len(lx.toks); !lx.done && len(lx.toks) == n; {
		lx.step()
	}
}

func (lx *lexer) peekByte(n int) byte {
	if lx.off+n < len(lx.src) {
		return lx.src[lx.off+n]
	}
	return 0
}

// advance consumes one rune, keeping line and column up to date.
func (lx *lexer) advance() rune {
	r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
	lx.off += size
	if r == '\n' {
		lx.line++
		lx.col = 0
	} else {
		lx.col++
	}
	return r
}

func (lx *lexer) advanceBytes(n int) {
	end := lx.off + n
	for lx.off < end {
		lx.advance()
	}
}

func (lx *lexer) pos() Pos { return Pos{Line: lx.line, Col: lx.col} }

func (lx *lexer) emit(kind tokKind, val string, pos Pos, start int) {
	t := token{kind: kind, val: val, pos: pos, start: start, end: lx.off}
	if kind == tkWord {
		t.up = strings.ToUpper(val)
	}
	lx.toks = append(lx.toks, t)
}

// fail records a lexical error at pos; shown is the offending text.
// Nothing is lexed after it.
func (lx *lexer) fail(pos Pos, start int, shown string) {
	lx.toks = append(lx.toks, token{kind: tkErr, pos: pos, start: start, end: len(lx.src),
		err: &SyntaxError{Line: pos.Line, Col: pos.Col, Msg: notValidMsg(shown)}})
	lx.done = true
}

// restOfLine returns the source from start to the end of its line.
func (lx *lexer) restOfLine(start int) string {
	s := lx.src[start:]
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// wordEnd returns the byte offset where the run of identifier characters
// starting at i ends. Non-ASCII letters count as identifier characters
// except the ideographic space, which is whitespace.
func (lx *lexer) wordEnd(i int) int {
	for i < len(lx.src) {
		c := lx.src[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(lx.src[i:])
			if r == '\u3000' || r == utf8.RuneError && size <= 1 {
				return i
			}
			i += size
			continue
		}
		if !isWordByte(c) {
			return i
		}
		i++
	}
	return i
}

// numberEnd scans a number starting at i (a digit or a '.' followed by a
// digit) and returns its end and kind.
func (lx *lexer) numberEnd(i int) (int, tokKind) {
	s := lx.src
	kind := tkInt
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		kind = tkDecimal
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
			kind = tkFloat
		}
	}
	return i, kind
}

// step consumes one token, blank or comment.
func (lx *lexer) step() {
	if lx.off >= len(lx.src) {
		lx.emit(tkEOF, "", lx.pos(), lx.off)
		lx.done = true
		return
	}
	c := lx.src[lx.off]
	start, pos := lx.off, lx.pos()
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		lx.advance()
	case c >= 0x80 && strings.HasPrefix(lx.src[lx.off:], "\u3000"):
		lx.advance()
	case c == '-' && lx.peekByte(1) == '-', c == '#':
		for lx.off < len(lx.src) && lx.src[lx.off] != '\n' && lx.src[lx.off] != '\r' {
			lx.advance()
		}
	case c == '/' && lx.peekByte(1) == '*':
		// Plain, /*! conditional */ and /*+ hint */ comments are all skipped.
		end := strings.Index(lx.src[lx.off+2:], "*/")
		if end < 0 {
			lx.fail(pos, start, lx.restOfLine(start))
			return
		}
		lx.advanceBytes(end + 4)
	case c == '\'' || c == '"':
		if !lx.lexString(c, pos, start) {
			return
		}
	case c == '`':
		if !lx.lexQuotedIdent(pos, start) {
			return
		}
	case isDigit(c):
		wend := lx.wordEnd(lx.off)
		nend, kind := lx.numberEnd(lx.off)
		if wend > nend {
			lx.advanceBytes(wend - lx.off)
			lx.emit(tkWord, lx.src[start:lx.off], pos, start)
		} else {
			lx.advanceBytes(nend - lx.off)
			lx.emit(kind, lx.src[start:lx.off], pos, start)
		}
	case c == '.' && isDigit(lx.peekByte(1)):
		// ".5" is a number, but ".5a" is a dot followed by the identifier "5a".
		wend := lx.wordEnd(lx.off + 1)
		nend, kind := lx.numberEnd(lx.off)
		if wend-lx.off > nend-lx.off && wend-(lx.off+1) >= 2 {
			lx.advance()
			lx.emit(tkOp, ".", pos, start)
		} else {
			if kind == tkInt {
				kind = tkDecimal
			}
			lx.advanceBytes(nend - lx.off)
			lx.emit(kind, lx.src[start:lx.off], pos, start)
		}
	case isWordByte(c):
		end := lx.wordEnd(lx.off)
		if end == lx.off { // an invalid UTF-8 byte
			lx.fail(pos, start, string(lx.src[start]))
			return
		}
		lx.advanceBytes(end - lx.off)
		lx.emit(tkWord, lx.src[start:lx.off], pos, start)
	case c == '@':
		if !lx.lexVariable(pos, start) {
			return
		}
	default:
		if !lx.lexOperator(pos, start) {
			return
		}
	}
}

// lexString reads a quoted string with MySQL escapes and doubled quotes.
func (lx *lexer) lexString(q byte, pos Pos, start int) bool {
	lx.advance()
	// Most strings hold no escape, doubled quote or newline: their value
	// is the text between the quotes, taken without a copy.
	body := lx.src[lx.off:]
	if i := strings.IndexByte(body, q); i >= 0 && (i+1 >= len(body) || body[i+1] != q) {
		if v := body[:i]; strings.IndexByte(v, '\\') < 0 && strings.IndexByte(v, '\n') < 0 {
			lx.off += i + 1
			lx.col += utf8.RuneCountInString(v) + 1
			lx.emit(tkString, v, pos, start)
			return true
		}
	}
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) {
			lx.fail(pos, start, lx.restOfLine(start))
			return false
		}
		c := lx.src[lx.off]
		switch {
		case c == q:
			if lx.peekByte(1) == q {
				b.WriteByte(q)
				lx.advanceBytes(2)
				continue
			}
			lx.advance()
			lx.emit(tkString, b.String(), pos, start)
			return true
		case c == '\\':
			lx.advance()
			if lx.off >= len(lx.src) {
				lx.fail(pos, start, lx.restOfLine(start))
				return false
			}
			e := lx.src[lx.off]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(26)
			case '%', '_':
				// MySQL keeps the backslash so LIKE patterns still see the escape.
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
				if r == utf8.RuneError && size <= 1 {
					b.WriteByte(e)
				} else {
					b.WriteRune(r)
				}
				lx.advanceBytes(size)
				continue
			}
			lx.advance()
		default:
			r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
			if r == utf8.RuneError && size <= 1 {
				b.WriteByte(c)
			} else {
				b.WriteRune(r)
			}
			lx.advanceBytes(size)
		}
	}
}

// lexQuotedIdent reads a `backquoted` identifier where “ stands for `.
func (lx *lexer) lexQuotedIdent(pos Pos, start int) bool {
	lx.advance()
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) {
			lx.fail(pos, start, lx.restOfLine(start))
			return false
		}
		c := lx.src[lx.off]
		if c == '`' {
			if lx.peekByte(1) == '`' {
				b.WriteByte('`')
				lx.advanceBytes(2)
				continue
			}
			lx.advance()
			lx.emit(tkQIdent, b.String(), pos, start)
			return true
		}
		r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteByte(c)
		} else {
			b.WriteRune(r)
		}
		lx.advanceBytes(size)
	}
}

// lexVariable reads @name, @@name, @@session.name, @@global.name,
// @@local.name, or a lone '@' (as in 'user'@'host').
func (lx *lexer) lexVariable(pos Pos, start int) bool {
	if lx.peekByte(1) == '@' {
		nameStart := lx.off + 2
		end := lx.wordEnd(nameStart)
		if end == nameStart {
			lx.fail(pos, start, "@@")
			return false
		}
		name := lx.src[nameStart:end]
		scope := ScopeDefault
		if end < len(lx.src) && lx.src[end] == '.' {
			switch strings.ToUpper(name) {
			case "SESSION", "LOCAL":
				scope = ScopeSession
			case "GLOBAL":
				scope = ScopeGlobal
			}
			if scope != ScopeDefault {
				e2 := lx.wordEnd(end + 1)
				if e2 == end+1 {
					lx.fail(pos, start, lx.src[start:end+1])
					return false
				}
				name = lx.src[end+1 : e2]
				end = e2
			}
		}
		lx.advanceBytes(end - lx.off)
		lx.toks = append(lx.toks, token{kind: tkSysVar, val: name, scope: scope, pos: pos, start: start, end: lx.off})
		return true
	}
	// User variables may contain dots (MySQL allows [A-Za-z0-9._$]).
	i := lx.off + 1
	for {
		e := lx.wordEnd(i)
		if e < len(lx.src) && lx.src[e] == '.' && e+1 < len(lx.src) && isWordByte(lx.src[e+1]) {
			i = e + 1
			continue
		}
		i = e
		break
	}
	if i == lx.off+1 {
		lx.advance()
		lx.emit(tkOp, "@", pos, start)
		return true
	}
	name := lx.src[lx.off+1 : i]
	lx.advanceBytes(i - lx.off)
	lx.emit(tkUserVar, name, pos, start)
	return true
}

var operators = []string{
	"<=>", "<=", "<>", "<<", ">=", ">>", "!=", ":=", "||", "&&",
	"<", ">", "=", "!", "+", "-", "*", "/", "%", "(", ")", ",", ".", ";", "~", "^", "&", "|", "?",
}

func (lx *lexer) lexOperator(pos Pos, start int) bool {
	rest := lx.src[lx.off:]
	for _, op := range operators {
		if strings.HasPrefix(rest, op) {
			lx.advanceBytes(len(op))
			if op == "?" {
				lx.emit(tkParam, op, pos, start)
				return true
			}
			if op == "<>" {
				op = "!="
			}
			lx.emit(tkOp, op, pos, start)
			return true
		}
	}
	r, size := utf8.DecodeRuneInString(rest)
	shown := string(r)
	if r == utf8.RuneError && size <= 1 {
		shown = rest[:1]
	}
	lx.fail(pos, start, shown)
	return false
}
