package policy

import (
	"fmt"
	"strings"
	"testing"
)

// TestDefaultChecks covers each check of the embedded default policy.
func TestDefaultChecks(t *testing.T) {
	world4, world6 := cidr("0.0.0.0/0"), cidr("::/0")
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		// remote-admin-world
		{"ssh from world v4", rule(ProtoTCP, 22, 22, world4),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert"},
		{"rdp from world v6", rule(ProtoTCP, 3389, 3389, world6),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert"},
		{"udp rdp from world", rule(ProtoUDP, 3389, 3389, world4),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-udp-world=revert"},
		{"range 20-25 covers ssh", rule(ProtoTCP, 20, 25, world4),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert"},
		{"ssh from office /24 (public, not world)", rule(ProtoTCP, 22, 22, cidr("81.2.69.0/24")),
			"high-risk-ports-public=alert"},
		{"ssh from private", rule(ProtoTCP, 22, 22, cidr("10.0.0.0/8")), ""},
		{"ssh from 0.0.0.0/1 is public", rule(ProtoTCP, 22, 22, cidr("0.0.0.0/1")),
			"high-risk-ports-public=alert"},
		// high-risk-ports-public
		{"mysql from public /16", rule(ProtoTCP, 3306, 3306, cidr("8.8.0.0/16")), "high-risk-ports-public=alert"},
		{"elasticsearch from public v6", rule(ProtoTCP, 9200, 9300, cidr("2600:1f18::/32")), "high-risk-ports-public=alert"},
		{"mysql from CGN space", rule(ProtoTCP, 3306, 3306, cidr("100.64.0.0/10")), ""},
		{"mysql from documentation range", rule(ProtoTCP, 3306, 3306, cidr("203.0.113.0/24")), ""},
		{"9201-9299 between high-risk ports", rule(ProtoTCP, 9201, 9299, cidr("8.8.0.0/16")), ""},
		// unrestricted-ports-world
		{"https from world is authorized", rule(ProtoTCP, 443, 443, world4), ""},
		{"http from world v6 is authorized", rule(ProtoTCP, 80, 80, world6), ""},
		{"80-443 from world includes other ports", rule(ProtoTCP, 80, 443, world4), "high-risk-ports-world=revert unrestricted-ports-world=revert"},
		{"446-1000 from world", rule(ProtoTCP, 446, 1000, world4), "unrestricted-ports-world=revert"},
		{"8443 from world", rule(ProtoTCP, 8443, 8443, world4), "unrestricted-ports-world=revert"},
		{"udp 53 from world", rule(ProtoUDP, 53, 53, world4), "unrestricted-udp-world=revert"},
		{"8443 from public /8 is not world", rule(ProtoTCP, 8443, 8443, cidr("8.0.0.0/8")), ""},
		{"icmp from world has no ports", rule(ProtoICMP, 8, 0, world4), ""},
		{"icmpv6 all from world", rule(ProtoICMPv6, -1, -1, world6), ""},
		{"sctp from world is not a tcp/udp port", rule(132, -1, -1, world4), ""},
		// all traffic
		{"all traffic from world", rule(ProtoAll, -1, -1, world4),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert unrestricted-udp-world=revert ephemeral-range-world=alert"},
		{"tcp 0-65535 from world", rule(ProtoTCP, 0, 65535, world6),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert ephemeral-range-world=alert"},
		// ephemeral-range-world
		{"ephemeral range from world", rule(ProtoTCP, 1024, 65535, world4),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert ephemeral-range-world=alert"},
		{"udp ephemeral range from world", rule(ProtoUDP, 1024, 65535, world4),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-udp-world=revert ephemeral-range-world=alert"},
		{"part of ephemeral range", rule(ProtoTCP, 32768, 65535, world4), "unrestricted-ports-world=revert"},
		{"ephemeral range from private", rule(ProtoTCP, 1024, 65535, cidr("10.0.0.0/8")), ""},
		// default-group-rules
		{"default group self reference", rule(ProtoAll, -1, -1, groupPeer("sg-0a", "111111111111"), defaultGroup),
			"default-group-rules=alert"},
		{"default group allow-all egress", rule(ProtoAll, -1, -1, world4, defaultGroup, egress),
			"default-group-rules=alert"},
		{"default group ssh from world", rule(ProtoTCP, 22, 22, world4, defaultGroup),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert default-group-rules=alert"},
		{"default group from event: unknown", rule(ProtoTCP, 443, 443, cidr("10.0.0.0/8"), defaultGroup, unknownGroup), ""},
		{"non-default group private rule", rule(ProtoTCP, 443, 443, cidr("10.0.0.0/8")), ""},
		// prefix lists
		{"prefix list with world entry", rule(ProtoTCP, 22, 22, prefixList("pl-1", true, "10.0.0.0/8", "0.0.0.0/0")),
			"remote-admin-world=revert high-risk-ports-world=revert unrestricted-ports-world=revert"},
		{"prefix list with public entry", rule(ProtoTCP, 22, 22, prefixList("pl-1", true, "81.2.69.0/24")),
			"high-risk-ports-public=alert"},
		{"prefix list private", rule(ProtoTCP, 22, 22, prefixList("pl-1", true, "10.1.0.0/16", "192.168.0.0/16")), ""},
		{"prefix list unresolved", rule(ProtoTCP, 22, 22, prefixList("pl-1", false)),
			"remote-admin-world=revert?pl high-risk-ports-world=revert?pl unrestricted-ports-world=revert?pl high-risk-ports-public=alert?pl"},
		// group peers
		{"other group peer is not world", rule(ProtoTCP, 22, 22, groupPeer("sg-0b", "222222222222")), ""},
	}
	e := Default()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summary(e.EvaluateAll([]Rule{tc.rule}, EvalContext{Now: testNow}))
			if got != tc.want {
				t.Errorf("Evaluate(%s %s from %s) = %q, want %q", tc.rule.ProtoPorts(), tc.rule.Direction, tc.rule.Peer, got, tc.want)
			}
		})
	}
}

// TestSeedRules covers the five rules of security groups (DESIGN.md §2).
func TestSeedRules(t *testing.T) {
	e := Default()
	ec := EvalContext{Now: testNow}

	t.Run("1 rules aggregate: exposure is the union across groups", func(t *testing.T) {
		eni := ENI{ID: "eni-1", GroupIDs: []string{"sg-0a", "sg-0b"}}
		rules := map[string][]Rule{
			"sg-0a": {rule(ProtoTCP, 80, 80, cidr("10.0.0.0/8"))},
			"sg-0b": {func() Rule {
				r := rule(ProtoTCP, 80, 80, cidr("0.0.0.0/0"), inGroup("sg-0b"))
				r.RuleID = "sgr-0b1"
				return r
			}()},
		}
		x := ExposureOf(eni, rules)
		if len(x.Open) != 1 || x.Open[0].From != FromWorld || x.Open[0].FromPort != 80 || x.Open[0].Grants[0].GroupID != "sg-0b" {
			t.Fatalf("ExposureOf = %+v, want tcp/80 from world granted by sg-0b", x.Open)
		}
	})

	t.Run("2 rules to different targets never mix", func(t *testing.T) {
		rules := []Rule{
			rule(ProtoTCP, 443, 443, cidr("0.0.0.0/0")),
			rule(ProtoAll, -1, -1, cidr("10.1.2.3/32")),
		}
		if got := e.EvaluateAll(rules, ec); len(got) != 0 {
			t.Errorf("EvaluateAll(443 from world + all from 10.1.2.3/32) = %q, want none", summary(got))
		}
		x := ExposureOf(ENI{GroupIDs: []string{"sg-0a"}}, map[string][]Rule{"sg-0a": rules})
		if len(x.Open) != 1 || x.Open[0].Protocol != ProtoTCP || x.Open[0].FromPort != 443 || x.Open[0].ToPort != 443 {
			t.Errorf("ExposureOf = %+v, want only tcp/443 from world", x.Open)
		}
	})

	t.Run("3 self reference is not a violation unless asked", func(t *testing.T) {
		self := rule(ProtoAll, -1, -1, groupPeer("sg-0a", "111111111111"))
		if got := e.EvaluateAll([]Rule{self}, ec); len(got) != 0 {
			t.Errorf("Evaluate(self reference in non-default group) = %q, want none", summary(got))
		}
		anyPeer := mustLoad(t, "version: 1\nchecks:\n  - {id: any-rule, severity: low, action: alert}\n")
		if got := anyPeer.EvaluateAll([]Rule{self}, ec); len(got) != 0 {
			t.Errorf("any-peer check on self reference = %q, want none (selfReference not set)", summary(got))
		}
		asked := mustLoad(t, "version: 1\nchecks:\n  - {id: self, severity: low, action: alert, selfReference: true}\n")
		if got := summary(asked.EvaluateAll([]Rule{self}, ec)); got != "self=alert" {
			t.Errorf("selfReference check = %q, want self=alert", got)
		}
		other := rule(ProtoAll, -1, -1, groupPeer("sg-0b", "111111111111"))
		if got := summary(anyPeer.EvaluateAll([]Rule{other}, ec)); got != "any-rule=alert" {
			t.Errorf("any-peer check on other group = %q, want any-rule=alert", got)
		}
	})

	t.Run("4 egress allow-all of a new group is not flagged", func(t *testing.T) {
		newGroupEgress := rule(ProtoAll, -1, -1, cidr("0.0.0.0/0"), egress)
		if got := e.EvaluateAll([]Rule{newGroupEgress}, ec); len(got) != 0 {
			t.Errorf("Evaluate(default egress of a new group) = %q, want none", summary(got))
		}
		unknown := rule(ProtoAll, -1, -1, cidr("0.0.0.0/0"), egress, unknownGroup)
		if got := e.EvaluateAll([]Rule{unknown}, ec); len(got) != 0 {
			t.Errorf("Evaluate(egress from event) = %q, want none", summary(got))
		}
		eg := mustLoad(t, "version: 1\nchecks:\n  - {id: smtp-out, severity: low, action: alert, direction: egress, ports: [25], peer: world}\n")
		if got := summary(eg.EvaluateAll([]Rule{newGroupEgress, rule(ProtoTCP, 25, 25, cidr("0.0.0.0/0"))}, ec)); got != "smtp-out=alert" {
			t.Errorf("egress check = %q, want only the egress rule flagged", got)
		}
	})

	t.Run("5 ephemeral range from the world is flagged", func(t *testing.T) {
		got := summary(e.EvaluateAll([]Rule{rule(ProtoTCP, 1024, 65535, cidr("::/0"))}, ec))
		if !strings.Contains(got, "ephemeral-range-world=alert") {
			t.Errorf("Evaluate(tcp 1024-65535 from ::/0) = %q, want ephemeral-range-world", got)
		}
	})
}

func TestModeAndExemptions(t *testing.T) {
	ssh := func(opts ...ruleOpt) Rule { return rule(ProtoTCP, 22, 22, cidr("0.0.0.0/0"), opts...) }
	const policy = `version: 1
mode: enforce
checks:
  - {id: ssh, severity: critical, action: revert, ports: [22], peer: world}
  - {id: ssh-alert, severity: low, action: alert, ports: [22], peer: world}
exemptions:
  - {id: gtag, reason: r, groupTag: {key: "sgwarden:exempt"}}
  - {id: rtag, reason: r, ruleTag: {key: "sgwarden:exempt"}}
  - {id: team, reason: r, groupTag: {key: team, value: netops}, checks: [ssh]}
  - {id: ids, reason: r, groupIds: [sg-0ex]}
  - {id: glass, reason: r, actorArn: "arn:aws:sts::*:assumed-role/BreakGlass/*"}
  - {id: old, reason: r, groupIds: [sg-0old], expires: 2026-11-25}
  - {id: today, reason: r, groupIds: [sg-0today], expires: 2026-11-26}
`
	e := mustLoad(t, policy)
	breakGlass := "arn:aws:sts::123456789012:assumed-role/BreakGlass/alice"
	tests := []struct {
		name  string
		rule  Rule
		actor string
		want  string
	}{
		{"no exemption", ssh(), "", "ssh=revert ssh-alert=alert"},
		{"group tag reason", ssh(groupTag("sgwarden:exempt", "vendor VPN")), "", "ssh=exempt(gtag) ssh-alert=exempt(gtag)"},
		{"group tag future date", ssh(groupTag("sgwarden:exempt", "2026-11-26")), "", "ssh=exempt(gtag) ssh-alert=exempt(gtag)"},
		{"group tag past date", ssh(groupTag("sgwarden:exempt", "2026-11-25")), "", "ssh=revert ssh-alert=alert"},
		{"group tag bad date", ssh(groupTag("sgwarden:exempt", "2026-13-01")), "", "ssh=revert ssh-alert=alert"},
		{"group tag empty", ssh(groupTag("sgwarden:exempt", "")), "", "ssh=revert ssh-alert=alert"},
		{"group tag on unknown group", ssh(groupTag("sgwarden:exempt", "x"), unknownGroup), "", "ssh=revert ssh-alert=alert"},
		{"rule tag", ssh(ruleTag("sgwarden:exempt", "2027-01-01"), unknownGroup), "", "ssh=exempt(rtag) ssh-alert=exempt(rtag)"},
		{"tag value and checks limit", ssh(groupTag("team", "netops")), "", "ssh=exempt(team) ssh-alert=alert"},
		{"tag value mismatch", ssh(groupTag("team", "web")), "", "ssh=revert ssh-alert=alert"},
		{"group id", ssh(inGroup("sg-0ex")), "", "ssh=exempt(ids) ssh-alert=exempt(ids)"},
		{"actor pattern", ssh(), breakGlass, "ssh=exempt(glass) ssh-alert=exempt(glass)"},
		{"other actor", ssh(), "arn:aws:sts::123456789012:assumed-role/Dev/alice", "ssh=revert ssh-alert=alert"},
		{"expired exemption", ssh(inGroup("sg-0old")), "", "ssh=revert ssh-alert=alert"},
		{"expiry day inclusive", ssh(inGroup("sg-0today")), "", "ssh=exempt(today) ssh-alert=exempt(today)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summary(e.EvaluateAll([]Rule{tc.rule}, EvalContext{ActorARN: tc.actor, Now: testNow}))
			if got != tc.want {
				t.Errorf("Evaluate = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("dry-run", func(t *testing.T) {
		got := summary(e.WithMode(ModeDryRun).EvaluateAll([]Rule{ssh()}, EvalContext{Now: testNow}))
		if got != "ssh=would-revert ssh-alert=alert" {
			t.Errorf("dry-run = %q", got)
		}
		if e.Mode() != ModeEnforce {
			t.Errorf("WithMode changed the original engine's mode to %s", e.Mode())
		}
	})
}

func TestCheckSelectors(t *testing.T) {
	const policy = `version: 1
mode: dry-run
checks:
  - {id: sctp, severity: low, action: revert, protocols: [132], ports: [9000]}
  - {id: any-proto-port, severity: low, action: alert, protocols: [all], ports: [9000], peer: {cidrs: [198.51.100.0/24]}}
  - {id: icmp, severity: low, action: alert, protocols: [icmp], peer: world}
  - {id: wide, severity: low, action: alert, peer: {broaderThan: {ipv4: 16, ipv6: 48}}}
  - {id: pl, severity: low, action: alert, peer: prefixList}
  - {id: cross, severity: low, action: alert, peer: otherAccountGroup}
  - {id: prod, severity: high, action: revert, ports: [5432], groups: {tags: {env: prod}}}
  - {id: nondefault, severity: low, action: alert, ports: [6379], groups: {default: false}}
`
	e := mustLoad(t, policy)
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{"sctp rule has all sctp ports", rule(132, 0, 0, cidr("10.1.0.0/24")), "sctp=would-revert"},
		{"tcp 9000 not sctp", rule(ProtoTCP, 9000, 9000, cidr("10.1.0.0/24")), ""},
		{"all listed matches sctp", rule(132, -1, -1, cidr("198.51.100.7/32")), "sctp=would-revert any-proto-port=alert"},
		{"all listed: icmp has no ports", rule(ProtoICMP, -1, -1, cidr("198.51.100.0/24")), ""},
		{"icmp protocol check", rule(ProtoICMP, 8, 0, cidr("0.0.0.0/0")), "icmp=alert wide=alert"},
		{"all traffic matches icmp check", rule(ProtoAll, -1, -1, cidr("0.0.0.0/0")),
			"sctp=would-revert any-proto-port=alert icmp=alert wide=alert nondefault=alert"},
		{"/16 is not broader than /16", rule(ProtoTCP, 1, 1, cidr("10.1.0.0/16")), ""},
		{"/15 is broader", rule(ProtoTCP, 1, 1, cidr("10.0.0.0/15")), "wide=alert"},
		{"v6 /47 broader", rule(ProtoTCP, 1, 1, cidr("fd00::/47")), "wide=alert"},
		{"v6 /48 not broader", rule(ProtoTCP, 1, 1, cidr("fd00::/48")), ""},
		{"prefix list peer", rule(ProtoTCP, 1, 1, prefixList("pl-1", true, "10.0.0.0/24")), "pl=alert"},
		{"unresolved prefix list possibly wide", rule(ProtoTCP, 1, 1, prefixList("pl-1", false)), "wide=alert?pl pl=alert"},
		{"other account group", rule(ProtoTCP, 1, 1, groupPeer("sg-0b", "222222222222")), "cross=alert"},
		{"same account group", rule(ProtoTCP, 1, 1, groupPeer("sg-0b", "111111111111")), ""},
		{"group tags match", rule(ProtoTCP, 5432, 5432, cidr("10.0.0.0/24"), groupTag("env", "prod")), "prod=would-revert"},
		{"group tags differ", rule(ProtoTCP, 5432, 5432, cidr("10.0.0.0/24"), groupTag("env", "dev")), ""},
		{"group tags unknown: possible", rule(ProtoTCP, 5432, 5432, cidr("10.0.0.0/24"), unknownGroup), "prod=would-revert?group"},
		{"non-default selector on default", rule(ProtoTCP, 6379, 6379, cidr("10.0.0.0/24"), defaultGroup), ""},
		{"non-default selector", rule(ProtoTCP, 6379, 6379, cidr("10.0.0.0/24")), "nondefault=alert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summary(e.EvaluateAll([]Rule{tc.rule}, EvalContext{Now: testNow}))
			if got != tc.want {
				t.Errorf("Evaluate(%s from %s) = %q, want %q", tc.rule.ProtoPorts(), tc.rule.Peer, got, tc.want)
			}
		})
	}
}

func TestBaseDefault(t *testing.T) {
	e := mustLoad(t, `version: 1
base: default
mode: dry-run
checks:
  - {id: default-group-rules, action: revert}
  - {id: ephemeral-range-world, enabled: false}
  - {id: redis-public, severity: high, action: revert, ports: [6379], peer: public}
exemptions:
  - {id: rule-tag-exempt, reason: approved rules, ruleTag: {key: "sgwarden:exempt", value: approved}}
`)
	var ids []string
	for _, c := range e.Checks() {
		ids = append(ids, c.ID+"/"+string(c.Action))
	}
	want := "remote-admin-world/revert high-risk-ports-world/revert unrestricted-ports-world/revert unrestricted-udp-world/revert default-group-rules/revert high-risk-ports-public/alert redis-public/revert"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("Checks() = %s, want %s", got, want)
	}
	ec := EvalContext{Now: testNow}
	if got := summary(e.EvaluateAll([]Rule{rule(ProtoAll, -1, -1, cidr("0.0.0.0/0"), egress, defaultGroup)}, ec)); got != "default-group-rules=would-revert" {
		t.Errorf("overridden default-group-rules = %q", got)
	}
	if got := summary(e.EvaluateAll([]Rule{rule(ProtoTCP, 6379, 6379, cidr("8.8.8.8/32"))}, ec)); got != "redis-public=would-revert" {
		t.Errorf("added check = %q", got)
	}
	// The replaced exemption now needs the exact value.
	r := rule(ProtoTCP, 22, 22, cidr("0.0.0.0/0"), ruleTag("sgwarden:exempt", "because"))
	if got := summary(e.EvaluateAll([]Rule{r}, ec)); strings.Contains(got, "exempt") {
		t.Errorf("replaced rule-tag-exempt still applies: %q", got)
	}
}

func TestReason(t *testing.T) {
	e := Default()
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{"ssh", rule(ProtoTCP, 22, 22, cidr("0.0.0.0/0")), "tcp/22 open to 0.0.0.0/0 (remote admin port open to the world (FSBP EC2.13, EC2.14, EC2.53, EC2.54))"},
		{"all", rule(ProtoAll, -1, -1, cidr("::/0")), "all open to ::/0 (remote admin port open to the world (FSBP EC2.13, EC2.14, EC2.53, EC2.54))"},
		{"pl", rule(ProtoTCP, 20, 25, prefixList("pl-0abc", false)), "tcp/20-25 open to pl-0abc (entries unknown) (remote admin port open to the world (FSBP EC2.13, EC2.14, EC2.53, EC2.54))"},
		{"egress self", rule(ProtoAll, -1, -1, groupPeer("sg-0a", ""), defaultGroup, egress), "all egress to sg-0a (itself) (the VPC default group carries a rule (FSBP EC2.2, CIS 5.4))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := e.EvaluateAll([]Rule{tc.rule}, EvalContext{})
			if len(vs) == 0 {
				t.Fatalf("no violation")
			}
			if got := vs[0].Reason(); got != tc.want {
				t.Errorf("Reason() = %q, want %q", got, tc.want)
			}
		})
	}
	v := Violation{CheckID: "x", Decision: DecisionExempt, Exemption: "y", Rule: rule(ProtoUDP, 0, 65535, cidr("1.2.3.4/32"))}
	if got, want := v.Reason(), "udp/0-65535 open to 1.2.3.4/32 (x) [exempt: y]"; got != want {
		t.Errorf("Reason() = %q, want %q", got, want)
	}
}

func TestEvaluateCompliantDoesNotAllocate(t *testing.T) {
	e := Default()
	rules := []Rule{
		rule(ProtoTCP, 443, 443, cidr("0.0.0.0/0")),
		rule(ProtoTCP, 22, 22, cidr("10.0.0.0/8")),
		rule(ProtoAll, -1, -1, cidr("0.0.0.0/0"), egress),
		rule(ProtoTCP, 5432, 5432, groupPeer("sg-0b", "111111111111")),
	}
	for i := range rules {
		allocs := testing.AllocsPerRun(100, func() {
			_ = e.Evaluate(&rules[i], EvalContext{}, nil)
		})
		if allocs != 0 {
			t.Errorf("Evaluate(compliant rule %d) allocated %.0f times, want 0", i, allocs)
		}
	}
}

func TestNilAndEmpty(t *testing.T) {
	var e *Engine
	if got := e.Evaluate(&Rule{}, EvalContext{}, nil); got != nil {
		t.Errorf("nil engine Evaluate = %v", got)
	}
	if got := Default().Evaluate(nil, EvalContext{}, nil); got != nil {
		t.Errorf("nil rule Evaluate = %v", got)
	}
	if got := Default().EvaluateAll(nil, EvalContext{}); got != nil {
		t.Errorf("EvaluateAll(nil) = %v", got)
	}
}

// TestChecksDirections: Checks reports the directions each check judges, so
// the stack can leave out RevokeSecurityGroupEgress when nothing reverts
// outbound rules.
func TestChecksDirections(t *testing.T) {
	e := mustLoad(t, `version: 1
base: default
checks:
  - {id: smtp-out, severity: high, action: revert, direction: egress, ports: [25], peer: world}
`)
	got := map[string]string{}
	for _, c := range e.Checks() {
		got[c.ID] = fmt.Sprintf("in=%v out=%v", c.Ingress, c.Egress)
	}
	for id, want := range map[string]string{
		"remote-admin-world":  "in=true out=false",
		"default-group-rules": "in=true out=true",
		"smtp-out":            "in=false out=true",
	} {
		if got[id] != want {
			t.Errorf("Checks() %s = %q, want %q", id, got[id], want)
		}
	}
}

// Trusted peers (the office, the VPN) are flagged by no check, per rule or
// in a union; a range broader than a trusted one is not trusted.
func TestTrustedPeers(t *testing.T) {
	e := mustLoad(t, `version: 1
trusted:
  cidrs: [81.2.69.0/24, "2a00:1450::/32", 128.0.0.0/2]
  prefixLists: [pl-0office]
checks:
  - {id: ssh-public, severity: high, action: revert, ports: [22], peer: public}
  - {id: any-world, severity: high, action: revert, ports: ["0-65535"], peer: world}
`)
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{"inside a trusted CIDR", rule(ProtoTCP, 22, 22, cidr("81.2.69.7/32")), ""},
		{"IPv6 inside", rule(ProtoTCP, 22, 22, cidr("2a00:1450:1::/48")), ""},
		{"broader than trusted", rule(ProtoTCP, 22, 22, cidr("81.2.68.0/23")), "ssh-public=revert"},
		{"other public", rule(ProtoTCP, 22, 22, cidr("8.8.8.8/32")), "ssh-public=revert"},
		{"trusted list", rule(ProtoTCP, 22, 22, prefixList("pl-0office", false)), ""},
		{"list of trusted entries", rule(ProtoTCP, 22, 22, prefixList("pl-0vpn", true, "81.2.69.0/25")), ""},
		{"list with an untrusted entry", rule(ProtoTCP, 22, 22, prefixList("pl-0mix", true, "81.2.69.0/25", "8.8.4.0/24")), "ssh-public=revert"},
	}
	for _, tt := range tests {
		if got := summary(e.EvaluateAll([]Rule{tt.rule}, EvalContext{Now: testNow})); got != tt.want {
			t.Errorf("Evaluate(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
	// 0.0.0.0/1 + 128.0.0.0/2 + 192.0.0.0/2 is the world; the trusted
	// quarter counts in the union, but only the untrusted rules are flagged.
	a := rule(ProtoTCP, 8443, 8443, cidr("0.0.0.0/1"), inGroup("sg-1"))
	b := rule(ProtoTCP, 8443, 8443, cidr("128.0.0.0/2"), inGroup("sg-1"))
	c := rule(ProtoTCP, 8443, 8443, cidr("192.0.0.0/2"), inGroup("sg-1"))
	var flagged []string
	for _, v := range e.EvaluateCoverage(nil, []Rule{a, b, c}, EvalContext{Now: testNow}, nil) {
		flagged = append(flagged, v.Rule.Peer.CIDR.String())
	}
	if strings.Join(flagged, " ") != "0.0.0.0/1 192.0.0.0/2" {
		t.Errorf("EvaluateCoverage(a quarter trusted) flags %v, want 0.0.0.0/1 192.0.0.0/2", flagged)
	}
}
