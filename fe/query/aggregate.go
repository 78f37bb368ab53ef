package query

import (
	"context"
	"math/big"
	"strings"

	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
)

// aggState accumulates one aggregate call over a group, from raw values
// (add) or from compute nodes' partial results (merge).
type aggState struct {
	fn       string // COUNT, SUM, MIN, MAX, AVG
	star     bool
	distinct bool
	seen     map[string]bool
	count    int64
	sum      types.Value
	best     types.Value
}

func newAggState(f *sql.FuncCall) *aggState {
	a := &aggState{fn: strings.ToUpper(f.Name), star: f.Star, distinct: f.Distinct}
	if f.Distinct {
		a.seen = map[string]bool{}
	}
	return a
}

// add folds one row's argument values in.
func (a *aggState) add(vals []types.Value) {
	if a.star {
		a.count++
		return
	}
	for _, v := range vals {
		if v.IsNull() {
			return
		}
	}
	if a.distinct {
		k := rowKey(vals)
		if a.seen[k] {
			return
		}
		a.seen[k] = true
	}
	v := vals[0]
	a.count++
	switch a.fn {
	case "MIN":
		if a.best.IsNull() || types.Compare(v, a.best) < 0 {
			a.best = v
		}
	case "MAX":
		if a.best.IsNull() || types.Compare(v, a.best) > 0 {
			a.best = v
		}
	case "SUM", "AVG":
		a.addSum(v)
	}
}

func (a *aggState) addSum(v types.Value) {
	if v.Kind == types.Varchar || v.Kind == types.Char {
		v = types.FloatValue(toFloat(v))
	}
	if a.sum.IsNull() {
		a.sum = v
		if isIntKind(v.Kind) {
			a.sum = types.IntValue(types.BigInt, v.Int)
		}
		return
	}
	if s, err := arith(sql.OpAdd, a.sum, v); err == nil {
		a.sum = s
	}
}

// mergePartial folds in a compute node's partial result: a count, a sum,
// or a min/max. AVG arrives as a sum and a count.
func (a *aggState) mergePartial(sum, count types.Value) {
	switch a.fn {
	case "COUNT":
		a.count += count.Int
	case "MIN":
		if !sum.IsNull() && (a.best.IsNull() || types.Compare(sum, a.best) < 0) {
			a.best = sum
		}
	case "MAX":
		if !sum.IsNull() && (a.best.IsNull() || types.Compare(sum, a.best) > 0) {
			a.best = sum
		}
	case "SUM":
		if !sum.IsNull() {
			a.count++
			a.addSum(sum)
		}
	case "AVG":
		if !sum.IsNull() {
			a.addSum(sum)
		}
		a.count += count.Int
	}
}

func (a *aggState) result() types.Value {
	switch a.fn {
	case "COUNT":
		return types.IntValue(types.BigInt, a.count)
	case "MIN", "MAX":
		return a.best
	case "SUM":
		if a.count == 0 {
			return types.NullValue
		}
		return a.sum
	case "AVG":
		if a.count == 0 || a.sum.IsNull() {
			return types.NullValue
		}
		if a.sum.Kind == types.Decimal {
			if v, ok := decimalAvg(a.sum.Str, a.count); ok {
				return v
			}
		}
		return types.FloatValue(toFloat(a.sum) / float64(a.count))
	}
	return types.NullValue
}

// groupSet is the output of aggregation: groups in first-seen order.
type groupSet struct {
	sc    scope
	order []string
	m     map[string]*group
}

type group struct {
	first []types.Value
	accs  []*aggState
}

func (g *groupSet) get(key string, first []types.Value, aggCalls []*sql.FuncCall) *group {
	grp := g.m[key]
	if grp == nil {
		grp = &group{first: first}
		for _, f := range aggCalls {
			grp.accs = append(grp.accs, newAggState(f))
		}
		g.m[key] = grp
		g.order = append(g.order, key)
	}
	return grp
}

