package chat

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sgwarden/sgwarden/internal/actor"
	"github.com/sgwarden/sgwarden/internal/notify"
)

func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.ReadFile("testdata/custom-notification.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("custom-notification.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("custom-notification.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sampleAlert(action notify.Action) *notify.Alert {
	return &notify.Alert{
		Action: action, Severity: "critical", Summary: "tcp/22 from 0.0.0.0/0 was opened on sg-0abc",
		Account: "123456789012", Region: "eu-west-1",
		Group:  &notify.Group{ID: "sg-0abc", Name: "web", Owner: "payments"},
		Rules:  []notify.Rule{{ID: "sgr-1", Direction: "ingress", Protocol: "tcp", Ports: "22", Peer: "0.0.0.0/0", Outcome: notify.OutcomeRevoked}},
		Checks: []string{"remote-admin-world"},
		Actor: notify.Actor{ARN: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1/jane@example.com",
			User: &actor.User{Name: "jane@example.com", Kind: actor.KindIdentityCenter}},
		Event:    notify.Event{ID: "ev-1", Name: "AuthorizeSecurityGroupIngress", Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)},
		DedupKey: "ev-1",
	}
}

func TestBuildMatchesPublishedSchema(t *testing.T) {
	s := schema(t)
	for _, ch := range []Channel{Slack, Teams} {
		for _, act := range []notify.Action{notify.ActionReverted, notify.ActionWouldRevert, notify.ActionFailed, notify.ActionExempt, notify.ActionAlert} {
			b, err := Build(sampleAlert(act), "REVERTED tcp/22 from 0.0.0.0/0 on sg-0abc (web)", ch)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); err != nil {
				t.Errorf("Build(%s, %s) does not match the custom notification schema: %v\n%s", act, ch, err, b)
			}
		}
	}
}

func TestSchemaRejectsWrongDocuments(t *testing.T) {
	// The test must be able to fail: the schema refuses what AWS refuses.
	s := schema(t)
	for _, bad := range []string{
		`{"version":"1.0","content":{"description":"x"}}`,
		`{"version":"2.0","source":"custom","content":{"description":"x"}}`,
		`{"version":"1.0","source":"custom","content":{"textType":"html","description":"x"}}`,
		`{"version":"1.0","source":"custom","content":{"description":"x","body":"y"}}`,
	} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if s.Validate(v) == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}

func TestBuildContent(t *testing.T) {
	b, err := Build(sampleAlert(notify.ActionReverted), "REVERTED tcp/22", Slack)
	if err != nil {
		t.Fatal(err)
	}
	var n Notification
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	want := "<https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0abc|sg-0abc>"
	if len(n.Content.NextSteps) == 0 || !strings.Contains(n.Content.NextSteps[0], want) {
		t.Errorf("next steps %q lack the console link %s", n.Content.NextSteps, want)
	}
	if !strings.Contains(n.Content.Description, "jane@example.com (identity-center)") {
		t.Errorf("description lacks the person: %s", n.Content.Description)
	}
	if n.Metadata.ThreadID != "123456789012/eu-west-1/sg-0abc" || n.Metadata.AdditionalContext["owner"] != "payments" {
		t.Errorf("metadata = %+v", n.Metadata)
	}
	teams, _ := Build(sampleAlert(notify.ActionReverted), "REVERTED tcp/22", Teams)
	if !strings.Contains(string(teams), "[sg-0abc](https://") {
		t.Errorf("teams links use markdown links: %s", teams)
	}
	if off, err := Build(sampleAlert(notify.ActionReverted), "x", ""); off != nil || err != nil {
		t.Errorf("chat off: Build = %s, %v; want nil", off, err)
	}
	if _, err := ParseChannel("discord"); err == nil {
		t.Error("ParseChannel(discord) accepted")
	}
}

func TestSummaryMatchesPublishedSchema(t *testing.T) {
	s := schema(t)
	b, err := Summary("123456789012-20261201T030000Z", "123456789012", "AUDIT 123456789012: 1 reverted", "1 rule reverted", "s3://bucket/runs/r/report.json", "high", Teams)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err := s.Validate(v); err != nil {
		t.Errorf("Summary does not match the schema: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "https://s3.console.aws.amazon.com/s3/object/bucket?prefix=runs%2Fr%2Freport.json") {
		t.Errorf("no report link: %s", b)
	}
	if off, _ := Summary("r", "a", "s", "t", "", "", ""); off != nil {
		t.Error("chat off still renders")
	}
}
