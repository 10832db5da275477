package notify

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// publishSize is what SNS counts: the body, the subject and the message
// attributes (names, types and values).
func publishSize(t *testing.T, m Message) int {
	t.Helper()
	in, err := m.PublishInput("arn:aws:sns:us-east-1:123456789012:sgwarden-alerts")
	if err != nil {
		t.Fatalf("PublishInput: %v", err)
	}
	n := len(*in.Message) + len(*in.Subject)
	for k, v := range in.MessageAttributes {
		n += len(k) + len(*v.DataType) + len(*v.StringValue)
	}
	return n
}

// hugeAlert is what a 5 MB event can make: megabytes of descriptions,
// thousands of rules, entries, tags and interfaces.
func hugeAlert() Alert {
	a := baseAlert()
	a.Action = ActionReverted
	big := strings.Repeat("x", 5<<20)
	a.Actor.UserAgent = strings.Repeat("agent/1.0 ", 20000)
	a.Group.Tags = map[string]string{}
	for i := range 500 {
		a.Group.Tags[fmt.Sprintf("tag-%03d", i)] = strings.Repeat("v", 256)
	}
	for i := range 5000 {
		r := sshRule(fmt.Sprintf("sgr-%017d", i), "0.0.0.0/0", OutcomeRevoked, "revert", remoteAdmin, highRisk)
		r.Description = strings.Repeat("d", 255)
		if i == 0 {
			r.Description = big
		}
		a.Rules = append(a.Rules, r)
	}
	a.PrefixList = &PrefixList{ID: "pl-0abc", Name: "ops"}
	for i := range 20000 {
		a.PrefixList.Added = append(a.PrefixList.Added, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	}
	for i := range 3000 {
		a.Exposed = append(a.Exposed, ExposedENI{ID: fmt.Sprintf("eni-%017d", i), Open: []string{"tcp/22 from world"}})
	}
	a.Outcome.Error = big
	return a
}

func TestBuildFitsSNS(t *testing.T) {
	a := hugeAlert()
	m, err := Build(a)
	if err != nil {
		t.Fatalf("Build(5 MB alert): %v", err)
	}
	if n := publishSize(t, m); n > MaxPublishBytes {
		t.Fatalf("Build(5 MB alert) publishes %d bytes, over SNS's %d", n, MaxPublishBytes)
	}
	var doc Alert
	if err := json.Unmarshal(m.JSON, &doc); err != nil {
		t.Fatalf("bounded document is not JSON: %v", err)
	}
	// The counts say what was cut, and the outcome still counts every rule.
	if doc.Omitted["rules"] == 0 || doc.Omitted["prefix-list entries added"] == 0 || doc.Omitted["characters"] == 0 {
		t.Errorf("Omitted = %v, want counts of rules, prefix-list entries and characters cut", doc.Omitted)
	}
	if len(doc.Rules)+doc.Omitted["rules"] != 5000 || doc.Outcome.Revoked != 5000 {
		t.Errorf("rules kept %d + omitted %d, outcome revoked %d; want 5000 in all", len(doc.Rules), doc.Omitted["rules"], doc.Outcome.Revoked)
	}
	if len(doc.PrefixList.Added)+doc.Omitted["prefix-list entries added"] != 20000 {
		t.Errorf("entries kept %d + omitted %d, want 20000", len(doc.PrefixList.Added), doc.Omitted["prefix-list entries added"])
	}
	if doc.DedupKey != a.Event.ID || doc.Action != ActionReverted || m.Attributes[AttrEventID] != a.Event.ID {
		t.Errorf("bounded alert lost its identity: dedup %q action %q", doc.DedupKey, doc.Action)
	}
	if !strings.Contains(m.Text, "Left out to fit SNS's 256 KB limit") || !strings.Contains(m.Text, a.Event.ID) {
		t.Errorf("e-mail text does not say what was left out:\n%.2000s", m.Text)
	}
	// The caller's alert is untouched (its lists are shared).
	if len(a.Rules) != 5000 || len(a.Rules[0].Description) != 5<<20 || len(a.PrefixList.Added) != 20000 || len(a.Group.Tags) != 500 {
		t.Error("Build changed the caller's alert")
	}
}

func TestBuildLeavesSmallAlertsWhole(t *testing.T) {
	for name, a := range goldenCases() {
		m, err := Build(a)
		if err != nil {
			t.Fatal(err)
		}
		var doc Alert
		if err := json.Unmarshal(m.JSON, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Omitted != nil || strings.Contains(m.Text, "Left out") {
			t.Errorf("%s: a small alert was cut: %v", name, doc.Omitted)
		}
		want := a
		want.Finalize()
		if len(doc.Rules) != len(want.Rules) || (len(want.Rules) > 0 && !reflect.DeepEqual(doc.Rules[0].Checks, want.Rules[0].Checks)) {
			t.Errorf("%s: rules changed by bounding", name)
		}
	}
}

func TestBoundedEachLevelShrinks(t *testing.T) {
	a := hugeAlert()
	a.Finalize()
	prev := -1
	for i, l := range fitLevels {
		b := bounded(a, l)
		doc, err := json.Marshal(&b)
		if err != nil {
			t.Fatal(err)
		}
		if prev >= 0 && len(doc) > prev {
			t.Errorf("level %d (%+v) gives %d bytes, more than the level before (%d)", i, l, len(doc), prev)
		}
		prev = len(doc)
	}
	if last := bounded(a, fitLevels[len(fitLevels)-1]); len(last.Rules) != 0 || last.Omitted["rules"] != 5000 {
		t.Errorf("last level keeps %d rules (omitted %d), want counts only", len(last.Rules), last.Omitted["rules"])
	}
}

func TestPublishInputDropsAnOversizedChatBody(t *testing.T) {
	m, err := Build(baseAlert())
	if err != nil {
		t.Fatal(err)
	}
	m.Chat = []byte(strings.Repeat("c", MaxPublishBytes))
	in, err := m.PublishInput("arn:aws:sns:us-east-1:123456789012:t")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(*in.Message, `"https"`) || len(*in.Message) > MaxPublishBytes {
		t.Errorf("PublishInput kept a %d-byte chat body", len(m.Chat))
	}
	m.Chat = []byte(`{"version":"1.0"}`)
	if in, err = m.PublishInput("arn:aws:sns:us-east-1:123456789012:t"); err != nil || !strings.Contains(*in.Message, `"https"`) {
		t.Errorf("PublishInput dropped a small chat body: %v", err)
	}
}

func TestQuotedLenIsEncodingJSONs(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "tab\tnew\nline\rret", "\x00\x01\x1f", "<script>&amp;</script>",
		"line\u2028para\u2029", "héllo wörld ✓ 🚀", "bad \xff\xfe utf8 \xc3", "\ufffd real replacement", strings.Repeat("é\"<", 1000)} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := quotedLen(s); got != len(want) {
			t.Errorf("quotedLen(%q) = %d, want %d", s, got, len(want))
		}
		if got := quotedLenBytes([]byte(s)); got != len(want) {
			t.Errorf("quotedLenBytes(%q) = %d, want %d", s, got, len(want))
		}
	}
}

