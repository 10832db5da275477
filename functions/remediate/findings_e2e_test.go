package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestEndToEndFindingsUnderRIE runs the bootstrap with every outlet on:
// the wiring in main.go must reach Security Hub, the named bus and chat.
func TestEndToEndFindingsUnderRIE(t *testing.T) {
	srv, topic := e2eAccount(t)
	p := startFunction(t, srv, topic, map[string]string{
		"SGWARDEN_SECURITY_HUB": "true", "SGWARDEN_EVENT_BUS": "security", "SGWARDEN_CHAT_CHANNEL": "slack",
	})
	body, _, err := p.Invoke(context.Background(), e2eEvent("9f8e7d6c-0000-4000-8000-00000000e2f1", e2eSSH, 22))
	if err != nil {
		t.Fatalf("invoke violating event: %v\n%s", err, body)
	}
	events := srv.PutEvents()
	if len(events) != 1 || events[0].Source != "sgwarden" || events[0].EventBus != "security" || events[0].DetailType != "OCSF Detection Finding" {
		t.Fatalf("put events = %+v, want one OCSF Detection Finding on bus security", events)
	}
	fs := srv.SecurityHubFindings()
	if len(fs) == 0 {
		t.Fatal("no Security Hub finding")
	}
	for _, f := range fs {
		var doc struct {
			Compliance struct{ Status string }
			Workflow   struct{ Status string }
		}
		if err := json.Unmarshal(f.Doc, &doc); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(f.ID, "/"+e2eSSH+"/") || doc.Compliance.Status != "PASSED" || doc.Workflow.Status != "RESOLVED" {
			t.Errorf("finding %s: %s/%s, want PASSED/RESOLVED on %s", f.ID, doc.Compliance.Status, doc.Workflow.Status, e2eSSH)
		}
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].MessageFor("https"), `"source":"custom"`) {
		t.Errorf("the alert lacks the chat notification for HTTPS subscribers: %+v", msgs)
	}
}
