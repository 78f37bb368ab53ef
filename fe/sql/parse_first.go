package sql

// ParseFirst parses the first statement of text and returns it with the
// source text that follows it (after its ';'), for clients that send several
// statements in one query and get one result per statement. st is nil when
// text holds no statement.
func ParseFirst(text string) (st Stmt, rest string, err error) {
	p := newParser(text)
	err = p.run(func() {
		for p.acceptOp(";") {
		}
		if p.peek().kind == tkEOF {
			return
		}
		st = p.parseStatement()
		if !p.isOp(";") && p.peek().kind != tkEOF {
			p.fail(expEOF, ";")
		}
		if p.acceptOp(";") {
			rest = text[p.last:]
		}
	})
	if err != nil {
		return nil, "", err
	}
	return st, rest, nil
}
