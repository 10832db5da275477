package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// pages is the fewest calls that list n items with the audit's page size.
func pages(n int) int {
	const pageSize = 1000
	if n == 0 {
		return 1
	}
	return (n + pageSize - 1) / pageSize
}

// TestPagingTenThousandGroups seeds 10,000 groups (with their rules and
// 2,500 interfaces) and checks that the audit reads them all in the fewest
// pages, and finds the violations on the last page too.
func TestPagingTenThousandGroups(t *testing.T) {
	const nGroups, nENIs = 10_000, 2_500
	f := &awslocal.Fixture{
		VPCs:   []awslocal.VPCSpec{{ID: "vpc-0page00000000001", CIDR: "10.0.0.0/16"}},
		Groups: []awslocal.GroupSpec{{ID: "sg-0pagedefault0001", Name: "default", VPC: "vpc-0page00000000001", Egress: []awslocal.RuleSpec{}}},
	}
	for i := 1; i < nGroups; i++ {
		g := awslocal.GroupSpec{ID: fmt.Sprintf("sg-%017x", i), Name: fmt.Sprintf("g%05d", i), VPC: "vpc-0page00000000001",
			Ingress: []awslocal.RuleSpec{awslocal.TCP(443, "0.0.0.0/0")}}
		if i%2500 == 0 || i == nGroups-1 { // spread over the pages, the last one included
			g.Ingress = append(g.Ingress, awslocal.TCP(22, "0.0.0.0/0"))
		}
		f.Groups = append(f.Groups, g)
	}
	for i := range nENIs {
		f.NetworkInterfaces = append(f.NetworkInterfaces, awslocal.ENISpec{
			ID: fmt.Sprintf("eni-%017x", i), VPC: "vpc-0page00000000001", InstanceID: fmt.Sprintf("i-%017x", i),
			Groups: []string{fmt.Sprintf("sg-%017x", 1+i%(nGroups-1)), fmt.Sprintf("sg-%017x", 1+(i*7)%(nGroups-1))},
		})
	}
	srv := awslocal.Start(t, awslocal.WithFixture(f))
	// Each group has its ingress rules, plus AWS's default egress rule
	// unless the fixture lists the egress rules itself.
	nRules := 0
	for _, g := range f.Groups {
		nRules += len(g.Ingress)
		if g.Egress == nil {
			nRules++
		}
	}

	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	rr := rep.Regions[0]
	if rr.SecurityGroups != nGroups || rr.Rules != nRules || rr.NetworkInterfaces != nENIs {
		t.Errorf("scanned %d groups, %d rules, %d interfaces; want %d, %d, %d", rr.SecurityGroups, rr.Rules, rr.NetworkInterfaces, nGroups, nRules, nENIs)
	}
	// Rules are read per batch of 200 groups (one group-id filter), so
	// each batch costs its own pages, at least one.
	rulePages := 0
	for start := 0; start < len(f.Groups); start += 200 {
		n := 0
		for _, g := range f.Groups[start:min(start+200, len(f.Groups))] {
			n += len(g.Ingress)
			if g.Egress == nil {
				n++
			}
		}
		rulePages += pages(n)
	}
	want := map[string]int{
		audit.OpDescribeSecurityGroups:     pages(nGroups),
		audit.OpDescribeSecurityGroupRules: rulePages,
		audit.OpDescribeNetworkInterfaces:  pages(nENIs),
	}
	for _, c := range srv.Calls() {
		if c.ErrorCode != "" {
			t.Errorf("call %s failed: %s", c.Operation, c.ErrorCode)
		}
	}
	for op, n := range want {
		if got := rr.Calls[op]; got != n {
			t.Errorf("report counts %d %s calls, want the minimum %d", got, op, n)
		}
		// The server sees each page once, plus any transport-level retry
		// of the same page: the SDK retries a response whose connection
		// the HTTP transport closed while it was being read
		// (aws-sdk-go-v2#2737), which happens now and then on this busy
		// machine. Distinct pages are what the audit asked for.
		tokens := callParams(srv, op, "Filter.1.Value.1", "NextToken")
		if got := len(distinct(tokens)); got != n {
			t.Errorf("server received %d distinct %s pages, want the minimum %d", got, op, n)
		}
		if len(tokens) > n {
			t.Logf("%s: %d transport-level retries of a page", op, len(tokens)-n)
		}
	}
	for _, max := range callParams(srv, audit.OpDescribeSecurityGroupRules, "MaxResults") {
		if max != "1000" {
			t.Errorf("DescribeSecurityGroupRules MaxResults = %s, want 1000", max)
		}
	}
	if n := srv.CallCount(audit.OpGetManagedPrefixListEntries) + srv.CallCount(audit.OpDescribeManagedPrefixLists); n != 0 {
		t.Errorf("%d prefix-list calls, want none (no rule references a list)", n)
	}
	var groups []string
	for _, f := range rep.Violations {
		if f.Check == "remote-admin-world" {
			groups = append(groups, f.Group.ID)
		}
	}
	wantGroups := []string{fmt.Sprintf("sg-%017x", 2500), fmt.Sprintf("sg-%017x", 5000), fmt.Sprintf("sg-%017x", 7500), fmt.Sprintf("sg-%017x", nGroups-1)}
	if !slices.Equal(groups, wantGroups) {
		t.Errorf("remote-admin-world fired on %v, want %v", groups, wantGroups)
	}
	if rep.Counts.ExposedNetworkInterfaces != nENIs {
		t.Errorf("%d exposed interfaces, want every one (%d: all carry a 443-from-world group)", rep.Counts.ExposedNetworkInterfaces, nENIs)
	}
}

