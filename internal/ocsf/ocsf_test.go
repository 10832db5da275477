package ocsf_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/sgwarden/sgwarden/internal/actor"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/ocsf"
)

var now = time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC)

func alert(action notify.Action) *notify.Alert {
	return &notify.Alert{
		Action: action, Severity: "critical", Mode: "enforce", Summary: "tcp/22 from 0.0.0.0/0 opened on sg-0abc",
		Account: "123456789012", Region: "us-east-1",
		Group:  &notify.Group{ID: "sg-0abc", Name: "web", Tags: map[string]string{"team": "payments"}, Owner: "payments"},
		Rules:  []notify.Rule{{ID: "sgr-1", Direction: "ingress", Protocol: "tcp", Ports: "22", Peer: "0.0.0.0/0", Outcome: notify.OutcomeRevoked, Checks: []notify.Check{{ID: "remote-admin-world", Severity: "critical"}}}},
		Checks: []string{"remote-admin-world"},
		Actor: notify.Actor{ARN: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1/jane@example.com", AccountID: "123456789012",
			SourceIP: "198.51.100.7", User: &actor.User{Name: "jane@example.com", Email: "jane@example.com", Kind: actor.KindIdentityCenter, Role: "AWSReservedSSO_Admin_1", Session: "jane@example.com"}},
		Event:    notify.Event{ID: "ev-1", Name: "AuthorizeSecurityGroupIngress", Time: now.Add(-5 * time.Second)},
		Outcome:  notify.Result{Revoked: 1},
		DedupKey: "ev-1",
	}
}