func FuzzQuotedLen(f *testing.F) {
	f.Add("a\"b<\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := quotedLen(s); got != len(want) {
			t.Errorf("quotedLen(%q) = %d, want %d", s, got, len(want))
		}
	})
}

// A malformed event can make any field long, IDs included: the FAILED alert
// for it must still reach SNS.
func TestBuildFitsSNSWithHugeIDs(t *testing.T) {
	huge := strings.Repeat("9", 2<<20)
	a := baseAlert()
	a.Action = ActionFailed
	a.Account, a.Region, a.Event.ID, a.Event.Name = huge, huge, huge, huge
	a.Group = &Group{ID: huge, VPC: huge, Owner: huge}
	a.Rules = []Rule{{ID: huge, GroupID: huge, Direction: "ingress", Protocol: huge, Ports: huge, Peer: huge, Outcome: OutcomeFailed}}
	a.PrefixList = &PrefixList{ID: huge}
	a.Outcome.Error = huge
	m, err := Build(a)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if n := publishSize(t, m); n > MaxPublishBytes {
		t.Fatalf("Build(huge IDs) publishes %d bytes, over SNS's %d", n, MaxPublishBytes)
	}
	var doc Alert
	if err := json.Unmarshal(m.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Omitted["characters"] == 0 || len([]rune(doc.Event.ID)) > 1024 || doc.DedupKey != doc.Event.ID {
		t.Errorf("huge IDs kept: omitted %v, event ID of %d characters", doc.Omitted, len(doc.Event.ID))
	}
}
