package types

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFromName(t *testing.T) {
	cases := []struct {
		name      string
		args      []int
		sql, desc string
		err       string
	}{
		{"INT", nil, "int(11)", "int", ""},
		{"INTEGER", []int{11}, "int(11)", "int", ""},
		{"BIGINT", nil, "bigint(20)", "bigint", ""},
		{"LARGEINT", nil, "largeint(40)", "largeint", ""},
		{"VARCHAR", []int{32}, "varchar(32)", "varchar(32)", ""},
		{"STRING", nil, "varchar(65533)", "varchar(65533)", ""},
		{"DECIMAL", []int{10, 2}, "decimal(10, 2)", "decimal(10,2)", ""},
		{"DECIMAL", nil, "decimal(10, 0)", "decimal(10,0)", ""},
		{"DATETIME", nil, "datetime", "datetime", ""},
		{"BOOL", nil, "boolean", "boolean", ""},
		{"DECIMAL", []int{40, 2}, "", "", "precision 40 is out of range"},
		{"DECIMAL", []int{5, 6}, "", "", "scale 6 is out of range"},
		{"CHAR", []int{300}, "", "", "CHAR length 300 is out of range"},
		{"VARCHAR", []int{0}, "", "", "VARCHAR length 0 is out of range"},
		{"GEOMETRY", nil, "", "", "unsupported type GEOMETRY"},
	}
	for _, tc := range cases {
		typ, err := FromName(tc.name, tc.args)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.name)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.sql, typ.SQL(), tc.name)
		require.Equal(t, tc.desc, typ.Canonical(), tc.name)
	}
}

func TestParseValue(t *testing.T) {
	cases := []struct {
		t    Type
		in   string
		want string
		err  string
	}{
		{TTinyInt, "127", "127", ""},
		{TTinyInt, "128", "", "out of range for TINYINT"},
		{TInt, " 42 ", "42", ""},
		{TInt, "3.0", "3", ""},
		{TInt, "3.5", "", "not a valid INT"},
		{TBigInt, "x", "", "not a valid BIGINT"},
		{TLargeInt, "170141183460469231731687303715884105727", "170141183460469231731687303715884105727", ""},
		{TLargeInt, "170141183460469231731687303715884105728", "", "out of range"},
		{DecimalOf(5, 2), "123.456", "123.46", ""},
		{DecimalOf(5, 2), "-0.001", "0.00", ""},
		{DecimalOf(5, 2), "1234.5", "", "out of range for DECIMAL(5,2)"},
		{VarcharOf(3), "abc", "abc", ""},
		{VarcharOf(3), "abcd", "", "longer than 3 bytes"},
		{TDate, "2015-09-12", "2015-09-12", ""},
		{TDate, "20150912", "2015-09-12", ""},
		{TDate, "2015-02-30", "", "not a valid DATE"},
		{TDateTime, "2015-09-12", "2015-09-12 00:00:00", ""},
		{TDateTime, "2015-09-12 06:00:00", "2015-09-12 06:00:00", ""},
		{TDateTime, "2015-09-12 06:00:00.5", "2015-09-12 06:00:00.500000", ""},
		{TBoolean, "true", "1", ""},
		{TDouble, "1e3", "1000", ""},
	}
	for _, tc := range cases {
		v, err := ParseValue(tc.t, tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%s %q", tc.t, tc.in)
			continue
		}
		require.NoError(t, err, "%s %q", tc.t, tc.in)
		require.Equal(t, tc.want, v.String(), "%s %q", tc.t, tc.in)
	}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b Value
		want int
	}{
		{IntValue(Int, 2), IntValue(BigInt, 10), -1},
		{IntValue(Int, 2), FloatValue(2), 0},
		{TextValue(Decimal, "2.50"), FloatValue(2.5), 0},
		{TextValue(LargeInt, "100000000000000000000"), IntValue(BigInt, 5), 1},
		{StringValue("10"), IntValue(Int, 9), 1},
		{StringValue("abc"), StringValue("abd"), -1},
		{TextValue(Date, "2015-09-12"), StringValue("2015-09-12 00:00:01"), -1},
		{TextValue(DateTime, "2015-09-12 06:00:00"), TextValue(DateTime, "2015-09-12 06:00:00"), 0},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, Compare(tc.a, tc.b), "%v vs %v", tc.a, tc.b)
		require.Equal(t, -tc.want, Compare(tc.b, tc.a), "%v vs %v", tc.b, tc.a)
	}
}

