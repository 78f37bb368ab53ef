package types

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecimalExponentBound: a DECIMAL literal with an exponent beyond
// ±400 is settled without computing 10^e (out of range, or zero), and
// exponents within the bound parse as before.
func TestDecimalExponentBound(t *testing.T) {
	d := DecimalOf(10, 2)
	for _, tc := range []struct {
		in, want, err string
	}{
		{"1.5e2", "150.00", ""},
		{"1e400", "", "1e400 is out of range for DECIMAL(10,2)"},
		{"1e999999", "", "1e999999 is out of range for DECIMAL(10,2)"},
		{"-2.5E+99999999999999999999", "", "-2.5E+99999999999999999999 is out of range for DECIMAL(10,2)"},
		{"1e-999999", "0.00", ""},
		{"-7e-99999999999999999999", "0.00", ""},
		{"0e999999", "0.00", ""},
		{"1e-401", "0.00", ""},
		{"1e-3", "0.00", ""},
		{"x1e999999", "", "'x1e999999' is not a valid DECIMAL"},
		{"1e99x99999", "", "'1e99x99999' is not a valid DECIMAL"},
		{"1e", "", "'1e' is not a valid DECIMAL"},
	} {
		v, err := ParseValue(d, tc.in)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, v.Str, tc.in)
	}
}