func doc(t *testing.T, e ocsf.Event) map[string]any {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEveryOutcomeMeetsTheSchema(t *testing.T) {
	s := loadSchema(t)
	for _, act := range []notify.Action{notify.ActionReverted, notify.ActionWouldRevert, notify.ActionAlert, notify.ActionExempt, notify.ActionFailed} {
		e := ocsf.FromAlert(alert(act), "REVERTED tcp/22", nil, now)
		if p := s.validate(doc(t, e), "detection_finding"); len(p) > 0 {
			t.Errorf("%s: %v", act, p)
		}
	}
	// An alert without group or actor details still meets it.
	bare := &notify.Alert{Action: notify.ActionAlert, Severity: "medium", Account: "1", Region: "r", Event: notify.Event{ID: "e", Name: "ModifyManagedPrefixList"}}
	if p := s.validate(doc(t, ocsf.FromAlert(bare, "ALERT", nil, now)), "detection_finding"); len(p) > 0 {
		t.Errorf("bare alert: %v", p)
	}
	for _, run := range []ocsf.AuditRun{
		{RunID: "r1", Account: "123456789012", Regions: []string{"us-east-1"}, StartedAt: now, FinishedAt: now, Complete: true},
		{RunID: "r2", Account: "123456789012", StartedAt: now, FinishedAt: now, Complete: true, Violations: 3, WorstSeverity: "high",
			Standards: []string{"AWS Foundational Security Best Practices/EC2.13"}},
	} {
		if p := s.validate(doc(t, ocsf.FromAudit(run)), "compliance_finding"); len(p) > 0 {
			t.Errorf("audit %s: %v", run.RunID, p)
		}
	}
}

func TestValidatorCanFail(t *testing.T) {
	s := loadSchema(t)
	m := doc(t, ocsf.FromAudit(ocsf.AuditRun{RunID: "r", Account: "1", FinishedAt: now}))
	delete(m["compliance"].(map[string]any), "standards")
	delete(m["metadata"].(map[string]any)["product"].(map[string]any), "vendor_name")
	m["type_uid"] = float64(200401)
	p := s.validate(m, "compliance_finding")
	if len(p) != 3 {
		t.Errorf("validate found %v, want the missing standards and vendor_name and the wrong type_uid", p)
	}
	d := doc(t, ocsf.FromAlert(alert(notify.ActionReverted), "x", nil, now))
	d["evidences"] = []any{map[string]any{}}
	if p := s.validate(d, "detection_finding"); len(p) != 1 || !strings.Contains(p[0], "at least one") {
		t.Errorf("empty evidence: %v", p)
	}
}

func TestMapping(t *testing.T) {
	e := ocsf.FromAlert(alert(notify.ActionReverted), "REVERTED tcp/22", nil, now)
	if e.ClassUID != 2004 || e.ActivityID != ocsf.ActivityClose || e.StatusID != ocsf.StatusResolved || e.SeverityID != 5 || e.TypeUID != 200403 {
		t.Errorf("reverted: class %d activity %d status %d severity %d type %d", e.ClassUID, e.ActivityID, e.StatusID, e.SeverityID, e.TypeUID)
	}
	u := e.Evidences[0].Actor.User
	if u.Name != "jane@example.com" || u.TypeID != 1 || u.EmailAddr != "jane@example.com" {
		t.Errorf("actor.user = %+v", u)
	}
	if e.Evidences[0].SrcEndpoint.IP != "198.51.100.7" || e.Evidences[0].API.Operation != "AuthorizeSecurityGroupIngress" {
		t.Errorf("evidence = %+v", e.Evidences[0])
	}
	again := ocsf.FromAlert(alert(notify.ActionReverted), "REVERTED tcp/22", nil, now.Add(time.Minute))
	if again.Metadata.UID != e.Metadata.UID || again.FindingInfo.UID != e.FindingInfo.UID {
		t.Error("a redelivered event gets another uid")
	}
	if ex := ocsf.FromAlert(alert(notify.ActionExempt), "x", nil, now); ex.StatusID != ocsf.StatusSuppressed {
		t.Errorf("exempt status %d", ex.StatusID)
	}
	if f := ocsf.FromAudit(ocsf.AuditRun{Account: "1", Violations: 2, Complete: true}); f.Compliance.StatusID != ocsf.ComplianceStatusFail {
		t.Errorf("audit with violations: %+v", f.Compliance)
	}
	if f := ocsf.FromAudit(ocsf.AuditRun{Account: "1"}); f.Compliance.StatusID != ocsf.ComplianceStatusWarn {
		t.Errorf("incomplete audit: %+v", f.Compliance)
	}
}

func TestPutOnEventBridge(t *testing.T) {
	srv := awslocal.StartLocal(t, "PutEvents read-back")
	eb := eventbridge.NewFromConfig(srv.AWSConfig(context.Background()), func(o *eventbridge.Options) { o.Retryer = aws.NopRetryer{} })
	var events []ocsf.Event
	for i := 0; i < 12; i++ {
		events = append(events, ocsf.FromAlert(alert(notify.ActionReverted), "x", nil, now))
	}
	if err := ocsf.Put(context.Background(), eb, "arn:aws:events:us-east-1:123456789012:event-bus/security", events...); err != nil {
		t.Fatal(err)
	}
	got := srv.PutEvents()
	if len(got) != 12 || srv.CallCount("PutEvents") != 2 {
		t.Fatalf("%d events in %d calls, want 12 in 2", len(got), srv.CallCount("PutEvents"))
	}
	g := got[0]
	if g.Source != "sgwarden" || g.DetailType != "OCSF Detection Finding" || g.EventBus != "security" ||
		len(g.Resources) != 1 || !strings.HasSuffix(g.Resources[0], "security-group/sg-0abc") {
		t.Errorf("put event = %+v", g)
	}
	srv.Throttle("PutEvents", 1)
	if err := ocsf.Put(context.Background(), eb, "", events[0]); err == nil {
		t.Error("throttled put returned nil")
	}
	srv.Deny("PutEvents")
	if err := ocsf.Put(context.Background(), eb, "", events[0]); err == nil {
		t.Error("denied put returned nil")
	}
}
