package remediate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// The tests of docs/remediate.md's contract: every supported event ends in
// a verified revert, a decision, or an error plus a FAILED alert (#14).

// wantFailedAlert checks the one published alert is FAILED and names the
// event, the group and why.
func (a *testAccount) wantFailedAlert(eventID, groupID, why string) sentAlert {
	a.t.Helper()
	al := a.oneAlert()
	if al.Action != notify.ActionFailed || al.Event.ID != eventID || al.DedupKey != eventID {
		a.t.Errorf("alert = %s for event %q, want failed for %s", al.Action, al.Event.ID, eventID)
	}
	if al.Group == nil || al.Group.ID != groupID {
		a.t.Errorf("FAILED alert group = %+v, want %s", al.Group, groupID)
	}
	if !strings.Contains(al.Outcome.Error, why) {
		a.t.Errorf("FAILED alert says %q, want it to say %q", al.Outcome.Error, why)
	}
	if !strings.HasPrefix(al.Subject, "FAILED") {
		a.t.Errorf("subject %q, want FAILED first", al.Subject)
	}
	return al
}

// elsewhere moves an event to another region or account.
func elsewhere(ev []byte, region, account string) []byte {
	s := string(ev)
	if region != "" {
		s = strings.ReplaceAll(s, `"awsRegion": "us-east-1"`, `"awsRegion": "`+region+`"`)
		s = strings.ReplaceAll(s, `"region": "us-east-1"`, `"region": "`+region+`"`)
	}
	if account != "" {
		s = strings.ReplaceAll(s, `"recipientAccountId": "`+acctID+`"`, `"recipientAccountId": "`+account+`"`)
		s = strings.ReplaceAll(s, `"account": "`+acctID+`"`, `"account": "`+account+`"`)
	}
	return []byte(s)
}

func TestEventOfAnotherAccountOrRegionFailsClosed(t *testing.T) {
	tests := []struct {
		name, region, account string
	}{
		{"other region", "eu-west-1", ""},
		{"other account", "", "210987654321"},
		{"both", "ap-south-1", "210987654321"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startAccount(t, webFixture())
			res, err := a.handle(elsewhere(sshEvent(evSSH), tt.region, tt.account))
			if !errors.Is(err, awsclients.ErrNotServed) {
				t.Fatalf("Handle = %+v, %v; want an error wrapping ErrNotServed", res, err)
			}
			// No EC2 call in the function's own account: before #14 the
			// group was "not found" there and the alert said ALREADY
			// REVERTED while the rule stayed open.
			a.wantCalls("Publish")
			a.wantFailedAlert(evSSH, acctWebSG, "not served")
			if len(res.Revoked)+len(res.AlreadyGone) != 0 {
				t.Errorf("Handle = %+v, want nothing reported revoked or gone", res)
			}
			a.wantRules(acctWebSG, []string{ruleSSH}, nil)
		})
	}
	t.Run("a compliant event needs no client", func(t *testing.T) {
		a := startAccount(t, webFixture())
		ev := ebEvent("AuthorizeSecurityGroupIngress", evOK, authorizeReq(acctWebSG, ipPerm("tcp", 443, 443, "0.0.0.0/0")),
			authorizeResp(ruleItem(acctWebSG, ruleHTTPS, false, "tcp", 443, 443, "0.0.0.0/0")))
		res, err := a.handle(elsewhere(ev, "eu-west-1", ""))
		if err != nil || res.Ignored != "compliant" || res.AWSCalls != 0 {
			t.Errorf("Handle = %+v, %v; want compliant with no AWS call", res, err)
		}
	})
}

// countingProvider counts the configurations asked of Local.
type countingProvider struct {
	awsclients.Provider
	n atomic.Int32
}

func (c *countingProvider) Config(ctx context.Context, k awsclients.Key) (aws.Config, error) {
	c.n.Add(1)
	return c.Provider.Config(ctx, k)
}

