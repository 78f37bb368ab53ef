package sql

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrecedence(t *testing.T) {
	cases := []struct{ in, want string }{
		{"1 + 2 * 3", "(+ 1 (* 2 3))"},
		{"(1 + 2) * 3", "(* (+ 1 2) 3)"},
		{"1 - 2 - 3", "(- (- 1 2) 3)"},
		{"a / b % c DIV d MOD e", "(% (DIV (% (/ a b) c) d) e)"},
		{"a OR b AND c", "(OR a (AND b c))"},
		{"a || b && c", "(OR a (AND b c))"},
		{"a XOR b OR c", "(OR (XOR a b) c)"},
		{"a AND b XOR c", "(XOR (AND a b) c)"},
		{"NOT a AND b", "(AND (NOT a) b)"},
		{"NOT a = b", "(NOT (= a b))"},
		{"NOT NOT a", "(NOT (NOT a))"},
		{"!a + 1", "(+ (NOT a) 1)"},
		{"!a = b", "(= (NOT a) b)"},
		{"-a * b", "(* (- a) b)"},
		{"- - a", "(- (- a))"},
		{"-2", "-2"},
		{"- -2", "2"},
		{"+3.5", "3.5"},
		{"-a ^ b", "(^ (- a) b)"},
		{"a * b ^ c", "(* a (^ b c))"},
		{"~a & b | c", "(| (& (~ a) b) c)"},
		{"a | b & c", "(| a (& b c))"},
		{"a & b << 2", "(& a (<< b 2))"},
		{"a << 1 + 2", "(<< a (+ 1 2))"},
		{"a + 1 = b | c", "(= (+ a 1) (| b c))"},
		{"a = b = c", "(= (= a b) c)"},
		{"a <=> NULL", "(<=> a NULL)"},
		{"a <> b AND a != c", "(AND (!= a b) (!= a c))"},
		{"a < b OR a <= b OR a > b OR a >= b", "(OR (OR (OR (< a b) (<= a b)) (> a b)) (>= a b))"},
		{"a IS NULL", "(IS NULL a)"},
		{"a + 1 IS NOT NULL AND b IS TRUE", "(AND (IS NOT NULL (+ a 1)) (IS TRUE b))"},
		{"NOT a IS FALSE", "(NOT (IS FALSE a))"},
		{"a LIKE 'x%' ESCAPE '!'", "(LIKE a 'x%' '!')"},
		{"a NOT LIKE b || 'c'", "(OR (NOT LIKE a b) 'c')"},
		{"a NOT LIKE 'b' OR c", "(OR (NOT LIKE a 'b') c)"},
		{"a REGEXP '^x' AND b NOT RLIKE 'y'", "(AND (REGEXP a '^x') (NOT REGEXP b 'y'))"},
		{"a IN (1, 2, 3)", "(IN a [1 2 3])"},
		{"a + 1 NOT IN (b)", "(NOT IN (+ a 1) [b])"},
		{"a BETWEEN 1 AND 2 AND b", "(AND (BETWEEN a 1 2) b)"},
		{"a NOT BETWEEN b + 1 AND c * 2", "(NOT BETWEEN a (+ b 1) (* c 2))"},
		{"CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' END", "(case a (when 1 'x') (when 2 'y') (else nil))"},
		{"CASE WHEN a > 0 THEN 1 ELSE -1 END + 1", "(+ (case nil (when (> a 0) 1) (else -1)) 1)"},
		{"CAST(a + 1 AS BIGINT)", "(cast (+ a 1) BIGINT)"},
		{"cast(x as decimal(10, 3))", "(cast x DECIMAL(10,3))"},
		{"CAST(x AS SIGNED)", "(cast x BIGINT)"},
		{"CAST(x AS UNSIGNED INTEGER)", "(cast x LARGEINT)"},
		{"d + INTERVAL 1 DAY", "(+ d (interval 1 DAY))"},
		{"date_add(d, INTERVAL 2 + 1 month)", "(call date_add d (interval (+ 2 1) MONTH))"},
		{"COUNT(*)", "(call COUNT *)"},
		{"count(DISTINCT a, b)", "(call count DISTINCT a b)"},
		{"sum(ALL a)", "(call sum a)"},
		{"now()", "(call now)"},
		{"IF(a, b, c)", "(call IF a b c)"},
		{"left(s, 2) + mod(a, 3)", "(+ (call left s 2) (call mod a 3))"},
		{"`weird fn`(1)", "(call weird fn 1)"},
		{"CURRENT_TIMESTAMP", "(call CURRENT_TIMESTAMP)"},
		{"current_timestamp()", "(call current_timestamp)"},
		{"db.t.c + t.c + c", "(+ (+ db.t.c t.c) c)"},
		{"`a b`.`c``d`", "`a b`.`c``d`"},
		{"t.`select`", "t.`select`"},
		{"@v + @@x + @@session.y + @'q v'", "(+ (+ (+ @v @@x) @@session.y) @q v)"},
		{"DATE '2020-01-01' < TIMESTAMP '2020-01-01 00:00:00'", "(< DATE '2020-01-01' DATETIME '2020-01-01 00:00:00')"},
		{"date(dt) = DATETIME '2020-01-01'", "(= (call date dt) DATETIME '2020-01-01')"},
		{"date + 1", "(+ date 1)"},
		{"a*b+c*d", "(+ (* a b) (* c d))"},
		{"1--1", "1"},
		{"1 - -1", "(- 1 -1)"},
	}
	for _, c := range cases {
		e, err := ParseExpr(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, sexpr(e), c.in)
	}
}

