package orgaudit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/audit/audittest"
	"github.com/sgwarden/sgwarden/internal/awsclients/assume"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

const (
	readRole   = "sgwarden-audit-read"
	revertRole = "sgwarden-audit-revert"
	bucket     = "sgwarden-org-reports"
)

var org = audittest.OrgScale{Accounts: 4, Regions: []string{"us-east-1", "eu-west-1"}, Groups: 20, BadGroups: 3, RulesPerGroup: 3, NetworkInterfaces: 10}

// fixture is a seeded organization and the steps wired to it.
type fixture struct {
	srv   *awslocal.Server
	steps *orgaudit.Steps
	topic string
}

func newFixture(t *testing.T, engine *policy.Engine) *fixture {
	t.Helper()
	srv := awslocal.StartLocal(t, "organization")
	if err := org.Seed(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBucket(bucket, ""); err != nil {
		t.Fatal(err)
	}
	base := srv.AWSConfig(context.Background())
	// Throttling gives up quickly, as a real retryer does after its attempts.
	base.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 2; o.MaxBackoff = time.Millisecond })
	}
	topic := srv.CreateTopic("", "org-alerts")
	store := orgaudit.S3Store{Client: s3.NewFromConfig(base), Bucket: bucket}
	return &fixture{srv: srv, topic: topic, steps: &orgaudit.Steps{
		Org: organizations.NewFromConfig(base), Regions: org.Regions,
		Worker: &orgaudit.Worker{Engine: engine, Read: assume.Role(base, readRole),
			Revert: assume.Role(base, revertRole), MaxReverts: 25, Store: store},
		Reporter: &orgaudit.Reporter{Store: store, Publisher: sns.NewFromConfig(base), TopicARN: topic},
	}}
}

// drive runs the steps as the state machine does: list, one audit per item,
// report. Every step's input and output goes through JSON.
func (f *fixture) drive(t *testing.T) (*orgaudit.ListResult, []orgaudit.Status, *orgaudit.ReportResult) {
	t.Helper()
	ctx := context.Background()
	var list orgaudit.ListResult
	call(t, f.steps, `{"step":"list"}`, &list)
	var sts []orgaudit.Status
	for _, it := range list.Items {
		var st orgaudit.Status
		in, _ := json.Marshal(orgaudit.Request{Step: "audit", RunID: list.RunID, Account: it.Account, Region: it.Region})
		call(t, f.steps, string(in), &st)
		sts = append(sts, st)
	}
	var rep orgaudit.ReportResult
	call(t, f.steps, `{"step":"report","runId":"`+list.RunID+`"}`, &rep)
	_ = ctx
	return &list, sts, &rep
}

func call(t *testing.T, s *orgaudit.Steps, in string, out any) {
	t.Helper()
	var req orgaudit.Request
	if err := json.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	res, err := s.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle(%s): %v", in, err)
	}
	b, _ := json.Marshal(res)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func TestOrgAuditReportsFailuresAndCountsTheRest(t *testing.T) {
	f := newFixture(t, policy.Default().WithMode(policy.ModeDryRun))
	denied, throttled := audittest.OrgAccountID(1), audittest.OrgAccountID(2)
	if err := f.srv.DenyRole(denied, readRole); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.InjectFault(awslocal.Fault{Service: "ec2", Account: throttled, Region: "eu-west-1", Kind: awslocal.FaultThrottle}); err != nil {
		t.Fatal(err)
	}
	list, sts, res := f.drive(t)

	planned := org.Items() // the management account is left out: no member stack there
	if len(list.Items) != planned || res.Planned != planned {
		t.Fatalf("items = %d, planned = %d, want %d", len(list.Items), res.Planned, planned)
	}
	for _, st := range sts {
		switch {
		case st.Account == denied:
			if st.OK || st.Reason != orgaudit.ReasonAccessDenied || !strings.Contains(st.Error, readRole) {
				t.Errorf("denied %s: status %+v, want access-denied naming the role", st.Region, st)
			}
		case st.Account == throttled && st.Region == "eu-west-1":
			if st.OK || st.Reason != orgaudit.ReasonThrottled {
				t.Errorf("throttled: status %+v, want throttled", st)
			}
		case st.Account == f.srv.Account():
			t.Errorf("the management account was audited: %+v", st)
		default:
			if !st.OK || st.Counts.RulesInViolation != org.BadGroups || st.Counts.SecurityGroups != org.Groups+1 {
				t.Errorf("%s/%s: %+v, want ok with %d rules in violation", st.Account, st.Region, st, org.BadGroups)
			}
		}
	}
	auditedMembers := org.Items() - len(org.Regions) - 1 // one denied account, one throttled region
	if res.NotAudited != 3 || res.Audited != planned-3 || res.Complete {
		t.Errorf("report: audited %d, not audited %d, complete %t; want %d, 3, false", res.Audited, res.NotAudited, res.Complete, planned-3)
	}
	if res.Totals.RulesInViolation != org.BadGroups*auditedMembers {
		t.Errorf("rules in violation = %d, want %d (seeded)", res.Totals.RulesInViolation, org.BadGroups*auditedMembers)
	}

	var rep orgaudit.Report
	raw, ok := f.srv.Object(bucket, orgaudit.ReportKey(list.RunID))
	if !ok || json.Unmarshal(raw, &rep) != nil {
		t.Fatalf("report.json missing or bad: %s", raw)
	}
	if len(rep.ByCheck) == 0 {
		t.Error("no per-check counts")
	}
	for check, cc := range rep.ByCheck {
		if cc.Total != org.BadGroups*auditedMembers {
			t.Errorf("check %s: %d findings, want %d (one per seeded rule)", check, cc.Total, org.BadGroups*auditedMembers)
		}
	}
	reasons := map[string]string{}
	for _, u := range rep.NotAudited {
		reasons[u.Account+"/"+u.Region] = u.Reason
	}
	want := map[string]string{denied + "/us-east-1": "access-denied", denied + "/eu-west-1": "access-denied", throttled + "/eu-west-1": "throttled"}
	for k, v := range want {
		if reasons[k] != v {
			t.Errorf("not audited %s: reason %q, want %q (all: %v)", k, reasons[k], v, reasons)
		}
	}
	for _, a := range rep.Accounts {
		if a.Account == throttled && (len(a.Audited) != 1 || a.RulesInViolation != org.BadGroups) {
			t.Errorf("throttled account: %+v, want us-east-1 audited with %d rules", a, org.BadGroups)
		}
	}
	if len(rep.WorstExposures) == 0 || rep.WorstExposures[0].PublicIP == "" {
		t.Errorf("worst exposures = %+v, want public interfaces first", rep.WorstExposures)
	}
	md, ok := f.srv.Object(bucket, orgaudit.MarkdownKey(list.RunID))
	if !ok || !strings.Contains(string(md), "| "+denied+" | us-east-1 | access-denied |") {
		t.Errorf("report.md lacks the denied account:\n%s", md)
	}
	msgs := f.srv.SNSMessages()
	if len(msgs) != 1 {
		t.Fatalf("%d alerts published, want 1", len(msgs))
	}
	if !strings.Contains(msgs[0].Subject, "not audited") || !strings.Contains(msgs[0].Message, denied) {
		t.Errorf("alert subject %q / message lacks the denied account", msgs[0].Subject)
	}
}

