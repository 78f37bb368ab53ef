// Package poll waits for a condition with a deadline instead of sleeping:
// the one wait helper of the project's tests, the harness and the drills.
// On timeout it reports the condition's last error, so a failure says what
// was still wrong rather than only that time ran out.
package poll

import (
	"context"
	"fmt"
	"time"
)

// Interval is how often Until checks the condition once it has waited a
// little: the steady pace of a long wait.
const Interval = 50 * time.Millisecond

// FirstInterval is the pause after Until's first check; each pause after
// it doubles until it reaches Interval (10, 20, 40, 50, 50 ms...). Most
// waits end within a few tens of milliseconds (a process answering, a
// node just added turning alive); with a fixed 50 ms step each lost about
// 25 ms on average, and a cluster's start waits a dozen times one after
// the other. A long wait still checks no more often than every Interval.
const FirstInterval = 10 * time.Millisecond

// Until calls cond until it returns nil, ctx ends or timeout passes,
// pausing FirstInterval after the first call and up to Interval later.
// The error then wraps the context's error and carries cond's last error.
func Until(ctx context.Context, timeout time.Duration, cond func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pause := FirstInterval
	t := time.NewTimer(pause)
	defer t.Stop()
	for {
		start := time.Now()
		err := cond()
		if err == nil {
			return nil
		}
		// Like a ticker: the pause counts from the start of the check.
		t.Reset(max(pause-time.Since(start), 0))
		pause = min(2*pause, Interval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after %v; last error: %v", ctx.Err(), timeout, err)
		case <-t.C:
		}
	}
}

// T is the part of testing.TB that For uses.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
}

// For is Until for tests: it fails the test with the last error when cond
// has not held within timeout.
func For(t T, timeout time.Duration, cond func() error) {
	t.Helper()
	if err := Until(context.Background(), timeout, cond); err != nil {
		t.Fatalf("condition not met: %v", err)
	}
}
