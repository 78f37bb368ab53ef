package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
)

// TestDemo runs the flagship drill exactly as `make demo` does and checks
// its verdict, its report and that no secret leaked.
func TestDemo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	dir := t.TempDir()
	const secret = "demo-SECRET-do-not-print"
	res, err := RunDemo(context.Background(), DemoOptions{Dir: dir, Binary: harnesstest.Binary(t), Out: &out,
		Cluster: []harness.Option{harness.WithMinIOCredentials("demo-access", secret)}})
	require.NoError(t, err, out.String())
	require.Equal(t, "PASS", res.Verdict)
	require.Positive(t, res.Restored)
	require.Positive(t, res.Times.FirstQuery)
	report, err := os.ReadFile(res.ReportPath)
	require.NoError(t, err)
	require.Contains(t, string(report), "Verdict: **PASS**")
	require.Contains(t, string(report), "**RPO**")
	require.Contains(t, string(report), "**RTO**")
	var timeline []Event
	b, err := os.ReadFile(filepath.Join(dir, "timeline.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &timeline))
	kinds := map[string]bool{}
	for _, e := range timeline {
		kinds[e.Kind] = true
	}
	require.Equal(t, map[string]bool{"step": true, "fault": true, "restore": true, "check": true}, kinds)
	var history []Write
	b, err = os.ReadFile(filepath.Join(dir, "history.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &history))
	require.Len(t, history, res.Writes)
	logs, err := os.ReadFile(filepath.Join(dir, "logs", "restored-leader", "fe.log"))
	require.NoError(t, err)
	require.Contains(t, string(logs), "FE finished to restore from a cluster snapshot")
	require.False(t, strings.Contains(out.String()+string(report)+string(logs), secret), "the S3 secret leaked")
}
