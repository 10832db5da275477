package remediate

import (
	"context"
	"time"
)

// DefaultMinReserve is the least time kept before the Lambda deadline for
// the FAILED alert and the error.
const DefaultMinReserve = 1500 * time.Millisecond

// reserveFor returns the time kept back from remaining: the larger of floor
// and a tenth of it, but never more than half, so that a short timeout
// still leaves the work some time.
func reserveFor(remaining, floor time.Duration) time.Duration {
	return min(max(floor, remaining/10), remaining/2)
}

// withReserve returns the context the AWS calls of one invocation run
// under: it ends a reserve before ctx's deadline. Without a deadline (tests,
// the CLI) it is ctx itself.
func withReserve(ctx context.Context, minReserve time.Duration) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline.Add(-reserveFor(time.Until(deadline), minReserve)))
}
