package remediate

// Security Hub findings, OCSF events, chat, actor and owner routing after
// real Handle runs against the emulated account (docs/findings.md).

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sgwarden/sgwarden/internal/awsconfig"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/chat"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

const testBus = "security"

// startFindingsAccount is startAccount with Security Hub, EventBridge (bus
// "security") and chat wired to the account's server, which exists only
// once startAccount returns.
func startFindingsAccount(t *testing.T, fx *awslocal.Fixture, ch chat.Channel, opts ...acctOption) *testAccount {
	t.Helper()
	opts = append(opts, func(c *Config) { c.Outlets = Outlets{EventBus: testBus, Chat: ch} })
	a := startAccount(t, fx, opts...)
	cfg := a.srv.AWSConfig(context.Background())
	cfg.Retryer = awsconfig.NewRetryer(awsconfig.RetryOptions{NoClientRateLimit: true, MaxBackoff: 5 * time.Millisecond})
	a.r.cfg.Outlets.SecurityHub = securityhub.NewFromConfig(cfg)
	a.r.cfg.Outlets.Events = eventbridge.NewFromConfig(cfg)
	return a
}

func (a *testAccount) findings() []shtypes.AwsSecurityFinding {
	a.t.Helper()
	c := securityhub.NewFromConfig(a.srv.AWSConfig(context.Background()))
	out, err := c.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	if err != nil {
		a.t.Fatalf("GetFindings: %v", err)
	}
	return out.Findings
}

