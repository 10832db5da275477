package awslocal_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

const scaleVPC = "vpc-05ca1e0000000001"

// scaleFixture lays out the audit's scale: groups with rulesPerGroup
// ingress rules each (plus the default egress) and enis interfaces, each
// in two groups.
func scaleFixture(groups, rulesPerGroup, enis int) *awslocal.Fixture {
	f := &awslocal.Fixture{VPCs: []awslocal.VPCSpec{{ID: scaleVPC, CIDR: "10.0.0.0/8"}}}
	f.Groups = make([]awslocal.GroupSpec, groups)
	for i := range f.Groups {
		g := awslocal.GroupSpec{ID: fmt.Sprintf("sg-%017x", i+1), Name: fmt.Sprintf("g%05d", i), VPC: scaleVPC}
		g.Ingress = make([]awslocal.RuleSpec, rulesPerGroup)
		for j := range g.Ingress {
			g.Ingress[j] = awslocal.TCP(int32(1000+j), fmt.Sprintf("10.%d.%d.0/24", i%250, j))
		}
		f.Groups[i] = g
	}
	f.NetworkInterfaces = make([]awslocal.ENISpec, enis)
	for i := range f.NetworkInterfaces {
		f.NetworkInterfaces[i] = awslocal.ENISpec{
			ID: fmt.Sprintf("eni-%017x", i+1), VPC: scaleVPC, Subnet: "subnet-0a",
			Groups:    []string{fmt.Sprintf("sg-%017x", i%groups+1), fmt.Sprintf("sg-%017x", (i+1)%groups+1)},
			PrivateIP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), InstanceID: fmt.Sprintf("i-%017x", i+1),
		}
	}
	return f
}

// tokensRoundTrip checks that each NextToken the server handed out came
// back as the NextToken of the next call of op.
func tokensRoundTrip(t *testing.T, srv *awslocal.Server, op string, handedOut []string) {
	t.Helper()
	var sent []string
	for _, c := range srv.Calls() {
		if c.Operation == op {
			sent = append(sent, c.Params.Get("NextToken"))
		}
	}
	if len(sent) != len(handedOut)+1 || sent[0] != "" {
		t.Fatalf("%s: %d calls for %d tokens (first token %q), want one more call than tokens", op, len(sent), len(handedOut), sent[0])
	}
	for i, tok := range handedOut {
		if sent[i+1] != tok {
			t.Errorf("%s call %d sent NextToken %q, want %q from the page before", op, i+2, sent[i+1], tok)
		}
	}
}

func TestPaginatorsPageOver10000Groups(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "seeding", awslocal.WithFixture(scaleFixture(10000, 1, 0)))

	p := ec2.NewDescribeSecurityGroupsPaginator(e.ec2, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(1000)})
	seen := map[string]bool{}
	var tokens []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("DescribeSecurityGroups page %d: %v", pages+1, err)
		}
		pages++
		if len(out.SecurityGroups) > 1000 {
			t.Errorf("page %d has %d groups, more than MaxResults", pages, len(out.SecurityGroups))
		}
		for _, g := range out.SecurityGroups {
			if id := aws.ToString(g.GroupId); seen[id] {
				t.Fatalf("group %s returned twice", id)
			} else {
				seen[id] = true
			}
		}
		if tok := aws.ToString(out.NextToken); tok != "" {
			tokens = append(tokens, tok)
		}
	}
	// 10,000 seeded groups plus the VPC's default group.
	if pages != 11 || len(seen) != 10001 {
		t.Errorf("DescribeSecurityGroups paginator: %d pages, %d groups; want 11 pages, 10001 groups", pages, len(seen))
	}
	tokensRoundTrip(t, srv, "DescribeSecurityGroups", tokens)

	srv.ResetCalls()
	rp := ec2.NewDescribeSecurityGroupRulesPaginator(e.ec2, &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(1000)})
	rules := 0
	tokens = nil
	pages = drain(t, rp, func(out *ec2.DescribeSecurityGroupRulesOutput) {
		rules += len(out.SecurityGroupRules)
		if tok := aws.ToString(out.NextToken); tok != "" {
			tokens = append(tokens, tok)
		}
	})
	// One ingress and one egress rule per group, and the default group's two.
	if pages != 21 || rules != 20002 {
		t.Errorf("DescribeSecurityGroupRules paginator: %d pages, %d rules; want 21 pages, 20002 rules", pages, rules)
	}
	tokensRoundTrip(t, srv, "DescribeSecurityGroupRules", tokens)
}

func TestPagingFollowsTokensAcrossChanges(t *testing.T) {
	ctx := context.Background()
	e, _ := local(t, "seeding", awslocal.WithFixture(scaleFixture(20, 0, 0)))
	first, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(10)})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	// Deleting a group already listed and creating a new one must neither
	// skip nor repeat the groups not yet listed.
	if _, err := e.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: first.SecurityGroups[3].GroupId}); err != nil {
		t.Fatalf("DeleteSecurityGroup: %v", err)
	}
	created, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("late"), Description: aws.String("late"), VpcId: aws.String(scaleVPC)})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	rest, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(1000), NextToken: first.NextToken})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups(page 2): %v", err)
	}
	if n := len(rest.SecurityGroups); n != 12 || aws.ToString(rest.SecurityGroups[n-1].GroupId) != aws.ToString(created.GroupId) || rest.NextToken != nil {
		t.Errorf("second page = %d groups ending %s, want the 11 unlisted plus %s", n, aws.ToString(rest.SecurityGroups[n-1].GroupId), aws.ToString(created.GroupId))
	}
}