// TestDeniedRegion: one region answers UnauthorizedOperation to everything,
// another denies only DescribeNetworkInterfaces. The healthy region is fully
// reported, the report lists what was not scanned, the summary still goes
// out and Run returns a *PartialError.
func TestDeniedRegion(t *testing.T) {
	ok := startFixture(t)
	denied := awslocal.Start(t)
	if err := denied.InjectFault(awslocal.Fault{Service: "ec2", Kind: awslocal.FaultDeny}); err != nil {
		t.Fatal(err)
	}
	noENIs := startFixtureIn(t, "eu-west-1")
	noENIs.Deny(audit.OpDescribeNetworkInterfaces)

	regions := []string{"us-east-1", "ap-southeast-2", "eu-west-1"}
	acct := newAccount(t, regionServer{"us-east-1": ok, "ap-southeast-2": denied, "eu-west-1": noENIs}, regions, 3)
	pub, arn := publisher(t, ok, "us-east-1")
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun), audit.WithPublisher(pub, arn)).Run(context.Background())

	var pe *audit.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("Run error = %v, want a *audit.PartialError", err)
	}
	if rep == nil {
		t.Fatal("Run returned no report with its partial error")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnauthorizedOperation" {
		t.Errorf("errors.As(err, smithy.APIError) code = %v, want UnauthorizedOperation", ae)
	}
	var got []string
	for _, re := range pe.Errors {
		got = append(got, re.Region+" "+re.Operation)
	}
	slices.Sort(got)
	if want := []string{"ap-southeast-2 DescribeSecurityGroups", "eu-west-1 DescribeNetworkInterfaces"}; !slices.Equal(got, want) {
		t.Errorf("PartialError regions = %v, want %v", got, want)
	}
	if rep.Complete {
		t.Error("report says complete")
	}
	status := map[string]string{}
	for _, rr := range rep.Regions {
		status[rr.Region] = rr.Status
	}
	if want := map[string]string{"us-east-1": audit.RegionScanned, "ap-southeast-2": audit.RegionFailed, "eu-west-1": audit.RegionPartial}; !maps.Equal(status, want) {
		t.Errorf("region statuses = %v, want %v", status, want)
	}
	var unscanned []string
	for _, u := range rep.Unscanned {
		unscanned = append(unscanned, u.Region+" "+u.Operation)
		if !strings.Contains(u.Error, "UnauthorizedOperation") {
			t.Errorf("unscanned %s %s error %q does not name UnauthorizedOperation", u.Region, u.Operation, u.Error)
		}
	}
	if want := []string{"ap-southeast-2 DescribeSecurityGroups", "eu-west-1 DescribeNetworkInterfaces"}; !slices.Equal(unscanned, want) {
		t.Errorf("unscanned = %v, want %v", unscanned, want)
	}
	// us-east-1 has every finding and exposure; eu-west-1 its findings but no
	// exposures (its interfaces are unknown); ap-southeast-2 nothing.
	byRegion := map[string]int{}
	for _, f := range rep.Violations {
		byRegion[f.Region]++
	}
	if byRegion["us-east-1"] == 0 || byRegion["eu-west-1"] != byRegion["us-east-1"] || byRegion["ap-southeast-2"] != 0 {
		t.Errorf("findings per region = %v, want us-east-1 = eu-west-1 > 0 and none in ap-southeast-2", byRegion)
	}
	for _, e := range rep.Exposures {
		if e.Region != "us-east-1" {
			t.Errorf("exposure of %s in %s, want exposures only where interfaces were listed", e.NetworkInterface.ID, e.Region)
		}
	}
	if n := denied.CallCount(""); n != 1 {
		t.Errorf("denied region got %d calls, want 1 (access denied is not retried, nothing else is tried)", n)
	}

	msgs := ok.SNSMessages()
	if len(msgs) != 1 {
		t.Fatalf("published %d summaries, want 1", len(msgs))
	}
	if !strings.Contains(msgs[0].Subject, "INCOMPLETE") {
		t.Errorf("subject %q does not say INCOMPLETE", msgs[0].Subject)
	}
	var sum audit.Summary
	if err := json.Unmarshal([]byte(msgs[0].DefaultMessage()), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Complete || len(sum.Unscanned) != 2 {
		t.Errorf("summary complete=%v with %d unscanned, want false and 2", sum.Complete, len(sum.Unscanned))
	}
}

