package remediate

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// Rule IDs of togetherFixture.
const (
	ruleQ1      = "sgr-0quarter00000001" // tcp/12345 from 0.0.0.0/2
	ruleQ2      = "sgr-0quarter00000002" // tcp/12345 from 64.0.0.0/2
	ruleQ3      = "sgr-0quarter00000003" // tcp/12345 from 128.0.0.0/2
	ruleQ4      = "sgr-0quarter00000004" // tcp/12345 from 192.0.0.0/2
	ruleHigh    = "sgr-0halfhigh0000001" // tcp/12345 from 128.0.0.0/1
	rulePartner = "sgr-0partner00000001" // tcp/9000 from 81.2.69.0/24
	rulePrivate = "sgr-0private00000001" // tcp/12345 from 10.0.0.0/8
)

// togetherFixture is the web group as after an event, holding rules
// (by ID) among the quarters and halves of the IPv4 space on tcp/12345.
func togetherFixture(rules ...awslocal.RuleSpec) *awslocal.Fixture {
	fx := webFixture()
	fx.Groups[0].Ingress = append(fx.Groups[0].Ingress, rules...)
	return fx
}

var (
	specQ1      = withRuleID(awslocal.TCP(12345, "0.0.0.0/2"), ruleQ1)
	specQ2      = withRuleID(awslocal.TCP(12345, "64.0.0.0/2"), ruleQ2)
	specQ3      = withRuleID(awslocal.TCP(12345, "128.0.0.0/2"), ruleQ3)
	specQ4      = withRuleID(awslocal.TCP(12345, "192.0.0.0/2"), ruleQ4)
	specHigh    = withRuleID(awslocal.TCP(12345, "128.0.0.0/1"), ruleHigh)
	specPartner = withRuleID(awslocal.TCP(9000, "81.2.69.0/24"), rulePartner)
	specPrivate = withRuleID(awslocal.TCP(12345, "10.0.0.0/8"), rulePrivate)
)

// TestEventCompletesWorldTogether: the standing quarters q1 and q2 plus the
// event's q3 and q4 open tcp/12345 to the world: the event's two rules are
// reverted, the standing ones stay.
func TestEventCompletesWorldTogether(t *testing.T) {
	a := startAccount(t, togetherFixture(specQ1, specQ2, specQ3, specQ4))
	ev := ebEvent("AuthorizeSecurityGroupIngress", evOK,
		authorizeReq(acctWebSG, ipPerm("tcp", 12345, 12345, "128.0.0.0/2"), ipPerm("tcp", 12345, 12345, "192.0.0.0/2")),
		authorizeResp(ruleItem(acctWebSG, ruleQ3, false, "tcp", 12345, 12345, "128.0.0.0/2"),
			ruleItem(acctWebSG, ruleQ4, false, "tcp", 12345, 12345, "192.0.0.0/2")))
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := strings.Join(res.Revoked, ","); got != ruleQ3+","+ruleQ4 || res.Action != notify.ActionReverted {
		t.Errorf("Handle = %+v, want %s and %s revoked", res, ruleQ3, ruleQ4)
	}
	a.wantCalls("DescribeSecurityGroups", "DescribeSecurityGroupRules", "RevokeSecurityGroupIngress", "DescribeNetworkInterfaces", "Publish")
	a.wantRules(acctWebSG, []string{ruleQ1, ruleQ2, ruleHTTPS}, []string{ruleQ3, ruleQ4})
	al := a.oneAlert()
	want := "together, " + ruleQ1 + " (0.0.0.0/2), " + ruleQ2 + " (64.0.0.0/2), " + ruleQ3 + " (128.0.0.0/2) and " + ruleQ4 + " (192.0.0.0/2) open tcp/12345 to the whole internet"
	if !strings.Contains(al.Text, want) {
		t.Errorf("alert text lacks %q:\n%s", want, al.Text)
	}
	if len(al.Rules) != 2 || al.Rules[0].Outcome != notify.OutcomeRevoked || len(al.Exposed) != 1 {
		t.Errorf("alert rules %+v, exposed %+v; want the two reverted rules and the web ENI", al.Rules, al.Exposed)
	}
}

