package policy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDefaultPolicy(t *testing.T) {
	e := Default()
	if e.Mode() != ModeEnforce {
		t.Errorf("default mode = %s, want enforce", e.Mode())
	}
	var got []string
	for _, c := range e.Checks() {
		got = append(got, c.ID+":"+string(c.Severity)+":"+string(c.Action))
	}
	want := "remote-admin-world:critical:revert high-risk-ports-world:high:revert unrestricted-ports-world:high:revert unrestricted-udp-world:high:revert default-group-rules:medium:alert high-risk-ports-public:medium:alert ephemeral-range-world:low:alert"
	if strings.Join(got, " ") != want {
		t.Errorf("default checks = %s\nwant %s", strings.Join(got, " "), want)
	}
	var ex []string
	for _, x := range e.p.exemptions {
		ex = append(ex, x.id)
	}
	if strings.Join(ex, " ") != "group-tag-exempt rule-tag-exempt" {
		t.Errorf("default exemptions = %v", ex)
	}
	y := DefaultYAML()
	y[0] = 'X'
	if bytes.Equal(y, DefaultYAML()) {
		t.Errorf("DefaultYAML returns the embedded slice itself")
	}
}

func TestLoadIssues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line:col: field: message-substring"
	}{
		{"empty", "", []string{"0:0: file is empty"}},
		{"not yaml", "version: [1\n", []string{"YAML"}},
		{"bad indent", "version: 1\nchecks:\n  - id: a\n   severity: high\n", []string{"4:4: YAML: did not find expected '-' indicator"}},
		{"unclosed list", "version: 1\nchecks:\n  - id: a\n    ports: [22\n    peer: world\n", []string{"4:5: YAML: did not find expected ',' or ']'"}},
		{"stray mapping", "version: 1\nmode: enforce\n  bad: indent\n", []string{"3:3: YAML: mapping values are not allowed"}},
		{"tab", "version: 1\nchecks:\n\t- id: a\n", []string{"3:1: YAML: found character that cannot start any token"}},
		{"typo key", "version: 1\ncheks: []\n", []string{"2:1: cheks: unknown key; did you mean \"checks\"?"}},
		{"typo check key", "version: 1\nchecks:\n  - {id: a, severity: low, action: alert, port: [22]}\n", []string{"3:43: checks[0].port: unknown key; did you mean \"ports\"?"}},
		{"missing version", "mode: enforce\n", []string{"1:1: version: missing"}},
		{"version 2", "version: 2\n", []string{"1:10: version: unsupported version 2"}},
		{"unknown top key", "version: 1\nrules: []\n", []string{"2:1: rules: unknown key"}},
		{"bad mode", "version: 1\nmode: yolo\n", []string{"2:7: mode: unknown mode \"yolo\""}},
		{"bad base", "version: 1\nbase: strict\n", []string{"2:7: base: unknown base"}},
		{"everything at once", `version: 1
checks:
  - id: a
    severity: urgent
    action: delete
    direction: sideways
    ports: [22, 70000, "10-5", x]
    protocols: [tcp, sctp]
    peer: galaxy
    colour: red
  - id: a
    severity: low
    action: alert
  - id: b
    severity: low
    action: alert
    peer: {cidrs: [10.0.0.0/8, 300.1.1.1/8, "fd00::/200"]}
  - severity: low
    action: alert
  - id: c
    ports: [1]
    portsExcept: [2]
exemptions:
  - id: x
    groupTag: {key: k}
    expires: next-week
    checks: [nope]
  - id: y
    reason: both
    groupIds: [sg-1, vpc-2]
    actorArn: "*"
  - id: z
`, []string{
			"4:15: checks[0].severity: unknown severity \"urgent\"",
			"5:13: checks[0].action: unknown action \"delete\"",
			"6:16: checks[0].direction: unknown direction",
			"7:17: checks[0].ports[1]: port out of range",
			"7:24: checks[0].ports[2]: port out of range",
			"7:32: checks[0].ports[3]: port out of range",
			"8:22: checks[0].protocols[1]: unknown protocol \"sctp\"",
			"9:11: checks[0].peer: unknown peer class \"galaxy\"",
			"10:5: checks[0].colour: unknown key",
			"11:5: checks[1].id: duplicate check id \"a\"",
			"17:32: checks[2].peer.cidrs[1]: bad CIDR \"300.1.1.1/8\"",
			"17:45: checks[2].peer.cidrs[2]: bad CIDR",
			"18:5: checks[3].id: missing",
			"20:5: checks[4].severity: missing",
			"20:5: checks[4].action: missing",
			"20:5: checks[4]: has both ports and portsExcept",
			"24:5: exemptions[0].reason: missing",
			"26:14: exemptions[0].expires: not a date: \"next-week\"",
			"27:14: exemptions[0].checks[0]: no check with id \"nope\"",
			"30:22: exemptions[1].groupIds[1]: not a security group ID",
			"31:15: exemptions[1].actorArn: not an ARN pattern",
			"28:5: exemptions[1]: must have exactly one of",
			"32:5: exemptions[2]: must have exactly one of",
			"32:5: exemptions[2].reason: missing",
		}},
		{"trusted", "version: 1\ntrusted:\n  cidrs: [203.0.113.0/24, 0.0.0.0/0, nope]\n  prefixLists: [pl-1, vpn]\n", []string{
			"3:27: trusted.cidrs[1]: the world (0.0.0.0/0) cannot be trusted",
			"3:38: trusted.cidrs[2]: bad CIDR",
			"4:23: trusted.prefixLists[1]: not a prefix list ID",
		}},
		{"empty reason", "version: 1\nexemptions:\n  - {id: x, reason: \" \", groupIds: [sg-1]}\n", []string{"3:5: exemptions[0].reason: must not be empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.src), "p.yaml")
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load error = %v, want *LoadError", err)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("Load error does not wrap ErrInvalidPolicy")
			}
			var got []string
			for _, is := range le.Issues {
				got = append(got, is.String())
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, w) || strings.Contains(g, w) && !strings.Contains(w, ":") {
						found = true
					}
				}
				if !found {
					t.Errorf("missing issue %q in:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d issues, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			if !strings.HasPrefix(err.Error(), "policy p.yaml: ") || !strings.Contains(err.Error(), "\np.yaml:") {
				t.Errorf("Error() = %q, want name and one line per issue", err.Error())
			}
		})
	}
}

