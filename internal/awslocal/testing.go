package awslocal

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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

// AWSConfig returns an SDK configuration that talks to the server: static
// credentials, the default region and BaseEndpoint set to URL(). The
// retryer is the SDK's default, so retries behave as against AWS.
func (s *Server) AWSConfig(ctx context.Context) aws.Config {
	return Config(s.URL(), s.defaultRegion)
}

// Config returns an SDK configuration for any endpoint (an in-process
// Server, LocalStack or moto) with static test credentials.
func Config(endpoint, region string) aws.Config {
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAAWSLOCAL00000000", "awslocal-secret", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	return cfg
}
