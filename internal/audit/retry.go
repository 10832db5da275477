package audit

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// DefaultMaxAttempts is the number of attempts per call (the SDK's default is 3).
const DefaultMaxAttempts = 10

// NewRetryer returns the retryer the audit's clients use: the SDK's standard
// retryer with more attempts and without the client-side retry quota, so that
// a throttling storm over a long scan slows it down instead of failing it.
// backoff may be nil for the SDK's exponential jittered backoff.
func NewRetryer(maxAttempts int, backoff retry.BackoffDelayer) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = 20 * time.Second
		o.RateLimiter = ratelimit.None
		if backoff != nil {
			o.Backoff = backoff
		}
	})
}
