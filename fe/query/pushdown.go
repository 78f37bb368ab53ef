package query

import (
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
)

// pushablePredicates turns the WHERE conjuncts that compare a column with
// constants into predicates the compute nodes apply while scanning. It
// pushes only what they evaluate exactly as the FE would: the constant must
// convert to the column's type and be of a compatible kind (strings with
// string and date columns, numbers with numeric columns). all reports
// whether every conjunct was pushed (then the FE need not filter, and may
// ask for partial aggregates).
func pushablePredicates(conj []sql.Expr, full scope, t *catalog.Table) (preds []rpc.Predicate, all bool) {
	all = true
	for _, c := range conj {
		p, ok := predicateOf(c, full)
		if !ok {
			all = false
			continue
		}
		preds = append(preds, p...)
	}
	return preds, all
}

var flipOp = map[sql.BinaryOp]sql.BinaryOp{sql.OpLt: sql.OpGt, sql.OpLe: sql.OpGe, sql.OpGt: sql.OpLt, sql.OpGe: sql.OpLe, sql.OpEq: sql.OpEq, sql.OpNe: sql.OpNe}

func predicateOf(e sql.Expr, full scope) ([]rpc.Predicate, bool) {
	colOf := func(x sql.Expr) (int, bool) {
		cr, ok := x.(*sql.ColumnRef)
		if !ok {
			return 0, false
		}
		i, err := full.resolve(cr)
		return i, err == nil
	}
	switch x := e.(type) {
	case *sql.BinaryExpr:
		op, ok := flipOp[x.Op]
		if !ok {
			return nil, false
		}
		col, okc := colOf(x.L)
		lit := x.R
		if !okc {
			col, okc = colOf(x.R)
			lit = x.L
			if !okc {
				return nil, false
			}
		} else {
			op = x.Op
		}
		v, ok := constFor(lit, full[col].typ)
		if !ok {
			return nil, false
		}
		return []rpc.Predicate{{Column: col, Op: string(op), Values: []string{v}}}, true
	case *sql.InExpr:
		col, ok := colOf(x.X)
		if !ok || x.Not {
			return nil, false
		}
		var vals []string
		for _, it := range x.List {
			v, ok := constFor(it, full[col].typ)
			if !ok {
				return nil, false
			}
			vals = append(vals, v)
		}
		return []rpc.Predicate{{Column: col, Op: "IN", Values: vals}}, true
	case *sql.IsExpr:
		col, ok := colOf(x.X)
		if !ok || x.What != sql.IsNull {
			return nil, false
		}
		op := "IS NULL"
		if x.Not {
			op = "IS NOT NULL"
		}
		return []rpc.Predicate{{Column: col, Op: op}}, true
	case *sql.BetweenExpr:
		col, ok := colOf(x.X)
		if !ok || x.Not {
			return nil, false
		}
		lo, ok1 := constFor(x.Low, full[col].typ)
		hi, ok2 := constFor(x.High, full[col].typ)
		if !ok1 || !ok2 {
			return nil, false
		}
		return []rpc.Predicate{{Column: col, Op: ">=", Values: []string{lo}}, {Column: col, Op: "<=", Values: []string{hi}}}, true
	}
	return nil, false
}

// constFor converts a literal to the canonical text of a column type when
// comparing them gives the same answer on the compute node as on the FE.
func constFor(e sql.Expr, t types.Type) (string, bool) {
	l, ok := e.(*sql.Literal)
	if !ok {
		return "", false
	}
	switch l.Kind {
	case sql.LitString, sql.LitDate, sql.LitDatetime:
		if !t.IsString() && !t.IsTemporal() {
			return "", false
		}
	case sql.LitInt, sql.LitDecimal:
		if !t.IsNumeric() {
			return "", false
		}
	default:
		return "", false
	}
	v, err := types.ParseValue(t, l.Val)
	if err != nil {
		return "", false
	}
	// A constant that does not survive the conversion exactly (1.5 for an
	// INT column, a too long string) is compared by the FE instead.
	if t.IsString() && v.Str != l.Val {
		return "", false
	}
	if (l.Kind == sql.LitInt || l.Kind == sql.LitDecimal) && types.Compare(v, types.TextValue(types.Decimal, l.Val)) != 0 {
		return "", false
	}
	return v.String(), true
}

// prunePartitions keeps the partitions whose range can hold rows matching
// the conjuncts on the partition column.
func prunePartitions(t *catalog.Table, conj []sql.Expr, full scope) []*catalog.Partition {
	if t.Partitioning.Type != "RANGE" {
		return t.Partitions
	}
	pcol := -1
	for i, c := range full {
		if c.name == t.Partitioning.Column {
			pcol = i
		}
	}
	var preds []rpc.Predicate
	for _, c := range conj {
		if ps, ok := predicateOf(c, full); ok {
			for _, p := range ps {
				if p.Column == pcol {
					preds = append(preds, p)
				}
			}
		}
	}
	if len(preds) == 0 {
		return t.Partitions
	}
	typ := full[pcol].typ
	parse := func(s string) types.Value {
		v, _ := types.ParseValue(typ, s)
		return v
	}
	var out []*catalog.Partition
	var lower *types.Value
	for _, p := range t.Partitions {
		var upper *types.Value
		if p.Range != nil && !p.Range.MaxValue {
			u := parse(p.Range.Upper)
			upper = &u
		}
		if rangeMayMatch(lower, upper, preds, parse) {
			out = append(out, p)
		}
		lower = upper
	}
	return out
}

// rangeMayMatch reports whether [lower, upper) can contain a value meeting
// every predicate (nil bounds are open). NULLs live in the first partition.
func rangeMayMatch(lower, upper *types.Value, preds []rpc.Predicate, parse func(string) types.Value) bool {
	below := func(v types.Value) bool { return upper == nil || types.Compare(v, *upper) < 0 }
	atOrAbove := func(v types.Value) bool { return lower == nil || types.Compare(v, *lower) >= 0 }
	for _, p := range preds {
		switch p.Op {
		case "IS NULL":
			if lower != nil {
				return false
			}
		case "IS NOT NULL", "!=":
		case "=":
			v := parse(p.Values[0])
			if !below(v) || !atOrAbove(v) {
				return false
			}
		case "IN":
			any := false
			for _, s := range p.Values {
				v := parse(s)
				any = any || (below(v) && atOrAbove(v))
			}
			if !any {
				return false
			}
		case "<":
			if lower != nil && types.Compare(parse(p.Values[0]), *lower) <= 0 {
				return false
			}
		case "<=":
			if lower != nil && types.Compare(parse(p.Values[0]), *lower) < 0 {
				return false
			}
		case ">", ">=":
			if upper != nil && types.Compare(parse(p.Values[0]), *upper) >= 0 {
				return false
			}
		}
	}
	return true
}