func TestOrgAuditRevertsThroughTheRevertRole(t *testing.T) {
	f := newFixture(t, policy.Default().WithMode(policy.ModeEnforce))
	target := audittest.OrgAccountID(0)
	if err := f.srv.DenyRole(audittest.OrgAccountID(3), revertRole); err != nil {
		t.Fatal(err)
	}
	_, sts, res := f.drive(t)
	for _, st := range sts {
		reverted := st.Counts.Reverted
		if st.Account == audittest.OrgAccountID(3) {
			if reverted != 0 || st.Counts.RevertsFailed != org.BadGroups {
				t.Errorf("revert role denied: %+v, want %d failed reverts", st.Counts, org.BadGroups)
			}
			continue
		}
		if reverted != org.BadGroups {
			t.Errorf("%s/%s: reverted %d, want %d", st.Account, st.Region, reverted, org.BadGroups)
		}
	}
	if res.Totals.Reverted != org.BadGroups*(org.Items()-len(org.Regions)) {
		t.Errorf("total reverted %d", res.Totals.Reverted)
	}
	// The member's own state lost exactly the bad rules.
	out, err := ec2.NewFromConfig(f.srv.AccountConfig(target)).DescribeSecurityGroupRules(context.Background(), &ec2.DescribeSecurityGroupRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.SecurityGroupRules {
		if aws.ToInt32(r.FromPort) == 22 {
			t.Errorf("rule %s (tcp/22) is still in %s", aws.ToString(r.SecurityGroupRuleId), target)
		}
	}
}

func TestHandleRejectsBadInput(t *testing.T) {
	f := newFixture(t, policy.Default())
	for _, in := range []orgaudit.Request{
		{Step: "nope", RunID: "r1"},
		{Step: "audit", RunID: "../x", Account: audittest.OrgAccountID(0), Region: "us-east-1"},
		{Step: "audit", RunID: "r1", Account: "12", Region: "us-east-1"},
		{Step: "audit", RunID: "r1", Account: audittest.OrgAccountID(0), Region: "ap-south-1"},
		{Step: "report", RunID: ""},
		{Step: "report", RunID: "never-listed"},
	} {
		if _, err := f.steps.Handle(context.Background(), in); err == nil {
			t.Errorf("Handle(%+v) = nil error, want one", in)
		}
	}
}

// TestListOmitsItemsForTheStateMachine: asked to omit them, the list step
// returns no items, and the object at itemsKey is the bare JSON array of
// {"account","region"} a Distributed Map's ItemReader (InputType JSON) reads.
func TestListOmitsItemsForTheStateMachine(t *testing.T) {
	f := newFixture(t, policy.Default().WithMode(policy.ModeDryRun))
	res, err := f.steps.Handle(context.Background(), orgaudit.Request{Step: "list", OmitItems: true})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res)
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["items"]; ok || len(got) != 2 {
		t.Errorf("list output = %s, want runId and itemsKey only", out)
	}
	var runID, key string
	_ = json.Unmarshal(got["runId"], &runID)
	_ = json.Unmarshal(got["itemsKey"], &key)
	if key != orgaudit.ItemsKey(runID) {
		t.Errorf("itemsKey = %q, want %q", key, orgaudit.ItemsKey(runID))
	}
	body, err := f.steps.Worker.Store.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]string
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("%s is not a JSON array of objects: %v", key, err)
	}
	if len(items) != org.Items() {
		t.Fatalf("%s holds %d items, want %d", key, len(items), org.Items())
	}
	for _, it := range items {
		if len(it) != 2 || len(it["account"]) != 12 || !strings.Contains(strings.Join(org.Regions, ","), it["region"]) || it["region"] == "" {
			t.Errorf("item %v, want {account, region}", it)
		}
	}
}
