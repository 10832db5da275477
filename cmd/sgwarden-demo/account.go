package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// Fake credentials for the emulated account, which verifies no signature.
const (
	fakeAccessKey = "AKIADEMOEXAMPLE00000"
	fakeSecretKey = "demo-secret-not-a-real-key"
)

// account is the emulated AWS account the function works on.
type account struct {
	srv *awslocal.Server
	c   *corpus
}

// startAccount starts the emulated account seeded from the corpus fixture,
// on a free port of 127.0.0.1.
func startAccount(c *corpus) (*account, error) {
	opts := []awslocal.Option{awslocal.WithFixture(c.fixture)}
	if c.constants.Account != "" {
		opts = append(opts, awslocal.WithAccount(c.constants.Account))
	}
	if c.constants.Region != "" {
		opts = append(opts, awslocal.WithRegion(c.constants.Region))
	}
	srv, err := awslocal.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("seed the emulated account: %w", err)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return &account{srv: srv, c: c}, nil
}

func (a *account) url() string { return a.srv.URL() }

func (a *account) close() { _ = a.srv.Close() }

// inventory describes the seeded account in a few words.
func (a *account) inventory() string {
	f := a.c.fixture
	rules := 0
	for _, g := range f.Groups {
		rules += len(g.Ingress) + len(g.Egress)
	}
	return fmt.Sprintf("%d security groups, %d rules, %d prefix lists, %d network interfaces",
		len(f.Groups), rules, len(f.PrefixLists), len(f.NetworkInterfaces))
}

// engine is the policy the corpus was recorded with.
func (c *corpus) engine() (*policy.Engine, error) {
	if c.constants.Policy == "" || c.constants.Policy == "default" {
		return policy.Default(), nil
	}
	path := filepath.Join(c.dir, c.constants.Policy)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return policy.Load(data, path)
}

// riskyRules audits the account (read-only, with the audit's own code)
// and returns every rule with a finding.
func (a *account) riskyRules(ctx context.Context) ([]audit.Finding, error) {
	eng, err := a.c.engine()
	if err != nil {
		return nil, err
	}
	cfg := a.srv.AWSConfig(ctx)
	clients := func(string) (audit.EC2API, error) { return ec2.NewFromConfig(cfg), nil }
	auditor, err := audit.New(eng.WithMode(policy.ModeDryRun), clients, audit.WithRegions(a.srv.Region()))
	if err != nil {
		return nil, err
	}
	rep, err := auditor.Run(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit the emulated account: %w", err)
	}
	return rep.Violations, nil
}

// alerts returns the published SNS messages, in order.
func (a *account) alerts() []awslocal.SNSMessage { return a.srv.SNSMessages() }

// subject returns the subject of the message with this ID.
func (a *account) subject(messageID string) string {
	for _, m := range a.srv.SNSMessages() {
		if m.MessageID == messageID {
			return m.Subject
		}
	}
	return ""
}

// functionEnv is the function's whole environment under the RIE: the
// emulated account's endpoint, fake credentials and the settings the
// corpus was recorded with (internal/lambdaenv).
func functionEnv(c *corpus, endpoint string) ([]string, error) {
	k := c.constants
	env := []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + fakeAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + fakeSecretKey,
		"AWS_REGION=" + k.Region,
		"AWS_DEFAULT_REGION=" + k.Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=sgwarden-remediate",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		lambdaenv.EnvTopicARN + "=" + k.TopicARN,
		lambdaenv.EnvRoleARN + "=" + k.RoleARN,
		lambdaenv.EnvMode + "=" + k.Mode,
		lambdaenv.EnvPrefixListAction + "=" + k.PrefixListAction,
	}
	if k.Policy != "" && k.Policy != "default" {
		env = append(env, lambdaenv.EnvPolicyFile+"="+filepath.Join(c.dir, k.Policy))
	}
	return env, nil
}