// ocsfEvents decodes the OCSF documents put on the test bus.
func (a *testAccount) ocsfEvents() []map[string]any {
	a.t.Helper()
	var out []map[string]any
	for _, e := range a.srv.PutEvents() {
		if e.Source != "sgwarden" || e.EventBus != testBus {
			a.t.Errorf("event source %s bus %s, want sgwarden on %s", e.Source, e.EventBus, testBus)
		}
		var m map[string]any
		if err := json.Unmarshal(e.Detail, &m); err != nil {
			a.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func distinct(events []map[string]any, key string) int {
	seen := map[string]bool{}
	for _, e := range events {
		md, _ := e["metadata"].(map[string]any)
		if key == "finding" {
			md, _ = e["finding_info"].(map[string]any)
		}
		seen[md["uid"].(string)] = true
	}
	return len(seen)
}

func active(fs []shtypes.AwsSecurityFinding) []shtypes.AwsSecurityFinding {
	var out []shtypes.AwsSecurityFinding
	for _, f := range fs {
		if f.RecordState == shtypes.RecordStateActive {
			out = append(out, f)
		}
	}
	return out
}

func TestViolatingEventOneFindingOneOCSFEventEvenRedelivered(t *testing.T) {
	for _, mode := range []policy.Mode{policy.ModeDryRun, policy.ModeEnforce} {
		t.Run(string(mode), func(t *testing.T) {
			a := startFindingsAccount(t, webFixture(), "", withMode(mode))
			for delivery := 1; delivery <= 2; delivery++ {
				res, err := a.handle(sshEvent(evSSH))
				if err != nil {
					t.Fatalf("delivery %d: %v", delivery, err)
				}
				if res.AWSCalls != len(a.last) {
					t.Errorf("delivery %d: Result.AWSCalls = %d, server saw %d", delivery, res.AWSCalls, len(a.last))
				}
				// remote-admin-world, high-risk-ports-public and
				// unrestricted-ports-world all fire on tcp/22 from the world:
				// one finding per (rule, check).
				fs := active(a.findings())
				ids := map[string]bool{}
				for _, f := range fs {
					ids[aws.ToString(f.Id)] = true
					if !strings.Contains(aws.ToString(f.Id), "/"+acctWebSG+"/"+ruleSSH+"/") {
						t.Errorf("finding %s is not on %s/%s", aws.ToString(f.Id), acctWebSG, ruleSSH)
					}
				}
				if len(fs) != 3 || len(ids) != 3 {
					t.Fatalf("delivery %d: %d active findings (%d ids), want one per check (3)", delivery, len(fs), len(ids))
				}
				var one shtypes.AwsSecurityFinding
				for _, f := range fs {
					if strings.HasSuffix(aws.ToString(f.Id), "/remote-admin-world") {
						one = f
					}
				}
				wantComp, wantWF := shtypes.ComplianceStatusFailed, shtypes.WorkflowStatusNew
				if mode == policy.ModeEnforce {
					wantComp, wantWF = shtypes.ComplianceStatusPassed, shtypes.WorkflowStatusResolved
				}
				if one.Compliance == nil || one.Compliance.Status != wantComp || one.Workflow.Status != wantWF {
					t.Errorf("delivery %d: remote-admin-world finding %+v, want %s/%s", delivery, one.Compliance, wantComp, wantWF)
				}
				if one.ProductFields["sgwarden/actor.user"] != "alice@example.com" || one.ProductFields["sgwarden/actor.user.kind"] != "identity-center" {
					t.Errorf("finding actor = %v", one.ProductFields)
				}
				ev := a.ocsfEvents()
				if distinct(ev, "metadata") != 1 || distinct(ev, "finding") != 1 {
					t.Errorf("delivery %d: %d OCSF events with %d distinct metadata.uid, want one event identity", delivery, len(ev), distinct(ev, "metadata"))
				}
				if len(ev) != delivery {
					t.Errorf("delivery %d: %d puts, want %d (EventBridge has no dedup; the repeat carries the same uid)", delivery, len(ev), delivery)
				}
			}
			ev := a.ocsfEvents()[0]
			user := ev["evidences"].([]any)[0].(map[string]any)["actor"].(map[string]any)["user"].(map[string]any)
			if ev["class_uid"].(float64) != 2004 || user["name"] != "alice@example.com" {
				t.Errorf("OCSF event class %v actor.user %v", ev["class_uid"], user)
			}
			al := a.alerts()[0]
			if al.Actor.User == nil || al.Actor.User.Name != "alice@example.com" {
				t.Errorf("alert actor.user = %+v, want alice@example.com", al.Actor.User)
			}
		})
	}
}

func TestRevertClosesTheFinding(t *testing.T) {
	a := startFindingsAccount(t, webFixture(), "", withMode(policy.ModeDryRun))
	if _, err := a.handle(sshEvent(evSSH)); err != nil {
		t.Fatal(err)
	}
	// The same account, now enforcing: a redelivery reverts.
	a.r.cfg.Mode = policy.ModeEnforce
	r, err := New(a.r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.r = r
	if _, err := a.handle(sshEvent(evSSH)); err != nil {
		t.Fatal(err)
	}
	a.wantRules(acctWebSG, nil, []string{ruleSSH})
	for _, f := range a.findings() {
		if f.Compliance.Status != shtypes.ComplianceStatusPassed {
			t.Errorf("%s: compliance %s after the revert, want PASSED", aws.ToString(f.Id), f.Compliance.Status)
		}
	}
	if n := len(a.findings()); n != 3 {
		t.Errorf("%d findings, want the same 3", n)
	}
}

func TestExemptionIsVisibleInTheFinding(t *testing.T) {
	fx := webFixture()
	for i, r := range fx.Groups[0].Ingress {
		if r.ID == ruleSSH {
			fx.Groups[0].Ingress[i].Tags = map[string]string{"sgwarden:exempt": "vendor VPN, ticket SEC-42"}
		}
	}
	a := startFindingsAccount(t, fx, "")
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Revoked) != 0 {
		t.Fatalf("an exempt rule was revoked: %+v", res)
	}
	fs := a.findings()
	if len(fs) == 0 {
		t.Fatal("no finding for an exempt rule")
	}
	for _, f := range fs {
		if f.Workflow.Status != shtypes.WorkflowStatusSuppressed || f.Note == nil || !strings.Contains(aws.ToString(f.Note.Text), "SEC-42") ||
			!strings.Contains(f.ProductFields["sgwarden/exemption"], "SEC-42") {
			t.Errorf("%s: workflow %s note %v exemption %q; want SUPPRESSED with the exemption", aws.ToString(f.Id), f.Workflow.Status, f.Note, f.ProductFields["sgwarden/exemption"])
		}
	}
	ev := a.ocsfEvents()
	if len(ev) != 1 || ev[0]["status_id"].(float64) != 3 {
		t.Errorf("OCSF events %v, want one Suppressed", ev)
	}
}

func TestFindingFailuresFollowTheContract(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault awslocal.Fault
	}{
		{"Security Hub denied", awslocal.Fault{Service: "securityhub", Operation: "BatchImportFindings", Kind: awslocal.FaultDeny}},
		{"Security Hub throttled", awslocal.Fault{Service: "securityhub", Operation: "BatchImportFindings", Kind: awslocal.FaultThrottle}},
		{"PutEvents denied", awslocal.Fault{Service: "events", Operation: "PutEvents", Kind: awslocal.FaultDeny}},
		{"PutEvents throttled", awslocal.Fault{Service: "events", Operation: "PutEvents", Kind: awslocal.FaultThrottle}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startFindingsAccount(t, webFixture(), "")
			if err := a.srv.InjectFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			res, err := a.handle(sshEvent(evSSH))
			if err == nil {
				t.Fatal("Handle succeeded while the outlet failed")
			}
			if !strings.Contains(err.Error(), evSSH) {
				t.Errorf("error %v does not name the event", err)
			}
			if strings.Join(res.Revoked, ",") != ruleSSH || !res.Published {
				t.Errorf("Handle = %+v, want the revert and the alert to stand", res)
			}
			a.wantRules(acctWebSG, nil, []string{ruleSSH})

			a.srv.ClearFaults()
			if _, err := a.handle(sshEvent(evSSH)); err != nil {
				t.Fatalf("retry: %v", err)
			}
			for _, op := range a.lastOps() {
				if strings.HasPrefix(op, "Revoke") {
					t.Errorf("the retry called %s", op)
				}
			}
			if n := len(active(a.findings())); n != 3 {
				t.Errorf("after the retry: %d active findings, want 3", n)
			}
			if ev := a.ocsfEvents(); len(ev) == 0 || distinct(ev, "metadata") != 1 {
				t.Errorf("after the retry: %d OCSF events, %d identities; want at least one, one identity", len(ev), distinct(ev, "metadata"))
			}
		})
	}
}

func TestOwnerAttributeAndChat(t *testing.T) {
	eng, err := policy.Load([]byte("version: 1\nbase: default\nownerTag: team\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := startFindingsAccount(t, webFixture(), chat.Slack, withEngine(eng))
	if _, err := a.handle(sshEvent(evSSH)); err != nil {
		t.Fatal(err)
	}
	al := a.oneAlert()
	if al.Attrs[notify.AttrOwner] != "web" || al.Group.Owner != "web" {
		t.Errorf("owner attribute %q, group owner %q; want web (tag team)", al.Attrs[notify.AttrOwner], al.Group.Owner)
	}
	var n chat.Notification
	if err := json.Unmarshal([]byte(a.srv.SNSMessages()[0].MessageFor("https")), &n); err != nil {
		t.Fatalf("https body is not a chat notification: %v", err)
	}
	if n.Version != "1.0" || n.Source != "custom" || !strings.Contains(strings.Join(n.Content.NextSteps, " "), "SecurityGroup:groupId="+acctWebSG) {
		t.Errorf("chat notification = %+v", n)
	}
}