// aggregateSource groups a source's rows and computes the aggregates,
// letting the compute nodes pre-aggregate when the query allows it.
func (s *Session) aggregateSource(ctx context.Context, st *sql.SelectStmt, src *source, groupBy []sql.Expr, aggCalls []*sql.FuncCall) (*groupSet, error) {
	for _, f := range aggCalls {
		name := strings.ToUpper(f.Name)
		if f.Star && name != "COUNT" {
			return nil, at(f.At, "%s(*) is not valid", strings.ToLower(name))
		}
		if !f.Star && (len(f.Args) == 0 || (name != "COUNT" && len(f.Args) != 1)) {
			return nil, at(f.At, "No matching function with signature: %s", strings.ToLower(f.Name))
		}
	}
	if g, ok, err := s.pushedAggregate(ctx, src, groupBy, aggCalls); ok || err != nil {
		return g, err
	}
	gs := &groupSet{sc: src.sc, m: map[string]*group{}}
	err := src.feed(ctx, func(rows [][]types.Value) error {
		for _, row := range rows {
			en := &env{sc: src.sc, row: row}
			if st.Where != nil {
				v, err := s.eval(st.Where, en)
				if err != nil {
					return err
				}
				if v.IsNull() || !v.Bool() {
					continue
				}
			}
			keyVals := make([]types.Value, len(groupBy))
			for i, g := range groupBy {
				v, err := s.eval(g, en)
				if err != nil {
					return err
				}
				keyVals[i] = v
			}
			grp := gs.get(rowKey(keyVals), row, aggCalls)
			for i, f := range aggCalls {
				var vals []types.Value
				for _, arg := range f.Args {
					v, err := s.eval(arg, en)
					if err != nil {
						return err
					}
					vals = append(vals, v)
				}
				grp.accs[i].add(vals)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(groupBy) == 0 && len(gs.order) == 0 {
		// Aggregates over no rows still give one row.
		gs.get("", make([]types.Value, len(src.sc)), aggCalls)
	}
	return gs, nil
}

// pushedAggregate asks the compute nodes for partial aggregates when every
// WHERE conjunct was pushed down, every GROUP BY item is a column and every
// aggregate is COUNT(*), or COUNT/SUM/MIN/MAX/AVG of a column.
func (s *Session) pushedAggregate(ctx context.Context, src *source, groupBy []sql.Expr, aggCalls []*sql.FuncCall) (*groupSet, bool, error) {
	scan := src.olap
	if scan == nil || !scan.allPushed {
		return nil, false, nil
	}
	var gcols []int // table column indexes
	var gscope scope
	for _, g := range groupBy {
		cr, ok := g.(*sql.ColumnRef)
		if !ok {
			return nil, false, nil
		}
		i, err := src.sc.resolve(cr)
		if err != nil {
			return nil, false, nil
		}
		gcols = append(gcols, scan.cols[i])
		gscope = append(gscope, src.sc[i])
	}
	type slot struct{ sum, count int } // partial column offsets (-1: none)
	var aggs []rpc.Aggregate
	var slots []slot
	for _, f := range aggCalls {
		name := strings.ToUpper(f.Name)
		if f.Distinct {
			return nil, false, nil
		}
		if f.Star {
			aggs = append(aggs, rpc.Aggregate{Func: "COUNT", Column: -1})
			slots = append(slots, slot{sum: -1, count: len(aggs) - 1})
			continue
		}
		cr, ok := f.Args[0].(*sql.ColumnRef)
		if !ok || len(f.Args) != 1 {
			return nil, false, nil
		}
		i, err := src.sc.resolve(cr)
		if err != nil {
			return nil, false, nil
		}
		col := scan.cols[i]
		switch name {
		case "COUNT":
			aggs = append(aggs, rpc.Aggregate{Func: "COUNT", Column: col})
			slots = append(slots, slot{sum: -1, count: len(aggs) - 1})
		case "SUM", "MIN", "MAX":
			aggs = append(aggs, rpc.Aggregate{Func: name, Column: col})
			slots = append(slots, slot{sum: len(aggs) - 1, count: -1})
		case "AVG":
			aggs = append(aggs, rpc.Aggregate{Func: "SUM", Column: col}, rpc.Aggregate{Func: "COUNT", Column: col})
			slots = append(slots, slot{sum: len(aggs) - 2, count: len(aggs) - 1})
		default:
			return nil, false, nil
		}
	}
	gs := &groupSet{sc: gscope, m: map[string]*group{}}
	req := ScanRequest{Table: scan.table, Partitions: scan.parts, Columns: scan.cols, Predicates: scan.preds, GroupBy: gcols, Aggregates: aggs}
	err := s.eng.lake.Scan(ctx, req, func(rows [][]types.Value) error {
		for _, row := range rows {
			keyVals := row[:len(gcols)]
			partials := row[len(gcols):]
			grp := gs.get(rowKey(keyVals), append([]types.Value(nil), keyVals...), aggCalls)
			for i, sl := range slots {
				var sum, count types.Value
				if sl.sum >= 0 {
					sum = partials[sl.sum]
				}
				if sl.count >= 0 {
					count = partials[sl.count]
				}
				grp.accs[i].mergePartial(sum, count)
			}
		}
		return nil
	})
	if err != nil {
		return nil, true, err
	}
	if len(groupBy) == 0 && len(gs.order) == 0 {
		gs.get("", nil, aggCalls)
	}
	return gs, true, nil
}

// ratOf converts exact numeric values to a rational for comparisons and keys.
func ratOf(v types.Value) (*big.Rat, bool) {
	switch v.Kind {
	case types.Decimal, types.LargeInt:
		return new(big.Rat).SetString(v.Str)
	case types.Float, types.Double:
		return new(big.Rat).SetString(v.String())
	}
	return nil, false
}

// decimalAvg divides a DECIMAL sum by a count exactly, as StarRocks' AVG on
// DECIMAL does: the result is a DECIMAL whose scale is the argument's plus
// 6 (up to scale 6), 12 (up to 12) or the argument's, rounded half away
// from zero.
func decimalAvg(sum string, count int64) (types.Value, bool) {
	scale := 0
	if i := strings.IndexByte(sum, '.'); i >= 0 {
		scale = len(sum) - i - 1
	}
	digits, ok := new(big.Int).SetString(strings.Replace(sum, ".", "", 1), 10)
	if !ok || count <= 0 {
		return types.Value{}, false
	}
	rs := scale
	switch {
	case scale <= 6:
		rs = scale + 6
	case scale <= 12:
		rs = 12
	}
	num := new(big.Int).Mul(digits, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rs-scale)), nil))
	q, r := new(big.Int).QuoRem(num, big.NewInt(count), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(big.NewInt(count)) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	neg := q.Sign() < 0
	text := new(big.Int).Abs(q).String()
	for len(text) <= rs {
		text = "0" + text
	}
	if rs > 0 {
		text = text[:len(text)-rs] + "." + text[len(text)-rs:]
	}
	if neg {
		text = "-" + text
	}
	return types.TextValue(types.Decimal, text), true
}
