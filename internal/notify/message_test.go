package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sgwarden/sgwarden/internal/actor"
	"github.com/sgwarden/sgwarden/internal/policy"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var eventTime = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

func baseAlert() Alert {
	return Alert{
		Mode:    "enforce",
		Account: "123456789012",
		Region:  "us-east-1",
		Group: &Group{ID: "sg-0web0000000000001", Name: "web", VPC: "vpc-0a11ce00000000001",
			Tags: map[string]string{"Name": "web", "team": "storefront"}},
		Actor: Actor{
			ARN: "arn:aws:iam::123456789012:user/alice", Type: "IAMUser", AccountID: "123456789012",
			UserName: "alice", SourceIP: "203.0.113.7", UserAgent: "aws-cli/2.15.0 Python/3.11",
		},
		Event: Event{ID: "0d2f6a4e-1b7c-4c1e-9a51-7f3e2b8d9c10", Name: "AuthorizeSecurityGroupIngress", Time: eventTime},
	}
}

func sshRule(id, cidr string, outcome Outcome, decision string, checks ...Check) Rule {
	return Rule{ID: id, GroupID: "sg-0web0000000000001", Direction: "ingress", Protocol: "tcp", Ports: "22",
		Peer: cidr, PeerKind: "ipv4", Checks: checks, Decision: decision, Outcome: outcome}
}

var (
	remoteAdmin = Check{ID: "remote-admin-world", Severity: "critical", Decision: "revert",
		Reason: "tcp/22 open to 0.0.0.0/0 (remote admin port from the world)"}
	highRisk = Check{ID: "high-risk-ports-public", Severity: "high", Decision: "revert",
		Reason: "tcp/22 open to 0.0.0.0/0 (high-risk port from public space)"}
)

func goldenCases() map[string]Alert {
	cases := map[string]Alert{}

	a := baseAlert()
	a.Action = ActionReverted
	a.Rules = []Rule{
		sshRule("sgr-0ssh0000000000001", "0.0.0.0/0", OutcomeRevoked, "revert", remoteAdmin, highRisk),
	}
	a.Exposed = []ExposedENI{{ID: "eni-0web000000000001", InstanceID: "i-0web000000000001", OwnerType: "instance",
		PublicIP: "198.51.100.10", PrivateIP: "10.0.1.10", VPC: "vpc-0a11ce00000000001", Subnet: "subnet-0pub00000000001"}}
	cases["reverted"] = a

	a = baseAlert()
	a.Action = ActionReverted
	a.Rules = []Rule{sshRule("sgr-0ssh0000000000001", "0.0.0.0/0", OutcomeAlreadyGone, "revert", remoteAdmin)}
	a.Rules[0].Note = "not found: already reverted"
	cases["already-gone"] = a

	a = baseAlert()
	a.Mode = "dry-run"
	a.Action = ActionWouldRevert
	a.Rules = []Rule{sshRule("sgr-0ssh0000000000001", "0.0.0.0/0", OutcomeKept, "would-revert",
		Check{ID: "remote-admin-world", Severity: "critical", Decision: "would-revert", Reason: remoteAdmin.Reason})}
	cases["would-revert"] = a

	a = baseAlert()
	a.Action = ActionExempt
	a.Group.Tags["sgwarden:exempt"] = "2026-12-31"
	a.Rules = []Rule{sshRule("sgr-0ssh0000000000001", "0.0.0.0/0", OutcomeKept, "exempt",
		Check{ID: "remote-admin-world", Severity: "critical", Decision: "exempt", Exemption: "group-tag-exempt", Reason: remoteAdmin.Reason})}
	cases["exempt"] = a

	a = baseAlert()
	a.Action = ActionFailed
	a.Rules = []Rule{sshRule("sgr-0ssh0000000000001", "0.0.0.0/0", OutcomeFailed, "revert", remoteAdmin)}
	a.Rules[0].Error = "UnauthorizedOperation: You are not authorized to perform this operation."
	a.Outcome.Error = "revoke ingress on sg-0web0000000000001: UnauthorizedOperation"
	cases["failed"] = a

	a = baseAlert()
	a.Action = ActionAlert
	a.Group = nil
	a.Event.Name = "ModifyManagedPrefixList"
	a.PrefixList = &PrefixList{ID: "pl-0office000000001", Name: "office", Version: 3, Added: []string{"0.0.0.0/0"},
		Offending: []string{"0.0.0.0/0"}, ReferencedBy: 1}
	a.Rules = []Rule{{ID: "sgr-0pl00000000000001", GroupID: "sg-0web0000000000001", Direction: "ingress", Protocol: "tcp",
		Ports: "22", Peer: "pl-0office000000001", PeerKind: "prefix-list", Decision: "revert", Outcome: OutcomeKept,
		Checks: []Check{remoteAdmin}}}
	cases["prefix-list"] = a

	a = baseAlert()
	a.Action = ActionAlert
	a.Group = nil
	a.Severity = "medium"
	a.Event.Name = "CreateTags"
	a.ExemptionChange = &ExemptionChange{Change: "granted", Key: "sgwarden:exempt", Value: "2026-12-31",
		Resources: []string{"sg-0web0000000000001"}}
	cases["exemption-granted"] = a
	return cases
}

