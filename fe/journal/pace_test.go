package journal

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPacedWriter: bytes pass unchanged; a write that comes after a burst
// of imageBurst waits at least imagePause first, and a new burst starts
// after the pause.
func TestPacedWriter(t *testing.T) {
	var out bytes.Buffer
	p := newPacedWriter(&out)
	p.since = time.Now().Add(-imageBurst) // a burst has just ended
	start := time.Now()
	n, err := p.Write([]byte("ab"))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.GreaterOrEqual(t, time.Since(start), imagePause)
	require.False(t, p.since.Before(start.Add(imagePause)), "the pause started a new burst")
	_, err = p.Write([]byte("c"))
	require.NoError(t, err)
	require.Equal(t, "abc", out.String())
}
