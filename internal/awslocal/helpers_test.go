package awslocal_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// Every test here drives the server through the real SDK clients. Tests
// built on env work against an outside endpoint too (SGWARDEN_TEST_ENDPOINT);
// they create what they use through the API, with unique names, and
// delete it afterwards.

type env struct {
	acct *awslocal.Account
	ec2  *ec2.Client
	sns  *sns.Client
	sts  *sts.Client
}

func newEnv(t *testing.T, opts ...awslocal.Option) *env {
	t.Helper()
	a := awslocal.Connect(t, opts...)
	return &env{acct: a, ec2: ec2.NewFromConfig(a.Config), sns: sns.NewFromConfig(a.Config), sts: sts.NewFromConfig(a.Config)}
}

// local returns an env on an in-process server, skipping the test against
// an outside endpoint.
func local(t *testing.T, feature string, opts ...awslocal.Option) (*env, *awslocal.Server) {
	t.Helper()
	srv := awslocal.StartLocal(t, feature, opts...)
	cfg := srv.AWSConfig(context.Background())
	return &env{acct: &awslocal.Account{Server: srv, Config: cfg}, ec2: ec2.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}, srv
}

// noRetry makes a client return the first answer, so a test sees the
// error code and status the server sent.
func noRetry(o *ec2.Options) { o.Retryer = aws.NopRetryer{} }

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// wantErr fails unless err carries code and HTTP status.
func wantErr(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s (%d)", what, code, status)
		return
	}
	if got := apiCode(err); got != code {
		t.Errorf("%s: code %q (%v), want %s", what, got, err, code)
	}
	if got := httpStatus(err); status != 0 && got != status {
		t.Errorf("%s: HTTP %d, want %d", what, got, status)
	}
}

func unique(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// vpc creates a non-default VPC and deletes it when the test ends.
func (e *env) vpc(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	out, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	id := aws.ToString(out.Vpc.VpcId)
	t.Cleanup(func() { _, _ = e.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)}) })
	return id
}

// group creates a group in vpc and deletes it when the test ends (before
// the VPC, as cleanups run last-in first-out).
func (e *env) group(t *testing.T, vpc, name string) string {
	t.Helper()
	ctx := context.Background()
	out, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(unique(name)), Description: aws.String(name + " tier"), VpcId: aws.String(vpc),
	})
	if err != nil {
		t.Fatalf("CreateSecurityGroup(%s): %v", name, err)
	}
	id := aws.ToString(out.GroupId)
	t.Cleanup(func() { _, _ = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)}) })
	return id
}

// rules lists a group's rules through DescribeSecurityGroupRules.
func (e *env) rules(t *testing.T, groupID string) []types.SecurityGroupRule {
	t.Helper()
	out, err := e.ec2.DescribeSecurityGroupRules(context.Background(), &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	if err != nil {
		t.Fatalf("DescribeSecurityGroupRules(%s): %v", groupID, err)
	}
	return out.SecurityGroupRules
}

func tcp(port int32, cidrs ...string) types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port)}
	for _, c := range cidrs {
		p.IpRanges = append(p.IpRanges, types.IpRange{CidrIp: aws.String(c)})
	}
	return p
}

func ruleIDs(rules []types.SecurityGroupRule) []string {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = aws.ToString(r.SecurityGroupRuleId)
	}
	return ids
}

// pager is what every SDK paginator of a client with options O offers.
type pager[Out, O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*O)) (Out, error)
}

// drain reads every page, handing each to page, and returns the number of
// pages.
func drain[Out, O any](t *testing.T, p pager[Out, O], page func(Out)) int {
	t.Helper()
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", n+1, err)
		}
		n++
		page(out)
	}
	return n
}
