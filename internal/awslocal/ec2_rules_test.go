package awslocal_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func TestAuthorizeReturnsARuleForEveryPeer(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	lb := e.group(t, vpc, "lb")
	ssh := tcp(22, "0.0.0.0/0", "10.0.0.0/8")
	ssh.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String("::/0"), Description: aws.String("world v6")}}
	https := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(lb)}}}
	out, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{ssh, https},
	})
	if err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	if !aws.ToBool(out.Return) {
		t.Errorf("Return = false, want true")
	}
	type shape struct {
		port int32
		peer string
	}
	var got []shape
	for _, r := range out.SecurityGroupRules {
		if !strings.HasPrefix(aws.ToString(r.SecurityGroupRuleId), "sgr-") || aws.ToString(r.GroupId) != web || aws.ToBool(r.IsEgress) {
			t.Errorf("rule %+v: want an sgr- ingress rule of %s", r, web)
		}
		peer := aws.ToString(r.CidrIpv4) + aws.ToString(r.CidrIpv6)
		if r.ReferencedGroupInfo != nil {
			peer = aws.ToString(r.ReferencedGroupInfo.GroupId)
		}
		got = append(got, shape{aws.ToInt32(r.FromPort), peer})
	}
	want := []shape{{22, "0.0.0.0/0"}, {22, "10.0.0.0/8"}, {22, "::/0"}, {443, lb}}
	if !slices.Equal(got, want) {
		t.Errorf("authorized rules = %v, want %v", got, want)
	}
	described := e.rules(t, web)
	if len(described) != 5 { // four ingress plus the default egress
		t.Errorf("DescribeSecurityGroupRules = %d rules, want 5", len(described))
	}

	eg, err := e.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(5432, "10.1.0.0/16")},
	})
	if err != nil {
		t.Fatalf("AuthorizeSecurityGroupEgress: %v", err)
	}
	if !aws.ToBool(eg.Return) || len(eg.SecurityGroupRules) != 1 || !aws.ToBool(eg.SecurityGroupRules[0].IsEgress) {
		t.Errorf("AuthorizeSecurityGroupEgress = %+v, want one egress rule", eg.SecurityGroupRules)
	}
}

func TestAuthorizeDuplicateChangesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	if _, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "10.0.0.0/8")},
	}); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	// One new peer and one existing one: the call fails as a whole.
	_, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "192.168.0.0/16", "10.0.0.0/8")},
	})
	wantErr(t, "Authorize(duplicate)", err, "InvalidPermission.Duplicate", 400)
	if n := len(e.rules(t, web)); n != 2 {
		t.Errorf("rules after the failed authorize = %d, want 2 (nothing added)", n)
	}
	_, err = e.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
	})
	wantErr(t, "AuthorizeEgress(default egress again)", err, "InvalidPermission.Duplicate", 400)
	_, err = e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String("sg-0000000000000dead"), IpPermissions: []types.IpPermission{tcp(22, "10.0.0.0/8")},
	})
	wantErr(t, "Authorize(missing group)", err, "InvalidGroup.NotFound", 400)
}

func TestRevokeByPermissionsInANonDefaultVPC(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	if _, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "0.0.0.0/0", "10.0.0.0/8")},
	}); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	revoke := func(p types.IpPermission) (*ec2.RevokeSecurityGroupIngressOutput, error) {
		return e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{p}})
	}
	// A request naming one existing and one missing rule revokes nothing.
	_, err := revoke(tcp(22, "0.0.0.0/0", "172.16.0.0/12"))
	wantErr(t, "Revoke(existing+missing)", err, "InvalidPermission.NotFound", 400)
	if n := len(e.rules(t, web)); n != 3 {
		t.Fatalf("rules after the failed revoke = %d, want 3", n)
	}
	out, err := revoke(tcp(22, "0.0.0.0/0"))
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if !aws.ToBool(out.Return) || len(out.UnknownIpPermissions) != 0 {
		t.Errorf("Revoke = return %v unknown %+v, want true and none", aws.ToBool(out.Return), out.UnknownIpPermissions)
	}
	if len(out.RevokedSecurityGroupRules) != 1 || aws.ToString(out.RevokedSecurityGroupRules[0].CidrIpv4) != "0.0.0.0/0" {
		t.Errorf("RevokedSecurityGroupRules = %+v, want the 0.0.0.0/0 rule", out.RevokedSecurityGroupRules)
	}
	// The second delivery of the same revert: AWS says NotFound, which
	// callers treat as done.
	_, err = revoke(tcp(22, "0.0.0.0/0"))
	wantErr(t, "Revoke(again)", err, "InvalidPermission.NotFound", 400)
	left := e.rules(t, web)
	if len(left) != 2 || !slices.ContainsFunc(left, func(r types.SecurityGroupRule) bool { return aws.ToString(r.CidrIpv4) == "10.0.0.0/8" }) {
		t.Errorf("rules left = %+v, want the sibling 10.0.0.0/8 and the egress rule", left)
	}
}

