package query

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/types"
)

// scopeCol is a column visible to expressions: its table qualifier (alias
// or table name), database, name and type.
type scopeCol struct {
	db, table, name string
	typ             types.Type
}

// scope is the list of columns an expression may reference.
type scope []scopeCol

// resolve finds the column a reference names. Names compare
// case-insensitively, as StarRocks resolves columns.
func (sc scope) resolve(ref *sql.ColumnRef) (int, error) {
	found := -1
	for i, c := range sc {
		if !strings.EqualFold(c.name, ref.Name) {
			continue
		}
		if ref.Table != "" && !strings.EqualFold(c.table, ref.Table) {
			continue
		}
		if ref.Db != "" && !strings.EqualFold(c.db, ref.Db) {
			continue
		}
		if found >= 0 {
			return -1, at(ref.At, "Column '%s' is ambiguous", ref.Name)
		}
		found = i
	}
	if found < 0 {
		name := ref.Name
		if ref.Table != "" {
			name = "`" + ref.Table + "`.`" + ref.Name + "`"
		}
		return -1, atCode(ref.At, sqlerr.ErParse, sqlerr.StateGeneral, "Column '%s' cannot be resolved", name)
	}
	return found, nil
}

// env is what an expression is evaluated against: one row of a scope, and
// for grouped queries the values of the aggregate calls for the group.
type env struct {
	sc   scope
	row  []types.Value
	aggs map[*sql.FuncCall]types.Value
}

// isAggregate reports whether name is an aggregate function.
func isAggregate(name string) bool {
	switch strings.ToUpper(name) {
	case "COUNT", "SUM", "MIN", "MAX", "AVG":
		return true
	}
	return false
}

func boolVal(b bool) types.Value { return types.BoolValue(b) }

