package awslocal_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// checkAccount verifies testdata/account.yaml through the SDK.
func checkAccount(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	groups, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0web0000000000001", "sg-0db00000000000001"}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	web, db := groups.SecurityGroups[0], groups.SecurityGroups[1]
	if len(web.IpPermissions) != 3 || len(web.IpPermissionsEgress) != 1 || len(web.Tags) != 1 {
		t.Errorf("web = %d ingress %d egress %d tags, want 3, the default egress, 1", len(web.IpPermissions), len(web.IpPermissionsEgress), len(web.Tags))
	}
	if len(db.IpPermissions) != 2 || len(db.IpPermissionsEgress) != 0 {
		t.Errorf("db = %d ingress %d egress, want 2 and none (egress: [])", len(db.IpPermissions), len(db.IpPermissionsEgress))
	}
	rules, err := e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{"sgr-0bad0000000000001"}})
	if err != nil || len(rules.SecurityGroupRules) != 1 || aws.ToString(rules.SecurityGroupRules[0].CidrIpv4) != "0.0.0.0/0" {
		t.Errorf("seeded rule ID: %+v, %v", rules, err)
	}
	self := false
	for _, r := range e.rules(t, "sg-0db00000000000001") {
		self = self || (r.ReferencedGroupInfo != nil && aws.ToString(r.ReferencedGroupInfo.GroupId) == "sg-0db00000000000001")
	}
	if !self {
		t.Errorf("db has no self-referencing rule")
	}
	enis, err := e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{"sg-0web0000000000001"}}}})
	if err != nil || len(enis.NetworkInterfaces) != 2 {
		t.Errorf("interfaces in web: %+v, %v; want 2", enis, err)
	}
	entries, err := e.ec2.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String("pl-0c0ffee0000000001")})
	if err != nil || len(entries.Entries) != 1 || aws.ToString(entries.Entries[0].Description) != "HQ" {
		t.Errorf("prefix list entries: %+v, %v", entries, err)
	}
	topics, err := e.sns.ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil || len(topics.Topics) != 1 || !strings.HasSuffix(aws.ToString(topics.Topics[0].TopicArn), ":sgwarden-alerts") {
		t.Errorf("topics: %+v, %v", topics, err)
	}
	// The default VPC's default group was created too.
	d, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	if err != nil || len(d.SecurityGroups) != 1 {
		t.Errorf("default group by name: %+v, %v", d, err)
	}
}

func TestSeedFromYAMLFile(t *testing.T) {
	f, err := awslocal.LoadFixture("testdata/account.yaml")
	if err != nil {
		t.Fatalf("LoadFixture: %v", err)
	}
	e, _ := local(t, "seeding", awslocal.WithFixture(f))
	checkAccount(t, e)
}

func TestSeedFromJSON(t *testing.T) {
	f, err := awslocal.LoadFixture("testdata/account.yaml")
	if err != nil {
		t.Fatalf("LoadFixture: %v", err)
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	back, err := awslocal.ParseFixture(data)
	if err != nil {
		t.Fatalf("ParseFixture(JSON): %v", err)
	}
	e, srv := local(t, "seeding")
	if err := srv.Seed(back); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	checkAccount(t, e)
}

func TestSeedFromGo(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "seeding")
	err := srv.Seed(&awslocal.Fixture{
		Groups: []awslocal.GroupSpec{{
			ID: "sg-0go00000000000001", Name: "api", VPC: "vpc-0go00000000000001",
			Ingress: []awslocal.RuleSpec{awslocal.TCP(22, "0.0.0.0/0"), awslocal.UDP(53, "10.0.0.0/8"), awslocal.AllTraffic("self"), awslocal.PortRange("tcp", 1024, 65535, "::/0")},
		}},
	})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	rules := e.rules(t, "sg-0go00000000000001")
	if len(rules) != 5 {
		t.Errorf("seeded rules = %d, want 4 ingress and the default egress", len(rules))
	}
	vpcs, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0go00000000000001"}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Errorf("VPC named by a group is created: %+v, %v", vpcs, err)
	}
}

func TestSeedRejectsBadFixturesWhole(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "groups:\n  - {name: a, vpc: vpc-1, color: red}\n", "color"},
		{"undefined group", "groups:\n  - name: a\n    vpc: vpc-1\n    ingress: [{protocol: tcp, from: 1, to: 1, group: sg-0nope}]\n", "sg-0nope"},
		{"two peers", "groups:\n  - name: a\n    vpc: vpc-1\n    ingress: [{protocol: tcp, from: 1, to: 1, cidr: 10.0.0.0/8, cidr6: \"::/0\"}]\n", "exactly one"},
		{"bad cidr", "groups:\n  - name: a\n    vpc: vpc-1\n    ingress: [{protocol: tcp, from: 1, to: 1, cidr: 10.0.0.300/8}]\n", "malformed"},
		{"duplicate name", "groups:\n  - {name: a, vpc: vpc-1}\n  - {name: a, vpc: vpc-1}\n", "already exists"},
		{"interface in unknown group", "networkInterfaces:\n  - {vpc: vpc-1, groups: [sg-0nope]}\n", "sg-0nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := local(t, "seeding")
			f, err := awslocal.ParseFixture([]byte("topics: [first]\n" + tc.yaml))
			if err == nil {
				err = srv.Seed(f)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Seed(%s) = %v, want an error mentioning %q", tc.name, err, tc.want)
			}
			topics, err := e.sns.ListTopics(context.Background(), &sns.ListTopicsInput{})
			if err != nil || len(topics.Topics) != 0 {
				t.Errorf("after a rejected fixture: topics %+v, %v; want nothing seeded", topics, err)
			}
		})
	}
}

func must(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestRegionsHoldTheirOwnState(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "seeding")
	if err := srv.Seed(&awslocal.Fixture{Region: "eu-west-1", Groups: []awslocal.GroupSpec{{ID: "sg-0eu00000000000001", Name: "eu", VPC: "vpc-0eu00000000000001"}}}); err != nil {
		t.Fatalf("Seed(eu-west-1): %v", err)
	}
	_, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0eu00000000000001"}})
	wantErr(t, "DescribeSecurityGroups in us-east-1", err, "InvalidGroup.NotFound", 400)
	eu := ec2.NewFromConfig(e.acct.Config, func(o *ec2.Options) { o.Region = "eu-west-1" })
	out, err := eu.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0eu00000000000001"}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Errorf("DescribeSecurityGroups in eu-west-1 = %+v, %v; want the seeded group", out, err)
	}
	if c := srv.Calls(); c[len(c)-1].Region != "eu-west-1" {
		t.Errorf("recorded region = %s, want eu-west-1", c[len(c)-1].Region)
	}
}