func distinct(xs []string) []string {
	s := slices.Clone(xs)
	slices.Sort(s)
	return slices.Compact(s)
}

// TestThrottlingStorm throttles every listing operation several times in a
// row: the adaptive retryer rides it out, the report equals an unthrottled
// one, and each throttle cost exactly one extra call. Past the retries, the
// region is reported as partial.
func TestThrottlingStorm(t *testing.T) {
	ctx := context.Background()
	calm := startFixture(t)
	acct := newAccount(t, regionServer{"us-east-1": calm}, []string{"us-east-1"}, 10)
	want, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(ctx)
	if err != nil {
		t.Fatalf("unthrottled Run: %v", err)
	}
	baseline := calm.CallCount("")

	stormy := startFixture(t)
	const perOp = 6
	ops := []string{audit.OpDescribeSecurityGroups, audit.OpDescribeSecurityGroupRules, audit.OpDescribeNetworkInterfaces,
		audit.OpDescribeManagedPrefixLists, audit.OpGetManagedPrefixListEntries}
	for _, op := range ops {
		stormy.Throttle(op, perOp)
	}
	acct = newAccount(t, regionServer{"us-east-1": stormy}, []string{"us-east-1"}, 10)
	got, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(ctx)
	if err != nil {
		t.Fatalf("Run through the storm: %v", err)
	}
	if a, b := string(indentJSON(t, got)), string(indentJSON(t, want)); a != b {
		t.Errorf("report through the storm differs from the calm one:\n%s", diffLines(b, a))
	}
	throttled, served := 0, 0
	for _, c := range stormy.Calls() {
		switch c.ErrorCode {
		case "RequestLimitExceeded":
			throttled++
		case "":
			served++
		}
	}
	if throttled != perOp*len(ops) || served < baseline {
		t.Errorf("%d throttled and %d served calls, want %d and at least the calm run's %d", throttled, served, perOp*len(ops), baseline)
	}
	if len(stormy.Faults()) != 0 {
		t.Errorf("faults left unconsumed: %v", stormy.Faults())
	}

	// Past the retries: the interfaces cannot be listed.
	worse := startFixture(t)
	worse.Throttle(audit.OpDescribeNetworkInterfaces, 100)
	acct = newAccount(t, regionServer{"us-east-1": worse}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(ctx)
	var pe *audit.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("Run past the retries: error %v, want *PartialError", err)
	}
	if rep.Regions[0].Status != audit.RegionPartial || len(rep.Violations) != len(want.Violations) || len(rep.Exposures) != 0 {
		t.Errorf("past the retries: status %s, %d findings, %d exposures; want partial, %d, 0",
			rep.Regions[0].Status, len(rep.Violations), len(rep.Exposures), len(want.Violations))
	}
	if n := worse.CallCount(audit.OpDescribeNetworkInterfaces); n != 3 {
		t.Errorf("%d DescribeNetworkInterfaces attempts, want 3 (max attempts)", n)
	}
}

