package scenarios

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
)

// TestDemo runs the flagship demonstration exactly as `make demo` does.
func TestDemo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	dir := t.TempDir()
	res, err := RunDemo(context.Background(), DemoOptions{Dir: dir, Binary: harness.Binary(t), Out: &out})
	require.NoError(t, err, out.String())
	require.Greater(t, res.Acknowledged, 0)
	require.Equal(t, res.Acknowledged, res.Verified)
	report, err := os.ReadFile(res.ReportPath)
	require.NoError(t, err)
	require.Contains(t, string(report), "Verdict: **PASS**")
	require.Contains(t, out.String(), "PASS: all ")
	require.False(t, strings.Contains(out.String()+string(report), harness.TestS3SecretKey), "the S3 secret leaked into the demo output")
}
