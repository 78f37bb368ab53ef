package query

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/sqlerr"
)

// TestStatementTextChecks: a statement longer than max_allowed_packet, or
// with bytes that are not UTF-8, is refused with MySQL's error before it
// is parsed, by RunOne and by Check (the first step of a multi-statement
// query), and changes nothing.
func TestStatementTextChecks(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	run(t, s, "SET max_allowed_packet = 2048")
	require.Equal(t, 2048, s.MaxAllowedPacket())

	long := "SELECT '" + strings.Repeat("y", 2100) + "'"
	cases := []struct {
		name, text string
		number     uint16
		msg        string
	}{
		{"longer than max_allowed_packet", long, 1153, "Got a packet bigger than 'max_allowed_packet' bytes"},
		{"invalid UTF-8 in a string", "CREATE DATABASE d1 PROPERTIES ('a' = 'caf\xe9')", 1300, "Invalid utf8 character string: 'E92729'"},
		{"invalid UTF-8 in a name", "CREATE DATABASE d\xff\xfe", 1300, "Invalid utf8 character string: 'FFFE'"},
		{"a lone continuation byte", "CREATE DATABASE d2; CREATE DATABASE \x80x", 1300, "Invalid utf8 character string: '8078'"},
		{"truncated sequence", "SELECT '\xe2\x82'", 1300, "Invalid utf8 character string: 'E28227'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []func() error{
				func() error { _, err := s.RunOne(context.Background(), c.text); return err },
				func() error { return s.Check(c.text) },
			} {
				err := f()
				require.Error(t, err)
				e, ok := sqlerr.As(err)
				require.True(t, ok, "%v", err)
				require.Equal(t, c.number, e.Number)
				require.Equal(t, c.msg, e.Message)
			}
		})
	}
	require.Equal(t, [][]string{{"information_schema"}}, rowsOf(run(t, s, "SHOW DATABASES")), "nothing was created")

	// Valid UTF-8 beyond ASCII is fine, and the limit follows the variable.
	_, err := s.RunOne(context.Background(), "SELECT 'caf\u00e9 \u65e5\u672c'")
	require.NoError(t, err)
	run(t, s, "SET max_allowed_packet = 1")
	require.Equal(t, MinMaxAllowedPacket, s.MaxAllowedPacket(), "below the minimum")
	run(t, s, "SET max_allowed_packet = 99999999999")
	require.Equal(t, MaxMaxAllowedPacket, s.MaxAllowedPacket(), "above the maximum")
	_, err = s.RunOne(context.Background(), long)
	require.NoError(t, err)
}

// TestLongInList: a long IN list of literals is hashed once per statement
// and answers as comparing with each item does, NULL items included.
func TestLongInList(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	var ints, strs []string
	for i := 1; i <= 200000; i++ {
		ints = append(ints, strconv.Itoa(i))
		if i <= 100 {
			strs = append(strs, "'s"+strconv.Itoa(i)+"'")
		}
	}
	il, sl := strings.Join(ints, ","), strings.Join(strs, ",")
	require.Equal(t, [][]string{{"1", "0", "NULL", "1", "1", "1", "0", "NULL", "1"}}, rowsOf(run(t, s,
		"SELECT 5 IN ("+il+"), 0 IN ("+il+"), 0 IN ("+il+", NULL), 0 NOT IN ("+il+"), '7' IN ("+il+"), 7.0 IN ("+il+"), "+
			"'s0' IN ("+sl+"), 's0' IN ("+sl+", NULL), 's100' IN ("+sl+")")))
}

// TestStringResultsAreBounded: functions whose result grows with their
// arguments refuse, before building it, a result longer than
// MaxStringResult, however they are nested.
func TestStringResultsAreBounded(t *testing.T) {
	e, _ := newEngine(t)
	s := rootSession(e)
	nest := func(open, arg, close string, n int) string {
		return strings.Repeat(open, n) + arg + strings.Repeat(close, n)
	}
	for q, fn := range map[string]string{
		"SELECT " + nest("HEX(", "'abc'", ")", 40):                                                    "hex",
		"SELECT " + nest("REPLACE(", "'aa'", ", 'a', 'aaaa')", 40):                                    "replace",
		"SELECT CONCAT('" + strings.Repeat("x", 600000) + "', '" + strings.Repeat("y", 600000) + "')": "concat",
		"SELECT CONCAT_WS('" + strings.Repeat("-", 600000) + "', 'a', 'b')":                           "concat_ws",
	} {
		err := runErr(s, q)
		require.Error(t, err, fn)
		require.Contains(t, err.Error(), "The result of "+fn+" is longer than 1048576 bytes, the maximum length of a VARCHAR", fn)
	}
	require.Equal(t, [][]string{{"262144"}}, rowsOf(run(t, s, "SELECT LENGTH("+nest("REPLACE(", "'a'", ", 'a', 'aaaa')", 9)+")")))
	require.Equal(t, [][]string{{"786432"}}, rowsOf(run(t, s, "SELECT LENGTH("+nest("HEX(", "'abc'", ")", 18)+")")))
}