func TestGolden(t *testing.T) {
	for name, a := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			m, err := Build(a)
			if err != nil {
				t.Fatalf("Build(%s): %v", name, err)
			}
			got := append(append([]byte{}, m.JSON...), '\n')
			txt := "Subject: " + m.Subject + "\n\n" + m.Text
			checkGolden(t, filepath.Join("testdata", name+".json"), got)
			checkGolden(t, filepath.Join("testdata", name+".txt"), []byte(txt))
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden (go test ./internal/notify -update to refresh):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestBuildDocument(t *testing.T) {
	a := goldenCases()["reverted"]
	m, err := Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(m.JSON, &doc); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	for key, want := range map[string]any{
		"schema": Schema, "action": "reverted", "severity": "critical", "dedupKey": a.Event.ID,
		"account": "123456789012", "region": "us-east-1",
	} {
		if doc[key] != want {
			t.Errorf("document[%q] = %v, want %v", key, doc[key], want)
		}
	}
	if got := doc["checks"].([]any); len(got) != 2 || got[0] != "remote-admin-world" || got[1] != "high-risk-ports-public" {
		t.Errorf("checks = %v, want [remote-admin-world high-risk-ports-public] (worst first)", got)
	}
	wantAttrs := map[string]string{AttrAction: "reverted", AttrSeverity: "critical", AttrCheck: "remote-admin-world", AttrEventID: a.Event.ID}
	for k, v := range wantAttrs {
		if m.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, m.Attributes[k], v)
		}
	}
	if want := "REVERTED tcp/22 from 0.0.0.0/0 on sg-0web0000000000001 (web) 123456789012/us-east-1"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}

	in, err := m.PublishInput("arn:aws:sns:us-east-1:123456789012:sgwarden-alerts")
	if err != nil {
		t.Fatal(err)
	}
	if *in.MessageStructure != "json" {
		t.Errorf("MessageStructure = %q, want json", *in.MessageStructure)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(*in.Message), &body); err != nil {
		t.Fatalf("Message is not a JSON object of strings: %v", err)
	}
	if body["default"] != string(m.JSON) || body["email"] != m.Text {
		t.Errorf("Message = %v, want default=document, email=text", body)
	}
	if got := *in.MessageAttributes[AttrEventID].StringValue; got != a.Event.ID {
		t.Errorf("event_id attribute = %q", got)
	}
}

