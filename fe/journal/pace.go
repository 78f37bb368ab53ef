package journal

import (
	"io"
	"time"
)

// An image body is written in bursts of imageBurst followed by a pause of
// imagePause, so a checkpoint takes about a sixth of one CPU at most and
// proposals find the CPU free most of the time. The state machine streams
// its body in small writes (one object each), which is what lets the pacing
// interleave.
const (
	imageBurst = 1 * time.Millisecond
	imagePause = 5 * time.Millisecond
)

// pacedWriter passes writes to w, pausing for imagePause whenever
// imageBurst has passed since the last pause.
type pacedWriter struct {
	w     io.Writer
	since time.Time
}

func newPacedWriter(w io.Writer) *pacedWriter { return &pacedWriter{w: w, since: time.Now()} }

func (p *pacedWriter) Write(b []byte) (int, error) {
	if time.Since(p.since) >= imageBurst {
		time.Sleep(imagePause)
		p.since = time.Now()
	}
	return p.w.Write(b)
}