// TestEventHalvesOnlyContributorsReverted: one call adds the second half
// of tcp/12345, a private rule on the same port and a partner /24 on
// another port; only the half is reverted.
func TestEventHalvesOnlyContributorsReverted(t *testing.T) {
	low := withRuleID(awslocal.TCP(12345, "0.0.0.0/1"), "sgr-0halflow00000001")
	a := startAccount(t, togetherFixture(low, specHigh, specPartner, specPrivate))
	ev := ebEvent("AuthorizeSecurityGroupIngress", evOK,
		authorizeReq(acctWebSG, ipPerm("tcp", 12345, 12345, "128.0.0.0/1"), ipPerm("tcp", 9000, 9000, "81.2.69.0/24"), ipPerm("tcp", 12345, 12345, "10.0.0.0/8")),
		authorizeResp(ruleItem(acctWebSG, ruleHigh, false, "tcp", 12345, 12345, "128.0.0.0/1"),
			ruleItem(acctWebSG, rulePartner, false, "tcp", 9000, 9000, "81.2.69.0/24"),
			ruleItem(acctWebSG, rulePrivate, false, "tcp", 12345, 12345, "10.0.0.0/8")))
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := strings.Join(res.Revoked, ","); got != ruleHigh {
		t.Errorf("revoked %q, want only %s", got, ruleHigh)
	}
	a.wantRules(acctWebSG, []string{"sgr-0halflow00000001", rulePartner, rulePrivate}, []string{ruleHigh})
	want := "together, sgr-0halflow00000001 (0.0.0.0/1) and " + ruleHigh + " (128.0.0.0/1) open tcp/12345 to the whole internet"
	if al := a.oneAlert(); !strings.Contains(al.Text, want) || len(al.Rules) != 1 {
		t.Errorf("alert rules %+v, text lacks %q:\n%s", al.Rules, want, al.Text)
	}
}

// TestEventPublicPeerNotCompletingIsCompliant: the first two quarters are
// half the space: compliant, after reading the group (a public peer may
// complete a union), and nothing is published.
func TestEventPublicPeerNotCompletingIsCompliant(t *testing.T) {
	a := startAccount(t, togetherFixture(specQ1, specQ2))
	ev := ebEvent("AuthorizeSecurityGroupIngress", evOK,
		authorizeReq(acctWebSG, ipPerm("tcp", 12345, 12345, "0.0.0.0/2"), ipPerm("tcp", 12345, 12345, "64.0.0.0/2")),
		authorizeResp(ruleItem(acctWebSG, ruleQ1, false, "tcp", 12345, 12345, "0.0.0.0/2"),
			ruleItem(acctWebSG, ruleQ2, false, "tcp", 12345, 12345, "64.0.0.0/2")))
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Ignored != "compliant" || res.Published || len(res.Revoked) > 0 {
		t.Errorf("Handle = %+v, want compliant", res)
	}
	a.wantCalls("DescribeSecurityGroups", "DescribeSecurityGroupRules")
	a.wantRules(acctWebSG, []string{ruleQ1, ruleQ2}, nil)
}

// TestEventStandingUnionIsTheAuditsJob: the standing halves already open
// tcp/12345; an event adding a partner /24 on that port did not complete
// it, so the event path reverts nothing (the audit reports the halves).
func TestEventStandingUnionIsTheAuditsJob(t *testing.T) {
	low := withRuleID(awslocal.TCP(12345, "0.0.0.0/1"), "sgr-0halflow00000001")
	partner := withRuleID(awslocal.TCP(12345, "81.2.69.0/24"), rulePartner)
	a := startAccount(t, togetherFixture(low, specHigh, partner))
	ev := ebEvent("AuthorizeSecurityGroupIngress", evOK,
		authorizeReq(acctWebSG, ipPerm("tcp", 12345, 12345, "81.2.69.0/24")),
		authorizeResp(ruleItem(acctWebSG, rulePartner, false, "tcp", 12345, 12345, "81.2.69.0/24")))
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Ignored != "compliant" || len(res.Revoked) > 0 {
		t.Errorf("Handle = %+v, want compliant", res)
	}
	a.wantRules(acctWebSG, []string{"sgr-0halflow00000001", ruleHigh, rulePartner}, nil)
}

