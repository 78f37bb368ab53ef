package query

import (
	"context"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"minirocks/fe/catalog"
	"minirocks/fe/sql"
	"minirocks/types"
)

// relation is a set of rows with a scope naming its columns: the input of
// the SELECT pipeline (WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, select list).
type relation struct {
	sc   scope
	rows [][]types.Value
}

func (s *Session) execSelect(ctx context.Context, st *sql.SelectStmt) (*Result, error) {
	rel, err := s.selectFrom(ctx, st)
	if err != nil {
		return nil, err
	}
	return s.runSelect(st, rel)
}

// selectFrom produces the FROM relation.
func (s *Session) selectFrom(_ context.Context, st *sql.SelectStmt) (*relation, error) {
	switch from := st.From.(type) {
	case nil:
		return &relation{rows: [][]types.Value{{}}}, nil
	case *sql.TableRef:
		tn := from.Name
		if tn.Catalog != "" && tn.Catalog != catalog.InternalCatalog {
			return nil, at(tn.At, "Unknown catalog '%s'", tn.Catalog)
		}
		if isInfoSchema(tn.Db, s.db) {
			t := infoSchemaTables()[strings.ToLower(tn.Name)]
			if t == nil {
				return nil, errUnknownTable(tn.At, infoSchemaDB+"."+tn.Name)
			}
			alias := tn.Name
			if from.Alias != "" {
				alias = from.Alias
			}
			sc := make(scope, len(t.cols))
			for i, c := range t.cols {
				sc[i] = scopeCol{db: infoSchemaDB, table: alias, name: c.Name, typ: c.Type}
			}
			return &relation{sc: sc, rows: t.rows(s)}, nil
		}
		dbName, err := s.resolveDB(tn.At, tn.Db)
		if err != nil {
			return nil, err
		}
		cat := s.eng.meta.Catalog()
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
		return s.scanTable(dbName, t, from.Alias)
	}
	return nil, errNotSupported(st.From.Pos(), "JOIN")
}

// scanTable reads a table's visible rows. Table data arrives with the
// compute nodes; until then every table is empty.
func (s *Session) scanTable(db string, t *catalog.Table, alias string) (*relation, error) {
	if alias == "" {
		alias = t.Name
	}
	sc := make(scope, len(t.Columns))
	for i, c := range t.Columns {
		sc[i] = scopeCol{db: db, table: alias, name: c.Name, typ: c.Type}
	}
	return &relation{sc: sc}, nil
}

// outCol is one output column of the select list.
type outCol struct {
	name string
	expr sql.Expr // nil for columns expanded from *
	idx  int      // input column index for star-expanded columns
	typ  types.Type
}