// eval evaluates e.
func (s *Session) eval(e sql.Expr, en *env) (types.Value, error) {
	switch x := e.(type) {
	case *sql.Literal:
		return literalValue(x)
	case *sql.ColumnRef:
		if en == nil {
			return types.Value{}, atCode(x.At, sqlerr.ErParse, sqlerr.StateGeneral, "Column '%s' cannot be resolved", x.Name)
		}
		i, err := en.sc.resolve(x)
		if err != nil {
			return types.Value{}, err
		}
		return en.row[i], nil
	case *sql.VariableExpr:
		return s.variable(x)
	case *sql.ParamExpr:
		return types.Value{}, at(x.At, "Unbound parameter")
	case *sql.UnaryExpr:
		v, err := s.eval(x.X, en)
		if err != nil || v.IsNull() {
			return types.NullValue, err
		}
		switch x.Op {
		case sql.OpNot:
			return boolVal(!v.Bool()), nil
		case sql.OpNeg:
			return arith(sql.OpSub, types.IntValue(types.BigInt, 0), v)
		case sql.OpPlus:
			return v, nil
		case sql.OpBitNot:
			n, _ := toInt(v)
			return types.IntValue(types.BigInt, ^n), nil
		}
	case *sql.BinaryExpr:
		return s.evalBinary(x, en)
	case *sql.IsExpr:
		v, err := s.eval(x.X, en)
		if err != nil {
			return types.Value{}, err
		}
		var r bool
		switch x.What {
		case sql.IsNull, sql.IsUnknown:
			r = v.IsNull()
		case sql.IsTrue:
			r = !v.IsNull() && v.Bool()
		case sql.IsFalse:
			r = !v.IsNull() && !v.Bool()
		}
		return boolVal(r != x.Not), nil
	case *sql.LikeExpr:
		v, err := s.eval(x.X, en)
		if err != nil {
			return types.Value{}, err
		}
		p, err := s.eval(x.Pattern, en)
		if err != nil {
			return types.Value{}, err
		}
		if v.IsNull() || p.IsNull() {
			return types.NullValue, nil
		}
		var m bool
		if x.Regexp {
			re, err := regexp.Compile(p.String())
			if err != nil {
				return types.Value{}, at(x.At, "Invalid regular expression '%s'", p.String())
			}
			m = re.MatchString(v.String())
		} else {
			m = likeMatch(v.String(), p.String(), false)
		}
		return boolVal(m != x.Not), nil
	case *sql.InExpr:
		v, err := s.eval(x.X, en)
		if err != nil {
			return types.Value{}, err
		}
		if v.IsNull() {
			return types.NullValue, nil
		}
		if set, err := s.inSet(x); err != nil {
			return types.Value{}, err
		} else if set != nil {
			switch {
			case set.Contains(v):
				return boolVal(!x.Not), nil
			case set.HasNull():
				return types.NullValue, nil
			}
			return boolVal(x.Not), nil
		}
		sawNull := false
		for _, item := range x.List {
			iv, err := s.eval(item, en)
			if err != nil {
				return types.Value{}, err
			}
			if iv.IsNull() {
				sawNull = true
				continue
			}
			if types.Compare(v, iv) == 0 {
				return boolVal(!x.Not), nil
			}
		}
		if sawNull {
			return types.NullValue, nil
		}
		return boolVal(x.Not), nil
	case *sql.BetweenExpr:
		v, err := s.eval(x.X, en)
		if err != nil {
			return types.Value{}, err
		}
		lo, err := s.eval(x.Low, en)
		if err != nil {
			return types.Value{}, err
		}
		hi, err := s.eval(x.High, en)
		if err != nil {
			return types.Value{}, err
		}
		if v.IsNull() || lo.IsNull() || hi.IsNull() {
			return types.NullValue, nil
		}
		in := types.Compare(v, lo) >= 0 && types.Compare(v, hi) <= 0
		return boolVal(in != x.Not), nil
	case *sql.CaseExpr:
		var operand types.Value
		if x.Operand != nil {
			v, err := s.eval(x.Operand, en)
			if err != nil {
				return types.Value{}, err
			}
			operand = v
		}
		for _, w := range x.Whens {
			c, err := s.eval(w.Cond, en)
			if err != nil {
				return types.Value{}, err
			}
			hit := false
			if x.Operand != nil {
				hit = !operand.IsNull() && !c.IsNull() && types.Compare(operand, c) == 0
			} else {
				hit = !c.IsNull() && c.Bool()
			}
			if hit {
				return s.eval(w.Result, en)
			}
		}
		if x.Else != nil {
			return s.eval(x.Else, en)
		}
		return types.NullValue, nil
	case *sql.CastExpr:
		v, err := s.eval(x.X, en)
		if err != nil || v.IsNull() {
			return types.NullValue, err
		}
		t, err := castType(x.Type)
		if err != nil {
			return types.Value{}, err
		}
		out, err := types.ParseValue(t, v.String())
		if err != nil {
			// StarRocks casts that fail yield NULL.
			return types.NullValue, nil
		}
		return out, nil
	case *sql.FuncCall:
		if en != nil && en.aggs != nil {
			if v, ok := en.aggs[x]; ok {
				return v, nil
			}
		}
		if isAggregate(x.Name) {
			return types.Value{}, at(x.At, "%s is an aggregate function and cannot be used here", strings.ToLower(x.Name))
		}
		return s.callFunc(x, en)
	case *sql.DefaultExpr:
		return types.Value{}, at(x.At, "DEFAULT is not valid here")
	case *sql.IntervalExpr:
		return types.Value{}, at(x.At, "INTERVAL is only valid in date arithmetic")
	}
	return types.Value{}, at(e.Pos(), "Unsupported expression %s", e.String())
}

// resolveType turns a parsed type into a minirocks type. Integer display
// widths (INT(11)) are accepted and ignored, as StarRocks does.
func resolveType(td *sql.TypeDef) (types.Type, error) {
	switch td.Name {
	case "JSON", "BITMAP", "HLL", "BINARY", "VARBINARY":
		return types.Type{}, at(td.At, "Type %s is not supported by minirocks", td.Name)
	}
	var args []int
	switch {
	case td.HasScale:
		args = []int{td.Precision, td.Scale}
	case td.HasPrecision:
		args = []int{td.Precision}
	case td.HasLen && (td.Name == "CHAR" || td.Name == "VARCHAR"):
		args = []int{td.Len}
	}
	t, err := types.FromName(td.Name, args)
	if err != nil {
		return types.Type{}, at(td.At, "%v", err)
	}
	return t, nil
}

