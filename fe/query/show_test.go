package query

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestByteRendering(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 512: "512B", 1023: "1023B", 1024: "1KB", 1536: "1.5KB", 1600: "1.5KB",
		23 << 20: "23MB", 3 << 30: "3GB", 5 << 40: "5TB"} {
		require.Equal(t, want, prettyBytes(n), n)
	}
	for n, want := range map[int64]string{0: "0.000B", 512: "512.000B", 1536: "1.500KB", 22748000000: "21.186GB"} {
		require.Equal(t, want, fixedBytes(n), n)
	}
}

func TestDecimalAvg(t *testing.T) {
	for _, tc := range []struct {
		sum   string
		count int64
		want  string
	}{
		{"15.75", 2, "7.87500000"},
		{"20.00", 1, "20.00000000"},
		{"10.00", 3, "3.33333333"},
		{"20.00", 3, "6.66666667"},
		{"-20.00", 3, "-6.66666667"},
		{"0.01", 3, "0.00333333"},
		{"7", 2, "3.500000"},
		{"1.1234567", 2, "0.561728350000"},
		{"1.12345678901234", 2, "0.56172839450617"},
	} {
		v, ok := decimalAvg(tc.sum, tc.count)
		require.True(t, ok, tc.sum)
		require.Equal(t, tc.want, v.Str, "%s / %d", tc.sum, tc.count)
	}
}
