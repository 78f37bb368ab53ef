package query

import (
	"crypto/md5"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/types"
)

// callFunc evaluates a scalar function call.
func (s *Session) callFunc(f *sql.FuncCall, en *env) (types.Value, error) {
	name := strings.ToUpper(f.Name)
	args := make([]types.Value, len(f.Args))
	for i, a := range f.Args {
		if _, ok := a.(*sql.IntervalExpr); ok {
			continue // evaluated by the date functions themselves
		}
		v, err := s.eval(a, en)
		if err != nil {
			return types.Value{}, err
		}
		args[i] = v
	}
	nargs := func(lo, hi int) error {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return at(f.At, "No matching function with signature: %s(%d arguments)", strings.ToLower(f.Name), len(args))
		}
		return nil
	}
	anyNull := func() bool {
		for _, a := range args {
			if a.IsNull() {
				return true
			}
		}
		return false
	}
	now := time.Now()
	switch name {
	case "DATABASE", "SCHEMA":
		if s.db == "" {
			return types.NullValue, nil
		}
		return types.StringValue(s.db), nil
	case "USER", "SESSION_USER", "SYSTEM_USER":
		return types.StringValue("'" + s.user + "'@'" + s.host + "'"), nil
	case "CURRENT_USER":
		return types.StringValue(s.ident.String()), nil
	case "CURRENT_ROLE":
		if len(s.roles) == 0 {
			return types.StringValue("NONE"), nil
		}
		return types.StringValue(strings.Join(s.roles, ", ")), nil
	case "VERSION":
		return types.StringValue(s.eng.vars.getGlobal("version")), nil
	case "CURRENT_VERSION":
		return types.StringValue(s.eng.versionComment), nil
	case "CONNECTION_ID":
		return types.IntValue(types.BigInt, int64(s.connID)), nil
	case "LAST_INSERT_ID":
		return types.IntValue(types.BigInt, 0), nil
	case "NOW", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP", "SYSDATE":
		return types.TextValue(types.DateTime, now.Format("2006-01-02 15:04:05")), nil
	case "CURDATE", "CURRENT_DATE":
		return types.TextValue(types.Date, now.Format("2006-01-02")), nil
	case "CURTIME", "CURRENT_TIME":
		return types.StringValue(now.Format("15:04:05")), nil
	case "UNIX_TIMESTAMP":
		if len(args) == 0 {
			return types.IntValue(types.BigInt, now.Unix()), nil
		}
		if anyNull() {
			return types.NullValue, nil
		}
		t, err := types.ParseTime(args[0].String())
		if err != nil {
			return types.NullValue, nil
		}
		return types.IntValue(types.BigInt, t.Unix()), nil
	case "CONCAT":
		if anyNull() {
			return types.NullValue, nil
		}
		n := 0
		for _, a := range args {
			n += len(a.String())
		}
		if err := checkResultLen(f, n); err != nil {
			return types.Value{}, err
		}
		var b strings.Builder
		for _, a := range args {
			b.WriteString(a.String())
		}
		return types.StringValue(b.String()), nil
	case "CONCAT_WS":
		if err := nargs(1, -1); err != nil {
			return types.Value{}, err
		}
		if args[0].IsNull() {
			return types.NullValue, nil
		}
		var parts []string
		n := 0
		for _, a := range args[1:] {
			if !a.IsNull() {
				parts = append(parts, a.String())
				n += len(a.String()) + len(args[0].String())
			}
		}
		if err := checkResultLen(f, n); err != nil {
			return types.Value{}, err
		}
		return types.StringValue(strings.Join(parts, args[0].String())), nil
	case "LENGTH", "OCTET_LENGTH":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		return types.IntValue(types.Int, int64(len(args[0].String()))), nil
	case "CHAR_LENGTH", "CHARACTER_LENGTH":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		return types.IntValue(types.Int, int64(len([]rune(args[0].String())))), nil
	case "UPPER", "UCASE":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		return types.StringValue(strings.ToUpper(args[0].String())), nil
	case "LOWER", "LCASE":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		return types.StringValue(strings.ToLower(args[0].String())), nil
	case "TRIM", "LTRIM", "RTRIM":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		v := args[0].String()
		switch name {
		case "TRIM":
			v = strings.TrimSpace(v)
		case "LTRIM":
			v = strings.TrimLeft(v, " \t\r\n")
		default:
			v = strings.TrimRight(v, " \t\r\n")
		}
		return types.StringValue(v), nil
	case "SUBSTR", "SUBSTRING":
		if err := nargs(2, 3); err != nil || anyNull() {
			return types.NullValue, err
		}
		r := []rune(args[0].String())
		pos, _ := toInt(args[1])
		n := int64(len(r))
		if len(args) == 3 {
			n, _ = toInt(args[2])
		}
		start := pos - 1
		if pos < 0 {
			start = int64(len(r)) + pos
		}
		if pos == 0 || start < 0 || start >= int64(len(r)) || n <= 0 {
			return types.StringValue(""), nil
		}
		end := min(start+n, int64(len(r)))
		return types.StringValue(string(r[start:end])), nil
	case "REPLACE":
		if err := nargs(3, 3); err != nil || anyNull() {
			return types.NullValue, err
		}
		str, from, to := args[0].String(), args[1].String(), args[2].String()
		if from != "" && len(to) > len(from) {
			if err := checkResultLen(f, len(str)+strings.Count(str, from)*(len(to)-len(from))); err != nil {
				return types.Value{}, err
			}
		}
		return types.StringValue(strings.ReplaceAll(str, from, to)), nil
	case "IFNULL", "NVL":
		if err := nargs(2, 2); err != nil {
			return types.Value{}, err
		}
		if args[0].IsNull() {
			return args[1], nil
		}
		return args[0], nil
	case "COALESCE":
		for _, a := range args {
			if !a.IsNull() {
				return a, nil
			}
		}
		return types.NullValue, nil
	case "IF":
		if err := nargs(3, 3); err != nil {
			return types.Value{}, err
		}
		if !args[0].IsNull() && args[0].Bool() {
			return args[1], nil
		}
		return args[2], nil
	case "NULLIF":
		if err := nargs(2, 2); err != nil {
			return types.Value{}, err
		}
		if !args[0].IsNull() && !args[1].IsNull() && types.Compare(args[0], args[1]) == 0 {
			return types.NullValue, nil
		}
		return args[0], nil
	case "ABS":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		if isIntKind(args[0].Kind) {
			n := args[0].Int
			if n < 0 {
				n = -n
			}
			return types.IntValue(types.BigInt, n), nil
		}
		return types.FloatValue(math.Abs(toFloat(args[0]))), nil
	case "ROUND", "FLOOR", "CEIL", "CEILING", "TRUNCATE":
		if err := nargs(1, 2); err != nil || anyNull() {
			return types.NullValue, err
		}
		f := toFloat(args[0])
		d := int64(0)
		if len(args) == 2 {
			d, _ = toInt(args[1])
		}
		p := math.Pow(10, float64(d))
		switch name {
		case "ROUND":
			f = math.Round(f*p) / p
		case "FLOOR":
			return types.IntValue(types.BigInt, int64(math.Floor(f))), nil
		case "CEIL", "CEILING":
			return types.IntValue(types.BigInt, int64(math.Ceil(f))), nil
		case "TRUNCATE":
			f = math.Trunc(f*p) / p
		}
		if d == 0 {
			return types.IntValue(types.BigInt, int64(f)), nil
		}
		return types.FloatValue(f), nil
	case "MOD":
		if err := nargs(2, 2); err != nil || anyNull() {
			return types.NullValue, err
		}
		return arith(sql.OpMod, args[0], args[1])
	case "GREATEST", "LEAST":
		if err := nargs(1, -1); err != nil || anyNull() {
			return types.NullValue, err
		}
		best := args[0]
		for _, a := range args[1:] {
			c := types.Compare(a, best)
			if (name == "GREATEST" && c > 0) || (name == "LEAST" && c < 0) {
				best = a
			}
		}
		return best, nil
	case "YEAR", "MONTH", "DAY", "DAYOFMONTH", "HOUR", "MINUTE", "SECOND", "DATE", "TO_DATE":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		t, err := types.ParseTime(args[0].String())
		if err != nil {
			return types.NullValue, nil
		}
		switch name {
		case "YEAR":
			return types.IntValue(types.Int, int64(t.Year())), nil
		case "MONTH":
			return types.IntValue(types.Int, int64(t.Month())), nil
		case "DAY", "DAYOFMONTH":
			return types.IntValue(types.Int, int64(t.Day())), nil
		case "HOUR":
			return types.IntValue(types.Int, int64(t.Hour())), nil
		case "MINUTE":
			return types.IntValue(types.Int, int64(t.Minute())), nil
		case "SECOND":
			return types.IntValue(types.Int, int64(t.Second())), nil
		}
		return types.TextValue(types.Date, t.Format("2006-01-02")), nil
	case "DATE_ADD", "ADDDATE", "DATE_SUB", "SUBDATE", "DAYS_ADD", "DAYS_SUB":
		if err := nargs(2, 2); err != nil {
			return types.Value{}, err
		}
		if args[0].IsNull() {
			return types.NullValue, nil
		}
		unit, n := "DAY", int64(0)
		if iv, ok := f.Args[1].(*sql.IntervalExpr); ok {
			v, err := s.eval(iv.Value, en)
			if err != nil || v.IsNull() {
				return types.NullValue, err
			}
			unit = iv.Unit
			n, _ = toInt(v)
		} else {
			n, _ = toInt(args[1])
		}
		if strings.HasSuffix(name, "SUB") || name == "SUBDATE" {
			n = -n
		}
		return addInterval(args[0], n, unit)
	case "MD5":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		sum := md5.Sum([]byte(args[0].String()))
		return types.StringValue(hex.EncodeToString(sum[:])), nil
	case "HEX":
		if err := nargs(1, 1); err != nil || anyNull() {
			return types.NullValue, err
		}
		if isIntKind(args[0].Kind) {
			return types.StringValue(strings.ToUpper(strconv.FormatInt(args[0].Int, 16))), nil
		}
		if err := checkResultLen(f, 2*len(args[0].String())); err != nil {
			return types.Value{}, err
		}
		return types.StringValue(strings.ToUpper(hex.EncodeToString([]byte(args[0].String())))), nil
	}
	return types.Value{}, at(f.At, "No matching function with signature: %s", strings.ToLower(f.Name))
}

