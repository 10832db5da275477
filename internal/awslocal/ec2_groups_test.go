package awslocal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestCreateSecurityGroupHasDefaultEgressOnly(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	name := unique("web")
	out, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String("web tier"), VpcId: aws.String(vpc),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}},
	})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	id := aws.ToString(out.GroupId)
	t.Cleanup(func() { _, _ = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)}) })
	if !strings.HasPrefix(id, "sg-") || !strings.HasSuffix(aws.ToString(out.SecurityGroupArn), ":security-group/"+id) {
		t.Errorf("CreateSecurityGroup = id %q arn %q, want sg- and its ARN", id, aws.ToString(out.SecurityGroupArn))
	}
	d, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	if len(d.SecurityGroups) != 1 {
		t.Fatalf("DescribeSecurityGroups(%s) = %d groups, want 1", id, len(d.SecurityGroups))
	}
	g := d.SecurityGroups[0]
	if aws.ToString(g.GroupName) != name || aws.ToString(g.VpcId) != vpc || aws.ToString(g.Description) != "web tier" {
		t.Errorf("group = %s %s %q, want %s %s \"web tier\"", aws.ToString(g.GroupName), aws.ToString(g.VpcId), aws.ToString(g.Description), name, vpc)
	}
	if len(g.IpPermissions) != 0 || len(g.IpPermissionsEgress) != 1 {
		t.Fatalf("ingress %d egress %d permissions, want 0 and 1", len(g.IpPermissions), len(g.IpPermissionsEgress))
	}
	eg := g.IpPermissionsEgress[0]
	if aws.ToString(eg.IpProtocol) != "-1" || len(eg.IpRanges) != 1 || aws.ToString(eg.IpRanges[0].CidrIp) != "0.0.0.0/0" || eg.FromPort != nil {
		t.Errorf("default egress = %+v, want all traffic to 0.0.0.0/0 without ports", eg)
	}
	if len(g.Tags) != 1 || aws.ToString(g.Tags[0].Key) != "team" || aws.ToString(g.Tags[0].Value) != "a" {
		t.Errorf("tags = %+v, want team=a", g.Tags)
	}
	rules := e.rules(t, id)
	if len(rules) != 1 {
		t.Fatalf("DescribeSecurityGroupRules = %d rules, want 1", len(rules))
	}
	r := rules[0]
	if !aws.ToBool(r.IsEgress) || aws.ToString(r.IpProtocol) != "-1" || aws.ToString(r.CidrIpv4) != "0.0.0.0/0" ||
		aws.ToInt32(r.FromPort) != -1 || aws.ToInt32(r.ToPort) != -1 || !strings.HasPrefix(aws.ToString(r.SecurityGroupRuleId), "sgr-") {
		t.Errorf("default egress rule = %+v", r)
	}

	_, err = e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String("x"), VpcId: aws.String(vpc)})
	wantErr(t, "CreateSecurityGroup(same name)", err, "InvalidGroup.Duplicate", 400)
	_, err = e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("default"), Description: aws.String("x"), VpcId: aws.String(vpc)})
	wantErr(t, "CreateSecurityGroup(default)", err, "InvalidGroup.Reserved", 400)
}

func TestEachVPCHasADefaultGroupWithSelfReference(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	d, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	if len(d.SecurityGroups) != 1 {
		t.Fatalf("default groups of %s = %d, want 1", vpc, len(d.SecurityGroups))
	}
	g := d.SecurityGroups[0]
	id := aws.ToString(g.GroupId)
	if len(g.IpPermissions) != 1 || aws.ToString(g.IpPermissions[0].IpProtocol) != "-1" || len(g.IpPermissions[0].UserIdGroupPairs) != 1 ||
		aws.ToString(g.IpPermissions[0].UserIdGroupPairs[0].GroupId) != id {
		t.Errorf("default group ingress = %+v, want all traffic from itself", g.IpPermissions)
	}
	if len(g.IpPermissionsEgress) != 1 || aws.ToString(g.IpPermissionsEgress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("default group egress = %+v, want all traffic to 0.0.0.0/0", g.IpPermissionsEgress)
	}
	var self int
	for _, r := range e.rules(t, id) {
		if r.ReferencedGroupInfo != nil && aws.ToString(r.ReferencedGroupInfo.GroupId) == id {
			self++
		}
	}
	if self != 1 {
		t.Errorf("self-referencing rules of the default group = %d, want 1", self)
	}
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	wantErr(t, "DeleteSecurityGroup(default)", err, "CannotDelete", 400)
}

func TestDeleteSecurityGroupErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	target := e.group(t, vpc, "db")
	source := e.group(t, vpc, "app")
	// app's rule references db: db cannot go while it exists.
	_, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(source), IpPermissions: []types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(5432), ToPort: aws.Int32(5432),
			UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(target)}},
		}},
	})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(target)})
	wantErr(t, "DeleteSecurityGroup(referenced)", err, "DependencyViolation", 400)

	if _, err := e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(source)}); err != nil {
		t.Fatalf("DeleteSecurityGroup(referencing group): %v", err)
	}
	if _, err := e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(target)}); err != nil {
		t.Fatalf("DeleteSecurityGroup(no longer referenced): %v", err)
	}
	_, err = e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(target)})
	wantErr(t, "DeleteSecurityGroup(deleted)", err, "InvalidGroup.NotFound", 400)
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000dead"}})
	wantErr(t, "DescribeSecurityGroups(missing)", err, "InvalidGroup.NotFound", 400)
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"web"}})
	wantErr(t, "DescribeSecurityGroups(malformed)", err, "InvalidGroupId.Malformed", 400)
}
