package query

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
)

// source is the FROM of a SELECT: a scope naming its columns and a feed of
// row batches in that shape. A feed stops early when fn returns errStopFeed.
type source struct {
	sc   scope
	feed func(ctx context.Context, fn func(rows [][]types.Value) error) error
	// olap is set when the rows come from a table on the compute nodes,
	// which can filter and pre-aggregate for the FE.
	olap *olapScan
}

// olapScan is a scan of a table's partitions at their visible versions.
type olapScan struct {
	table *catalog.Table
	parts []*catalog.Partition
	// cols are the table columns in the scope, in order.
	cols  []int
	preds []rpc.Predicate
	// allPushed: every WHERE conjunct became a predicate.
	allPushed bool
}

var errStopFeed = errors.New("stop feed")

func rowsSource(sc scope, rows [][]types.Value) *source {
	return &source{sc: sc, feed: func(_ context.Context, fn func([][]types.Value) error) error {
		if len(rows) == 0 {
			return nil
		}
		return fn(rows)
	}}
}

func (s *Session) execSelect(ctx context.Context, st *sql.SelectStmt) (*Result, error) {
	src, err := s.selectFrom(st)
	if err != nil {
		return nil, err
	}
	return s.runSelect(ctx, st, src)
}

// selectFrom resolves FROM into a source.
func (s *Session) selectFrom(st *sql.SelectStmt) (*source, error) {
	switch from := st.From.(type) {
	case nil:
		return rowsSource(nil, [][]types.Value{{}}), nil
	case *sql.TableRef:
		tn := from.Name
		if tn.Catalog != "" && tn.Catalog != catalog.InternalCatalog {
			return nil, at(tn.At, "Unknown catalog '%s'", tn.Catalog)
		}
		alias := tn.Name
		if from.Alias != "" {
			alias = from.Alias
		}
		if isInfoSchema(tn.Db, s.db) {
			t := infoSchemaTables()[strings.ToLower(tn.Name)]
			if t == nil {
				return nil, errUnknownTable(tn.At, infoSchemaDB+"."+tn.Name)
			}
			sc := make(scope, len(t.cols))
			for i, c := range t.cols {
				sc[i] = scopeCol{db: infoSchemaDB, table: alias, name: c.Name, typ: c.Type}
			}
			return rowsSource(sc, t.rows(s)), nil
		}
		dbName, err := s.resolveDB(tn.At, tn.Db)
		if err != nil {
			return nil, err
		}
		cat := s.eng.cat
		if cat.DB(dbName) == nil {
			return nil, errUnknownDB(tn.At, dbName)
		}
		t := cat.Table(dbName, tn.Name)
		if t == nil {
			return nil, errUnknownTable(tn.At, dbName+"."+tn.Name)
		}
		if err := s.requireTable(dbName, t.Name, catalog.PrivSelect); err != nil {
			return nil, err
		}
		return s.tableSource(st, dbName, t, alias)
	}
	return nil, errNotSupported(st.From.Pos(), "JOIN")
}

// tableSource scans only the columns the query uses, prunes partitions and
// pushes simple WHERE conjuncts down to the compute nodes.
func (s *Session) tableSource(st *sql.SelectStmt, db string, t *catalog.Table, alias string) (*source, error) {
	full := make(scope, len(t.Columns))
	for i, c := range t.Columns {
		full[i] = scopeCol{db: db, table: alias, name: c.Name, typ: c.Type}
	}
	used := map[int]bool{}
	mark := func(e sql.Expr) error {
		var err error
		sql.WalkExpr(e, func(x sql.Expr) bool {
			if cr, ok := x.(*sql.ColumnRef); ok && err == nil {
				var i int
				if i, err = full.resolve(cr); err == nil {
					used[i] = true
				}
			}
			return true
		})
		return err
	}
	for _, it := range st.Items {
		if it.Star {
			for i := range full {
				used[i] = true
			}
			continue
		}
		if err := mark(it.Expr); err != nil {
			return nil, err
		}
	}
	for _, e := range append(append([]sql.Expr{st.Where, st.Having}, st.GroupBy...), orderExprs(st)...) {
		if e != nil {
			// ORDER/GROUP BY may name select aliases; unresolved names are
			// checked later against the select list.
			_ = mark(e)
		}
	}
	var cols []int
	for i := range full {
		if used[i] {
			cols = append(cols, i)
		}
	}
	sc := make(scope, len(cols))
	for k, i := range cols {
		sc[k] = full[i]
	}
	scan := &olapScan{table: t, cols: cols}
	conj := conjuncts(st.Where)
	scan.preds, scan.allPushed = pushablePredicates(conj, full, t)
	scan.parts = prunePartitions(t, conj, full)
	src := &source{sc: sc, olap: scan}
	src.feed = func(ctx context.Context, fn func([][]types.Value) error) error {
		return s.eng.lake.Scan(ctx, ScanRequest{Table: t, Partitions: scan.parts, Columns: cols, Predicates: scan.preds}, fn)
	}
	return src, nil
}

