package findings_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sgwarden/sgwarden/internal/actor"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/findings"
	"github.com/sgwarden/sgwarden/internal/notify"
)

var now = time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC)

func describe(check string) string {
	return map[string]string{"remote-admin-world": "remote admin port from the world (FSBP EC2.13, EC2.14, EC2.53, EC2.54)"}[check]
}

func alert(outcome notify.Outcome, exemption string) *notify.Alert {
	return &notify.Alert{
		Action: notify.ActionReverted, Severity: "critical", Account: awslocal.DefaultAccount, Region: awslocal.DefaultRegion,
		Group: &notify.Group{ID: "sg-0abc", Name: "web", VPC: "vpc-1", Tags: map[string]string{"team": "payments"}, Owner: "payments"},
		Rules: []notify.Rule{{ID: "sgr-1", Direction: "ingress", Protocol: "tcp", Ports: "22", Peer: "0.0.0.0/0", Outcome: outcome,
			Checks: []notify.Check{{ID: "remote-admin-world", Severity: "critical", Decision: "revert", Exemption: exemption}}}},
		Actor: notify.Actor{ARN: "arn:aws:iam::123456789012:user/bob", User: &actor.User{Name: "bob", Kind: actor.KindIAMUser}},
		Event: notify.Event{ID: "ev-1", Name: "AuthorizeSecurityGroupIngress", Time: now.Add(-5 * time.Second)},
	}
}

func hub(t *testing.T) (*awslocal.Server, *securityhub.Client) {
	srv := awslocal.StartLocal(t, "Security Hub findings")
	return srv, securityhub.NewFromConfig(srv.AWSConfig(context.Background()), func(o *securityhub.Options) { o.Retryer = aws.NopRetryer{} })
}

func all(t *testing.T, c *securityhub.Client) []types.AwsSecurityFinding {
	t.Helper()
	out, err := c.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return out.Findings
}

func TestImportAlertIsIdempotentAndResolved(t *testing.T) {
	_, c := hub(t)
	ctx := context.Background()
	items := findings.ItemsFromAlert(alert(notify.OutcomeRevoked, ""), nil)
	if len(items) != 1 {
		t.Fatalf("ItemsFromAlert: %d items, want 1", len(items))
	}
	for i := 0; i < 2; i++ { // the second import is a redelivery
		if err := findings.ImportItems(ctx, c, items, now, describe); err != nil {
			t.Fatal(err)
		}
	}
	fs := all(t, c)
	if len(fs) != 1 {
		t.Fatalf("%d findings after a redelivery, want 1", len(fs))
	}
	f := fs[0]
	if f.Compliance.Status != types.ComplianceStatusPassed || f.Workflow.Status != types.WorkflowStatusResolved || f.RecordState != types.RecordStateActive {
		t.Errorf("reverted rule: compliance %s workflow %s record %s, want PASSED RESOLVED ACTIVE", f.Compliance.Status, f.Workflow.Status, f.RecordState)
	}
	want := "sgwarden/123456789012/us-east-1/sg-0abc/sgr-1/remote-admin-world"
	if aws.ToString(f.Id) != want {
		t.Errorf("Id = %s, want %s", aws.ToString(f.Id), want)
	}
	if f.ProductFields["sgwarden/actor.user"] != "bob" || f.ProductFields["sgwarden/owner"] != "payments" {
		t.Errorf("ProductFields = %v", f.ProductFields)
	}
	if got := strings.Join(f.Compliance.RelatedRequirements, ","); !strings.Contains(got, "AWS Foundational Security Best Practices/EC2.13") || !strings.Contains(got, "EC2.54") {
		t.Errorf("RelatedRequirements = %s", got)
	}
	if f.FindingProviderFields.Severity.Label != types.SeverityLabelCritical {
		t.Errorf("severity %s", f.FindingProviderFields.Severity.Label)
	}
}

func TestOpenThenRevertedPasses(t *testing.T) {
	_, c := hub(t)
	ctx := context.Background()
	open := alert(notify.OutcomeKept, "")
	open.Action = notify.ActionWouldRevert
	if err := findings.ImportItems(ctx, c, findings.ItemsFromAlert(open, nil), now, describe); err != nil {
		t.Fatal(err)
	}
	if f := all(t, c)[0]; f.Compliance.Status != types.ComplianceStatusFailed || f.Workflow.Status != types.WorkflowStatusNew {
		t.Fatalf("would-revert: %s/%s, want FAILED/NEW", f.Compliance.Status, f.Workflow.Status)
	}
	if err := findings.ImportItems(ctx, c, findings.ItemsFromAlert(alert(notify.OutcomeRevoked, ""), nil), now.Add(time.Minute), describe); err != nil {
		t.Fatal(err)
	}
	fs := all(t, c)
	if len(fs) != 1 || fs[0].Compliance.Status != types.ComplianceStatusPassed {
		t.Fatalf("after the revert: %d findings, compliance %s; want 1 PASSED", len(fs), fs[0].Compliance.Status)
	}
}

func TestExemptionIsVisible(t *testing.T) {
	_, c := hub(t)
	a := alert(notify.OutcomeKept, "rule-tag-exempt: vendor VPN until 2027-01-31")
	a.Action = notify.ActionExempt
	if err := findings.ImportItems(context.Background(), c, findings.ItemsFromAlert(a, nil), now, describe); err != nil {
		t.Fatal(err)
	}
	f := all(t, c)[0]
	if f.Workflow.Status != types.WorkflowStatusSuppressed || f.Note == nil || !strings.Contains(aws.ToString(f.Note.Text), "vendor VPN") ||
		f.ProductFields["sgwarden/exemption"] == "" {
		t.Errorf("exempt finding: workflow %s note %+v fields %v; want SUPPRESSED with the exemption", f.Workflow.Status, f.Note, f.ProductFields)
	}
}

