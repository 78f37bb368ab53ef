package scenarios

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
)

// TestFECrashDrill runs the frontend crash-recovery drill.
func TestFECrashDrill(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	dir := t.TempDir()
	const secret = "demo-SECRET-do-not-print"
	res, err := RunFECrashDrill(context.Background(), DemoOptions{Dir: dir, Binary: harnesstest.Binary(t), Out: &out,
		Cluster: []harness.Option{harness.WithMinIOCredentials("demo-access", secret)}})
	require.NoError(t, err, out.String())
	require.Greater(t, res.Acknowledged, 0)
	require.Equal(t, res.Acknowledged, res.Verified)
	report, err := os.ReadFile(res.ReportPath)
	require.NoError(t, err)
	require.Contains(t, string(report), "Verdict: **PASS**")
	require.Contains(t, out.String(), "PASS: all ")
	require.False(t, strings.Contains(out.String()+string(report), secret), "the S3 secret leaked into the drill's output")
	for _, name := range []string{"fe.log", "fe.out"} {
		data, err := os.ReadFile(filepath.Join(res.LogDir, name))
		require.NoError(t, err)
		require.NotContains(t, string(data), secret, "the S3 secret leaked into %s", name)
	}
}
