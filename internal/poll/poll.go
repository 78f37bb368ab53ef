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

// Interval is how often Until checks the condition.
const Interval = 50 * time.Millisecond

// Until calls cond every Interval until it returns nil, ctx ends or
// timeout passes. The error then wraps the context's error and carries
// cond's last error.
func Until(ctx context.Context, timeout time.Duration, cond func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
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