func TestRevokeByRuleIDs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	auth, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "0.0.0.0/0", "10.0.0.0/8")},
	})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	ids := ruleIDs(auth.SecurityGroupRules)
	revoke := func(ids ...string) (*ec2.RevokeSecurityGroupIngressOutput, error) {
		return e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), SecurityGroupRuleIds: ids})
	}
	_, err = revoke(ids[0], "sgr-0000000000000dead")
	wantErr(t, "Revoke(existing+missing id)", err, "InvalidSecurityGroupRuleId.NotFound", 400)
	if n := len(e.rules(t, web)); n != 3 {
		t.Fatalf("rules after the failed revoke = %d, want 3", n)
	}
	out, err := revoke(ids[0])
	if err != nil {
		t.Fatalf("Revoke(%s): %v", ids[0], err)
	}
	if !aws.ToBool(out.Return) || len(out.RevokedSecurityGroupRules) != 1 || aws.ToString(out.RevokedSecurityGroupRules[0].SecurityGroupRuleId) != ids[0] {
		t.Errorf("Revoke(%s) = %+v, want that rule revoked", ids[0], out.RevokedSecurityGroupRules)
	}
	_, err = revoke(ids[0])
	wantErr(t, "Revoke(same id again)", err, "InvalidSecurityGroupRuleId.NotFound", 400)
	_, err = revoke("rule-1")
	wantErr(t, "Revoke(malformed id)", err, "InvalidSecurityGroupRuleId.Malformed", 400)
	_, err = e.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(web), SecurityGroupRuleIds: []string{ids[1]}})
	wantErr(t, "RevokeEgress(ingress rule id)", err, "InvalidSecurityGroupRuleId.NotFound", 400)
	_, err = e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String("sg-0000000000000dead"), SecurityGroupRuleIds: []string{ids[1]}})
	wantErr(t, "Revoke(missing group)", err, "InvalidGroup.NotFound", 400)
	if got := ruleIDs(e.rules(t, web)); !slices.Contains(got, ids[1]) || len(got) != 2 {
		t.Errorf("rules left = %v, want %s and the egress rule", got, ids[1])
	}
}

func TestRevokeInTheDefaultVPCReportsUnknownPermissions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, awslocal.WithFixture(&awslocal.Fixture{VPCs: []awslocal.VPCSpec{{ID: "vpc-0defa170000000001", CIDR: "172.31.0.0/16", Default: true}}}))
	vpcs, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	if len(vpcs.Vpcs) == 0 {
		t.Skip("the endpoint has no default VPC")
	}
	web := e.group(t, aws.ToString(vpcs.Vpcs[0].VpcId), "web")
	out, err := e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "0.0.0.0/0")},
	})
	if err != nil {
		t.Fatalf("Revoke(missing rule, default VPC): %v", err)
	}
	if len(out.UnknownIpPermissions) != 1 || aws.ToInt32(out.UnknownIpPermissions[0].FromPort) != 22 ||
		aws.ToString(out.UnknownIpPermissions[0].IpRanges[0].CidrIp) != "0.0.0.0/0" || len(out.RevokedSecurityGroupRules) != 0 {
		t.Errorf("Revoke = unknown %+v revoked %+v, want tcp/22 from 0.0.0.0/0 unknown", out.UnknownIpPermissions, out.RevokedSecurityGroupRules)
	}
}

func TestDescribeSecurityGroupRulesFilters(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web, db := e.group(t, vpc, "web"), e.group(t, vpc, "db")
	var webRules []string
	for _, g := range []string{web, db} {
		out, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(g), IpPermissions: []types.IpPermission{tcp(22, "10.0.0.0/8", "10.1.0.0/16")},
		})
		if err != nil {
			t.Fatalf("Authorize(%s): %v", g, err)
		}
		if g == web {
			webRules = ruleIDs(out.SecurityGroupRules)
		}
	}
	describe := func(in *ec2.DescribeSecurityGroupRulesInput) []string {
		t.Helper()
		out, err := e.ec2.DescribeSecurityGroupRules(ctx, in)
		if err != nil {
			t.Fatalf("DescribeSecurityGroupRules: %v", err)
		}
		return ruleIDs(out.SecurityGroupRules)
	}
	filter := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	if got := describe(&ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("group-id", web)}}); len(got) != 3 || !slices.Contains(got, webRules[0]) {
		t.Errorf("group-id=%s: %v, want its 2 ingress rules and its egress rule", web, got)
	}
	if got := describe(&ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("group-id", web, db)}}); len(got) != 6 {
		t.Errorf("group-id=web,db: %d rules, want 6", len(got))
	}
	if got := describe(&ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("security-group-rule-id", webRules[1])}}); !slices.Equal(got, webRules[1:2]) {
		t.Errorf("security-group-rule-id=%s: %v", webRules[1], got)
	}
	if got := describe(&ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("group-id", db), filter("security-group-rule-id", webRules[1])}}); len(got) != 0 {
		t.Errorf("group-id=db AND rule of web: %v, want none", got)
	}
	if got := describe(&ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: webRules}); !slices.Equal(got, webRules) {
		t.Errorf("SecurityGroupRuleIds=%v: %v", webRules, got)
	}
	_, err := e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{"sgr-0000000000000dead"}})
	wantErr(t, "DescribeSecurityGroupRules(missing id)", err, "InvalidSecurityGroupRuleId.NotFound", 400)
	_, err = e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("cidr", "10.0.0.0/8")}})
	wantErr(t, "DescribeSecurityGroupRules(unknown filter)", err, "InvalidParameterValue", 400)
}

