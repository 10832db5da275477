package awsenv_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awsenv"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/version"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func lambdaEnv(endpoint string) map[string]string {
	return map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "token", "AWS_ENDPOINT_URL": endpoint,
	}
}

// The functions' configuration talks to the emulated account through the
// real SDK clients, as it would to AWS.
func TestConfigTalksToTheEndpoint(t *testing.T) {
	srv := awslocal.Start(t)
	cfg, err := awsenv.Config(env(lambdaEnv(srv.URL())), nil, awsenv.RetryOptions{})
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	ctx := context.Background()
	if _, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Errorf("DescribeSecurityGroups through AWS_ENDPOINT_URL: %v", err)
	}
	if _, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{}); err != nil {
		t.Errorf("ListTopics through AWS_ENDPOINT_URL: %v", err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "ASIAEXAMPLE" || creds.SessionToken != "token" {
		t.Errorf("credentials = %+v, %v; want the environment's", creds, err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("region = %q", cfg.Region)
	}
}

// Every call names sgwarden and its version in the user agent.
func TestConfigUserAgentNamesTheVersion(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.Header.Get("User-Agent"))
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer srv.Close()
	cfg, err := awsenv.Config(env(lambdaEnv(srv.URL)), nil, awsenv.RetryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryMaxAttempts = 1
	_, _ = sns.NewFromConfig(cfg).ListTopics(context.Background(), &sns.ListTopicsInput{})
	got, _ := ua.Load().(string)
	if want := "sgwarden/" + version.String(); !strings.Contains(got, want) {
		t.Errorf("User-Agent = %q, want it to contain %q", got, want)
	}
}

// A throttled call is retried by the shared adaptive retryer.
func TestConfigRetriesThrottling(t *testing.T) {
	srv := awslocal.Start(t)
	srv.Throttle("DescribeSecurityGroups", 2)
	cfg, err := awsenv.Config(env(lambdaEnv(srv.URL())), nil, awsenv.RetryOptions{NoClientRateLimit: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Fatalf("DescribeSecurityGroups after 2 throttles: %v", err)
	}
	if n := srv.CallCount("DescribeSecurityGroups"); n != 3 {
		t.Errorf("DescribeSecurityGroups calls = %d, want 3 (2 throttled, 1 answered)", n)
	}
}

// AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL for that service.
func TestServiceEndpoint(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "not here", http.StatusTeapot)
	}))
	defer other.Close()
	srv := awslocal.Start(t)
	e := lambdaEnv(other.URL)
	e["AWS_ENDPOINT_URL_EC2"] = srv.URL()
	t.Setenv("AWS_ENDPOINT_URL_EC2", srv.URL()) // the SDK's ec2 client also looks at the real environment
	cfg, err := awsenv.Config(env(e), nil, awsenv.RetryOptions{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{}); err != nil {
		t.Errorf("EC2 did not use AWS_ENDPOINT_URL_EC2: %v", err)
	}
	if _, err := sns.NewFromConfig(cfg).ListTopics(context.Background(), &sns.ListTopicsInput{}); err == nil || hits.Load() == 0 {
		t.Errorf("SNS did not use AWS_ENDPOINT_URL (err %v, hits %d)", err, hits.Load())
	}
}

func TestFIPSFlag(t *testing.T) {
	e := lambdaEnv("")
	e["AWS_USE_FIPS_ENDPOINT"] = "true"
	cfg, err := awsenv.Config(env(e), nil, awsenv.RetryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(cfg)
	if client.Options().EndpointOptions.UseFIPSEndpoint != aws.FIPSEndpointStateEnabled {
		t.Errorf("UseFIPSEndpoint = %v, want enabled", client.Options().EndpointOptions.UseFIPSEndpoint)
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	_, err := awsenv.Config(env(map[string]string{
		"AWS_USE_FIPS_ENDPOINT": "yes", "AWS_CA_BUNDLE": "/nope.pem",
	}), func(string) ([]byte, error) { return nil, fs.ErrNotExist }, awsenv.RetryOptions{})
	if err == nil {
		t.Fatal("Config accepted an environment with no region and no credentials")
	}
	for _, name := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_USE_FIPS_ENDPOINT", "AWS_CA_BUNDLE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error does not wrap the CA bundle's read error: %v", err)
	}
	e := lambdaEnv("")
	e["AWS_CA_BUNDLE"] = "/empty.pem"
	if _, err := awsenv.Config(env(e), func(string) ([]byte, error) { return []byte("not a certificate"), nil }, awsenv.RetryOptions{}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("Config with a bundle holding no certificate = %v", err)
	}
}
