package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/audit/audittest"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/lambdarie"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
)

// e2eOrg is the issue's organization: 50 accounts x 2 regions x 200 groups.
var e2eOrg = audittest.IssueOrg

// e2eBuild holds the real orgaudit bootstrap and the RIE, built once,
// before the tests run.
var e2eBuild = lambdarie.NewTestBuild(map[string]string{"bootstrap": "."})

func TestMain(m *testing.M) { os.Exit(lambdarie.RunTests(m, e2eBuild)) }

// TestEndToEndOrganizationUnderRIE runs the real orgaudit bootstrap under the
// Lambda Runtime Interface Emulator against an emulated organization and
// drives the three steps as the state machine does (list, one audit per
// item, report). One account's read role is denied and one region of
// another is throttled: both are reported, everything else is audited, and
// the report's counts equal the seeded violations.
func TestEndToEndOrganizationUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end under the Lambda RIE: builds the bootstrap and the RIE (skipped with -short)")
	}
	// TestMain built the binaries before the -timeout alarm started: on a
	// loaded machine a build can take minutes.
	dir, err := e2eBuild.Dir()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	bootstrap, rie := filepath.Join(dir, "bootstrap"), filepath.Join(dir, "aws-lambda-rie")

	const bucket, region = "sgwarden-org-e2e", "us-east-1"
	srv := awslocal.Start(t, awslocal.WithRegion(region), awslocal.WithCallLimit(1<<20))
	if err := e2eOrg.Seed(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBucket(bucket, region); err != nil {
		t.Fatal(err)
	}
	denied, throttled := audittest.OrgAccountID(7), audittest.OrgAccountID(13)
	if err := srv.DenyRole(denied, "sgwarden-audit-read"); err != nil {
		t.Fatal(err)
	}
	if err := srv.InjectFault(awslocal.Fault{Service: "ec2", Account: throttled, Region: "eu-west-1", Kind: awslocal.FaultThrottle}); err != nil {
		t.Fatal(err)
	}
	topic := srv.CreateTopic(region, "sgwarden-org-alerts")
	env := []string{
		"AWS_ENDPOINT_URL=" + srv.URL(), "AWS_REGION=" + region,
		"AWS_ACCESS_KEY_ID=AKIAAWSLOCAL00000000", "AWS_SECRET_ACCESS_KEY=awslocal-secret",
		"SGWARDEN_TOPIC_ARN=" + topic, "SGWARDEN_MODE=dry-run", "SGWARDEN_REPORT_BUCKET=" + bucket,
		"SGWARDEN_REGIONS=" + strings.Join(e2eOrg.Regions, ","), "AWS_LAMBDA_FUNCTION_TIMEOUT=120",
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := lambdarie.Start(ctx, rie, bootstrap, env)
	if err != nil {
		t.Fatalf("start RIE: %v", err)
	}
	t.Cleanup(p.Stop)
	invoke := func(in any, out any) {
		t.Helper()
		payload, _ := json.Marshal(in)
		body, _, err := p.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("invoke %s: %v\n%s\n%s", payload, err, body, p.Logs(20))
		}
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("response %s: %v", body, err)
		}
	}

	start := time.Now()
	var list orgaudit.ListResult
	invoke(map[string]string{"step": "list"}, &list)
	planned := e2eOrg.Items() // the management account is left out: no member stack there
	if len(list.Items) != planned {
		t.Fatalf("list: %d items, want %d", len(list.Items), planned)
	}
	var failed []orgaudit.Status
	for _, it := range list.Items {
		var st orgaudit.Status
		invoke(map[string]string{"step": "audit", "runId": list.RunID, "account": it.Account, "region": it.Region}, &st)
		if st.Account != it.Account || st.Region != it.Region {
			t.Fatalf("audit %+v answered %+v", it, st)
		}
		if !st.OK {
			failed = append(failed, st)
		}
	}
	var res orgaudit.ReportResult
	invoke(map[string]string{"step": "report", "runId": list.RunID}, &res)
	t.Logf("organization audit of %d account-regions: %v", planned, time.Since(start))

	if len(failed) != 3 {
		for _, f := range failed {
			t.Logf("failed: %s/%s %s: %s", f.Account, f.Region, f.Reason, f.Error)
		}
		t.Errorf("%d failed items, want the denied account's two regions and the throttled region", len(failed))
	}
	audited := e2eOrg.Items() - 3 // members' items audited
	seeded := e2eOrg.BadGroups * audited
	if res.Planned != planned || res.Audited != planned-3 || res.NotAudited != 3 || res.Complete {
		t.Errorf("report result = %+v, want %d planned, %d audited, 3 not audited", res, planned, planned-3)
	}
	if res.Totals.RulesInViolation != seeded || res.Totals.SecurityGroups != (e2eOrg.Groups+1)*audited {
		t.Errorf("totals = %+v, want %d rules in violation (seeded) in %d groups", res.Totals, seeded, (e2eOrg.Groups+1)*audited)
	}

	var rep orgaudit.Report
	raw, ok := srv.Object(bucket, orgaudit.ReportKey(list.RunID))
	if !ok || json.Unmarshal(raw, &rep) != nil {
		t.Fatalf("report.json: %q", raw)
	}
	for check, cc := range rep.ByCheck {
		if cc.Total != seeded {
			t.Errorf("check %s: %d findings, want %d (one per seeded rule)", check, cc.Total, seeded)
		}
	}
	got := map[string]string{}
	for _, u := range rep.NotAudited {
		got[u.Account+"/"+u.Region] = u.Reason
	}
	for k, v := range map[string]string{denied + "/us-east-1": orgaudit.ReasonAccessDenied, denied + "/eu-west-1": orgaudit.ReasonAccessDenied,
		throttled + "/eu-west-1": orgaudit.ReasonThrottled} {
		if got[k] != v {
			t.Errorf("not audited %s: %q, want %q (all %v)", k, got[k], v, got)
		}
	}
	if n := len(srv.ObjectKeys(bucket, "runs/"+list.RunID+"/parts/")); n != planned {
		t.Errorf("%d parts stored, want %d", n, planned)
	}
	if _, ok := srv.Object(bucket, orgaudit.MarkdownKey(list.RunID)); !ok {
		t.Error("report.md not stored")
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 || msgs[0].TopicARN != topic || !strings.Contains(msgs[0].Subject, "3 not audited") {
		t.Errorf("alerts = %+v, want one summary naming 3 not audited", msgs)
	}
}
