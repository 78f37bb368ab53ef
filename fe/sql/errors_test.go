package sql

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSyntaxErrors(t *testing.T) {
	const prefix = "Getting syntax error at line "
	cases := []struct {
		sql       string
		line, col int
		msg       string
	}{
		// missing FROM target
		{"SELECT * FROM", 1, 13, "Unexpected input '<EOF>', the most similar input is {a legal identifier}."},
		{"SELECT * FROM ;", 1, 14, "Unexpected input ';', the most similar input is {a legal identifier}."},
		// misspelled statement
		{"SELEC 1", 1, 0, "Unexpected input 'SELEC', the most similar input is {'SELECT', 'SET', 'DESC', 'ALTER', 'INSERT', ';'}."},
		{"DELETE FROM t", 1, 0, "Unexpected input 'DELETE', the most similar input is {'SELECT', 'DESCRIBE', 'SET', 'DESC', 'ALTER', ';'}."},
		// unterminated string, quoted identifier and comment; bad character
		{"SELECT 'abc", 1, 7, "Input ''abc' is not valid at this position."},
		{"SELECT a FROM t WHERE a = \"x\nAND b", 1, 26, "Input '\"x' is not valid at this position."},
		{"SELECT `abc", 1, 7, "Input '`abc' is not valid at this position."},
		{"SELECT 1 /* never closed", 1, 9, "Input '/* never closed' is not valid at this position."},
		{"SELECT {", 1, 7, "Input '{' is not valid at this position."},
		{"SELECT @@", 1, 7, "Input '@@' is not valid at this position."},
		// trailing comma in a column list
		{"CREATE TABLE t (a INT,)", 1, 22, "Unexpected input ')', the most similar input is {a legal identifier}."},
		{"CREATE TABLE t (a INT b INT)", 1, 22, "Unexpected input 'b', the most similar input is {',', ')'}."},
		// trailing garbage
		{"SELECT * FORM t", 1, 9, "Unexpected input 'FORM', the most similar input is {<EOF>, ';'}."},
		{"SELECT 1 FROM t xyz abc", 1, 20, "Unexpected input 'abc', the most similar input is {<EOF>, ';'}."},
		{"SHOW DATABASES extra", 1, 15, "Unexpected input 'extra', the most similar input is {<EOF>, ';'}."},
		{"SELECT 1 UNION SELECT 2", 1, 9, "Unexpected input 'UNION', the most similar input is {<EOF>, ';'}."},
		// the syntax error comes before a later lexical error
		{"SELECT * FORM t 'abc", 1, 9, "Unexpected input 'FORM', the most similar input is {<EOF>, ';'}."},
		// errors on later lines, in a later statement
		{"SELECT 1;\nSELECT a,\n  b frm t", 3, 8, "Unexpected input 't', the most similar input is {<EOF>, ';'}."},
		{"USE db;\nSELECT a\nFROM t WHERE", 3, 12, "Unexpected input '<EOF>', the most similar input is {a legal identifier}."},
		{"SELECT 1;\n\n   SELECT 'x", 3, 10, "Input ''x' is not valid at this position."},
		// reserved words are not identifiers
		{"CREATE DATABASE LIKE", 1, 16, "Unexpected input 'LIKE', the most similar input is {a legal identifier}."},
		{"SELECT a FROM select", 1, 14, "Unexpected input 'select', the most similar input is {a legal identifier}."},
		// expected keywords and symbols
		{"SELECT count(a", 1, 14, "Unexpected input '<EOF>', the most similar input is {',', ')'}."},
		{"SELECT a FROM t ORDER a", 1, 22, "Unexpected input 'a', the most similar input is {'BY'}."},
		{"SELECT a FROM t LIMIT x", 1, 22, "Unexpected input 'x', the most similar input is {INTEGER_VALUE}."},
		{"SHOW PROC x", 1, 10, "Unexpected input 'x', the most similar input is {SINGLE_QUOTED_TEXT, DOUBLE_QUOTED_TEXT}."},
		{"SHOW TABLEZ", 1, 5, "Unexpected input 'TABLEZ', the most similar input is {'TABLES', 'VARIABLES', 'DATABASES', 'ALL', 'ROLES'}."},
		{"CREATE TABLE t (a FOO)", 1, 18, "Unexpected input 'FOO', the most similar input is {'FLOAT', 'BOOLEAN', 'JSON', 'DOUBLE', 'TINYINT'}."},
		{"CREATE TABLE t (a INT) DISTRIBUTED BY hsh(a)", 1, 38, "Unexpected input 'hsh', the most similar input is {'HASH', 'RANDOM'}."},
		{"INSERT INTO t", 1, 13, "Unexpected input '<EOF>', the most similar input is {'SELECT', 'PARTITION', 'WITH', 'VALUES', '('}."},
		{"INSERT INTO t (a) x", 1, 18, "Unexpected input 'x', the most similar input is {'VALUES', 'SELECT'}."},
		{"GRANT SELECT TO jack", 1, 13, "Unexpected input 'TO', the most similar input is {'ON', ','}."},
		{"GRANT SELECT ON t", 1, 17, "Unexpected input '<EOF>', the most similar input is {'TO'}."},
		{"SET x", 1, 5, "Unexpected input '<EOF>', the most similar input is {'='}."},
		{"SELECT a IS b", 1, 12, "Unexpected input 'b', the most similar input is {'NOT', 'NULL', 'TRUE', 'FALSE', 'UNKNOWN'}."},
		{"ALTER TABLE t RENAME t2", 1, 14, "Unexpected input 'RENAME', the most similar input is {'ADD', 'SET', 'DROP', 'COMPACT'}."},
		// automated cluster snapshots: the volume is an identifier, not a string
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT", 1, 36, "Unexpected input '<EOF>', the most similar input is {'OFF', 'ON'}."},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ONN", 1, 37, "Unexpected input 'ONN', the most similar input is {'ON', 'OFF'}."},
		{"ADMIN SET AUTOMATED SNAPSHOT ON", 1, 20, "Unexpected input 'SNAPSHOT', the most similar input is {'CLUSTER'}."},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE", 1, 47, "Unexpected input '<EOF>', the most similar input is {'VOLUME'}."},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME", 1, 54, "Unexpected input '<EOF>', the most similar input is {a legal identifier}."},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME 'v'", 1, 55, "Unexpected input ''v'', the most similar input is {a legal identifier}."},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF STORAGE VOLUME v", 1, 41, "Unexpected input 'STORAGE', the most similar input is {<EOF>, ';'}."},
		{"ADMIN SHOW CLUSTER SNAPSHOT", 1, 11, "Unexpected input 'CLUSTER', the most similar input is {'AUTOMATED', 'FRONTEND'}."},
		{"ADMIN SHOW AUTOMATED CLUSTER SNAPSHOTS", 1, 29, "Unexpected input 'SNAPSHOTS', the most similar input is {'SNAPSHOT'}."},
		{"ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT x", 1, 38, "Unexpected input 'x', the most similar input is {<EOF>, ';'}."},
		// unsupported subqueries
		{"SELECT (SELECT 1)", 1, 8, "Input 'SELECT' is not valid at this position."},
		{"SELECT a FROM t WHERE a IN (SELECT 1)", 1, 28, "Input 'SELECT' is not valid at this position."},
		// numbers out of range where an integer is required
		{"KILL 99999999999999999999", 1, 5, "Input '99999999999999999999' is not valid at this position."},
		{"CREATE TABLE t (a VARCHAR(99999999999))", 1, 26, "Input '99999999999' is not valid at this position."},
	}
	for _, c := range cases {
		_, err := Parse(c.sql)
		require.Error(t, err, c.sql)
		var se *SyntaxError
		require.True(t, errors.As(err, &se), c.sql)
		require.Equal(t, c.line, se.Line, c.sql)
		require.Equal(t, c.col, se.Col, c.sql)
		require.Equal(t, c.msg, se.Msg, c.sql)
		require.Equal(t, prefix+itoa(c.line)+", column "+itoa(c.col)+". Detail message: "+c.msg, err.Error(), c.sql)
		require.Equal(t, Pos{c.line, c.col}, se.Pos())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBriefErrorExample(t *testing.T) {
	// The exact message quoted in the brief.
	_, err := Parse("USE db FORM x")
	require.EqualError(t, err, "Getting syntax error at line 1, column 7. Detail message: "+
		"Unexpected input 'FORM', the most similar input is {<EOF>, ';'}.")
	// A misspelled FROM after a select item is an alias, so the error is on
	// the word after it.
	_, err = Parse("SELECT a FORM t")
	require.EqualError(t, err, "Getting syntax error at line 1, column 14. Detail message: "+
		"Unexpected input 't', the most similar input is {<EOF>, ';'}.")
}

func TestDepthLimit(t *testing.T) {
	deep := "SELECT " + strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000)
	_, err := Parse(deep)
	require.Error(t, err)
	require.Contains(t, err.Error(), "Input '(' is not valid at this position. The statement nests expressions more than 500 levels deep.")

	_, err = Parse("SELECT " + strings.Repeat("NOT ", 10000) + "1")
	require.Error(t, err)
	_, err = Parse("SELECT " + strings.Repeat("- ", 10000) + "1")
	require.Error(t, err)

	// Every way of nesting is bounded, however deep (100000 levels), and
	// refused quickly: parentheses, functions, CASE, CAST, IN, in WHERE and
	// in VALUES, unclosed.
	const n = 100000
	for name, q := range map[string]string{
		"parentheses": "SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"unclosed":    "SELECT " + strings.Repeat("(", n),
		"functions":   "SELECT " + strings.Repeat("abs(", n) + "1" + strings.Repeat(")", n),
		"case":        "SELECT " + strings.Repeat("CASE WHEN 1 THEN ", n) + "1" + strings.Repeat(" END", n),
		"cast":        "SELECT " + strings.Repeat("CAST(", n) + "1" + strings.Repeat(" AS INT)", n),
		"in":          "SELECT 1 IN (" + strings.Repeat("1 IN (", n) + "1" + strings.Repeat(")", n) + ")",
		"where":       "SELECT * FROM t WHERE " + strings.Repeat("(", n) + "a=1" + strings.Repeat(")", n),
		"values":      "INSERT INTO t VALUES (" + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + ")",
		"date_add":    "SELECT " + strings.Repeat("DATE_ADD(", n) + "'2020-01-01'" + strings.Repeat(", INTERVAL 1 DAY)", n),
	} {
		_, err := Parse(q)
		require.ErrorContains(t, err, "The statement nests expressions more than 500 levels deep.", name)
	}

	// A long IN list is no nesting: 200000 items parse.
	st, err := ParseOne("SELECT 1 IN (" + strings.Repeat("1,", 200000) + "2)")
	require.NoError(t, err)
	require.Len(t, st.(*SelectStmt).Items[0].Expr.(*InExpr).List, 200001)

	ok := "SELECT " + strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100)
	_, err = Parse(ok)
	require.NoError(t, err)
}

func TestErrorConstants(t *testing.T) {
	require.Equal(t, 1064, ErrCodeParse)
	require.Equal(t, "42000", SQLStateSyntax)
}

func TestJaroWinkler(t *testing.T) {
	// Values computed with Apache commons-text JaroWinklerSimilarity.
	require.InDelta(t, 1.0, jaroWinklerSimilarity([]rune("abc"), []rune("abc")), 1e-9)
	require.InDelta(t, 0.0, jaroWinklerSimilarity([]rune("abc"), []rune("xyz")), 1e-9)
	require.InDelta(t, 0.9611, jaroWinklerSimilarity([]rune("MARTHA"), []rune("MARHTA")), 1e-4)
	require.InDelta(t, 0.8133, jaroWinklerSimilarity([]rune("DIXON"), []rune("DICKSONX")), 1e-4)
	// StarRocks ranks "'SELECT'" closest to "ELECT" among statement keywords.
	require.Less(t, jaroWinklerDistance("'SELECT'", "ELECT"), jaroWinklerDistance("'SET'", "ELECT"))
}