func TestLiterals(t *testing.T) {
	cases := []struct {
		in   string
		want *Literal
	}{
		{"123", intLit("123")},
		{"123456789012345678901234567890", intLit("123456789012345678901234567890")},
		{"1.5", &Literal{Kind: LitDecimal, Val: "1.5"}},
		{".5", &Literal{Kind: LitDecimal, Val: ".5"}},
		{"1.", &Literal{Kind: LitDecimal, Val: "1."}},
		{"1e3", &Literal{Kind: LitFloat, Val: "1e3"}},
		{"1.5E-3", &Literal{Kind: LitFloat, Val: "1.5E-3"}},
		{".5e+2", &Literal{Kind: LitFloat, Val: ".5e+2"}},
		{"-7", intLit("-7")},
		{"'it''s'", str("it's")},
		{`"say ""hi"""`, str(`say "hi"`)},
		{`'a\nb\tc\\d\'e\"f\0g\Zh\%i\_j\qk'`, str("a\nb\tc\\d'e\"f\x00g\x1ah\\%i\\_jqk")},
		{`"it's"`, str("it's")},
		{"'日本'", str("日本")},
		{"NULL", nullLit()},
		{"null", nullLit()},
		{"TRUE", &Literal{Kind: LitBool, Val: "TRUE"}},
		{"false", &Literal{Kind: LitBool, Val: "FALSE"}},
		{"DATE '2020-01-02'", &Literal{Kind: LitDate, Val: "2020-01-02"}},
		{"datetime \"2020-01-02 03:04:05\"", &Literal{Kind: LitDatetime, Val: "2020-01-02 03:04:05"}},
		{"TIMESTAMP '2020-01-02 03:04:05'", &Literal{Kind: LitDatetime, Val: "2020-01-02 03:04:05"}},
	}
	for _, c := range cases {
		require.Equal(t, Expr(c.want), mustParseExpr(t, c.in), c.in)
	}
}

func TestColumnRefsAndIdentifiers(t *testing.T) {
	require.Equal(t, Expr(&ColumnRef{Db: "db", Table: "t", Name: "a"}), mustParseExpr(t, "db.t.a"))
	require.Equal(t, Expr(col("1a")), mustParseExpr(t, "1a"))
	require.Equal(t, Expr(col("a$b_1")), mustParseExpr(t, "a$b_1"))
	require.Equal(t, Expr(col("$x")), mustParseExpr(t, "$x"))
	require.Equal(t, Expr(col("a`b")), mustParseExpr(t, "`a``b`"))
	require.Equal(t, Expr(col("名前")), mustParseExpr(t, "名前"))
	require.Equal(t, Expr(tcol("t", "5a")), mustParseExpr(t, "t.5a"))
	require.Equal(t, Expr(col("UsEr")), mustParseExpr(t, "UsEr"))
	for _, w := range []string{"user", "comment", "type", "status", "role", "name", "value", "key", "date", "label",
		"version", "database", "tables", "data", "password", "system", "storage", "volume", "location", "force",
		"properties", "buckets", "hash", "random", "range", "duplicate", "aggregate", "unique", "primary", "engine",
		"sum", "max", "min", "replace", "start", "every", "less", "than", "maxvalue", "overwrite", "kill", "query",
		"connection", "admin", "recover", "truncate", "frontend", "backend", "compute", "node", "config", "off"} {
		require.Equal(t, Expr(col(w)), mustParseExpr(t, w), w)
	}
}

