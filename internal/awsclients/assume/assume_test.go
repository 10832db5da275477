package assume_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/awsclients/assume"
	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func TestAssumeRoleActsInEachAccount(t *testing.T) {
	ctx := context.Background()
	srv := awslocal.StartLocal(t, "organization")
	const a, b = "111111111111", "222222222222"
	for _, id := range []string{a, b} {
		if err := srv.AddAccount(id, id, ""); err != nil {
			t.Fatal(err)
		}
		if err := srv.Seed(&awslocal.Fixture{Account: id, Region: "eu-west-1", Groups: []awslocal.GroupSpec{{Name: "g-" + id, VPC: "vpc-1"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.DenyRole(b, "reader"); err != nil {
		t.Fatal(err)
	}
	p := assume.Role(srv.AWSConfig(ctx), "reader")

	cfg, err := p.Config(ctx, awsclients.Key{Account: a, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region = %q", cfg.Region)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != a || !strings.Contains(aws.ToString(id.Arn), ":assumed-role/reader/"+assume.DefaultSessionName) {
		t.Errorf("caller = %v %v, %v", aws.ToString(id.Account), aws.ToString(id.Arn), err)
	}
	out, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"g-" + a}}}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Errorf("DescribeSecurityGroups in %s = %v, %v", a, out, err)
	}
	// A second region of the same account reuses the session.
	before := srv.CallCount("AssumeRole")
	if _, err := p.Config(ctx, awsclients.Key{Account: a, Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.CallCount("AssumeRole"); got != before {
		t.Errorf("AssumeRole calls %d -> %d for a second region of the same account", before, got)
	}

	_, err = p.Config(ctx, awsclients.Key{Account: b, Region: "eu-west-1"})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !strings.Contains(err.Error(), "arn:aws:iam::"+b+":role/reader") {
		t.Errorf("Config(denied) = %v, want AccessDenied naming the role", err)
	}
	for _, k := range []awsclients.Key{{Account: "12", Region: "eu-west-1"}, {Account: a}} {
		if _, err := p.Config(ctx, k); !errors.Is(err, awsclients.ErrNotServed) {
			t.Errorf("Config(%v) = %v, want ErrNotServed", k, err)
		}
	}
}
