package awslocal

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sgwarden/sgwarden/internal/awsenv"
)

// EndpointEnv names the variable that points integration tests at an
// external emulator (LocalStack, moto) instead of an in-process Server.
const EndpointEnv = "SGWARDEN_TEST_ENDPOINT"

// Endpoint returns SGWARDEN_TEST_ENDPOINT and whether it is set.
func Endpoint() (string, bool) {
	v := os.Getenv(EndpointEnv)
	return v, v != ""
}

// Start runs a Server on 127.0.0.1 for the length of a test and closes it
// with t.Cleanup. Bad options fail the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("awslocal.New: %v", err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("awslocal: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Account is the AWS account a test talks to: an in-process Server, or
// the outside endpoint named by SGWARDEN_TEST_ENDPOINT.
type Account struct {
	// Server is the in-process server; nil against an outside endpoint.
	Server *Server
	// Config reaches the account with the SDK's default retryer.
	Config aws.Config
}

// Connect returns the account for a test that uses only AWS behaviour:
// the outside endpoint when SGWARDEN_TEST_ENDPOINT is set (region from
// AWS_REGION, else DefaultRegion; opts are ignored), otherwise a Server
// started with opts.
func Connect(t testing.TB, opts ...Option) *Account {
	t.Helper()
	if ep, ok := Endpoint(); ok {
		region := os.Getenv("AWS_REGION")
		if region == "" {
			region = DefaultRegion
		}
		return &Account{Config: Config(ep, region)}
	}
	s := Start(t, opts...)
	return &Account{Server: s, Config: s.AWSConfig(context.Background())}
}

// RequireLocal returns the in-process server, or skips the test when it
// runs against an outside endpoint; feature names what the test needs
// that only awslocal has (faults, the call record, seeding).
func (a *Account) RequireLocal(t testing.TB, feature string) *Server {
	t.Helper()
	if a.Server == nil {
		ep, _ := Endpoint()
		t.Skipf("needs awslocal (%s); %s points at %s", feature, EndpointEnv, ep)
	}
	return a.Server
}

// StartLocal is Start for tests that need awslocal-only features: it
// skips the test when SGWARDEN_TEST_ENDPOINT is set.
func StartLocal(t testing.TB, feature string, opts ...Option) *Server {
	t.Helper()
	if ep, ok := Endpoint(); ok {
		t.Skipf("needs awslocal (%s); %s points at %s", feature, EndpointEnv, ep)
	}
	return Start(t, opts...)
}

// AWSConfig returns an SDK configuration that talks to the server: static
// credentials, the default region and BaseEndpoint set to URL(). The
// retryer is the SDK's default, so retries behave as against AWS.
func (s *Server) AWSConfig(ctx context.Context) aws.Config {
	return Config(s.URL(), s.defaultRegion)
}

// Config returns an SDK configuration for any endpoint (an in-process
// Server, LocalStack or moto) with static test credentials and the
// HTTPClient below.
func Config(endpoint, region string) aws.Config {
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAAWSLOCAL00000000", "awslocal-secret", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   HTTPClient(),
	}
	return cfg
}

// HTTPClient returns an HTTP client for SDK clients that talk to a local
// endpoint. It hands the transport a private copy of each request body
// (awsenv.PrivateBodies says why: against a server on 127.0.0.1 the SDK's
// body race hit about one large Describe call in ten).
func HTTPClient() *http.Client {
	return &http.Client{Transport: awsenv.PrivateBodies(http.DefaultTransport)}
}