func TestImportChunksAndBounds(t *testing.T) {
	srv, c := hub(t)
	a := alert(notify.OutcomeKept, "")
	tags := map[string]string{}
	for i := 0; i < 5000; i++ {
		tags[fmt.Sprintf("k%04d", i)] = strings.Repeat("v", 300)
	}
	a.Group.Tags = tags
	a.Rules[0].Error = strings.Repeat("e", 100000)
	var items []findings.Item
	for i := 0; i < 250; i++ {
		r := a.Rules[0]
		r.ID = fmt.Sprintf("sgr-%d", i)
		a2 := *a
		a2.Rules = []notify.Rule{r}
		items = append(items, findings.ItemsFromAlert(&a2, nil)...)
	}
	if err := findings.ImportItems(context.Background(), c, items, now, describe); err != nil {
		t.Fatal(err)
	}
	if n := srv.CallCount("BatchImportFindings"); n != 3 {
		t.Errorf("250 findings took %d calls, want 3", n)
	}
	if n := len(srv.SecurityHubFindings()); n != 250 {
		t.Errorf("%d findings stored, want 250", n)
	}
	for _, f := range srv.SecurityHubFindings()[:1] {
		if len(f.Doc) > findings.MaxFindingBytes {
			t.Errorf("finding is %d bytes", len(f.Doc))
		}
	}
}

func TestImportFailuresAreErrors(t *testing.T) {
	srv, c := hub(t)
	items := findings.ItemsFromAlert(alert(notify.OutcomeRevoked, ""), nil)
	srv.Throttle("BatchImportFindings", 1)
	if err := findings.ImportItems(context.Background(), c, items, now, describe); err == nil {
		t.Error("throttled import returned nil")
	}
	srv.Deny("BatchImportFindings")
	if err := findings.ImportItems(context.Background(), c, items, now, describe); err == nil {
		t.Error("denied import returned nil")
	}
	srv.ClearFaults()
	bad := items[0]
	bad.Account = "999999999999" // not the caller's account: refused per finding
	err := findings.ImportItems(context.Background(), c, []findings.Item{bad}, now, describe)
	var rej *findings.RejectedError
	if !errors.As(err, &rej) || len(rej.Failed) != 1 {
		t.Errorf("refused finding: err = %v, want a RejectedError", err)
	}
}

func TestReconcileArchivesWhatIsGone(t *testing.T) {
	_, c := hub(t)
	ctx := context.Background()
	var items []findings.Item
	for _, id := range []string{"sgr-keep", "sgr-gone1", "sgr-gone2"} {
		a := alert(notify.OutcomeKept, "")
		a.Rules[0].ID = id
		items = append(items, findings.ItemsFromAlert(a, nil)...)
	}
	if err := findings.ImportItems(ctx, c, items, now, describe); err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{items[0].ID(): true}
	n, err := findings.Reconcile(ctx, c, awslocal.DefaultAccount, awslocal.DefaultRegion, keep, now.Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Reconcile = %d, %v; want 2", n, err)
	}
	for _, f := range all(t, c) {
		gone := aws.ToString(f.Id) != items[0].ID()
		if gone != (f.RecordState == types.RecordStateArchived) || gone != (f.Compliance.Status == types.ComplianceStatusPassed) {
			t.Errorf("%s: record %s compliance %s", aws.ToString(f.Id), f.RecordState, f.Compliance.Status)
		}
	}
	// A second run archives nothing more.
	if n, err := findings.Reconcile(ctx, c, awslocal.DefaultAccount, awslocal.DefaultRegion, keep, now.Add(2*time.Hour)); err != nil || n != 0 {
		t.Errorf("second Reconcile = %d, %v; want 0", n, err)
	}
}

func TestIDWithoutRuleID(t *testing.T) {
	r := notify.Rule{Direction: "ingress", Protocol: "tcp", Ports: "22", Peer: "0.0.0.0/0"}
	a, b := findings.ID("1", "r", "sg-1", r, "c"), findings.ID("1", "r", "sg-1", r, "c")
	r.Peer = "::/0"
	if a != b || a == findings.ID("1", "r", "sg-1", r, "c") {
		t.Errorf("tuple IDs: %s %s", a, b)
	}
}

func TestRequirements(t *testing.T) {
	cases := map[string]string{
		"the VPC default group carries a rule (FSBP EC2.2, CIS 5.4)": "AWS Foundational Security Best Practices/EC2.2,CIS AWS Foundations Benchmark/5.4",
		"high-risk port from public address space (FSBP EC2.19)":     "AWS Foundational Security Best Practices/EC2.19",
		"whole ephemeral range from the world; replies need no rule": "",
	}
	for in, want := range cases {
		if got := strings.Join(findings.Requirements(in), ","); got != want {
			t.Errorf("Requirements(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestItemsOfRulesInOtherGroups(t *testing.T) {
	a := alert(notify.OutcomeKept, "")
	a.Group = nil // a prefix-list alert: rules of several groups
	a.Rules[0].GroupID = "sg-1"
	r := a.Rules[0]
	r.GroupID, r.ID = "sg-2", "sgr-2"
	r2 := r
	r2.GroupID = ""
	a.Rules = append(a.Rules, r, r2)
	items := findings.ItemsFromAlert(a, nil)
	if len(items) != 2 || items[0].Group.ID != "sg-1" || items[1].Group.ID != "sg-2" {
		t.Errorf("items = %+v, want one on sg-1 and one on sg-2 (the rule without a group has none)", items)
	}
}