func TestModifySecurityGroupRules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	auth, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{tcp(22, "10.0.0.0/8"), tcp(443, "0.0.0.0/0")},
	})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	ids := ruleIDs(auth.SecurityGroupRules)
	modify := func(id string, req types.SecurityGroupRuleRequest) error {
		_, err := e.ec2.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{
			GroupId: aws.String(web), SecurityGroupRules: []types.SecurityGroupRuleUpdate{{SecurityGroupRuleId: aws.String(id), SecurityGroupRule: &req}},
		})
		return err
	}
	if err := modify(ids[0], types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(2222), ToPort: aws.Int32(2222),
		CidrIpv4: aws.String("0.0.0.0/0"), Description: aws.String("widened")}); err != nil {
		t.Fatalf("ModifySecurityGroupRules: %v", err)
	}
	out, err := e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: ids[:1]})
	if err != nil {
		t.Fatalf("DescribeSecurityGroupRules: %v", err)
	}
	r := out.SecurityGroupRules[0]
	if aws.ToInt32(r.FromPort) != 2222 || aws.ToString(r.CidrIpv4) != "0.0.0.0/0" || aws.ToString(r.Description) != "widened" {
		t.Errorf("modified rule = %+v, want tcp/2222 from 0.0.0.0/0 \"widened\" under the same ID", r)
	}
	err = modify(ids[0], types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIpv4: aws.String("0.0.0.0/0")})
	wantErr(t, "Modify(into the other rule)", err, "InvalidPermission.Duplicate", 400)
	err = modify("sgr-0000000000000dead", types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(1), CidrIpv4: aws.String("10.0.0.0/8")})
	wantErr(t, "Modify(missing rule)", err, "InvalidSecurityGroupRuleId.NotFound", 400)
}

func TestTagsOnGroupsAndRules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	rid := ruleIDs(e.rules(t, web))[0]
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	if _, err := e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{web, rid}, Tags: []types.Tag{tag("sgwarden:exempt", "2030-01-01"), tag("team", "a")}}); err != nil {
		t.Fatalf("CreateTags: %v", err)
	}
	groupTags := func() map[string]string {
		out, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{web}})
		if err != nil {
			t.Fatalf("DescribeSecurityGroups: %v", err)
		}
		m := map[string]string{}
		for _, tg := range out.SecurityGroups[0].Tags {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	ruleTags := func() map[string]string {
		out, err := e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("tag:team"), Values: []string{"a"}}}})
		if err != nil {
			t.Fatalf("DescribeSecurityGroupRules: %v", err)
		}
		m := map[string]string{}
		for _, r := range out.SecurityGroupRules {
			if aws.ToString(r.SecurityGroupRuleId) != rid {
				continue
			}
			for _, tg := range r.Tags {
				m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
		}
		return m
	}
	if g, r := groupTags(), ruleTags(); g["sgwarden:exempt"] != "2030-01-01" || r["sgwarden:exempt"] != "2030-01-01" || r["team"] != "a" {
		t.Fatalf("tags after CreateTags: group %v rule %v", g, r)
	}
	// A key with a different value stays; a key alone goes whatever its value.
	if _, err := e.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{web, rid}, Tags: []types.Tag{tag("team", "b"), {Key: aws.String("sgwarden:exempt")}}}); err != nil {
		t.Fatalf("DeleteTags: %v", err)
	}
	if g, r := groupTags(), ruleTags(); len(g) != 1 || g["team"] != "a" || len(r) != 1 || r["team"] != "a" {
		t.Errorf("tags after DeleteTags: group %v rule %v, want only team=a", g, r)
	}
	_, err := e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"sg-0000000000000dead"}, Tags: []types.Tag{tag("a", "b")}})
	wantErr(t, "CreateTags(missing group)", err, "InvalidGroup.NotFound", 400)
	_, err = e.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"sgr-0000000000000dead"}, Tags: []types.Tag{tag("a", "b")}})
	wantErr(t, "CreateTags(missing rule)", err, "InvalidSecurityGroupRuleId.NotFound", 400)
}
