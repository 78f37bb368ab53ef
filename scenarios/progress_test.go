package scenarios

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProgress: off a terminal, a long step prints a plain line only
// once progressEvery has passed, naming what it waits for and its budget;
// the bar shows the share of the budget used.
func TestProgress(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "waiting for 2 snapshots finished", time.Minute)
	require.False(t, p.tty, "a buffer is not a terminal")
	p.update("1 snapshots finished, waiting for 2")
	require.Empty(t, out.String(), "nothing before progressEvery")
	p.start = time.Now().Add(-12 * time.Second)
	p.printed = time.Now().Add(-progressEvery)
	p.update("1 snapshots finished, waiting for 2")
	require.Regexp(t, `^\[\d\d:\d\d:\d\d\.\d{3}\] \.\.\.     waiting for 2 snapshots finished: 1 snapshots finished, waiting for 2 \(12s of 1m0s\)\n$`, out.String())
	p.update("again")
	require.Equal(t, 1, bytes.Count(out.Bytes(), []byte("\n")), "at most one line per progressEvery")
	p.done()
	require.Equal(t, 1, bytes.Count(out.Bytes(), []byte("\n")), "done prints nothing off a terminal")

	for _, tc := range []struct {
		budget, elapsed time.Duration
		want            string
	}{
		{time.Minute, 0, "[....................] 0s/1m0s"},
		{time.Minute, 30 * time.Second, "[##########..........] 30s/1m0s"},
		{time.Minute, 2 * time.Minute, "[####################] 2m0s/1m0s"},
		{0, 3 * time.Second, "[3s]"},
	} {
		p := &progress{budget: tc.budget}
		require.Equal(t, tc.want, p.bar(tc.elapsed))
	}
}
