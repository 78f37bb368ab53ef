package scenarios

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressEvery is how often a long step prints a plain progress line
// when the output is not a terminal (CI, a file).
const progressEvery = 5 * time.Second

// progress shows a long step while it runs. On a terminal it rewrites one
// line in place: a bar of the step's time budget used, the time elapsed
// and what the step is still waiting for. Elsewhere (CI=true, a pipe, a
// file) it prints a plain line every progressEvery, so logs stay
// readable. The step's own event line comes when it ends.
type progress struct {
	mu      sync.Mutex
	out     io.Writer
	tty     bool
	what    string
	budget  time.Duration
	start   time.Time
	printed time.Time
	shown   bool
}

// newProgress starts showing the step what, which may take up to budget
// (0 when unknown).
func newProgress(out io.Writer, what string, budget time.Duration) *progress {
	return &progress{out: out, tty: isTerminal(out), what: what, budget: budget, start: time.Now(), printed: time.Now()}
}

// isTerminal tells whether w is a terminal a line can be redrawn on.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("CI") == "true" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update shows the step's state (what it still waits for).
func (p *progress) update(state string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	elapsed := now.Sub(p.start)
	if p.tty {
		if now.Sub(p.printed) < 200*time.Millisecond && p.shown {
			return
		}
		fmt.Fprintf(p.out, "\r\033[K  %s %s %s", p.bar(elapsed), p.what, shorten(state, 80))
		p.printed, p.shown = now, true
		return
	}
	if now.Sub(p.printed) < progressEvery {
		return
	}
	p.printed = now
	line := fmt.Sprintf("[%s] %-7s %s: %s", now.Format("15:04:05.000"), "...", p.what, shorten(state, 160))
	if p.budget > 0 {
		line += fmt.Sprintf(" (%v of %v)", elapsed.Round(time.Second), p.budget)
	} else {
		line += fmt.Sprintf(" (%v)", elapsed.Round(time.Second))
	}
	fmt.Fprintln(p.out, line)
}

// bar is [#####.....] 12s/1m0s: the share of the budget used.
func (p *progress) bar(elapsed time.Duration) string {
	const width = 20
	if p.budget <= 0 {
		return fmt.Sprintf("[%v]", elapsed.Round(time.Second))
	}
	n := min(width, int(float64(width)*float64(elapsed)/float64(p.budget)))
	return fmt.Sprintf("[%s%s] %v/%v", strings.Repeat("#", n), strings.Repeat(".", width-n), elapsed.Round(time.Second), p.budget)
}

// done clears the line on a terminal; the step's event line follows.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		fmt.Fprint(p.out, "\r\033[K")
	}
}

// ticking updates p every second with state() until the returned stop is
// called: for a step that is one long call (a restore).
func (p *progress) ticking(state func() string) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				p.update(state())
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
		p.done()
	}
}
