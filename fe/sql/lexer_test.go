package sql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// lexDump renders the tokens of src as "kind:val@line:col" strings.
func lexDump(src string) []string {
	names := map[tokKind]string{tkEOF: "EOF", tkErr: "ERR", tkWord: "W", tkQIdent: "Q", tkString: "S", tkInt: "I",
		tkDecimal: "D", tkFloat: "F", tkUserVar: "U", tkSysVar: "V", tkParam: "P", tkOp: "O"}
	var out []string
	for _, t := range tokenize(src) {
		val := t.val
		if t.kind == tkSysVar && t.scope != ScopeDefault {
			val = string(t.scope) + "." + val
		}
		if t.kind == tkErr {
			val = t.err.Msg
		}
		out = append(out, fmt.Sprintf("%s:%s@%d:%d", names[t.kind], val, t.pos.Line, t.pos.Col))
	}
	return out
}

func TestLexer(t *testing.T) {
	cases := []struct {
		src  string
		want string
	}{
		{"SELECT a1, `b``c`, 'x', \"y\" FROM t", "W:SELECT@1:0 W:a1@1:7 O:,@1:9 Q:b`c@1:11 O:,@1:17 S:x@1:19 O:,@1:22 S:y@1:24 W:FROM@1:28 W:t@1:33 EOF:@1:34"},
		{"1 1.5 .5 1. 1e3 1E+3 1.5e-3 .5e2 12ab 1e3x 1ea", "I:1@1:0 D:1.5@1:2 D:.5@1:6 D:1.@1:9 F:1e3@1:12 F:1E+3@1:16 F:1.5e-3@1:21 F:.5e2@1:28 W:12ab@1:33 W:1e3x@1:38 W:1ea@1:43 EOF:@1:46"},
		{"t.5a t.b db.t.c .5a", "W:t@1:0 O:.@1:1 W:5a@1:2 W:t@1:5 O:.@1:6 W:b@1:7 W:db@1:9 O:.@1:11 W:t@1:12 O:.@1:13 W:c@1:14 O:.@1:16 W:5a@1:17 EOF:@1:19"},
		{"a -- comment\nb # hash\nc /* block\n */ d --\ne", "W:a@1:0 W:b@2:0 W:c@3:0 W:d@4:4 W:e@5:0 EOF:@5:1"},
		{"/*!40101 SET NAMES utf8 */ SELECT /*+ SET_VAR(query_timeout=1) */ 1", "W:SELECT@1:27 I:1@1:66 EOF:@1:67"},
		{"= != <> < <= > >= <=> + - * / % ( ) , . ; || && ! ~ ^ & | << >> := ? @",
			"O:=@1:0 O:!=@1:2 O:!=@1:5 O:<@1:8 O:<=@1:10 O:>@1:13 O:>=@1:15 O:<=>@1:18 O:+@1:22 O:-@1:24 O:*@1:26 O:/@1:28 O:%@1:30 " +
				"O:(@1:32 O:)@1:34 O:,@1:36 O:.@1:38 O:;@1:40 O:||@1:42 O:&&@1:45 O:!@1:48 O:~@1:50 O:^@1:52 O:&@1:54 O:|@1:56 " +
				"O:<<@1:58 O:>>@1:61 O::=@1:64 P:?@1:67 O:@@1:69 EOF:@1:70"},
		{"@v @a.b @@x @@session.y @@GLOBAL.z @@local.w @@version_comment", "U:v@1:0 U:a.b@1:3 V:x@1:8 V:SESSION.y@1:12 V:GLOBAL.z@1:24 V:SESSION.w@1:35 V:version_comment@1:45 EOF:@1:62"},
		{"'u'@'%' u@localhost u@'h'", "S:u@1:0 O:@@1:3 S:%@1:4 W:u@1:8 U:localhost@1:9 W:u@1:20 O:@@1:21 S:h@1:22 EOF:@1:25"},
		{"'a\\'b' 'a''b' \"a\"\"b\" '\\x'", "S:a'b@1:0 S:a'b@1:7 S:a\"b@1:14 S:x@1:21 EOF:@1:25"},
		{"é名 x\u3000y", "W:é名@1:0 W:x@1:3 W:y@1:5 EOF:@1:6"},
		{"a\r\n\tb", "W:a@1:0 W:b@2:1 EOF:@2:2"},
		{"SELECT 'abc", "W:SELECT@1:0 ERR:Input ''abc' is not valid at this position.@1:7"},
		{"x /* open", "W:x@1:0 ERR:Input '/* open' is not valid at this position.@1:2"},
		{"x `open\nmore", "W:x@1:0 ERR:Input '`open' is not valid at this position.@1:2"},
		{"x : y", "W:x@1:0 ERR:Input ':' is not valid at this position.@1:2"},
		{"x \\", "W:x@1:0 ERR:Input '\\' is not valid at this position.@1:2"},
		{"x '\\", "W:x@1:0 ERR:Input ''\\' is not valid at this position.@1:2"},
		{"", "EOF:@1:0"},
		{"  \n ", "EOF:@2:1"},
		// Strings taken whole (no escapes) and decoded ones count columns alike.
		{"'héllo' x 'a\nb' y '' z 'ü''' w", "S:héllo@1:0 W:x@1:8 S:a\nb@1:10 W:y@2:3 S:@2:5 W:z@2:8 S:ü'@2:10 W:w@2:16 EOF:@2:17"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, strings.Join(lexDump(c.src), " "), c.src)
	}
}

func TestLexerKeywordsAreCaseInsensitive(t *testing.T) {
	for _, sql := range []string{"select 1 from t where a is not null", "SeLeCt 1 FrOm t WhErE a Is NoT nUlL"} {
		st, err := ParseOne(sql)
		require.NoError(t, err)
		sel := st.(*SelectStmt)
		require.Equal(t, "t", sel.From.(*TableRef).Name.Name)
		require.IsType(t, &IsExpr{}, sel.Where)
	}
	// Names keep their spelling.
	st, err := ParseOne("CREATE TABLE MyDb.MyTable (MyCol INT)")
	require.NoError(t, err)
	ct := st.(*CreateTableStmt)
	require.Equal(t, "MyDb", ct.Table.Db)
	require.Equal(t, "MyTable", ct.Table.Name)
	require.Equal(t, "MyCol", ct.Columns[0].Name)
}
