package awsenv

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Defaults of RetryOptions.
const (
	DefaultMaxAttempts = 6
	DefaultMaxBackoff  = 3 * time.Second
)

// RetryOptions tunes the adaptive retryer. The zero value gives the
// production settings.
type RetryOptions struct {
	// MaxAttempts per operation, the first one included
	// (default DefaultMaxAttempts).
	MaxAttempts int
	// MaxBackoff caps the delay between attempts (default DefaultMaxBackoff).
	MaxBackoff time.Duration
	// NoClientRateLimit keeps the adaptive retryer's throttle handling and
	// retries but disables its client-side token bucket, which otherwise
	// sleeps up to 1/0.5 s per attempt after a throttle on a fresh client.
	// Tests use it; production leaves it false.
	NoClientRateLimit bool
}

// NewRetryer returns a constructor for the SDK's adaptive retryer configured
// by o, suitable for aws.Config.Retryer or config.WithRetryer. Throttling
// and 5xx answers are retried with backoff; other errors are not.
func NewRetryer(o RetryOptions) func() aws.Retryer {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	return func() aws.Retryer {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			if o.NoClientRateLimit {
				ao.RequestCost = 0
			}
			ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = o.MaxAttempts
				so.MaxBackoff = o.MaxBackoff
			})
		})
	}
}