func castType(td *sql.TypeDef) (types.Type, error) {
	t, err := resolveType(td)
	if err != nil {
		return types.Type{}, err
	}
	if t.Kind == types.Varchar || t.Kind == types.Char {
		t.Len = 0 // CAST to a string never fails for length
	}
	return t, nil
}

// literalValue converts a literal to a value.
func literalValue(l *sql.Literal) (types.Value, error) {
	switch l.Kind {
	case sql.LitNull:
		return types.NullValue, nil
	case sql.LitBool:
		return boolVal(l.Val == "TRUE"), nil
	case sql.LitInt:
		if n, err := strconv.ParseInt(l.Val, 10, 64); err == nil {
			return types.IntValue(types.BigInt, n), nil
		}
		return types.TextValue(types.LargeInt, l.Val), nil
	case sql.LitDecimal:
		return types.TextValue(types.Decimal, l.Val), nil
	case sql.LitFloat:
		f, err := strconv.ParseFloat(l.Val, 64)
		if err != nil {
			return types.Value{}, at(l.At, "Invalid number %s", l.Val)
		}
		return types.FloatValue(f), nil
	case sql.LitString:
		return types.StringValue(l.Val), nil
	case sql.LitDate:
		v, err := types.ParseValue(types.TDate, l.Val)
		if err != nil {
			return types.Value{}, at(l.At, "Incorrect date value %s", l.Val)
		}
		return v, nil
	case sql.LitDatetime:
		v, err := types.ParseValue(types.TDateTime, l.Val)
		if err != nil {
			return types.Value{}, at(l.At, "Incorrect datetime value %s", l.Val)
		}
		return v, nil
	}
	return types.Value{}, at(l.At, "Unsupported literal")
}

func (s *Session) evalBinary(x *sql.BinaryExpr, en *env) (types.Value, error) {
	l, err := s.eval(x.L, en)
	if err != nil {
		return types.Value{}, err
	}
	// Short-circuit logic with SQL's three-valued semantics.
	switch x.Op {
	case sql.OpAnd:
		if !l.IsNull() && !l.Bool() {
			return boolVal(false), nil
		}
		r, err := s.eval(x.R, en)
		if err != nil {
			return types.Value{}, err
		}
		if !r.IsNull() && !r.Bool() {
			return boolVal(false), nil
		}
		if l.IsNull() || r.IsNull() {
			return types.NullValue, nil
		}
		return boolVal(true), nil
	case sql.OpOr:
		if !l.IsNull() && l.Bool() {
			return boolVal(true), nil
		}
		r, err := s.eval(x.R, en)
		if err != nil {
			return types.Value{}, err
		}
		if !r.IsNull() && r.Bool() {
			return boolVal(true), nil
		}
		if l.IsNull() || r.IsNull() {
			return types.NullValue, nil
		}
		return boolVal(false), nil
	}
	if iv, ok := x.R.(*sql.IntervalExpr); ok {
		return s.dateArith(x, l, iv, en)
	}
	r, err := s.eval(x.R, en)
	if err != nil {
		return types.Value{}, err
	}
	if x.Op == sql.OpNullEq {
		if l.IsNull() || r.IsNull() {
			return boolVal(l.IsNull() && r.IsNull()), nil
		}
		return boolVal(types.Compare(l, r) == 0), nil
	}
	if l.IsNull() || r.IsNull() {
		return types.NullValue, nil
	}
	switch x.Op {
	case sql.OpXor:
		return boolVal(l.Bool() != r.Bool()), nil
	case sql.OpEq:
		return boolVal(types.Compare(l, r) == 0), nil
	case sql.OpNe:
		return boolVal(types.Compare(l, r) != 0), nil
	case sql.OpLt:
		return boolVal(types.Compare(l, r) < 0), nil
	case sql.OpLe:
		return boolVal(types.Compare(l, r) <= 0), nil
	case sql.OpGt:
		return boolVal(types.Compare(l, r) > 0), nil
	case sql.OpGe:
		return boolVal(types.Compare(l, r) >= 0), nil
	case sql.OpBitAnd, sql.OpBitOr, sql.OpBitXor, sql.OpShl, sql.OpShr:
		a, _ := toInt(l)
		b, _ := toInt(r)
		var n int64
		switch x.Op {
		case sql.OpBitAnd:
			n = a & b
		case sql.OpBitOr:
			n = a | b
		case sql.OpBitXor:
			n = a ^ b
		case sql.OpShl:
			n = a << uint(b)
		case sql.OpShr:
			n = a >> uint(b)
		}
		return types.IntValue(types.BigInt, n), nil
	}
	return arith(x.Op, l, r)
}