func TestClientsAreBuiltOncePerKey(t *testing.T) {
	a := startAccount(t, webFixture())
	p := &countingProvider{Provider: awsclients.Local(a.srv.AWSConfig(context.Background()), acctID)}
	cfg := a.r.cfg
	cfg.Clients = ClientsFrom(p)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.r = r
	for i := range 3 {
		if _, err := a.handle(sshEvent(evSSH)); err != nil {
			t.Fatalf("Handle #%d: %v", i, err)
		}
	}
	if n := p.n.Load(); n != 1 {
		t.Errorf("provider asked %d times for one key, want 1 (the client is kept)", n)
	}
}

func TestGroupGoneIsItsOwnOutcome(t *testing.T) {
	const goneSG = "sg-0gone00000000001"
	a := startAccount(t, webFixture())
	ev := ebEvent("AuthorizeSecurityGroupIngress", evSSH, authorizeReq(goneSG, ipPerm("tcp", 22, 22, "0.0.0.0/0")),
		authorizeResp(ruleItem(goneSG, "sgr-0gonerule0000001", false, "tcp", 22, 22, "0.0.0.0/0")))
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Action != notify.ActionGroupGone || res.GroupGone != goneSG || len(res.AlreadyGone)+len(res.Revoked)+len(res.Failed) != 0 {
		t.Errorf("Handle = %+v, want group-gone %s and no rule reported gone or revoked", res, goneSG)
	}
	al := a.oneAlert()
	if al.Action != notify.ActionGroupGone || !strings.HasPrefix(al.Subject, "GROUP GONE") || al.Outcome.GroupGone != 1 || al.Outcome.AlreadyGone != 0 {
		t.Errorf("alert = %s %q %+v, want GROUP GONE with one rule", al.Action, al.Subject, al.Outcome)
	}
	for _, op := range a.lastOps() {
		if strings.HasPrefix(op, "Revoke") {
			t.Errorf("called %s on a group that does not exist", op)
		}
	}
}

