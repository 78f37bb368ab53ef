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