func (s *Session) dateArith(x *sql.BinaryExpr, l types.Value, iv *sql.IntervalExpr, en *env) (types.Value, error) {
	n, err := s.eval(iv.Value, en)
	if err != nil || l.IsNull() || n.IsNull() {
		return types.NullValue, err
	}
	k, _ := toInt(n)
	if x.Op == sql.OpSub {
		k = -k
	} else if x.Op != sql.OpAdd {
		return types.Value{}, at(x.At, "INTERVAL is only valid with + and -")
	}
	return addInterval(l, k, iv.Unit)
}

func addInterval(v types.Value, n int64, unit string) (types.Value, error) {
	t, err := types.ParseTime(v.String())
	if err != nil {
		return types.NullValue, nil
	}
	switch unit {
	case "YEAR":
		t = addMonths(t, 12*int(n))
	case "QUARTER":
		t = addMonths(t, 3*int(n))
	case "MONTH":
		t = addMonths(t, int(n))
	case "WEEK":
		t = t.AddDate(0, 0, 7*int(n))
	case "DAY":
		t = t.AddDate(0, 0, int(n))
	case "HOUR":
		t = t.Add(time.Duration(n) * time.Hour)
	case "MINUTE":
		t = t.Add(time.Duration(n) * time.Minute)
	case "SECOND":
		t = t.Add(time.Duration(n) * time.Second)
	case "MILLISECOND":
		t = t.Add(time.Duration(n) * time.Millisecond)
	case "MICROSECOND":
		t = t.Add(time.Duration(n) * time.Microsecond)
	}
	if v.Kind == types.Date && (unit == "YEAR" || unit == "QUARTER" || unit == "MONTH" || unit == "WEEK" || unit == "DAY") {
		return types.TextValue(types.Date, t.Format("2006-01-02")), nil
	}
	return types.TextValue(types.DateTime, types.FormatDateTime(t)), nil
}

// addMonths adds n months, clamping the day to the end of the target month
// as SQL does (Jan 31 + 1 month is Feb 28 or 29).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

func toInt(v types.Value) (int64, bool) {
	switch v.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int, types.BigInt:
		return v.Int, true
	case types.Float, types.Double:
		return int64(v.Float), true
	}
	r, ok := new(big.Rat).SetString(strings.TrimSpace(v.Str))
	if !ok {
		return 0, false
	}
	f, _ := r.Float64()
	return int64(f), true
}

func toFloat(v types.Value) float64 {
	switch v.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int, types.BigInt:
		return float64(v.Int)
	case types.Float, types.Double:
		return v.Float
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.Str), 64)
	if err != nil {
		return 0
	}
	return f
}

func isIntKind(k types.Kind) bool {
	switch k {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int, types.BigInt:
		return true
	}
	return false
}

func isExact(v types.Value) bool {
	return isIntKind(v.Kind) || v.Kind == types.Decimal || v.Kind == types.LargeInt
}

func scaleOf(v types.Value) int {
	if v.Kind != types.Decimal {
		return 0
	}
	if i := strings.IndexByte(v.Str, '.'); i >= 0 {
		return len(v.Str) - i - 1
	}
	return 0
}