func TestRevokeNotFoundCountsOnlyWhenSeen(t *testing.T) {
	a := startAccount(t, webFixture())
	// EC2 answers not-found although the rule is there (the answer of
	// another account or region, or a bug): the verify step sees it.
	if err := a.srv.InjectFault(awslocal.Fault{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Kind: awslocal.FaultDeny,
		Code: "InvalidSecurityGroupRuleId.NotFound", Status: 400, Count: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := a.handle(sshEvent(evSSH))
	if err == nil || !strings.Contains(err.Error(), "still there") {
		t.Fatalf("Handle = %+v, %v; want an error: the rule is still there", res, err)
	}
	if len(res.AlreadyGone) != 0 || !slices.Equal(res.Failed, []string{ruleSSH}) {
		t.Errorf("Handle = %+v, want %s failed and nothing already gone", res, ruleSSH)
	}
	a.wantCalls("DescribeSecurityGroups", "DescribeSecurityGroupRules", "RevokeSecurityGroupIngress", "DescribeNetworkInterfaces",
		"DescribeSecurityGroups", "DescribeSecurityGroupRules", "Publish")
	a.wantFailedAlert(evSSH, acctWebSG, "still there")
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)

	// The retry revokes it.
	a.reset()
	if res, err := a.handle(sshEvent(evSSH)); err != nil || !slices.Equal(res.Revoked, []string{ruleSSH}) {
		t.Errorf("retry = %+v, %v; want %s revoked", res, err, ruleSSH)
	}
}

func TestTupleMatchedRulesAreNamed(t *testing.T) {
	a := startAccount(t, webFixture())
	// eventVersion 1.05: no rule IDs, and the rule is not in the group.
	ev := ebEvent("AuthorizeSecurityGroupIngress", evSSH, authorizeReq(acctWebSG, ipPerm("tcp", 3389, 3389, "0.0.0.0/0")), `{"_return": true}`)
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	want := []string{"ingress tcp/3389 from 0.0.0.0/0"}
	if !slices.Equal(res.AlreadyGone, want) {
		t.Errorf("AlreadyGone = %q, want %q (never an empty rule ID)", res.AlreadyGone, want)
	}
	for _, list := range [][]string{res.Revoked, res.AlreadyGone, res.Kept, res.Failed} {
		if slices.Contains(list, "") {
			t.Errorf("Handle = %+v lists an empty rule ID", res)
		}
	}
}

func TestUnknownEventVersion(t *testing.T) {
	t.Run("decoded where the shape parses", func(t *testing.T) {
		a := startAccount(t, webFixture())
		res, err := a.handle([]byte(strings.Replace(string(sshEvent(evSSH)), `"eventVersion": "1.09"`, `"eventVersion": "2.0"`, 1)))
		if err != nil || !slices.Equal(res.Revoked, []string{ruleSSH}) {
			t.Fatalf("Handle = %+v, %v; want %s revoked", res, err, ruleSSH)
		}
	})
	t.Run("FAILED where it does not", func(t *testing.T) {
		a := startAccount(t, webFixture())
		ev := ebEvent("AuthorizeSecurityGroupIngress", evSSH, `{"groupId": "`+acctWebSG+`", "permissions": [{"port": 22, "source": "0.0.0.0/0"}]}`, `{"_return": true}`)
		ev = []byte(strings.Replace(string(ev), `"eventVersion": "1.09"`, `"eventVersion": "2.0"`, 1))
		res, err := a.handle(ev)
		if err == nil || res.EventID != evSSH {
			t.Fatalf("Handle = %+v, %v; want an error naming the event", res, err)
		}
		a.wantCalls("Publish")
		al := a.wantFailedAlert(evSSH, acctWebSG, `eventVersion "2.0"`)
		if al.Account != acctID || al.Region != "us-east-1" || al.Event.Name != "AuthorizeSecurityGroupIngress" {
			t.Errorf("FAILED alert = %s/%s %s, want what the event said", al.Account, al.Region, al.Event.Name)
		}
	})
}

func TestNullRequestParametersJudgedFromResponse(t *testing.T) {
	a := startAccount(t, webFixture())
	ev := ebEvent("AuthorizeSecurityGroupIngress", evSSH, "", authorizeResp(ruleItem(acctWebSG, ruleSSH, false, "tcp", 22, 22, "0.0.0.0/0")))
	res, err := a.handle(ev)
	if err != nil || !slices.Equal(res.Revoked, []string{ruleSSH}) {
		t.Fatalf("Handle = %+v, %v; want %s revoked, not an error for the DLQ", res, err, ruleSSH)
	}
	a.wantRules(acctWebSG, []string{ruleHTTPS, ruleSSHVPN}, []string{ruleSSH})
}

func TestRestoreManagedPrefixListVersion(t *testing.T) {
	for _, action := range []policy.Action{policy.ActionAlert, policy.ActionRevert} {
		t.Run(string(action), func(t *testing.T) {
			// v2 holds 71.131.0.0/16: public, not the world, so the policy must revert public ranges.
			a, _ := prefixListAccount(t, withPrefixListAction(action), publicReverts(t))
			c := ec2.NewFromConfig(a.srv.AWSConfig(context.Background()))
			ctx := context.Background()
			if _, err := c.ModifyManagedPrefixList(ctx, &ec2.ModifyManagedPrefixListInput{PrefixListId: aws.String(officePL), CurrentVersion: aws.Int64(2),
				RemoveEntries: []ec2types.RemovePrefixListEntry{{Cidr: aws.String("71.131.0.0/16")}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.RestoreManagedPrefixListVersion(ctx, &ec2.RestoreManagedPrefixListVersionInput{PrefixListId: aws.String(officePL),
				PreviousVersion: aws.Int64(2), CurrentVersion: aws.Int64(3)}); err != nil {
				t.Fatal(err)
			}
			ev := ebEvent("RestoreManagedPrefixListVersion", evSSH,
				`{"RestoreManagedPrefixListVersionRequest": {"PrefixListId": "`+officePL+`", "PreviousVersion": 2, "CurrentVersion": 3}}`,
				`{"RestoreManagedPrefixListVersionResponse": {"requestId": "r-1", "prefixList": {"prefixListId": "`+officePL+`", "prefixListName": "office", "state": "restore-in-progress", "version": 3}}}`)
			a.reset()
			res, err := a.handle(ev)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			al := a.oneAlert()
			if al.PrefixList == nil || !slices.Equal(al.PrefixList.Offending, []string{"71.131.0.0/16"}) || !slices.Equal(res.Kept, []string{rulePGList}) {
				t.Errorf("alert prefix list = %+v, kept %v; want 71.131.0.0/16 offending through %s", al.PrefixList, res.Kept, rulePGList)
			}
			version, entries := a.prefixListState()
			switch action {
			case policy.ActionRevert:
				if res.Action != notify.ActionReverted || !slices.Equal(res.RemovedEntries, []string{"71.131.0.0/16"}) || version != 5 || slices.Contains(entries, "71.131.0.0/16") {
					t.Errorf("Handle = %+v; list v%d %v; want the restored entry removed at v5", res, version, entries)
				}
			default:
				if res.Action != notify.ActionAlert || len(res.RemovedEntries) != 0 || version != 4 {
					t.Errorf("Handle = %+v; list v%d; want an alert and the list untouched", res, version)
				}
			}
		})
	}
}

func TestModifyInstanceAttributeGroupSet(t *testing.T) {
	const ftpSG, ruleFTP = "sg-0ftp000000000001", "sgr-0ftpworld0000001"
	fx := webFixture()
	fx.Groups[0].Ingress = fx.Groups[0].Ingress[:1] // web: 443 only
	fx.Groups = append(fx.Groups, awslocal.GroupSpec{ID: ftpSG, Name: "ftp", VPC: acctVPC,
		Ingress: []awslocal.RuleSpec{withRuleID(awslocal.TCP(21, "0.0.0.0/0"), ruleFTP)}})
	a := startAccount(t, fx)
	ctx := context.Background()
	if _, err := ec2.NewFromConfig(a.srv.AWSConfig(ctx)).ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
		InstanceId: aws.String(webInst), Groups: []string{acctWebSG, ftpSG}}); err != nil {
		t.Fatal(err)
	}
	a.reset()
	ev := ebEvent("ModifyInstanceAttribute", evSSH,
		`{"instanceId": "`+webInst+`", "groupSet": {"items": [{"groupId": "`+acctWebSG+`"}, {"groupId": "`+ftpSG+`"}]}}`, `{"requestId": "r-2", "_return": true}`)
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	al := a.oneAlert()
	if res.Action != notify.ActionAlert || !slices.Equal(res.Kept, []string{ruleFTP}) || len(al.Exposed) != 1 || al.Exposed[0].ID != webENI {
		t.Errorf("Handle = %+v, exposed %+v; want an alert for %s exposing %s", res, al.Exposed, ruleFTP, webENI)
	}
	a.wantRules(ftpSG, []string{ruleFTP}, nil) // attaching never reverts

	a.reset()
	other := ebEvent("ModifyInstanceAttribute", evOK, `{"instanceId": "`+webInst+`", "instanceType": {"value": "t3.large"}}`, `{"_return": true}`)
	if res, err := a.handle(other); err != nil || res.Ignored != "no groups attached" || res.AWSCalls != 0 {
		t.Errorf("Handle(instanceType) = %+v, %v; want ignored with no AWS call", res, err)
	}
}

func TestReserveFor(t *testing.T) {
	tests := []struct{ remaining, want time.Duration }{
		{3 * time.Second, 1500 * time.Millisecond},
		{10 * time.Second, 1500 * time.Millisecond},
		{60 * time.Second, 6 * time.Second},
		{900 * time.Second, 90 * time.Second},
		{2 * time.Second, time.Second}, // never more than half
	}
	for _, tt := range tests {
		if got := reserveFor(tt.remaining, DefaultMinReserve); got != tt.want {
			t.Errorf("reserveFor(%v) = %v, want %v", tt.remaining, got, tt.want)
		}
	}
}

func TestHangingCallLeavesTheReserveForTheFailedAlert(t *testing.T) {
	a := startAccount(t, webFixture())
	// Both describes hang far past the deadline.
	a.srv.AddLatency("DescribeSecurityGroupRules", time.Minute)
	a.srv.AddLatency("DescribeSecurityGroups", time.Minute)
	deadline := time.Now().Add(6 * time.Second) // reserve: 1.5 s
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	res, err := a.r.Handle(ctx, sshEvent(evSSH))
	a.srv.ClearFaults()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Handle = %+v, %v; want an error from the work's deadline", res, err)
	}
	if time.Now().After(deadline) {
		t.Errorf("Handle returned after the Lambda deadline")
	}
	if !res.Published || res.Action != notify.ActionFailed {
		t.Errorf("Handle = %+v, want a published FAILED alert", res)
	}
	a.wantFailedAlert(evSSH, acctWebSG, "deadline")
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)
}