// TestPrefixLists: only the lists that rules reference are read, a list
// with a public entry makes its rule a violation and its interfaces
// exposed, a private list does not, and entries are paged.
func TestPrefixLists(t *testing.T) {
	big := awslocal.PrefixListSpec{ID: "pl-0big00000000001", Name: "big", MaxEntries: 200}
	for i := range 150 {
		big.Entries = append(big.Entries, awslocal.PrefixListEntry{CIDR: fmt.Sprintf("10.%d.%d.0/24", 100+i/200, i%200)})
	}
	big.Entries[149] = awslocal.PrefixListEntry{CIDR: "8.0.0.0/7", Description: "oops"}
	f := &awslocal.Fixture{
		PrefixLists: []awslocal.PrefixListSpec{
			{ID: "pl-0public00000001", Name: "public", Entries: []awslocal.PrefixListEntry{{CIDR: "10.0.0.0/8"}, {CIDR: "0.0.0.0/1"}}},
			{ID: "pl-0private0000001", Name: "private", Entries: []awslocal.PrefixListEntry{{CIDR: "10.0.0.0/8"}, {CIDR: "192.168.0.0/16"}}},
			{ID: "pl-0unused00000001", Name: "unused", Entries: []awslocal.PrefixListEntry{{CIDR: "0.0.0.0/0"}}},
			big,
		},
		Groups: []awslocal.GroupSpec{
			{ID: "sg-0pub00000000001", Name: "pub", VPC: "vpc-0pl00000000001", Ingress: []awslocal.RuleSpec{{ID: "sgr-0pub0000000001", Protocol: "tcp", From: awslocal.Port(3306), To: awslocal.Port(3306), PrefixList: "pl-0public00000001"}}},
			{ID: "sg-0priv0000000001", Name: "priv", VPC: "vpc-0pl00000000001", Ingress: []awslocal.RuleSpec{{ID: "sgr-0priv000000001", Protocol: "tcp", From: awslocal.Port(22), To: awslocal.Port(22), PrefixList: "pl-0private0000001"}}},
			{ID: "sg-0big00000000001", Name: "big", VPC: "vpc-0pl00000000001", Ingress: []awslocal.RuleSpec{{ID: "sgr-0big0000000001", Protocol: "tcp", From: awslocal.Port(5432), To: awslocal.Port(5432), PrefixList: "pl-0big00000000001"}}},
			// A second rule on the same list: the list is still read once.
			{ID: "sg-0pub00000000002", Name: "pub2", VPC: "vpc-0pl00000000001", Ingress: []awslocal.RuleSpec{{ID: "sgr-0pub0000000002", Protocol: "tcp", From: awslocal.Port(443), To: awslocal.Port(443), PrefixList: "pl-0public00000001"}}},
		},
		NetworkInterfaces: []awslocal.ENISpec{
			{ID: "eni-0pl00000000001", VPC: "vpc-0pl00000000001", InstanceID: "i-0pl00000000001", Groups: []string{"sg-0pub00000000001", "sg-0priv0000000001", "sg-0big00000000001"}},
		},
	}
	srv := awslocal.Start(t, awslocal.WithFixture(f))
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	entries := callParams(srv, audit.OpGetManagedPrefixListEntries, "PrefixListId")
	slices.Sort(entries)
	if want := []string{"pl-0big00000000001", "pl-0big00000000001", "pl-0private0000001", "pl-0public00000001"}; !slices.Equal(entries, want) {
		t.Errorf("GetManagedPrefixListEntries calls for %v, want %v (referenced lists only, the big one in two pages)", entries, want)
	}
	if n := srv.CallCount(audit.OpDescribeManagedPrefixLists); n != 1 {
		t.Errorf("%d DescribeManagedPrefixLists calls, want 1 (one batch)", n)
	}
	if rr := rep.Regions[0]; rr.PrefixLists != 3 || rr.PrefixListsResolved != 3 {
		t.Errorf("prefix lists %d, resolved %d; want 3 and 3", rr.PrefixLists, rr.PrefixListsResolved)
	}
	for rule, want := range map[string][]string{
		"sgr-0pub0000000001": {"high-risk-ports-public"},
		"sgr-0priv000000001": nil,
		"sgr-0big0000000001": {"high-risk-ports-public"},
		"sgr-0pub0000000002": nil, // 443 from public space is not a high-risk port
	} {
		var got []string
		for c, f := range findings(rep, rule) {
			got = append(got, c)
			if f.PrefixListUnresolved {
				t.Errorf("%s %s: prefix list marked unresolved", rule, c)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("checks on %s = %v, want %v", rule, got, want)
		}
	}
	e, ok := exposure(rep, "eni-0pl00000000001")
	if !ok {
		t.Fatal("eni-0pl00000000001 is not reported as exposed")
	}
	want := []string{"tcp/3306 public [sg-0pub00000000001/sgr-0pub0000000001]", "tcp/5432 public [sg-0big00000000001/sgr-0big0000000001]"}
	if got := openText(e); !slices.Equal(got, want) {
		t.Errorf("exposure = %v, want %v", got, want)
	}
}

// TestUnionAcrossGroups checks seed rules 1 and 2 on interfaces of the
// golden account: exposure is the union over an interface's groups, and no
// rule's ports are ever paired with another rule's peer.
func TestUnionAcrossGroups(t *testing.T) {
	srv := startFixture(t)
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cases := []struct {
		name, eni string
		want      []string
	}{
		{"two compliant groups add up", "eni-0web0000000001", []string{
			"tcp/80 world [sg-0http00000000001/sgr-0http0000000080]",
			"tcp/443 world [sg-0web000000000001/sgr-0web00000000443]"}},
		{"one group alone", "eni-0web0000000002", []string{"tcp/443 world [sg-0web000000000001/sgr-0web00000000443]"}},
		// 22 from the world + all traffic from 10.1.2.3/32 is not all traffic from the world.
		{"ports and peers never mix", "eni-0bastion000001", []string{"tcp/22 world [sg-0ssh000000000001/sgr-0ssh00000000022]"}},
		{"overlapping ranges of two groups merge", "eni-0nlb0000000001", []string{
			"tcp/8000-8200 world [sg-0range1000000001/sgr-0range100000001,sg-0range2000000001/sgr-0range200000001]"}},
		{"IPv4 and IPv6 world from two groups", "eni-0spare00000001", []string{
			"tcp/22 world [sg-0ssh000000000001/sgr-0ssh00000000022,sg-0v6000000000001/sgr-0v600000000022]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := exposure(rep, tc.eni)
			if !ok {
				t.Fatalf("%s is not reported as exposed", tc.eni)
			}
			if got := openText(e); !slices.Equal(got, tc.want) {
				t.Errorf("exposure of %s = %v, want %v", tc.eni, got, tc.want)
			}
		})
	}
	for _, quiet := range []string{"eni-0office00000001", "eni-0nat0000000001"} {
		if _, ok := exposure(rep, quiet); ok {
			t.Errorf("%s reported as exposed; its groups open nothing to public space", quiet)
		}
	}
	// The bastion's exposure is critical: it comes from a reverting check.
	if e, _ := exposure(rep, "eni-0bastion000001"); e.WorstSeverity != policy.SeverityCritical {
		t.Errorf("bastion worst severity = %q, want critical", e.WorstSeverity)
	}
}

// TestOwnerTypes checks that every interface of the golden account is
// classified by what owns it, in the exposures and the counts.
func TestOwnerTypes(t *testing.T) {
	srv := startFixture(t)
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for eni, want := range map[string]string{
		"eni-0web0000000001":  audit.OwnerInstance,
		"eni-0alb0000000001":  audit.OwnerLoadBalancer,
		"eni-0nlb0000000001":  audit.OwnerLoadBalancer,
		"eni-0lambda00000001": audit.OwnerLambda,
		"eni-0vpce000000001":  audit.OwnerVPCEndpoint,
		"eni-0spare00000001":  audit.OwnerUnattached,
	} {
		e, ok := exposure(rep, eni)
		if !ok {
			t.Errorf("%s is not reported as exposed", eni)
			continue
		}
		if e.NetworkInterface.OwnerType != want {
			t.Errorf("owner of %s = %q, want %q", eni, e.NetworkInterface.OwnerType, want)
		}
	}
	wantAll := map[string]int{audit.OwnerInstance: 5, audit.OwnerLoadBalancer: 2, audit.OwnerLambda: 1, audit.OwnerVPCEndpoint: 1, audit.OwnerNATGateway: 1, audit.OwnerUnattached: 1}
	if got := rep.Regions[0].NetworkInterfacesByOwner; !maps.Equal(got, wantAll) {
		t.Errorf("interfaces by owner = %v, want %v", got, wantAll)
	}
	wantExposed := map[string]int{audit.OwnerInstance: 4, audit.OwnerLoadBalancer: 2, audit.OwnerLambda: 1, audit.OwnerVPCEndpoint: 1, audit.OwnerUnattached: 1}
	if got := rep.Counts.ExposedByOwner; !maps.Equal(got, wantExposed) {
		t.Errorf("exposed by owner = %v, want %v", got, wantExposed)
	}
}

// ruleIDs lists the rule IDs the server still has.
func ruleIDs(t *testing.T, srv *awslocal.Server) []string {
	t.Helper()
	c := ec2.NewFromConfig(srv.AWSConfig(context.Background()))
	out, err := c.DescribeSecurityGroupRules(context.Background(), &ec2.DescribeSecurityGroupRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range out.SecurityGroupRules {
		ids = append(ids, aws.ToString(r.SecurityGroupRuleId))
	}
	slices.Sort(ids)
	return ids
}

// The rules of the golden account whose decision is revert. (The prefix
// list rule sgr-0pl000000005432 has public entries short of the world: the
// default policy alerts on it, as EC2.19 does not flag it.)
var revertRules = []string{"sgr-0range100000001", "sgr-0range200000001", "sgr-0ssh00000000022", "sgr-0v600000000022"}

// TestRemediation covers enforce against dry-run and the revert bound.
func TestRemediation(t *testing.T) {
	cases := []struct {
		name       string
		mode       policy.Mode
		maxReverts int
		wantStatus string
		reverted   bool
	}{
		{"enforce within the bound", policy.ModeEnforce, len(revertRules), audit.StatusReverted, true},
		{"enforce above the bound only reports", policy.ModeEnforce, len(revertRules) - 1, audit.StatusSkippedBound, false},
		{"bound zero never reverts", policy.ModeEnforce, 0, audit.StatusSkippedBound, false},
		{"dry-run reverts nothing", policy.ModeDryRun, 100, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFixture(t)
			before := ruleIDs(t, srv)
			acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
			rep, err := acct.auditor(nil, audit.WithMode(tc.mode), audit.WithMaxReverts(tc.maxReverts)).Run(context.Background())
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			rem := rep.Remediation
			wantCandidates := len(revertRules)
			if tc.mode == policy.ModeDryRun {
				wantCandidates = 0
			}
			if rem.Candidates != wantCandidates {
				t.Errorf("candidates = %d, want %d (distinct rules, not findings)", rem.Candidates, wantCandidates)
			}
			if rem.BoundExceeded != (tc.mode == policy.ModeEnforce && !tc.reverted) {
				t.Errorf("bound exceeded = %v", rem.BoundExceeded)
			}
			revokes := srv.CallCount("RevokeSecurityGroupIngress") + srv.CallCount("RevokeSecurityGroupEgress")
			after := ruleIDs(t, srv)
			if tc.reverted {
				if rem.Reverted != len(revertRules) || rem.Failed != 0 {
					t.Errorf("reverted %d, failed %d; want %d, 0", rem.Reverted, rem.Failed, len(revertRules))
				}
				var wantLeft []string
				for _, id := range before {
					if !slices.Contains(revertRules, id) {
						wantLeft = append(wantLeft, id)
					}
				}
				if !slices.Equal(after, wantLeft) {
					t.Errorf("rules left = %v, want %v (only the violating ones revoked)", after, wantLeft)
				}
				if revokes != len(revertRules) { // one call per group: each violating rule is in its own group
					t.Errorf("%d revoke calls, want %d", revokes, len(revertRules))
				}
				// Exposures show the account as read, marking what was reverted.
				for _, e := range rep.Exposures {
					for _, o := range e.Open {
						for _, g := range o.Grants {
							if g.Reverted != slices.Contains(revertRules, g.RuleID) {
								t.Errorf("exposure of %s: grant %s reverted = %v", e.NetworkInterface.ID, g.RuleID, g.Reverted)
							}
						}
					}
				}
			} else {
				if rem.Reverted != 0 || revokes != 0 || !slices.Equal(after, before) {
					t.Errorf("reverted %d with %d revoke calls, rules changed %v; want nothing touched", rem.Reverted, revokes, !slices.Equal(after, before))
				}
			}
			for _, f := range rep.Violations {
				switch {
				case tc.mode == policy.ModeDryRun:
					if f.Decision == policy.DecisionRevert || f.Remediation != nil {
						t.Errorf("dry-run finding %s/%s decision %s, outcome %v", f.Rule.ID, f.Check, f.Decision, f.Remediation)
					}
				case f.Decision == policy.DecisionRevert:
					if f.Remediation == nil || f.Remediation.Status != tc.wantStatus {
						t.Errorf("finding %s/%s outcome %v, want %s", f.Rule.ID, f.Check, f.Remediation, tc.wantStatus)
					}
				}
			}
			if tc.mode == policy.ModeDryRun {
				if n := len(findings(rep, "sgr-0ssh00000000022")); n != 3 || findings(rep, "sgr-0ssh00000000022")["remote-admin-world"].Decision != policy.DecisionWouldRevert {
					t.Errorf("dry-run: %d findings on the open ssh rule, want 3 would-revert", n)
				}
			}
		})
	}
}

// TestSummaryMessage checks the one SNS message of a run: subject,
// attributes, counts per check and severity, the top exposures and what was
// reverted or failed (one revoke is denied).
func TestSummaryMessage(t *testing.T) {
	srv := startFixture(t)
	// The first revoke call (group sg-0ssh..., found first) is denied.
	if err := srv.InjectFault(awslocal.Fault{Operation: "RevokeSecurityGroupIngress", Kind: awslocal.FaultDeny, Count: 1}); err != nil {
		t.Fatal(err)
	}
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	pub, arn := publisher(t, srv, "us-east-1")
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeEnforce), audit.WithPublisher(pub, arn)).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 {
		t.Fatalf("published %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.TopicARN != arn || m.MessageStructure != "json" {
		t.Errorf("published to %s with structure %q, want %s and json", m.TopicARN, m.MessageStructure, arn)
	}
	if got := m.Attributes["action"].StringValue; got != "audit" {
		t.Errorf("action attribute = %q, want audit", got)
	}
	if got := m.Attributes["severity"].StringValue; got != "critical" {
		t.Errorf("severity attribute = %q, want critical", got)
	}
	if len(m.Subject) > 100 || !strings.HasPrefix(m.Subject, "AUDIT 123456789012: 3 reverted") || !strings.Contains(m.Subject, "1 failed") {
		t.Errorf("subject = %q", m.Subject)
	}
	var s audit.Summary
	if err := json.Unmarshal([]byte(m.DefaultMessage()), &s); err != nil {
		t.Fatal(err)
	}
	if s.Kind != audit.KindSummary || s.SchemaVersion != audit.SchemaVersion || s.RunID != rep.RunID {
		t.Errorf("summary kind %q version %d run %q", s.Kind, s.SchemaVersion, s.RunID)
	}
	wantChecks := map[string]int{"remote-admin-world": 3, "high-risk-ports-world": 5, "high-risk-ports-public": 1, "unrestricted-ports-world": 5, "default-group-rules": 2}
	for c, n := range wantChecks {
		if got := s.Counts.ByCheck[c].Total; got != n {
			t.Errorf("summary count of %s = %d, want %d", c, got, n)
		}
	}
	if got := s.Counts.BySeverity[policy.SeverityCritical]; got != 2 {
		t.Errorf("critical findings = %d, want 2 (the exempt rdp one is not counted)", got)
	}
	if len(s.TopExposures) == 0 || s.TopExposures[0].WorstSeverity != policy.SeverityCritical {
		t.Errorf("top exposure = %+v, want a critical one first", s.TopExposures)
	}
	var reverted, failed []string
	for _, o := range s.Reverted {
		reverted = append(reverted, o.RuleID)
	}
	for _, o := range s.Failed {
		failed = append(failed, o.RuleID)
		if !strings.Contains(o.Error, "UnauthorizedOperation") {
			t.Errorf("failed %s error %q does not say why", o.RuleID, o.Error)
		}
	}
	slices.Sort(reverted)
	if len(failed) != 1 || len(reverted) != 3 || slices.Contains(reverted, failed[0]) {
		t.Errorf("reverted %v, failed %v; want 3 and 1, disjoint", reverted, failed)
	}
	if !strings.Contains(s.Text(), "FAILED us-east-1") {
		t.Error("e-mail text does not list the failure")
	}
}

