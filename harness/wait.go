package harness

import (
	"context"
	"time"

	"github.com/minirocks/minirocks/internal/poll"
)

// WaitFor calls cond until it returns nil, ctx ends or timeout passes; the
// error then carries cond's last error, so a failure says what was still
// wrong. It is the one way the harness waits (readiness, leaders, compute
// nodes), offered to callers for theirs: after a fault, wait for the state
// you expect rather than sleeping.
func WaitFor(ctx context.Context, timeout time.Duration, cond func() error) error {
	return poll.Until(ctx, timeout, cond)
}

// waitReady is WaitFor for a node coming up: it gives up at once, with
// gone's error, when gone reports that the node has ended.
func waitReady(ctx context.Context, timeout time.Duration, gone, cond func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var goneErr error
	err := poll.Until(ctx, timeout, func() error {
		if err := gone(); err != nil {
			goneErr = err
			cancel()
			return err
		}
		return cond()
	})
	if goneErr != nil {
		return goneErr
	}
	return err
}
