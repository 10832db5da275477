package awslocal_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

const testVPC = "vpc-0a11ce00000000001"

func newEC2(t *testing.T, opts ...awslocal.Option) (*awslocal.Server, *ec2.Client) {
	t.Helper()
	srv := awslocal.Start(t, opts...)
	return srv, ec2.NewFromConfig(srv.AWSConfig(context.Background()))
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestCreateGroupHasDefaultEgress(t *testing.T) {
	ctx := context.Background()
	_, client := newEC2(t, awslocal.WithFixture(&awslocal.Fixture{VPCs: []awslocal.VPCSpec{{ID: testVPC, CIDR: "10.0.0.0/16"}}}))
	out, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("web"), Description: aws.String("web tier"), VpcId: aws.String(testVPC),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}},
	})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	d, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*out.GroupId}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	if len(d.SecurityGroups) != 1 {
		t.Fatalf("got %d groups, want 1", len(d.SecurityGroups))
	}
	g := d.SecurityGroups[0]
	if len(g.IpPermissions) != 0 || len(g.IpPermissionsEgress) != 1 {
		t.Fatalf("ingress %d egress %d, want 0 and 1", len(g.IpPermissions), len(g.IpPermissionsEgress))
	}
	e := g.IpPermissionsEgress[0]
	if aws.ToString(e.IpProtocol) != "-1" || len(e.IpRanges) != 1 || aws.ToString(e.IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("egress = %+v, want -1 to 0.0.0.0/0", e)
	}
	if len(g.Tags) != 1 || aws.ToString(g.Tags[0].Key) != "team" {
		t.Errorf("tags = %+v", g.Tags)
	}
	rules, err := client.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{*out.GroupId}}},
	})
	if err != nil {
		t.Fatalf("DescribeSecurityGroupRules: %v", err)
	}
	if len(rules.SecurityGroupRules) != 1 || !aws.ToBool(rules.SecurityGroupRules[0].IsEgress) {
		t.Fatalf("rules = %+v", rules.SecurityGroupRules)
	}
	_, err = client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("x"), VpcId: aws.String(testVPC)})
	if got := apiCode(err); got != "InvalidGroup.Duplicate" {
		t.Errorf("duplicate create: code %q (%v), want InvalidGroup.Duplicate", got, err)
	}
}

func TestAuthorizeRevoke(t *testing.T) {
	ctx := context.Background()
	_, client := newEC2(t, awslocal.WithFixture(&awslocal.Fixture{
		Groups: []awslocal.GroupSpec{{ID: "sg-0web0000000000001", Name: "web", VPC: testVPC}},
	}))
	perm := types.IpPermission{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
		IpRanges:   []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}, {CidrIp: aws.String("10.0.0.0/8"), Description: aws.String("corp")}},
		Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}},
	}
	out, err := client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String("sg-0web0000000000001"), IpPermissions: []types.IpPermission{perm},
	})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if len(out.SecurityGroupRules) != 3 {
		t.Fatalf("got %d rules, want 3", len(out.SecurityGroupRules))
	}
	_, err = client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String("sg-0web0000000000001"), IpPermissions: []types.IpPermission{perm},
	})
	if got := apiCode(err); got != "InvalidPermission.Duplicate" {
		t.Errorf("second authorize: code %q, want InvalidPermission.Duplicate", got)
	}
	rid := aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
	rv, err := client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String("sg-0web0000000000001"), SecurityGroupRuleIds: []string{rid},
	})
	if err != nil {
		t.Fatalf("Revoke by id: %v", err)
	}
	if len(rv.RevokedSecurityGroupRules) != 1 || aws.ToString(rv.RevokedSecurityGroupRules[0].SecurityGroupRuleId) != rid {
		t.Errorf("revoked = %+v", rv.RevokedSecurityGroupRules)
	}
	_, err = client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String("sg-0web0000000000001"), SecurityGroupRuleIds: []string{rid},
	})
	if got := apiCode(err); got != "InvalidSecurityGroupRuleId.NotFound" {
		t.Errorf("second revoke: %q, want InvalidSecurityGroupRuleId.NotFound", got)
	}
	d, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0web0000000000001"}})
	if err != nil {
		t.Fatal(err)
	}
	in := d.SecurityGroups[0].IpPermissions
	if len(in) != 1 || len(in[0].IpRanges) != 1 || len(in[0].Ipv6Ranges) != 1 || aws.ToInt32(in[0].FromPort) != 22 {
		t.Errorf("ingress after revoke = %+v", in)
	}
}