// TestReportStore writes the report through a fake S3 client and checks the
// key, the body and that a store failure is returned without losing the
// summary.
func TestReportStore(t *testing.T) {
	srv := startFixture(t)
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	var got *s3.PutObjectInput
	var body []byte
	store := putterFunc(func(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
		got = in
		var err error
		body, err = io.ReadAll(in.Body)
		return &s3.PutObjectOutput{}, err
	})
	pub, arn := publisher(t, srv, "us-east-1")
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun), audit.WithPublisher(pub, arn), audit.WithReportStore(store, "audit-reports", "/sgwarden/")).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got == nil {
		t.Fatal("report not stored")
	}
	wantKey := "sgwarden/2026/11/30/123456789012-20261130T030000Z.json"
	if aws.ToString(got.Bucket) != "audit-reports" || aws.ToString(got.Key) != wantKey || aws.ToString(got.ContentType) != "application/json" {
		t.Errorf("PutObject s3://%s/%s (%s), want s3://audit-reports/%s (application/json)", aws.ToString(got.Bucket), aws.ToString(got.Key), aws.ToString(got.ContentType), wantKey)
	}
	if aws.ToInt64(got.ContentLength) != int64(len(body)) {
		t.Errorf("content length %d, body %d bytes", aws.ToInt64(got.ContentLength), len(body))
	}
	var stored audit.Report
	if err := json.Unmarshal(body, &stored); err != nil {
		t.Fatalf("stored body: %v", err)
	}
	if string(indentJSON(t, &stored)) != string(indentJSON(t, rep)) {
		t.Error("stored report differs from the returned one")
	}
	var s audit.Summary
	_ = json.Unmarshal([]byte(srv.SNSMessages()[0].DefaultMessage()), &s)
	if s.Report != "s3://audit-reports/"+wantKey {
		t.Errorf("summary points at %q, want the stored report", s.Report)
	}

	// A failing store is an error, and the summary still goes out.
	srv.ResetSNSMessages()
	failing := putterFunc(func(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
		return nil, errors.New("AccessDenied: no s3:PutObject")
	})
	rep, err = acct.auditor(nil, audit.WithMode(policy.ModeDryRun), audit.WithPublisher(pub, arn), audit.WithReportStore(failing, "audit-reports", "")).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "store report") || rep == nil {
		t.Errorf("Run with a failing store: report %v, error %v; want the report and a store error", rep != nil, err)
	}
	var pe *audit.PartialError
	if errors.As(err, &pe) {
		t.Error("a store failure is not a scan failure")
	}
	if len(srv.SNSMessages()) != 1 {
		t.Errorf("%d summaries after a store failure, want 1", len(srv.SNSMessages()))
	}
}

