package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/sgwarden/sgwarden/internal/awsenv"
)

// The retryer is shared with the Lambda functions' configuration
// (internal/awsenv), so the CLI and the functions retry alike.
const (
	DefaultMaxAttempts = awsenv.DefaultMaxAttempts
	DefaultMaxBackoff  = awsenv.DefaultMaxBackoff
)

// RetryOptions tunes the adaptive retryer (awsenv.RetryOptions).
type RetryOptions = awsenv.RetryOptions

// NewRetryer returns a constructor for the SDK's adaptive retryer
// (awsenv.NewRetryer).
func NewRetryer(o RetryOptions) func() aws.Retryer { return awsenv.NewRetryer(o) }

// Load returns the default SDK configuration with sgwarden's retryer and an
// AWS_CA_BUNDLE-safe HTTP client. Extra options are applied last.
func Load(ctx context.Context, ro RetryOptions, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	base := []func(*config.LoadOptions) error{
		// A BuildableClient, not a bare *http.Client: the SDK can only
		// install a custom CA bundle into a client it knows how to rebuild.
		config.WithHTTPClient(awshttp.NewBuildableClient()),
		config.WithRetryer(NewRetryer(ro)),
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(base, opts...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	cfg.APIOptions = append(cfg.APIOptions, awsenv.UserAgent())
	return cfg, nil
}

// LoadFor is Load for a CLI's --region and --profile flags: each applies
// when not empty, over AWS_REGION / AWS_PROFILE and the shared config.
func LoadFor(ctx context.Context, region, profile string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	return Load(ctx, RetryOptions{}, opts...)
}