// TestIntegralDecimalsAsIntegers: "3.0" is an integer, exactly; other
// spellings of numbers are not.
func TestIntegralDecimalsAsIntegers(t *testing.T) {
	for in, want := range map[string]int64{"3.0": 3, "-2.00": -2, " 7.": 7, "9007199254740993.0": 9007199254740993} {
		v, err := ParseValue(TBigInt, in)
		require.NoError(t, err, in)
		require.Equal(t, want, v.Int, in)
	}
	for _, in := range []string{"3.5", "0x1p4", "1e3", ".0", "-.0", "1.0.0", "NaN"} {
		_, err := ParseValue(TBigInt, in)
		require.Error(t, err, in)
	}
}

// TestFastPathsAgree: the fast parsers give exactly what the general ones do.
func TestFastPathsAgree(t *testing.T) {
	dec := DecimalOf(10, 2)
	for _, s := range []string{"0", "-0", "0.00", "-0.00", "1", "1.5", "001.50", "-12.3", "+7.25", ".5", "-.05", "12345678.99", "123456789.99", "1.234", "1e2", "abc", "", "-", "1.", "99999999.99", "0.00", "-0.50", "10.00", "-12.30", "00.10", "0.5", "-0.00", "7.25", "+7.25"} {
		fast, ok := parseDecimalFast(dec, s)
		slow, serr := parseDecimal(dec, s)
		if !ok {
			continue
		}
		require.NoError(t, serr, s)
		require.Equal(t, slow, fast, s)
	}
	for _, s := range []string{"0", "5", "-5", "10", "007", "-0", "+3"} {
		d0 := DecimalOf(5, 0)
		fast, ok := parseDecimalFast(d0, s)
		slow, serr := parseDecimal(d0, s)
		if ok {
			require.NoError(t, serr, s)
			require.Equal(t, slow, fast, s)
		}
	}
	for _, s := range []string{"2024-02-29 23:59:59", "2023-02-29 00:00:00", "2024-13-01 00:00:00", "2024-01-01 24:00:00", "2024-01-01", "0001-01-01 00:00:00", "9999-12-31 23:59:59"} {
		tm, err := parseTime(s)
		if canonicalDateTime(s) {
			require.NoError(t, err, s)
			require.Equal(t, FormatDateTime(tm), s)
		} else if len(s) == 19 {
			require.Error(t, err, s)
		}
	}
	require.Equal(t, -1, Compare(TextValue(DateTime, "2024-01-01 00:00:00"), TextValue(DateTime, "2024-01-01 00:00:00.500000")))
	for _, s := range []string{"0", "-0", "7", "-128", "127", "128", "-129", "2147483647", "2147483648", "999999999999999999", "-999999999999999999", "9223372036854775807", "1-2", "", "-", " 5", "+5", "05"} {
		for _, k := range []Kind{TinyInt, Int, BigInt} {
			ty := Type{Kind: k}
			got, gerr := ParseValue(ty, s)
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			lo, hi := intRange(k)
			if err != nil || n < lo || n > hi {
				require.Error(t, gerr, "%s as %s", s, k)
				continue
			}
			require.NoError(t, gerr, "%s as %s", s, k)
			require.Equal(t, IntValue(k, n), got, "%s as %s", s, k)
		}
	}
}