// funcType is the static result type of a scalar function, for column
// metadata of empty results.
func funcType(name string) types.Type {
	switch strings.ToUpper(name) {
	case "CONNECTION_ID", "LAST_INSERT_ID", "UNIX_TIMESTAMP", "FLOOR", "CEIL", "CEILING", "COUNT":
		return types.TBigInt
	case "LENGTH", "CHAR_LENGTH", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND":
		return types.TInt
	case "NOW", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP", "SYSDATE":
		return types.TDateTime
	case "CURDATE", "CURRENT_DATE", "DATE", "TO_DATE":
		return types.TDate
	case "AVG":
		return types.TDouble
	}
	return types.VarcharOf(256)
}

// MaxStringResult bounds the strings functions build (StarRocks' longest
// VARCHAR, 1048576 bytes): functions whose result grows with their
// arguments (CONCAT, CONCAT_WS, REPLACE, HEX), nested, would otherwise
// grow without bound from a short statement. The length is checked before
// the result is built.
const MaxStringResult = 1048576

func checkResultLen(f *sql.FuncCall, n int) error {
	if n > MaxStringResult {
		return at(f.At, "The result of %s is longer than %d bytes, the maximum length of a VARCHAR",
			strings.ToLower(f.Name), MaxStringResult)
	}
	return nil
}
