package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/chat"
	sgfindings "github.com/sgwarden/sgwarden/internal/findings"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

func hubFindings(t *testing.T, hub *securityhub.Client) (active, archived map[string]shtypes.AwsSecurityFinding) {
	t.Helper()
	active, archived = map[string]shtypes.AwsSecurityFinding{}, map[string]shtypes.AwsSecurityFinding{}
	p := securityhub.NewGetFindingsPaginator(hub, &securityhub.GetFindingsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out.Findings {
			if f.RecordState == shtypes.RecordStateActive {
				active[aws.ToString(f.Id)] = f
			} else {
				archived[aws.ToString(f.Id)] = f
			}
		}
	}
	return active, archived
}

func TestAuditReconcilesSecurityHub(t *testing.T) {
	ctx := context.Background()
	srv := startFixture(t)
	a := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	cfg := fastConfig(ctx, srv, 3)
	hub := securityhub.NewFromConfig(cfg)
	opts := []audit.Option{
		audit.WithSecurityHub(audit.SecurityHubClients(cfg, []string{"us-east-1"})),
		audit.WithEvents(eventbridge.NewFromConfig(cfg), "security"),
	}
	dryRun := policy.Default().WithMode(policy.ModeDryRun)

	// A finding left by an earlier run for a rule that no longer exists.
	stale := sgfindings.Item{Account: srv.Account(), Region: "us-east-1", Group: notify.Group{ID: "sg-0gone"},
		Rule:  notify.Rule{ID: "sgr-0gone", Direction: "ingress", Protocol: "tcp", Ports: "22", Peer: "0.0.0.0/0"},
		Check: "remote-admin-world", CheckSeverity: "critical", State: sgfindings.StateOpen, Observed: runTime}
	if err := sgfindings.ImportItems(ctx, hub, []sgfindings.Item{stale}, runTime, nil); err != nil {
		t.Fatal(err)
	}

	rep, err := a.auditor(dryRun, opts...).Run(ctx)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	active, archived := hubFindings(t, hub)
	if len(active) != len(rep.Violations) || len(active) == 0 {
		t.Fatalf("%d active findings, want one per report finding (%d)", len(active), len(rep.Violations))
	}
	if f, ok := archived[stale.ID()]; !ok || f.Compliance.Status != shtypes.ComplianceStatusPassed {
		t.Errorf("the finding of a rule that is gone was not closed: %+v", f)
	}
	events := srv.PutEvents()
	if len(events) != 1 || events[0].DetailType != "OCSF Compliance Finding" {
		t.Fatalf("put events %+v, want one OCSF Compliance Finding", events)
	}
	var doc map[string]any
	if err := json.Unmarshal(events[0].Detail, &doc); err != nil || doc["class_uid"].(float64) != 2003 {
		t.Errorf("OCSF audit event: %v %v", doc["class_uid"], err)
	}

	// A second run over the same account changes no count.
	if _, err := a.auditor(dryRun, opts...).Run(ctx); err != nil {
		t.Fatal(err)
	}
	again, _ := hubFindings(t, hub)
	if len(again) != len(active) {
		t.Errorf("second run: %d active findings, want %d", len(again), len(active))
	}

	// Remove a violating rule by hand: the next run closes its findings.
	var gone audit.Finding
	for _, f := range rep.Violations {
		if f.Exemption == "" && f.Rule.ID != "" {
			gone = f
			break
		}
	}
	if _, err := a.clients["us-east-1"].RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(gone.Group.ID), SecurityGroupRuleIds: []string{gone.Rule.ID}}); err != nil {
		if _, err := a.clients["us-east-1"].RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
			GroupId: aws.String(gone.Group.ID), SecurityGroupRuleIds: []string{gone.Rule.ID}}); err != nil {
			t.Fatalf("revoke %s: %v", gone.Rule.ID, err)
		}
	}
	if _, err := a.auditor(dryRun, opts...).Run(ctx); err != nil {
		t.Fatal(err)
	}
	active, archived = hubFindings(t, hub)
	closed := 0
	for id, f := range archived {
		if strings.Contains(id, "/"+gone.Rule.ID+"/") {
			closed++
			if f.Compliance.Status != shtypes.ComplianceStatusPassed {
				t.Errorf("%s archived with compliance %s", id, f.Compliance.Status)
			}
		}
	}
	for id := range active {
		if strings.Contains(id, "/"+gone.Rule.ID+"/") {
			t.Errorf("%s still active after its rule was removed", id)
		}
	}
	if closed == 0 {
		t.Errorf("no finding of %s was closed", gone.Rule.ID)
	}
}

func TestAuditExemptFindingsAreSuppressed(t *testing.T) {
	ctx := context.Background()
	srv := startFixture(t)
	a := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	cfg := fastConfig(ctx, srv, 3)
	rep, err := a.auditor(policy.Default().WithMode(policy.ModeDryRun),
		audit.WithSecurityHub(audit.SecurityHubClients(cfg, []string{"us-east-1"}))).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	active, _ := hubFindings(t, securityhub.NewFromConfig(cfg))
	exempt := 0
	for _, f := range rep.Violations {
		if f.Exemption == "" {
			continue
		}
		exempt++
		for id, hf := range active {
			if strings.Contains(id, "/"+f.Rule.ID+"/"+f.Check) && hf.Workflow.Status != shtypes.WorkflowStatusSuppressed {
				t.Errorf("exempt %s: workflow %s, want SUPPRESSED", id, hf.Workflow.Status)
			}
		}
	}
	if exempt == 0 {
		t.Skip("the golden account has no exempt rule")
	}
}

func TestAuditSecurityHubDeniedIsAnError(t *testing.T) {
	ctx := context.Background()
	srv := startFixture(t)
	a := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	cfg := fastConfig(ctx, srv, 3)
	srv.Deny("BatchImportFindings")
	rep, err := a.auditor(policy.Default().WithMode(policy.ModeDryRun),
		audit.WithSecurityHub(audit.SecurityHubClients(cfg, []string{"us-east-1"}))).Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "Security Hub") {
		t.Errorf("Run with Security Hub denied: err = %v, want it named", err)
	}
	if rep == nil || len(rep.Violations) == 0 {
		t.Error("the report is lost when Security Hub fails")
	}
}

func TestAuditSummaryCarriesChat(t *testing.T) {
	ctx := context.Background()
	srv := startFixture(t)
	a := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	pub, topic := publisher(t, srv, "us-east-1")
	if _, err := a.auditor(policy.Default().WithMode(policy.ModeDryRun),
		audit.WithPublisher(pub, topic), audit.WithChat(chat.Slack)).Run(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	var n chat.Notification
	if err := json.Unmarshal([]byte(msgs[0].MessageFor("https")), &n); err != nil || n.Source != "custom" || !strings.HasPrefix(n.Content.Title, ":mag: AUDIT") {
		t.Errorf("https body = %s (%v), want the chat summary", msgs[0].MessageFor("https"), err)
	}
	if !strings.Contains(msgs[0].DefaultMessage(), `"kind":"sgwarden.audit.summary"`) {
		t.Error("the default body is no longer the summary document")
	}
}