func TestFailedAlertWhenTheAlertCannotBePublished(t *testing.T) {
	a := startAccount(t, webFixture())
	if err := a.srv.InjectFault(awslocal.Fault{Service: "sns", Operation: "Publish", Kind: awslocal.FaultDeny, Count: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := a.handle(sshEvent(evSSH))
	if err == nil || !strings.Contains(err.Error(), "publish reverted alert") {
		t.Fatalf("Handle = %+v, %v; want the publish error", res, err)
	}
	// The revert happened; the FAILED alert (retry-safe, same dedup key)
	// says the REVERTED alert was lost.
	a.wantRules(acctWebSG, nil, []string{ruleSSH})
	a.wantFailedAlert(evSSH, acctWebSG, "AuthorizationError")
}

func TestFiveMegabyteEventAlertFitsSNS(t *testing.T) {
	// The alert shows the event's own rule (its description included) when
	// the rule is not in the account or the account cannot be read.
	desc := strings.Repeat("0.0.0.0/0 is fine, trust me. ", 5<<20/29)
	const ruleBig = "sgr-0bigdescription01"
	ev := ebEvent("AuthorizeSecurityGroupIngress", evSSH,
		`{"groupId": "`+acctWebSG+`", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": "`+desc+`"}]}}]}}`,
		`{"_return": true, "securityGroupRuleSet": {"items": [{"groupOwnerId": "`+acctID+`", "groupId": "`+acctWebSG+`", "securityGroupRuleId": "`+ruleBig+`", "isEgress": false, "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv4": "0.0.0.0/0", "description": "`+desc+`"}]}}`)
	if len(ev) < 5<<20 {
		t.Fatalf("event of %d bytes, want at least 5 MB", len(ev))
	}
	t.Run("already gone", func(t *testing.T) {
		a := startAccount(t, webFixture())
		res, err := a.handle(ev)
		if err != nil || !res.Published || !slices.Equal(res.AlreadyGone, []string{ruleBig}) {
			t.Fatalf("Handle = %+v, %v; want already gone and the alert published (awslocal refuses over 256 KB)", res, err)
		}
		if al := a.oneAlert(); al.Omitted["characters"] < 5<<20-2048 || al.DedupKey != evSSH {
			t.Errorf("alert omitted %v, want the description clipped", al.Omitted)
		}
	})
	t.Run("undecodable, with a 5 MB group ID", func(t *testing.T) {
		a := startAccount(t, webFixture())
		huge := "sg-" + strings.Repeat("0", 5<<20)
		res, err := a.handle(ebEvent("AuthorizeSecurityGroupIngress", evSSH, authorizeReq(huge, ipPerm("tcp", 22, 22, "0.0.0.0/33")), ""))
		if err == nil || !res.Published {
			t.Fatalf("Handle = %+v, %v; want an error and the FAILED alert published", res, err)
		}
		if al := a.oneAlert(); al.Action != notify.ActionFailed || al.Group == nil || !strings.HasPrefix(al.Group.ID, "sg-000") || al.Omitted["characters"] == 0 {
			t.Errorf("FAILED alert = %s, omitted %v; want the group ID clipped", al.Action, al.Omitted)
		}
	})
	t.Run("FAILED", func(t *testing.T) {
		a := startAccount(t, webFixture())
		a.srv.Deny("DescribeSecurityGroupRules")
		res, err := a.handle(ev)
		if err == nil || !res.Published {
			t.Fatalf("Handle = %+v, %v; want an error and the FAILED alert published", res, err)
		}
		al := a.wantFailedAlert(evSSH, acctWebSG, "UnauthorizedOperation")
		if al.Omitted["characters"] == 0 || len(al.Rules) != 1 {
			t.Errorf("FAILED alert omitted %v with %d rules, want the rule with its description clipped", al.Omitted, len(al.Rules))
		}
	})
}

// The audit shares the Reverter: with a Reader, its not-found answers are
// confirmed the same way.
func TestReverterConfirmsNotFound(t *testing.T) {
	a := startAccount(t, webFixture())
	c := ec2.NewFromConfig(a.srv.AWSConfig(context.Background()))
	vs := []policy.Violation{{Decision: policy.DecisionRevert, Rule: policy.Rule{RuleID: ruleSSH, GroupID: acctWebSG, Direction: policy.Ingress}}}
	notFound := awslocal.Fault{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Kind: awslocal.FaultDeny,
		Code: "InvalidSecurityGroupRuleId.NotFound", Status: 400, Count: 1}
	tests := []struct {
		name   string
		reader GroupReader
		want   notify.Outcome
	}{
		{"unconfirmed without a reader", nil, notify.OutcomeAlreadyGone},
		{"the rule is still there", c, notify.OutcomeFailed},
	}
	for _, tt := range tests {
		if err := a.srv.InjectFault(notFound); err != nil {
			t.Fatal(err)
		}
		rv := &Reverter{EC2: c, Reader: tt.reader}
		outs, err := rv.RevertRules(context.Background(), acctWebSG, vs)
		if len(outs) != 1 || outs[0].Outcome != tt.want || (tt.want == notify.OutcomeFailed) != (err != nil) {
			t.Errorf("%s: RevertRules = %+v, %v; want %s", tt.name, outs, err, tt.want)
		}
	}
	// A group that is gone: group-gone, not already-gone.
	outs := []RuleOutcome{{GroupID: "sg-0gone00000000001", RuleID: "sgr-0x", Outcome: notify.OutcomeAlreadyGone}}
	if err := (&Reverter{EC2: c, Reader: c}).ConfirmGone(context.Background(), "sg-0gone00000000001", outs); err != nil || outs[0].Outcome != notify.OutcomeGroupGone {
		t.Errorf("ConfirmGone(missing group) = %+v, %v; want group-gone", outs, err)
	}
}

// A slow call that ends before the reserve is not cut: the revert goes on.
func TestSlowCallWithinTheWorkTimeReverts(t *testing.T) {
	a := startAccount(t, webFixture())
	a.srv.AddLatency("DescribeSecurityGroupRules", 1500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // work until 8.5 s
	defer cancel()
	res, err := a.r.Handle(ctx, sshEvent(evSSH))
	a.srv.ClearFaults()
	if err != nil || !slices.Equal(res.Revoked, []string{ruleSSH}) || res.Action != notify.ActionReverted {
		t.Fatalf("Handle = %+v, %v; want %s revoked", res, err, ruleSSH)
	}
}