// TestPrefixListCompletesWorldTogether: a list referenced on tcp/12345
// holds 0.0.0.0/1; the event adds 128.0.0.0/1 and a partner /32 inside the
// first half. Together the entries open tcp/12345 to the world: the added
// half is removed, the /32 (not needed) and the old half stay.
func TestPrefixListCompletesWorldTogether(t *testing.T) {
	const halvesPL = "pl-0halves0000000001"
	fx := webFixture()
	fx.PrefixLists = []awslocal.PrefixListSpec{{ID: halvesPL, Name: "webhooks", MaxEntries: 5,
		Entries: []awslocal.PrefixListEntry{{CIDR: "0.0.0.0/1"}}}}
	fx.Groups[0].Ingress = append(fx.Groups[0].Ingress, withRuleID(awslocal.TCP(12345, halvesPL), "sgr-0hooks0000000001"))
	a := startAccount(t, fx, withPrefixListAction(policy.ActionRevert))
	_, err := ec2.NewFromConfig(a.srv.AWSConfig(context.Background())).ModifyManagedPrefixList(context.Background(), &ec2.ModifyManagedPrefixListInput{
		PrefixListId: aws.String(halvesPL), CurrentVersion: aws.Int64(1),
		AddEntries: []ec2types.AddPrefixListEntry{{Cidr: aws.String("128.0.0.0/1")}, {Cidr: aws.String("8.8.8.8/32")}},
	})
	if err != nil {
		t.Fatalf("ModifyManagedPrefixList: %v", err)
	}
	ev := ebEvent("ModifyManagedPrefixList", evSSH,
		`{"ModifyManagedPrefixListRequest": {"AddEntry": [{"cidr": "128.0.0.0/1", "tag": "1"}, {"cidr": "8.8.8.8/32", "tag": "2"}], "CurrentVersion": "1", "PrefixListId": "`+halvesPL+`"}}`,
		`{"ModifyManagedPrefixListResponse": {"prefixList": {"addressFamily": "IPv4", "maxEntries": 5, "ownerId": "`+acctID+`", "prefixListId": "`+halvesPL+`", "prefixListName": "webhooks", "state": "modify-in-progress", "version": 1}, "requestId": "r-9"}}`)
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.RemovedEntries, ",") != "128.0.0.0/1" || res.Action != notify.ActionReverted {
		t.Errorf("Handle = %+v, want 128.0.0.0/1 removed", res)
	}
	entries, err := ec2.NewFromConfig(a.srv.AWSConfig(context.Background())).GetManagedPrefixListEntries(context.Background(), &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(halvesPL)})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries.Entries {
		left = append(left, aws.ToString(e.Cidr))
	}
	slices.Sort(left)
	if strings.Join(left, ",") != "0.0.0.0/1,8.8.8.8/32" {
		t.Errorf("entries left %v, want 0.0.0.0/1 and 8.8.8.8/32", left)
	}
	if al := a.oneAlert(); !strings.Contains(al.Text, "together open tcp/12345 to the whole internet") {
		t.Errorf("alert text does not say the entries open tcp/12345 together:\n%s", al.Text)
	}
}

// TestAttachmentUnionAcrossGroups: an interface put into two groups, one
// opening tcp/12345 to 0.0.0.0/1 and one to 128.0.0.0/1, is open to the
// world on that port (rule 1 across groups): the attachment alerts, naming
// both rules together.
func TestAttachmentUnionAcrossGroups(t *testing.T) {
	const lowSG, highSG = "sg-0lowhalf000000001", "sg-0highhalf00000001"
	fx := webFixture()
	fx.Groups = append(fx.Groups,
		awslocal.GroupSpec{ID: lowSG, Name: "low", VPC: acctVPC, Ingress: []awslocal.RuleSpec{withRuleID(awslocal.TCP(12345, "0.0.0.0/1"), "sgr-0halflow00000001")}},
		awslocal.GroupSpec{ID: highSG, Name: "high", VPC: acctVPC, Ingress: []awslocal.RuleSpec{specHigh}})
	fx.NetworkInterfaces[0].Groups = []string{lowSG, highSG}
	a := startAccount(t, fx)
	ev := ebEvent("ModifyNetworkInterfaceAttribute", evOK,
		`{"networkInterfaceId": "`+webENI+`", "groupSet": {"items": [{"groupId": "`+lowSG+`"}, {"groupId": "`+highSG+`"}]}}`,
		`{"requestId": "r-1", "_return": true}`)
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Action != notify.ActionAlert || strings.Join(res.Kept, ",") != "sgr-0halflow00000001,"+ruleHigh {
		t.Errorf("Handle = %+v, want an alert keeping both halves", res)
	}
	al := a.oneAlert()
	want := "together, sgr-0halflow00000001 (0.0.0.0/1) and " + ruleHigh + " (128.0.0.0/1) open tcp/12345 to the whole internet"
	if !strings.Contains(al.Text, want) || len(al.Exposed) != 1 || !strings.Contains(strings.Join(al.Exposed[0].Open, ","), "tcp/12345 from world") {
		t.Errorf("alert exposed %+v, text lacks %q:\n%s", al.Exposed, want, al.Text)
	}
}