// TestNewRejectsBadOptions: every bad option is reported at once.
func TestNewRejectsBadOptions(t *testing.T) {
	clients := func(string) (audit.EC2API, error) { return nil, nil }
	_, err := audit.New(policy.Default(), clients,
		audit.WithRegions("us-east-1", "us-east-1"), audit.WithMaxReverts(-1), audit.WithConcurrency(0),
		audit.WithMode("yolo"), audit.WithPublisher(nil, ""), audit.WithReportStore(nil, "", ""))
	if err == nil {
		t.Fatal("New accepted bad options")
	}
	for _, want := range []string{"listed twice", "max reverts -1", "concurrency 0", `mode "yolo"`, "publisher", "report store"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New error %q does not mention %q", err, want)
		}
	}
	if _, err := audit.New(policy.Default(), clients); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("New without regions: %v, want a no region error", err)
	}
	if _, err := audit.New(nil, clients, audit.WithRegions("us-east-1")); err == nil {
		t.Error("New accepted a nil engine")
	}
}

// TestProgress: the callback sees every stage of every region, ending in
// done or failed.
func TestProgress(t *testing.T) {
	ok := startFixture(t)
	denied := awslocal.Start(t)
	denied.Deny(audit.OpDescribeSecurityGroups)
	acct := newAccount(t, regionServer{"us-east-1": ok, "eu-west-1": denied}, []string{"us-east-1", "eu-west-1"}, 3)
	var mu sync.Mutex
	stages := map[string][]string{}
	_, _ = acct.auditor(nil, audit.WithMode(policy.ModeDryRun), audit.WithProgress(func(p audit.Progress) {
		mu.Lock()
		defer mu.Unlock()
		stages[p.Region] = append(stages[p.Region], fmt.Sprintf("%s:%d", p.Stage, p.Items))
	})).Run(context.Background())
	want := map[string][]string{
		"us-east-1": {"groups:11", "rules:13", "prefix-lists:1", "prefix-lists:2", "network-interfaces:11", "done:13"},
		"eu-west-1": {"failed:0"},
	}
	for r, w := range want {
		if !slices.Equal(stages[r], w) {
			t.Errorf("progress of %s = %v, want %v", r, stages[r], w)
		}
	}
}