func TestSubjectBounds(t *testing.T) {
	tests := []struct {
		name  string
		group string
	}{
		{"long ascii", strings.Repeat("very-long-group-name-", 10)},
		{"multibyte", strings.Repeat("グループ", 40)},
		{"newlines and controls", "web\nprod\r\t\x00\x1b[31m"},
		{"invalid utf8", "web\xff\xfe-prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := goldenCases()["reverted"]
			a.Group.Name = tt.group
			m, err := Build(a)
			if err != nil {
				t.Fatal(err)
			}
			s := m.Subject
			if n := utf8.RuneCountInString(s); n > MaxSubjectLen {
				t.Errorf("Subject has %d characters, want <= %d: %q", n, MaxSubjectLen, s)
			}
			if !utf8.ValidString(s) {
				t.Errorf("Subject is not valid UTF-8: %q", s)
			}
			for _, r := range s {
				if r < 0x20 || r == 0x7f {
					t.Errorf("Subject contains control character %U: %q", r, s)
				}
			}
			if !strings.HasPrefix(s, "REVERTED tcp/22 from 0.0.0.0/0 on sg-0web0000000000001") {
				t.Errorf("Subject lost its headline: %q", s)
			}
			if !strings.HasSuffix(s, " 123456789012/us-east-1") {
				t.Errorf("Subject cut the account or region: %q", s)
			}
		})
	}
}