// arith applies + - * / % DIV with StarRocks' result types: integer for
// integer operands (except /, which gives DOUBLE), DECIMAL when a decimal
// takes part, DOUBLE otherwise.
func arith(op sql.BinaryOp, l, r types.Value) (types.Value, error) {
	if isIntKind(l.Kind) && isIntKind(r.Kind) {
		a, b := l.Int, r.Int
		switch op {
		case sql.OpAdd:
			return types.IntValue(types.BigInt, a+b), nil
		case sql.OpSub:
			return types.IntValue(types.BigInt, a-b), nil
		case sql.OpMul:
			return types.IntValue(types.BigInt, a*b), nil
		case sql.OpDiv:
			if b == 0 {
				return types.NullValue, nil
			}
			return types.FloatValue(float64(a) / float64(b)), nil
		case sql.OpIntDiv:
			if b == 0 {
				return types.NullValue, nil
			}
			return types.IntValue(types.BigInt, a/b), nil
		case sql.OpMod:
			if b == 0 {
				return types.NullValue, nil
			}
			return types.IntValue(types.BigInt, a%b), nil
		}
	}
	if isExact(l) && isExact(r) && op != sql.OpDiv {
		a, ok1 := new(big.Rat).SetString(l.String())
		b, ok2 := new(big.Rat).SetString(r.String())
		if ok1 && ok2 {
			res := new(big.Rat)
			scale := max(scaleOf(l), scaleOf(r))
			switch op {
			case sql.OpAdd:
				res.Add(a, b)
			case sql.OpSub:
				res.Sub(a, b)
			case sql.OpMul:
				res.Mul(a, b)
				scale = scaleOf(l) + scaleOf(r)
			case sql.OpIntDiv, sql.OpMod:
				if b.Sign() == 0 {
					return types.NullValue, nil
				}
				q := new(big.Rat).Quo(a, b)
				qi := new(big.Int).Quo(q.Num(), q.Denom())
				if op == sql.OpIntDiv {
					return types.TextValue(types.LargeInt, qi.String()), nil
				}
				res.Sub(a, new(big.Rat).Mul(new(big.Rat).SetInt(qi), b))
			}
			if scale == 0 && l.Kind != types.Decimal && r.Kind != types.Decimal {
				if res.IsInt() && res.Num().IsInt64() {
					return types.IntValue(types.BigInt, res.Num().Int64()), nil
				}
				return types.TextValue(types.LargeInt, res.FloatString(0)), nil
			}
			return types.TextValue(types.Decimal, res.FloatString(scale)), nil
		}
	}
	a, b := toFloat(l), toFloat(r)
	var f float64
	switch op {
	case sql.OpAdd:
		f = a + b
	case sql.OpSub:
		f = a - b
	case sql.OpMul:
		f = a * b
	case sql.OpDiv:
		if b == 0 {
			return types.NullValue, nil
		}
		f = a / b
	case sql.OpIntDiv:
		if b == 0 {
			return types.NullValue, nil
		}
		return types.IntValue(types.BigInt, int64(a/b)), nil
	case sql.OpMod:
		if b == 0 {
			return types.NullValue, nil
		}
		f = math.Mod(a, b)
	default:
		return types.Value{}, fmt.Errorf("unsupported operator %s", op)
	}
	return types.FloatValue(f), nil
}

// likeMatch matches s against a SQL LIKE pattern (% and _, backslash
// escapes); fold makes it case-insensitive, as SHOW ... LIKE is.
func likeMatch(s, pattern string, fold bool) bool {
	var b strings.Builder
	if fold {
		b.WriteString("(?is)^")
	} else {
		b.WriteString("(?s)^")
	}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '\\':
			if i+1 < len(pattern) {
				i++
				b.WriteString(regexp.QuoteMeta(string(pattern[i])))
			} else {
				b.WriteString(`\\`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(s)
}

// inSet is the hashed list of an IN whose items are all literals (nil for
// a short list or one with other expressions), built once per statement:
// a long list over many rows costs each row one lookup.
func (s *Session) inSet(x *sql.InExpr) (*types.ValueSet, error) {
	if len(x.List) < 8 {
		return nil, nil
	}
	if set, ok := s.inSets[x]; ok {
		return set, nil
	}
	vals := make([]types.Value, len(x.List))
	for i, item := range x.List {
		if _, ok := item.(*sql.Literal); !ok {
			return nil, nil
		}
		v, err := s.eval(item, nil)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if s.inSets == nil {
		s.inSets = map[*sql.InExpr]*types.ValueSet{}
	}
	set := types.NewValueSet(vals)
	s.inSets[x] = set
	return set, nil
}