func TestExprString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a+1", "a + 1"},
		{"(a + 1) * 2", "(a + 1) * 2"},
		{"a - (b - c)", "a - (b - c)"},
		{"a - b - c", "a - b - c"},
		{"COUNT(*)", "count(*)"},
		{"Count(DISTINCT a)", "count(DISTINCT a)"},
		{"NOT (a AND b)", "NOT (a AND b)"},
		{"!a + 1", "(NOT a) + 1"},
		{"- (-a)", "- -a"},
		{"1 - -1", "1 - -1"},
		{"'it''s'", `'it\'s'`},
		{"a IS NOT NULL", "a IS NOT NULL"},
		{"a NOT IN (1, 2)", "a NOT IN (1, 2)"},
		{"a BETWEEN 1 AND 2", "a BETWEEN 1 AND 2"},
		{"a LIKE 'x' ESCAPE '#'", "a LIKE 'x' ESCAPE '#'"},
		{"a RLIKE 'x'", "a REGEXP 'x'"},
		{"CASE WHEN a THEN 1 END", "CASE WHEN a THEN 1 END"},
		{"CAST(a AS VARCHAR(3))", "CAST(a AS VARCHAR(3))"},
		{"d + INTERVAL 1 DAY", "d + INTERVAL 1 DAY"},
		{"@@LOCAL.x", "@@session.x"},
		{"`select` + `a b`", "`select` + `a b`"},
		{"DATE '2020-01-01'", "DATE '2020-01-01'"},
		{"? = ?", "? = ?"},
		{"a || b", "a OR b"},
	}
	for _, c := range cases {
		e, err := ParseExpr(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, e.String(), c.in)
		// The rendering parses back to the same shape.
		back, err := ParseExpr(e.String())
		require.NoError(t, err, e.String())
		require.Equal(t, strings.ToLower(sexpr(e)), strings.ToLower(sexpr(back)), c.in)
	}
}

func TestWalkExpr(t *testing.T) {
	e, err := ParseExpr("f(a, b + ?) IN (c, CASE d WHEN 1 THEN e END) AND x LIKE y ESCAPE z")
	require.NoError(t, err)
	var cols []string
	WalkExpr(e, func(x Expr) bool {
		if c, ok := x.(*ColumnRef); ok {
			cols = append(cols, c.Name)
		}
		return true
	})
	require.Equal(t, []string{"a", "b", "c", "d", "e", "x", "y", "z"}, cols)

	n := 0
	WalkExpr(e, func(x Expr) bool { n++; _, isIn := x.(*InExpr); return !isIn })
	require.Equal(t, 6, n) // AND, IN (children skipped), LIKE, x, y, z
}

// TestExpressionChainBound: a chain of operators parses up to maxChain
// operators per expression and is refused beyond, whatever the operator
// (evaluating it recurses once per operator); the bound is per
// expression, not per statement.
func TestExpressionChainBound(t *testing.T) {
	chain := func(first, op string, n int) string { return first + strings.Repeat(op, n) }
	for _, tc := range []struct {
		name, q string
		ok      bool
	}{
		{"plus at the bound", "SELECT " + chain("1", "+1", maxChain), true},
		{"plus beyond", "SELECT " + chain("1", "+1", maxChain+1), false},
		{"a million", "SELECT " + chain("1", "+1", 1000000), false},
		{"OR beyond", "SELECT * FROM t WHERE " + chain("a=1", " OR a=1", maxChain+1), false},
		{"comparisons beyond", "SELECT " + chain("1", "=1", maxChain+1), false},
		{"IS chain beyond", "SELECT " + chain("1", " IS NOT NULL", maxChain+1), false},
		{"per expression", "SELECT " + chain("1", "+1", maxChain) + ", " + chain("1", "+1", maxChain), true},
		{"a long IN list is not a chain", "SELECT 1 IN (" + chain("1", ",1", 100000) + ")", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.q)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "The expression has more than 10000 operators. Split it, or use IN for a long list of OR.")
		})
	}
}