// A subject shortens names and free text to fit, never an ID: the
// account, region, group, rule peer and prefix list stay whole.
func TestSubjectNeverCutsAnID(t *testing.T) {
	long := "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_SecurityAdministrator_5e9a1b2c3d4e5f60/alice.longname@example.com"
	ex := baseAlert()
	ex.Group.Name = "bastion-hosts-for-the-payments-platform-production"
	ex.Action = ActionAlert
	ex.Region = "ap-southeast-2"
	ex.Actor.ARN = long
	ex.ExemptionChange = &ExemptionChange{Change: "granted", Key: "sgwarden:exempt", Value: "partner SFTP, contract PS-2231 signed by the CISO", Resources: []string{"sg-0web0000000000001"}}
	pl := baseAlert()
	pl.Group = nil
	pl.Region = "ap-southeast-2"
	pl.PrefixList = &PrefixList{ID: "pl-05fa9c43cee9d03a6", Name: strings.Repeat("vpn-ranges-", 8), Offending: []string{"2001:db8:aaaa:bbbb::/64", "81.2.69.142/32"}}
	rule := goldenCases()["reverted"]
	rule.Region = "ap-southeast-2"
	rule.Group.Name = strings.Repeat("launch-wizard-", 6)
	rule.Rules[0].Peer = "2001:db8:1234:5678:9abc::/80"
	for name, tc := range map[string]struct {
		a    Alert
		want []string
	}{
		"exemption":   {ex, []string{"sg-0web0000000000001", "123456789012/ap-southeast-2", "exemption granted"}},
		"prefix list": {pl, []string{"pl-05fa9c43cee9d03a6", "2001:db8:aaaa:bbbb::/64", "123456789012/ap-southeast-2"}},
		"rule":        {rule, []string{"sg-0web0000000000001", "REVERTED tcp/22 ", "123456789012/ap-southeast-2"}},
	} {
		m, err := Build(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		if n := utf8.RuneCountInString(m.Subject); n > MaxSubjectLen {
			t.Errorf("%s: subject of %d characters: %q", name, n, m.Subject)
		}
		for _, id := range tc.want {
			if !strings.Contains(m.Subject, id) {
				t.Errorf("%s: subject %q cut %q", name, m.Subject, id)
			}
		}
	}
}

// An exemption alert names the group and the whole actor, and a date that
// has already passed says the exemption is expired.
func TestExemptionAlert(t *testing.T) {
	a := baseAlert()
	a.Group.Name = "bastion"
	a.Action = ActionAlert
	a.ExemptionChange = &ExemptionChange{Change: "granted", Key: "sgwarden:exempt", Value: "2026-11-20", Resources: []string{"sg-0web0000000000001"}, Expired: true}
	m, err := Build(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(group bastion)", "by arn:aws:iam::123456789012:user/alice", "is expired and exempts nothing"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("exemption text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.Subject, "expired exemption granted (2026-11-20)") {
		t.Errorf("subject %q does not say the grant is expired", m.Subject)
	}
}

// Each exposed interface says whether the internet reaches it.
func TestReachability(t *testing.T) {
	for _, tt := range []struct {
		e    ExposedENI
		want string
	}{
		{ExposedENI{PublicIP: "198.51.100.1"}, "internet-reachable: public IP 198.51.100.1"},
		{ExposedENI{PublicIP: "198.51.100.2", ElasticIP: true}, "internet-reachable: Elastic IP 198.51.100.2"},
		{ExposedENI{PublicIP: "198.51.100.3", OwnerType: "load-balancer"}, "internet-reachable: internet-facing load balancer, public IP 198.51.100.3"},
		{ExposedENI{IPv6: true}, "internet-reachable over IPv6"},
		{ExposedENI{PrivateIP: "10.0.0.5"}, "private networks only"},
	} {
		if got := Reachability(&tt.e); !strings.HasPrefix(got, tt.want) {
			t.Errorf("Reachability(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

// A dry-run never says KEPT, and a rule gone before sgwarden acted is not
// called revoked.
func TestRuleStatusWords(t *testing.T) {
	a := baseAlert()
	for _, tt := range []struct {
		action  Action
		outcome Outcome
		dec     string
		want    string
	}{
		{ActionWouldRevert, OutcomeKept, "would-revert", "WOULD REVOKE (dry-run)"},
		{ActionReverted, OutcomeAlreadyGone, "revert", "ALREADY GONE"},
		{ActionReverted, OutcomeRevoked, "revert", "REVOKED by sgwarden"},
		{ActionAlert, OutcomeKept, "alert", "KEPT (alert only)"},
		{ActionExempt, OutcomeKept, "exempt", "KEPT (exempt)"},
	} {
		a.Action = tt.action
		r := sshRule("sgr-1", "0.0.0.0/0", tt.outcome, tt.dec)
		if got := ruleStatus(&a, &r); !strings.HasPrefix(got, tt.want) {
			t.Errorf("ruleStatus(%s, %s) = %q, want %q", tt.action, tt.outcome, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"a  b\n\nc", 10, "a b c"},
		{"abcdefghij", 10, "abcdefghij"},
		{"abcdefghijk", 10, "abcdefg..."},
		{"ééééééééééé", 5, "éé..."},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestExposedBounded(t *testing.T) {
	a := goldenCases()["reverted"]
	for i := 0; i < MaxExposed+7; i++ {
		a.Exposed = append(a.Exposed, ExposedENI{ID: "eni-x"})
	}
	m, err := Build(a)
	if err != nil {
		t.Fatal(err)
	}
	var doc Alert
	if err := json.Unmarshal(m.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Exposed) != MaxExposed || doc.ExposedOmitted != 8 {
		t.Errorf("exposed = %d omitted = %d, want %d and 8", len(doc.Exposed), doc.ExposedOmitted, MaxExposed)
	}
}

func TestNewRule(t *testing.T) {
	r := policy.Rule{
		GroupID: "sg-1", RuleID: "sgr-1", Direction: policy.Ingress, Protocol: policy.ProtoTCP, FromPort: 1024, ToPort: 65535,
		Peer: policy.Peer{Kind: policy.PeerIPv6, CIDR: netip.MustParsePrefix("::/0")}, RuleTags: map[string]string{"k": "v"},
	}
	vs := []policy.Violation{{CheckID: "ephemeral-range-world", Severity: policy.SeverityLow, Decision: policy.DecisionAlert, Rule: r}}
	got := NewRule(&r, vs, policy.DecisionAlert, OutcomeKept)
	if got.ID != "sgr-1" || got.Protocol != "tcp" || got.Ports != "1024-65535" || got.Peer != "::/0" || got.PeerKind != "ipv6" ||
		got.Direction != "ingress" || got.Decision != "alert" || got.Outcome != OutcomeKept || got.Tags["k"] != "v" {
		t.Errorf("NewRule() = %+v", got)
	}
	if len(got.Checks) != 1 || got.Checks[0].ID != "ephemeral-range-world" || got.Checks[0].Severity != "low" || got.Checks[0].Reason != vs[0].Reason() {
		t.Errorf("NewRule().Checks = %+v", got.Checks)
	}
}

func TestPortsAndPeers(t *testing.T) {
	tests := []struct {
		name string
		r    policy.Rule
		want string
	}{
		{"single", policy.Rule{Protocol: policy.ProtoTCP, FromPort: 22, ToPort: 22}, "22"},
		{"range", policy.Rule{Protocol: policy.ProtoUDP, FromPort: 1000, ToPort: 2000}, "1000-2000"},
		{"tcp all", policy.Rule{Protocol: policy.ProtoTCP, FromPort: 0, ToPort: 65535}, "0-65535"},
		{"all traffic", policy.Rule{Protocol: policy.ProtoAll, FromPort: -1, ToPort: -1}, "all"},
		{"icmp echo", policy.Rule{Protocol: policy.ProtoICMP, FromPort: 8, ToPort: -1}, "8"},
		{"icmp all", policy.Rule{Protocol: policy.ProtoICMP, FromPort: -1, ToPort: -1}, "all"},
		{"esp", policy.Rule{Protocol: 50}, ""},
	}
	for _, tt := range tests {
		if got := Ports(&tt.r); got != tt.want {
			t.Errorf("Ports(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if p, k := Peer(&policy.Peer{Kind: policy.PeerGroup, GroupID: "sg-2", GroupOwner: "111122223333"}); p != "111122223333/sg-2" || k != "group" {
		t.Errorf("Peer(group) = %q, %q", p, k)
	}
	if got := ProtocolName(50); got != "50" {
		t.Errorf("ProtocolName(50) = %q", got)
	}
}

func TestOwnerAttributeAndChatBody(t *testing.T) {
	a := baseAlert()
	if a.Group == nil {
		a.Group = &Group{ID: "sg-1"}
	}
	a.Group.Owner = "payments"
	m, err := Build(a)
	if err != nil {
		t.Fatal(err)
	}
	if m.Attributes[AttrOwner] != "payments" {
		t.Errorf("owner attribute = %q, want payments", m.Attributes[AttrOwner])
	}
	m.Chat = []byte(`{"version":"1.0"}`)
	in, err := m.PublishInput("arn:aws:sns:us-east-1:123456789012:t")
	if err != nil {
		t.Fatal(err)
	}
	var bodies map[string]string
	if err := json.Unmarshal([]byte(*in.Message), &bodies); err != nil {
		t.Fatal(err)
	}
	if bodies["https"] != `{"version":"1.0"}` || bodies["default"] == "" {
		t.Errorf("bodies = %v, want the chat document under https and the alert as default", bodies)
	}
	if _, ok := in.MessageAttributes[AttrOwner]; !ok {
		t.Error("owner is not a message attribute")
	}
}

func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"web", "web"},
		{"naïve ✓", "naïve ✓"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"two\nlines\ttab", `two\nlines\ttab`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"sep\u2028x", `sep\u2028x`},
		{"\ufffd kept", "\ufffd kept"},
	} {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTextNamesThePerson(t *testing.T) {
	a := baseAlert()
	a.Actor.User = &actor.User{Name: "alice@example.com", Kind: actor.KindIdentityCenter}
	if txt := Text(&a); !strings.Contains(txt, "Person:    alice@example.com (identity-center)") {
		t.Errorf("text does not name the person:\n%s", txt)
	}
}
