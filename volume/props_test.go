package volume

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitLocation(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix, err string }{
		{"s3://b/p/q/", "b", "p/q", ""},
		{"s3://b", "b", "", ""},
		{"s3a://b/x", "b", "x", ""},
		{"hdfs://nn/x", "", "", "must start with s3://"},
	} {
		b, p, err := SplitLocation(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.bucket, b)
		require.Equal(t, tc.prefix, p)
	}
}

func TestCheckProperties(t *testing.T) {
	ok := map[string]string{PropRegion: "r", PropAccessKey: "a", PropSecretKey: "s"}
	require.NoError(t, CheckProperties(ok, true))
	require.ErrorContains(t, CheckProperties(map[string]string{PropAccessKey: "a", PropSecretKey: "s"}, true), "Region and endpoint cannot both be empty")
	require.ErrorContains(t, CheckProperties(map[string]string{PropRegion: "r"}, true), "must be set unless")
	require.NoError(t, CheckProperties(map[string]string{PropRegion: "r", PropInstanceProfile: "true"}, true))
	require.ErrorContains(t, CheckProperties(map[string]string{"aws.s3.nope": "x"}, false), "Invalid properties aws.s3.nope")
	require.ErrorContains(t, CheckProperties(map[string]string{PropPathStyle: "maybe"}, false), "must be true or false")
	require.Equal(t, "******", Masked(ok)[PropSecretKey])
	require.Equal(t, "s", ok[PropSecretKey], "Masked copies")
}
