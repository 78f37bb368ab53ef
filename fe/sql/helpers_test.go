package sql

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	posType      = reflect.TypeOf(Pos{})
	stmtBaseType = reflect.TypeOf(StmtBase{})
)

// stripPos zeroes every Pos, every StmtBase and every SelectItem.Text in
// the tree rooted at v, so that tests can compare shapes.
func stripPos(v any) {
	stripValue(reflect.ValueOf(v))
}

func stripValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripValue(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			stripValue(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == posType || v.Type() == stmtBaseType {
			if v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !f.CanSet() {
				continue
			}
			if v.Type() == reflect.TypeOf(SelectItem{}) && v.Type().Field(i).Name == "Text" {
				f.SetString("")
				continue
			}
			stripValue(f)
		}
	}
}

// mustParseOne parses sql as one statement and strips positions.
func mustParseOne(t *testing.T, sql string) Stmt {
	t.Helper()
	st, err := ParseOne(sql)
	require.NoError(t, err, sql)
	stripPos(st)
	return st
}

// mustParseExpr parses an expression and strips positions.
func mustParseExpr(t *testing.T, sql string) Expr {
	t.Helper()
	e, err := ParseExpr(sql)
	require.NoError(t, err, sql)
	stripPos(e)
	return e
}

// Constructors for expected trees.

func id(name string) *Ident { return &Ident{Name: name} }
func ids(names ...string) []*Ident {
	out := []*Ident{}
	for _, n := range names {
		out = append(out, id(n))
	}
	return out
}
func tbl(name string) *TableName         { return &TableName{Name: name} }
func dbTbl(db, name string) *TableName   { return &TableName{Db: db, Name: name} }
func col(name string) *ColumnRef         { return &ColumnRef{Name: name} }
func tcol(table, name string) *ColumnRef { return &ColumnRef{Table: table, Name: name} }
func str(s string) *Literal              { return &Literal{Kind: LitString, Val: s} }
func intLit(s string) *Literal           { return &Literal{Kind: LitInt, Val: s} }
func nullLit() *Literal                  { return &Literal{Kind: LitNull, Val: "NULL"} }
func strp(s string) *string              { return &s }
func user(u, h string) *UserIdent        { return &UserIdent{User: u, Host: h} }
func prop(k, v string) *Property         { return &Property{Key: k, Value: v} }
func props(kv ...string) []*Property {
	out := []*Property{}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, prop(kv[i], kv[i+1]))
	}
	return out
}
func bin(op BinaryOp, l, r Expr) *BinaryExpr { return &BinaryExpr{Op: op, L: l, R: r} }
func fn(name string, args ...Expr) *FuncCall { return &FuncCall{Name: name, Args: args} }
func item(e Expr, alias string) *SelectItem  { return &SelectItem{Expr: e, Alias: alias} }
func typ(name string) *TypeDef               { return &TypeDef{Name: name} }
func typLen(name string, n int) *TypeDef     { return &TypeDef{Name: name, Len: n, HasLen: true} }

// sexpr renders an expression fully parenthesised, prefix style, so that
// tests can check the shape the parser built.
func sexpr(e Expr) string {
	switch x := e.(type) {
	case nil:
		return "nil"
	case *Literal:
		switch x.Kind {
		case LitString:
			return "'" + x.Val + "'"
		case LitDate, LitDatetime:
			return x.String()
		}
		return x.Val
	case *ColumnRef, *VariableExpr, *ParamExpr, *DefaultExpr:
		return e.String()
	case *UnaryExpr:
		return fmt.Sprintf("(%s %s)", x.Op, sexpr(x.X))
	case *BinaryExpr:
		return fmt.Sprintf("(%s %s %s)", x.Op, sexpr(x.L), sexpr(x.R))
	case *IsExpr:
		not := ""
		if x.Not {
			not = "NOT "
		}
		return fmt.Sprintf("(IS %s%s %s)", not, x.What, sexpr(x.X))
	case *LikeExpr:
		op := "LIKE"
		if x.Regexp {
			op = "REGEXP"
		}
		if x.Not {
			op = "NOT " + op
		}
		if x.Escape != nil {
			return fmt.Sprintf("(%s %s %s %s)", op, sexpr(x.X), sexpr(x.Pattern), sexpr(x.Escape))
		}
		return fmt.Sprintf("(%s %s %s)", op, sexpr(x.X), sexpr(x.Pattern))
	case *InExpr:
		parts := []string{}
		for _, a := range x.List {
			parts = append(parts, sexpr(a))
		}
		op := "IN"
		if x.Not {
			op = "NOT IN"
		}
		return fmt.Sprintf("(%s %s [%s])", op, sexpr(x.X), strings.Join(parts, " "))
	case *BetweenExpr:
		op := "BETWEEN"
		if x.Not {
			op = "NOT BETWEEN"
		}
		return fmt.Sprintf("(%s %s %s %s)", op, sexpr(x.X), sexpr(x.Low), sexpr(x.High))
	case *FuncCall:
		parts := []string{x.Name}
		if x.Star {
			parts = append(parts, "*")
		}
		if x.Distinct {
			parts = append(parts, "DISTINCT")
		}
		for _, a := range x.Args {
			parts = append(parts, sexpr(a))
		}
		return "(call " + strings.Join(parts, " ") + ")"
	case *CastExpr:
		return fmt.Sprintf("(cast %s %s)", sexpr(x.X), x.Type)
	case *CaseExpr:
		parts := []string{"case", sexpr(x.Operand)}
		for _, w := range x.Whens {
			parts = append(parts, "(when "+sexpr(w.Cond)+" "+sexpr(w.Result)+")")
		}
		parts = append(parts, "(else "+sexpr(x.Else)+")")
		return "(" + strings.Join(parts, " ") + ")"
	case *IntervalExpr:
		return fmt.Sprintf("(interval %s %s)", sexpr(x.Value), x.Unit)
	}
	return fmt.Sprintf("<%T>", e)
}