// runSelect applies the SELECT pipeline to rel.
func (s *Session) runSelect(st *sql.SelectStmt, rel *relation) (*Result, error) {
	// Expand the select list.
	var outs []outCol
	for _, it := range st.Items {
		if it.Star {
			matched := false
			for i, c := range rel.sc {
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
	// Validate column references up front so errors do not depend on data.
	check := func(e sql.Expr) error {
		var err error
		sql.WalkExpr(e, func(x sql.Expr) bool {
			if err != nil {
				return false
			}
			if cr, ok := x.(*sql.ColumnRef); ok {
				_, err = rel.sc.resolve(cr)
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
	}

	// WHERE.
	rows := rel.rows
	if st.Where != nil {
		var kept [][]types.Value
		for _, r := range rows {
			v, err := s.eval(st.Where, &env{sc: rel.sc, row: r})
			if err != nil {
				return nil, err
			}
			if !v.IsNull() && v.Bool() {
				kept = append(kept, r)
			}
		}
		rows = kept
	}

	// Resolve GROUP BY items: an ordinal or an alias of the select list.
	groupBy := make([]sql.Expr, len(st.GroupBy))
	for i, g := range st.GroupBy {
		groupBy[i] = resolveOrderExpr(g, outs, aliases, rel.sc)
		if groupBy[i] == nil {
			return nil, at(g.Pos(), "Group by position is out of range")
		}
	}
	orderBy := make([]sql.Expr, len(st.OrderBy))
	for i, o := range st.OrderBy {
		orderBy[i] = resolveOrderExpr(o.Expr, outs, aliases, rel.sc)
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
	if st.Where != nil {
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

	// Each output row carries its sort keys.
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

	if !grouped {
		for _, row := range rows {
			if err := emit(&env{sc: rel.sc, row: row}, row); err != nil {
				return nil, err
			}
		}
	} else {
		if err := checkGrouping(outs, groupBy, st.Having, rel.sc); err != nil {
			return nil, err
		}
		type group struct {
			first []types.Value
			rows  [][]types.Value
		}
		var order []string
		groups := map[string]*group{}
		for _, row := range rows {
			key := ""
			for _, g := range groupBy {
				v, err := s.eval(g, &env{sc: rel.sc, row: row})
				if err != nil {
					return nil, err
				}
				key += valueKey(v) + "\x00"
			}
			g := groups[key]
			if g == nil {
				g = &group{first: row}
				groups[key] = g
				order = append(order, key)
			}
			g.rows = append(g.rows, row)
		}
		if len(groupBy) == 0 && len(groups) == 0 {
			// Aggregates over no rows still give one row.
			groups[""] = &group{first: make([]types.Value, len(rel.sc))}
			order = append(order, "")
		}
		for _, k := range order {
			g := groups[k]
			aggs := map[*sql.FuncCall]types.Value{}
			for _, f := range aggCalls {
				v, err := s.aggregate(f, rel.sc, g.rows)
				if err != nil {
					return nil, err
				}
				aggs[f] = v
			}
			if err := emit(&env{sc: rel.sc, row: g.first, aggs: aggs}, g.first); err != nil {
				return nil, err
			}
		}
	}

	if st.Distinct {
		seen := map[string]bool{}
		var kept []outRow
		for _, r := range result {
			k := ""
			for _, v := range r.vals {
				k += valueKey(v) + "\x00"
			}
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
			t = s.staticType(o.expr, rel.sc)
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
	var visit func(e sql.Expr)
	visit = func(e sql.Expr) {
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

// aggregate computes one aggregate call over a group's rows.
func (s *Session) aggregate(f *sql.FuncCall, sc scope, rows [][]types.Value) (types.Value, error) {
	name := strings.ToUpper(f.Name)
	if f.Star {
		if name != "COUNT" {
			return types.Value{}, at(f.At, "%s(*) is not valid", strings.ToLower(name))
		}
		return types.IntValue(types.BigInt, int64(len(rows))), nil
	}
	if len(f.Args) == 0 || (name != "COUNT" && len(f.Args) != 1) {
		return types.Value{}, at(f.At, "No matching function with signature: %s", strings.ToLower(f.Name))
	}
	seen := map[string]bool{}
	var count int64
	var best types.Value
	sum := new(big.Rat)
	var fsum float64
	floating, decimal := false, false
	scale := 0
	for _, r := range rows {
		vals := make([]types.Value, len(f.Args))
		null := false
		for i, a := range f.Args {
			v, err := s.eval(a, &env{sc: sc, row: r})
			if err != nil {
				return types.Value{}, err
			}
			vals[i] = v
			null = null || v.IsNull()
		}
		if null {
			continue
		}
		if f.Distinct {
			k := ""
			for _, v := range vals {
				k += valueKey(v) + "\x00"
			}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		v := vals[0]
		count++
		switch name {
		case "MIN":
			if best.IsNull() || types.Compare(v, best) < 0 {
				best = v
			}
		case "MAX":
			if best.IsNull() || types.Compare(v, best) > 0 {
				best = v
			}
		case "SUM", "AVG":
			switch v.Kind {
			case types.Float, types.Double:
				floating = true
				fsum += v.Float
			case types.Varchar, types.Char:
				floating = true
				fsum += toFloat(v)
			default:
				if v.Kind == types.Decimal {
					decimal = true
					scale = max(scale, scaleOf(v))
				}
				if r, ok := new(big.Rat).SetString(v.String()); ok {
					sum.Add(sum, r)
				}
			}
		}
	}
	switch name {
	case "COUNT":
		return types.IntValue(types.BigInt, count), nil
	case "MIN", "MAX":
		return best, nil
	case "SUM":
		if count == 0 {
			return types.NullValue, nil
		}
		if floating {
			f, _ := sum.Float64()
			return types.FloatValue(f + fsum), nil
		}
		if decimal {
			return types.TextValue(types.Decimal, sum.FloatString(scale)), nil
		}
		if sum.Num().IsInt64() {
			return types.IntValue(types.BigInt, sum.Num().Int64()), nil
		}
		return types.TextValue(types.LargeInt, sum.FloatString(0)), nil
	case "AVG":
		if count == 0 {
			return types.NullValue, nil
		}
		f, _ := sum.Float64()
		return types.FloatValue((f + fsum) / float64(count)), nil
	}
	return types.Value{}, at(f.At, "Unsupported aggregate %s", name)
}

// valueKey is a grouping key for a value: equal values give equal keys.
func valueKey(v types.Value) string {
	if v.IsNull() {
		return "\x01N"
	}
	if r, ok := new(big.Rat).SetString(v.String()); ok && (v.Kind != types.Varchar && v.Kind != types.Char) {
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