func TestDefaultPageSizeMakesCallersFollowTokens(t *testing.T) {
	e, _ := local(t, "WithDefaultPageSize", awslocal.WithDefaultPageSize(7), awslocal.WithFixture(scaleFixture(20, 0, 0)))
	p := ec2.NewDescribeSecurityGroupsPaginator(e.ec2, &ec2.DescribeSecurityGroupsInput{})
	groups := 0
	pages := drain(t, p, func(out *ec2.DescribeSecurityGroupsOutput) { groups += len(out.SecurityGroups) })
	if pages != 3 || groups != 21 {
		t.Errorf("no MaxResults, default page size 7: %d pages, %d groups; want 3 and 21", pages, groups)
	}
}

func TestPagingThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	vpc := e.vpc(t)
	for i := 0; i < 6; i++ {
		e.group(t, vpc, fmt.Sprintf("p%d", i))
	}
	p := ec2.NewDescribeSecurityGroupsPaginator(e.ec2, &ec2.DescribeSecurityGroupsInput{
		MaxResults: aws.Int32(5), Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}},
	})
	groups := 0
	pages := drain(t, p, func(out *ec2.DescribeSecurityGroupsOutput) { groups += len(out.SecurityGroups) })
	if pages != 2 || groups != 7 {
		t.Errorf("7 groups at MaxResults 5: %d pages, %d groups; want 2 pages, 7 groups", pages, groups)
	}
}

func TestMaxResultsLimits(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pl, err := e.ec2.CreateManagedPrefixList(ctx, &ec2.CreateManagedPrefixListInput{
		PrefixListName: aws.String(unique("limits")), AddressFamily: aws.String("IPv4"), MaxEntries: aws.Int32(5),
	})
	if err != nil {
		t.Fatalf("CreateManagedPrefixList: %v", err)
	}
	plID := pl.PrefixList.PrefixListId
	t.Cleanup(func() {
		_, _ = e.ec2.DeleteManagedPrefixList(ctx, &ec2.DeleteManagedPrefixListInput{PrefixListId: plID})
	})
	calls := map[string]func(n int32) error{
		"DescribeSecurityGroups": func(n int32) error {
			_, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(n)})
			return err
		},
		"DescribeSecurityGroupRules": func(n int32) error {
			_, err := e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(n)})
			return err
		},
		"DescribeNetworkInterfaces": func(n int32) error {
			_, err := e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(n)})
			return err
		},
		"DescribeManagedPrefixLists": func(n int32) error {
			_, err := e.ec2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{MaxResults: aws.Int32(n)})
			return err
		},
		"GetManagedPrefixListEntries": func(n int32) error {
			_, err := e.ec2.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: plID, MaxResults: aws.Int32(n)})
			return err
		},
	}
	tests := []struct {
		op     string
		lo, hi int32
	}{
		{"DescribeSecurityGroups", 5, 1000},
		{"DescribeSecurityGroupRules", 5, 1000},
		{"DescribeNetworkInterfaces", 5, 1000},
		{"DescribeManagedPrefixLists", 1, 100},
		{"GetManagedPrefixListEntries", 1, 100},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			call := calls[tc.op]
			for _, n := range []int32{tc.lo, tc.hi} {
				if err := call(n); err != nil {
					t.Errorf("%s(MaxResults=%d) = %v, want success", tc.op, n, err)
				}
			}
			for _, n := range []int32{tc.lo - 1, tc.hi + 1} {
				wantErr(t, fmt.Sprintf("%s(MaxResults=%d)", tc.op, n), call(n), "InvalidParameterValue", 400)
			}
		})
	}
}

func TestPagingParameterErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	_, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{web}, MaxResults: aws.Int32(5)})
	wantErr(t, "DescribeSecurityGroups(GroupIds+MaxResults)", err, "InvalidParameterCombination", 400)
	_, err = e.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: ruleIDs(e.rules(t, web)), MaxResults: aws.Int32(5)})
	wantErr(t, "DescribeSecurityGroupRules(SecurityGroupRuleIds+MaxResults)", err, "InvalidParameterCombination", 400)
	_, err = e.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-0000000000000dead"}, MaxResults: aws.Int32(5)})
	wantErr(t, "DescribeNetworkInterfaces(NetworkInterfaceIds+MaxResults)", err, "InvalidParameterCombination", 400)
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(5), NextToken: aws.String("garbage")})
	wantErr(t, "DescribeSecurityGroups(bad NextToken)", err, "InvalidPaginationToken", 400)
}

func withScale(groups, rulesPerGroup, enis int) awslocal.Option {
	return awslocal.WithFixture(scaleFixture(groups, rulesPerGroup, enis))
}
