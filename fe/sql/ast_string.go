package sql

import (
	"strings"
)

// Operator precedence levels, lowest first; used to parenthesise when
// rendering.
const (
	precOr = iota + 1
	precXor
	precAnd
	precNot
	precCmp
	precBitOr
	precBitAnd
	precShift
	precAdd
	precMul
	precBitXor
	precUnary
	precPrimary
)

var binaryPrec = map[BinaryOp]int{
	OpOr: precOr, OpXor: precXor, OpAnd: precAnd,
	OpEq: precCmp, OpNullEq: precCmp, OpNe: precCmp, OpLt: precCmp, OpLe: precCmp, OpGt: precCmp, OpGe: precCmp,
	OpBitOr: precBitOr, OpBitAnd: precBitAnd, OpShl: precShift, OpShr: precShift,
	OpAdd: precAdd, OpSub: precAdd, OpMul: precMul, OpDiv: precMul, OpMod: precMul, OpIntDiv: precMul,
	OpBitXor: precBitXor,
}

func exprPrec(e Expr) int {
	switch x := e.(type) {
	case *BinaryExpr:
		return binaryPrec[x.Op]
	case *UnaryExpr:
		if x.Op == OpNot {
			return precNot
		}
		return precUnary
	case *IsExpr, *LikeExpr, *InExpr, *BetweenExpr:
		return precCmp
	case *Literal:
		if strings.HasPrefix(x.Val, "-") {
			return precUnary
		}
	}
	return precPrimary
}

// paren renders e, in parentheses when its precedence is below min.
func paren(e Expr, min int) string {
	if e == nil {
		return ""
	}
	if exprPrec(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func joinExprs(list []Expr) string {
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// quoteString renders s as a single-quoted SQL string.
func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// quoteName renders a name, in backquotes unless it is a plain
// non-reserved identifier.
func quoteName(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		if !(c == '_' || c == '$' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && isDigit(c))) {
			plain = false
		}
	}
	if plain && !reserved[strings.ToUpper(s)] {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// String renders the literal.
func (e *Literal) String() string {
	switch e.Kind {
	case LitString:
		return quoteString(e.Val)
	case LitDate:
		return "DATE " + quoteString(e.Val)
	case LitDatetime:
		return "DATETIME " + quoteString(e.Val)
	}
	return e.Val
}

// String renders the column reference.
func (e *ColumnRef) String() string {
	s := quoteName(e.Name)
	if e.Table != "" {
		s = quoteName(e.Table) + "." + s
	}
	if e.Db != "" {
		s = quoteName(e.Db) + "." + s
	}
	return s
}

// String renders the variable, e.g. "@@session.sql_mode" or "@v".
func (e *VariableExpr) String() string {
	if !e.System {
		return "@" + e.Name
	}
	switch e.Scope {
	case ScopeSession:
		return "@@session." + e.Name
	case ScopeGlobal:
		return "@@global." + e.Name
	}
	return "@@" + e.Name
}

// String renders the placeholder "?".
func (e *ParamExpr) String() string { return "?" }

// String renders the unary expression.
func (e *UnaryExpr) String() string {
	if e.Op == OpNot {
		return "NOT " + paren(e.X, precNot)
	}
	x := paren(e.X, precUnary)
	if strings.HasPrefix(x, "-") || strings.HasPrefix(x, "+") {
		return string(e.Op) + " " + x
	}
	return string(e.Op) + x
}

// String renders the binary expression.
func (e *BinaryExpr) String() string {
	p := binaryPrec[e.Op]
	return paren(e.L, p) + " " + string(e.Op) + " " + paren(e.R, p+1)
}

// String renders the IS test.
func (e *IsExpr) String() string {
	not := ""
	if e.Not {
		not = "NOT "
	}
	return paren(e.X, precCmp) + " IS " + not + string(e.What)
}

// String renders the LIKE/REGEXP predicate.
func (e *LikeExpr) String() string {
	op := "LIKE"
	if e.Regexp {
		op = "REGEXP"
	}
	if e.Not {
		op = "NOT " + op
	}
	s := paren(e.X, precCmp) + " " + op + " " + paren(e.Pattern, precBitOr)
	if e.Escape != nil {
		s += " ESCAPE " + paren(e.Escape, precPrimary)
	}
	return s
}

// String renders the IN predicate.
func (e *InExpr) String() string {
	op := " IN ("
	if e.Not {
		op = " NOT IN ("
	}
	return paren(e.X, precCmp) + op + joinExprs(e.List) + ")"
}

// String renders the BETWEEN predicate.
func (e *BetweenExpr) String() string {
	op := " BETWEEN "
	if e.Not {
		op = " NOT BETWEEN "
	}
	return paren(e.X, precCmp) + op + paren(e.Low, precBitOr) + " AND " + paren(e.High, precBitOr)
}

// String renders the call with a lower-case function name, e.g. "count(*)".
func (e *FuncCall) String() string {
	name := strings.ToLower(e.Name)
	if e.Star {
		return name + "(*)"
	}
	d := ""
	if e.Distinct {
		d = "DISTINCT "
	}
	return name + "(" + d + joinExprs(e.Args) + ")"
}

// String renders the cast.
func (e *CastExpr) String() string {
	return "CAST(" + e.X.String() + " AS " + e.Type.String() + ")"
}

// String renders the CASE expression.
func (e *CaseExpr) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	if e.Operand != nil {
		b.WriteString(" " + e.Operand.String())
	}
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	if e.Else != nil {
		b.WriteString(" ELSE " + e.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

// String renders the interval.
func (e *IntervalExpr) String() string {
	return "INTERVAL " + paren(e.Value, precPrimary) + " " + e.Unit
}

// String renders "DEFAULT".
func (e *DefaultExpr) String() string { return "DEFAULT" }

// WalkExpr calls fn for e and, while fn returns true, for each of its
// sub-expressions, depth first in source order. Nil expressions are
// skipped.
func WalkExpr(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch x := e.(type) {
	case *UnaryExpr:
		WalkExpr(x.X, fn)
	case *BinaryExpr:
		WalkExpr(x.L, fn)
		WalkExpr(x.R, fn)
	case *IsExpr:
		WalkExpr(x.X, fn)
	case *LikeExpr:
		WalkExpr(x.X, fn)
		WalkExpr(x.Pattern, fn)
		WalkExpr(x.Escape, fn)
	case *InExpr:
		WalkExpr(x.X, fn)
		for _, a := range x.List {
			WalkExpr(a, fn)
		}
	case *BetweenExpr:
		WalkExpr(x.X, fn)
		WalkExpr(x.Low, fn)
		WalkExpr(x.High, fn)
	case *FuncCall:
		for _, a := range x.Args {
			WalkExpr(a, fn)
		}
	case *CastExpr:
		WalkExpr(x.X, fn)
	case *CaseExpr:
		WalkExpr(x.Operand, fn)
		for _, w := range x.Whens {
			WalkExpr(w.Cond, fn)
			WalkExpr(w.Result, fn)
		}
		WalkExpr(x.Else, fn)
	case *IntervalExpr:
		WalkExpr(x.Value, fn)
	}
}