func orderExprs(st *sql.SelectStmt) []sql.Expr {
	var out []sql.Expr
	for _, o := range st.OrderBy {
		out = append(out, o.Expr)
	}
	return out
}

// conjuncts splits a WHERE into its AND terms.
func conjuncts(e sql.Expr) []sql.Expr {
	if e == nil {
		return nil
	}
	if b, ok := e.(*sql.BinaryExpr); ok && b.Op == sql.OpAnd {
		return append(conjuncts(b.L), conjuncts(b.R)...)
	}
	return []sql.Expr{e}
}

// outCol is one output column of the select list.
type outCol struct {
	name string
	expr sql.Expr // nil for columns expanded from *
	idx  int      // input column index for star-expanded columns
	typ  types.Type
}

// runSelect applies the SELECT pipeline to a source: WHERE, GROUP BY and
// aggregates, HAVING, the select list, DISTINCT, ORDER BY, LIMIT. Rows
// stream through; only groups and output rows are kept.
func (s *Session) runSelect(ctx context.Context, st *sql.SelectStmt, src *source) (*Result, error) {
	sc := src.sc
	var outs []outCol
	for _, it := range st.Items {
		if it.Star {
			matched := false
			for i, c := range sc {
				if it.StarTable != nil && !strings.EqualFold(c.table, it.StarTable.Name) {
					continue
				}
				outs = append(outs, outCol{name: c.name, idx: i, typ: c.typ})
				matched = true
			}
			if !matched {
				return nil, at(it.At, "Unknown table '%s'", starName(it))
			}
			continue
		}
		name := it.Alias
		if name == "" {
			name = it.Text
			if cr, ok := it.Expr.(*sql.ColumnRef); ok {
				name = cr.Name
			}
		}
		outs = append(outs, outCol{name: name, expr: it.Expr, idx: -1})
	}
	check := func(e sql.Expr) error {
		var err error
		sql.WalkExpr(e, func(x sql.Expr) bool {
			if err != nil {
				return false
			}
			if cr, ok := x.(*sql.ColumnRef); ok {
				_, err = sc.resolve(cr)
			}
			return true
		})
		return err
	}
	aliases := map[string]sql.Expr{}
	for _, o := range outs {
		if o.expr != nil {
			if err := check(o.expr); err != nil {
				return nil, err
			}
			aliases[strings.ToLower(o.name)] = o.expr
		}
	}
	if st.Where != nil {
		if err := check(st.Where); err != nil {
			return nil, err
		}
		var bad *sql.FuncCall
		sql.WalkExpr(st.Where, func(x sql.Expr) bool {
			if f, ok := x.(*sql.FuncCall); ok && isAggregate(f.Name) && bad == nil {
				bad = f
			}
			return true
		})
		if bad != nil {
			return nil, at(bad.At, "WHERE clause cannot contain aggregations")
		}
	}
	groupBy := make([]sql.Expr, len(st.GroupBy))
	for i, g := range st.GroupBy {
		groupBy[i] = resolveOrderExpr(g, outs, aliases, sc)
		if groupBy[i] == nil {
			return nil, at(g.Pos(), "Group by position is out of range")
		}
		if err := check(groupBy[i]); err != nil {
			return nil, err
		}
	}
	orderBy := make([]sql.Expr, len(st.OrderBy))
	for i, o := range st.OrderBy {
		orderBy[i] = resolveOrderExpr(o.Expr, outs, aliases, sc)
		if orderBy[i] == nil {
			return nil, at(o.At, "ORDER BY position is out of range")
		}
	}
	var aggCalls []*sql.FuncCall
	collect := func(e sql.Expr) {
		sql.WalkExpr(e, func(x sql.Expr) bool {
			if f, ok := x.(*sql.FuncCall); ok && isAggregate(f.Name) {
				aggCalls = append(aggCalls, f)
				return false
			}
			return true
		})
	}
	for _, o := range outs {
		if o.expr != nil {
			collect(o.expr)
		}
	}
	if st.Having != nil {
		collect(st.Having)
	}
	for _, e := range orderBy {
		collect(e)
	}
	grouped := len(groupBy) > 0 || len(aggCalls) > 0
	if grouped {
		if err := checkGrouping(outs, groupBy, st.Having, sc); err != nil {
			return nil, err
		}
	}

	type outRow struct {
		vals []types.Value
		keys []types.Value
	}
	var result []outRow
	emit := func(en *env, first []types.Value) error {
		if st.Having != nil {
			v, err := s.eval(st.Having, en)
			if err != nil {
				return err
			}
			if v.IsNull() || !v.Bool() {
				return nil
			}
		}
		r := outRow{vals: make([]types.Value, len(outs))}
		for i, o := range outs {
			if o.expr == nil {
				r.vals[i] = first[o.idx]
				continue
			}
			v, err := s.eval(o.expr, en)
			if err != nil {
				return err
			}
			r.vals[i] = v
		}
		for _, e := range orderBy {
			v, err := s.eval(e, en)
			if err != nil {
				return err
			}
			r.keys = append(r.keys, v)
		}
		result = append(result, r)
		return nil
	}

	switch {
	case !grouped:
		// Without ORDER BY or DISTINCT, LIMIT can stop the scan early.
		stopAt := int64(-1)
		if st.Limit != nil && len(orderBy) == 0 && !st.Distinct && st.Having == nil {
			stopAt = st.Limit.Offset + st.Limit.Count
		}
		err := src.feed(ctx, func(rows [][]types.Value) error {
			for _, row := range rows {
				if st.Where != nil {
					v, err := s.eval(st.Where, &env{sc: sc, row: row})
					if err != nil {
						return err
					}
					if v.IsNull() || !v.Bool() {
						continue
					}
				}
				if err := emit(&env{sc: sc, row: row}, row); err != nil {
					return err
				}
				if stopAt >= 0 && int64(len(result)) >= stopAt {
					return errStopFeed
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopFeed) {
			return nil, err
		}
	default:
		groups, err := s.aggregateSource(ctx, st, src, groupBy, aggCalls)
		if err != nil {
			return nil, err
		}
		for _, g := range groups.order {
			grp := groups.m[g]
			aggs := map[*sql.FuncCall]types.Value{}
			for i, f := range aggCalls {
				aggs[f] = grp.accs[i].result()
			}
			if err := emit(&env{sc: groups.sc, row: grp.first, aggs: aggs}, grp.first); err != nil {
				return nil, err
			}
		}
	}

	if st.Distinct {
		seen := map[string]bool{}
		var kept []outRow
		for _, r := range result {
			k := rowKey(r.vals)
			if !seen[k] {
				seen[k] = true
				kept = append(kept, r)
			}
		}
		result = kept
	}
	if len(orderBy) > 0 {
		slices.SortStableFunc(result, func(a, b outRow) int {
			for i, o := range st.OrderBy {
				c := compareNullsFirst(a.keys[i], b.keys[i])
				if o.Desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	if st.Limit != nil {
		off := min(int(st.Limit.Offset), len(result))
		result = result[off:]
		if int64(len(result)) > st.Limit.Count {
			result = result[:st.Limit.Count]
		}
	}
	res := &Result{}
	for i, o := range outs {
		t := o.typ
		if o.expr != nil {
			t = s.staticType(o.expr, sc)
			for _, r := range result {
				if !r.vals[i].IsNull() {
					t = typeOfValue(r.vals[i], t)
					break
				}
			}
		}
		res.Columns = append(res.Columns, Column{Name: o.name, Type: t})
	}
	for _, r := range result {
		res.Rows = append(res.Rows, r.vals)
	}
	return res, nil
}

func starName(it *sql.SelectItem) string {
	if it.StarTable != nil {
		return it.StarTable.Name
	}
	return "*"
}

// resolveOrderExpr maps an ORDER/GROUP BY item to an expression: an ordinal
// picks a select item, a bare name that is not a column picks an alias.
func resolveOrderExpr(e sql.Expr, outs []outCol, aliases map[string]sql.Expr, sc scope) sql.Expr {
	if l, ok := e.(*sql.Literal); ok && l.Kind == sql.LitInt {
		n, err := strconv.Atoi(l.Val)
		if err != nil || n < 1 || n > len(outs) {
			return nil
		}
		o := outs[n-1]
		if o.expr != nil {
			return o.expr
		}
		c := sc[o.idx]
		return &sql.ColumnRef{At: l.At, Table: c.table, Name: c.name}
	}
	if cr, ok := e.(*sql.ColumnRef); ok && cr.Table == "" {
		if a, ok := aliases[strings.ToLower(cr.Name)]; ok {
			if _, err := sc.resolve(cr); err != nil {
				return a
			}
		}
	}
	return e
}

// checkGrouping rejects select items that use a column neither grouped nor
// aggregated, as StarRocks does.
func checkGrouping(outs []outCol, groupBy []sql.Expr, having sql.Expr, sc scope) error {
	grouped := map[string]bool{}
	for _, g := range groupBy {
		grouped[strings.ToLower(g.String())] = true
		if cr, ok := g.(*sql.ColumnRef); ok {
			if i, err := sc.resolve(cr); err == nil {
				grouped["#"+strconv.Itoa(i)] = true
			}
		}
	}
	var bad sql.Expr
	visit := func(e sql.Expr) {
		sql.WalkExpr(e, func(x sql.Expr) bool {
			if bad != nil {
				return false
			}
			if grouped[strings.ToLower(x.String())] {
				return false
			}
			switch v := x.(type) {
			case *sql.FuncCall:
				if isAggregate(v.Name) {
					return false
				}
			case *sql.ColumnRef:
				if i, err := sc.resolve(v); err == nil && grouped["#"+strconv.Itoa(i)] {
					return false
				}
				bad = v
				return false
			}
			return true
		})
	}
	for _, o := range outs {
		if o.expr == nil {
			return at(sql.Pos{}, "SELECT * is not allowed with GROUP BY or aggregate functions")
		}
		visit(o.expr)
	}
	if having != nil {
		visit(having)
	}
	if bad != nil {
		return at(bad.Pos(), "'%s' must be an aggregate expression or appear in GROUP BY clause", bad.String())
	}
	return nil
}

// rowKey is a grouping key for values: equal values give equal keys.
func rowKey(vals []types.Value) string {
	var b strings.Builder
	for _, v := range vals {
		b.WriteString(valueKey(v))
		b.WriteByte(0)
	}
	return b.String()
}

// valueKey is a grouping key for a value: equal values give equal keys.
func valueKey(v types.Value) string {
	switch {
	case v.IsNull():
		return "\x01N"
	case isIntKind(v.Kind):
		return "n" + strconv.FormatInt(v.Int, 10)
	case v.Kind == types.Varchar || v.Kind == types.Char:
		return "s" + v.Str
	}
	if r, ok := ratOf(v); ok {
		return "n" + r.RatString()
	}
	return "s" + v.String()
}

// compareNullsFirst orders values with NULL first, as StarRocks sorts ascending.
func compareNullsFirst(a, b types.Value) int {
	switch {
	case a.IsNull() && b.IsNull():
		return 0
	case a.IsNull():
		return -1
	case b.IsNull():
		return 1
	}
	return types.Compare(a, b)
}

// filterRow evaluates a WHERE over a row of a result with the given columns.
func (s *Session) filterRow(where sql.Expr, cols []Column, row []types.Value) (bool, error) {
	sc := make(scope, len(cols))
	for i, c := range cols {
		sc[i] = scopeCol{name: c.Name, typ: c.Type}
	}
	v, err := s.eval(where, &env{sc: sc, row: row})
	if err != nil {
		return false, err
	}
	return !v.IsNull() && v.Bool(), nil
}

// typeOfValue is the column type to report for a value, keeping a declared
// type's length when kinds agree.
func typeOfValue(v types.Value, declared types.Type) types.Type {
	if declared.Kind == v.Kind {
		return declared
	}
	switch v.Kind {
	case types.Varchar, types.Char:
		return types.VarcharOf(max(len(v.Str), 1))
	case types.Decimal:
		return types.DecimalOf(38, scaleOf(v))
	}
	return types.Type{Kind: v.Kind}
}

// staticType infers an expression's type without data.
func (s *Session) staticType(e sql.Expr, sc scope) types.Type {
	switch x := e.(type) {
	case *sql.ColumnRef:
		if i, err := sc.resolve(x); err == nil {
			return sc[i].typ
		}
	case *sql.Literal:
		if v, err := literalValue(x); err == nil {
			return typeOfValue(v, types.Type{})
		}
	case *sql.FuncCall:
		name := strings.ToUpper(x.Name)
		switch name {
		case "MIN", "MAX":
			if len(x.Args) == 1 {
				return s.staticType(x.Args[0], sc)
			}
		case "SUM":
			if len(x.Args) == 1 {
				t := s.staticType(x.Args[0], sc)
				switch {
				case t.IsInteger():
					return types.TBigInt
				case t.Kind == types.Decimal:
					return types.DecimalOf(38, t.Scale)
				}
				return types.TDouble
			}
		}
		return funcType(name)
	case *sql.BinaryExpr:
		switch x.Op {
		case sql.OpAdd, sql.OpSub, sql.OpMul, sql.OpMod, sql.OpIntDiv:
			return types.TBigInt
		case sql.OpDiv:
			return types.TDouble
		}
		return types.TBoolean
	case *sql.IsExpr, *sql.LikeExpr, *sql.InExpr, *sql.BetweenExpr:
		return types.TBoolean
	case *sql.CastExpr:
		if t, err := castType(x.Type); err == nil {
			return t
		}
	case *sql.VariableExpr:
		if d, ok := s.eng.vars.lookup(x.Name); ok && d.kind == types.BigInt {
			return types.TBigInt
		}
	}
	return types.VarcharOf(256)
}