func TestLoadValid(t *testing.T) {
	e := mustLoad(t, `# anchors, single values and comments are fine
version: 1
description: team policy
checks:
  - {id: a, severity: info, action: alert, ports: &p [22, "8000-8100"], protocols: tcp, peer: {cidrs: 10.0.0.0/8}}
  - {id: b, severity: info, action: alert, ports: *p, peer: {broaderThan: 8}}
`)
	var ids []string
	for _, c := range e.Checks() {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "a,b" {
		t.Fatalf("Checks = %v, want a,b", ids)
	}
	got := summary(e.EvaluateAll([]Rule{rule(ProtoTCP, 8050, 8050, cidr("10.2.0.0/16"))}, EvalContext{}))
	if got != "a=alert" {
		t.Errorf("Evaluate = %q, want a=alert", got)
	}
	got = summary(e.EvaluateAll([]Rule{rule(ProtoUDP, 22, 22, cidr("0.0.0.0/4"))}, EvalContext{}))
	if got != "b=alert" {
		t.Errorf("Evaluate = %q, want b=alert", got)
	}
}

func TestOwnerTag(t *testing.T) {
	e, err := Load([]byte("version: 1\nbase: default\nownerTag: team\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.OwnerTagKey(); got != "team" {
		t.Errorf("OwnerTagKey() = %q, want team", got)
	}
	if got := Default().OwnerTagKey(); got != "" {
		t.Errorf("default policy OwnerTagKey() = %q, want none", got)
	}
	if _, err := Load([]byte("version: 1\nbase: default\nownerTag: \"\"\n"), "p.yaml"); err == nil || !strings.Contains(err.Error(), "ownerTag") {
		t.Errorf("empty ownerTag: err = %v, want an issue on ownerTag", err)
	}
}
