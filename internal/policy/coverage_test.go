package policy

import (
	"fmt"
	"strings"
	"testing"
)

// id sets a rule's ID, for readable expectations.
func id(s string) ruleOpt { return func(r *Rule) { r.RuleID = s } }

// coverageString renders coverage violations as
// "check=decision:rule-id" plus, once per distinct coverage, its text.
func coverageString(vs []Violation) string {
	var parts []string
	seen := map[string]bool{}
	for _, v := range vs {
		s := v.CheckID + "=" + string(v.Decision) + ":" + v.Rule.RuleID
		if v.Coverage == nil {
			s += "(no coverage)"
		}
		parts = append(parts, s)
		if v.Coverage != nil && !seen[v.Coverage.String()] {
			seen[v.Coverage.String()] = true
			parts = append(parts, "["+v.Coverage.String()+"]")
		}
	}
	return strings.Join(parts, " ")
}

func TestEvaluateCoverage(t *testing.T) {
	tcp := func(from, to int32, peer string, opts ...ruleOpt) Rule {
		return rule(ProtoTCP, from, to, cidr(peer), opts...)
	}
	halves := "[together, sgr-a (0.0.0.0/1) and sgr-b (128.0.0.0/1) open tcp/12345 to the whole internet]"
	tests := []struct {
		name     string
		policy   string // empty: the default policy
		standing []Rule
		judged   []Rule
		want     string
	}{
		{name: "halves",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a " + halves + " unrestricted-ports-world=revert:sgr-b"},
		{name: "halves on a remote admin port match every world check",
			judged: []Rule{tcp(22, 22, "0.0.0.0/1", id("sgr-a")), tcp(22, 22, "128.0.0.0/1", id("sgr-b"))},
			want: "remote-admin-world=revert:sgr-a [together, sgr-a (0.0.0.0/1) and sgr-b (128.0.0.0/1) open tcp/22 to the whole internet] " +
				"remote-admin-world=revert:sgr-b high-risk-ports-world=revert:sgr-a high-risk-ports-world=revert:sgr-b unrestricted-ports-world=revert:sgr-a unrestricted-ports-world=revert:sgr-b"},
		{name: "quarters, first call: not yet the world",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/2", id("sgr-q1")), tcp(12345, 12345, "64.0.0.0/2", id("sgr-q2"))},
			want:   ""},
		{name: "quarters, second call completes the world",
			standing: []Rule{tcp(12345, 12345, "0.0.0.0/2", id("sgr-q1")), tcp(12345, 12345, "64.0.0.0/2", id("sgr-q2"))},
			judged:   []Rule{tcp(12345, 12345, "128.0.0.0/2", id("sgr-q3")), tcp(12345, 12345, "192.0.0.0/2", id("sgr-q4"))},
			want: "unrestricted-ports-world=revert:sgr-q3 [together, sgr-q1 (0.0.0.0/2), sgr-q2 (64.0.0.0/2), sgr-q3 (128.0.0.0/2) and sgr-q4 (192.0.0.0/2) open tcp/12345 to the whole internet] " +
				"unrestricted-ports-world=revert:sgr-q4"},
		{name: "IPv6 halves",
			judged: []Rule{tcp(12345, 12345, "::/1", id("sgr-a")), tcp(12345, 12345, "8000::/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a [together, sgr-a (::/1) and sgr-b (8000::/1) open tcp/12345 to the whole IPv6 internet] unrestricted-ports-world=revert:sgr-b"},
		{name: "mapped IPv6 half with an IPv4 half",
			judged: []Rule{tcp(12345, 12345, "::ffff:0.0.0.0/97", id("sgr-a")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a [together, sgr-a (::ffff:0.0.0.0/97) and sgr-b (128.0.0.0/1) open tcp/12345 to the whole internet] unrestricted-ports-world=revert:sgr-b"},
		{name: "IPv4 and IPv6 halves never mix",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "8000::/1", id("sgr-b"))},
			want:   ""},
		{name: "a prefix list holding the halves",
			judged: []Rule{rule(ProtoTCP, 12345, 12345, prefixList("pl-1", true, "0.0.0.0/1", "128.0.0.0/1"), id("sgr-p"))},
			want:   "unrestricted-ports-world=revert:sgr-p [the entries of sgr-p (pl-1) together open tcp/12345 to the whole internet]"},
		{name: "an unresolved prefix list adds nothing",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), rule(ProtoTCP, 12345, 12345, prefixList("pl-1", false), id("sgr-p"))},
			want:   ""},
		{name: "a prefix list and a CIDR",
			standing: []Rule{rule(ProtoTCP, 12345, 12345, prefixList("pl-1", true, "0.0.0.0/1", "10.0.0.0/8"), id("sgr-p"))},
			judged:   []Rule{tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:     "unrestricted-ports-world=revert:sgr-b [together, sgr-p (pl-1) and sgr-b (128.0.0.0/1) open tcp/12345 to the whole internet]"},
		{name: "overlapping ranges that leave a gap",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "128.0.0.0/2", id("sgr-b"))},
			want:   ""},
		{name: "halves on different ports",
			judged: []Rule{tcp(22, 22, "0.0.0.0/1", id("sgr-a")), tcp(23, 23, "128.0.0.0/1", id("sgr-b"))},
			want:   ""},
		{name: "port ranges that overlap in part: world on exactly 6500-7000",
			judged: []Rule{tcp(6000, 7000, "0.0.0.0/1", id("sgr-a")), tcp(6500, 8000, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a [together, sgr-a (0.0.0.0/1) and sgr-b (128.0.0.0/1) open tcp/6500-7000 to the whole internet] unrestricted-ports-world=revert:sgr-b"},
		{name: "halves on authorized 443 are allowed",
			judged: []Rule{tcp(443, 443, "0.0.0.0/1", id("sgr-a")), tcp(443, 443, "128.0.0.0/1", id("sgr-b"))},
			want:   ""},
		{name: "tcp and udp never mix",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), rule(ProtoUDP, 12345, 12345, cidr("128.0.0.0/1"), id("sgr-b"))},
			want:   ""},
		{name: "all traffic with a tcp half",
			judged: []Rule{rule(ProtoAll, -1, -1, cidr("0.0.0.0/1"), id("sgr-a")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a [together, sgr-a (0.0.0.0/1) and sgr-b (128.0.0.0/1) open tcp/12345 to the whole internet] unrestricted-ports-world=revert:sgr-b"},
		{name: "all-traffic halves",
			judged: []Rule{rule(ProtoAll, -1, -1, cidr("0.0.0.0/1"), id("sgr-a")), rule(ProtoAll, -1, -1, cidr("128.0.0.0/1"), id("sgr-b"))},
			want: "remote-admin-world=revert:sgr-a [together, sgr-a (0.0.0.0/1) and sgr-b (128.0.0.0/1) open all to the whole internet] remote-admin-world=revert:sgr-b " +
				"high-risk-ports-world=revert:sgr-a high-risk-ports-world=revert:sgr-b unrestricted-ports-world=revert:sgr-a unrestricted-ports-world=revert:sgr-b " +
				"unrestricted-udp-world=revert:sgr-a unrestricted-udp-world=revert:sgr-b ephemeral-range-world=alert:sgr-a ephemeral-range-world=alert:sgr-b"},
		{name: "a private sibling on the same port does not contribute",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "10.0.0.0/8", id("sgr-x")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a " + halves + " unrestricted-ports-world=revert:sgr-b"},
		{name: "a sibling on another port does not contribute",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(5432, 5432, "10.0.0.0/8", id("sgr-x")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a " + halves + " unrestricted-ports-world=revert:sgr-b"},
		{name: "a private rule that fills the last gap contributes",
			standing: []Rule{tcp(12345, 12345, "0.0.0.0/5", id("sgr-s1")), tcp(12345, 12345, "8.0.0.0/7", id("sgr-s2")), tcp(12345, 12345, "11.0.0.0/8", id("sgr-s3")),
				tcp(12345, 12345, "12.0.0.0/6", id("sgr-s4")), tcp(12345, 12345, "16.0.0.0/4", id("sgr-s5")), tcp(12345, 12345, "32.0.0.0/3", id("sgr-s6")),
				tcp(12345, 12345, "64.0.0.0/2", id("sgr-s7")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-s8"))},
			judged: []Rule{tcp(12345, 12345, "10.0.0.0/8", id("sgr-x"))},
			want:   "unrestricted-ports-world=revert:sgr-x [together, sgr-s1 (0.0.0.0/5), sgr-s2 (8.0.0.0/7), sgr-s3 (11.0.0.0/8), sgr-s4 (12.0.0.0/6), sgr-s5 (16.0.0.0/4), sgr-s6 (32.0.0.0/3), sgr-s7 (64.0.0.0/2), sgr-s8 (128.0.0.0/1) and sgr-x (10.0.0.0/8) open tcp/12345 to the whole internet]"},
		{name: "the standing rules alone already cover the world",
			standing: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			judged:   []Rule{tcp(12345, 12345, "81.2.69.0/24", id("sgr-c"))},
			want:     ""},
		{name: "a world rule with the halves: one half may stay",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b")), tcp(12345, 12345, "0.0.0.0/0", id("sgr-w"))},
			want:   "unrestricted-ports-world=revert:sgr-b [together, sgr-b (128.0.0.0/1) and sgr-w (0.0.0.0/0) open tcp/12345 to the whole internet]"},
		{name: "a rule inside another judged rule stays",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "8.8.8.8/32", id("sgr-dns")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=revert:sgr-a " + halves + " unrestricted-ports-world=revert:sgr-b"},
		{name: "nested halves: reverting the contributors always closes the world",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("h1")), tcp(12345, 12345, "128.0.0.0/1", id("h2")),
				tcp(12345, 12345, "0.0.0.0/2", id("q1")), tcp(12345, 12345, "64.0.0.0/2", id("q2")), tcp(12345, 12345, "128.0.0.0/2", id("q3")), tcp(12345, 12345, "192.0.0.0/2", id("q4"))},
			// h1, q1, q2 and q3 stay: 0.0.0.0/1 and 128.0.0.0/2 are not the world.
			want: "unrestricted-ports-world=revert:h2 [together, h2 (128.0.0.0/1) and q4 (192.0.0.0/2) open tcp/12345 to the whole internet] unrestricted-ports-world=revert:q4"},
		{name: "rule-tag exemption covers only its rule",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a"), ruleTag("sgwarden:exempt", "vendor")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=exempt:sgr-a " + halves + " unrestricted-ports-world=revert:sgr-b"},
		{name: "egress halves: the default policy does not judge egress",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a"), egress), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"), egress)},
			want:   ""},
		{name: "broaderThan: three /17 hold more than a /16",
			policy: "version: 1\nchecks:\n  - {id: db-broad, severity: high, action: revert, ports: [5432], peer: {broaderThan: 16}}\n",
			judged: []Rule{tcp(5432, 5432, "10.0.0.0/17", id("r1")), tcp(5432, 5432, "10.0.128.0/17", id("r2")), tcp(5432, 5432, "10.1.0.0/17", id("r3"))},
			want:   "db-broad=revert:r1 [together, r1 (10.0.0.0/17), r2 (10.0.128.0/17) and r3 (10.1.0.0/17) open tcp/5432 to more addresses than a /16] db-broad=revert:r2 db-broad=revert:r3"},
		{name: "broaderThan: two /17 are exactly a /16",
			policy: "version: 1\nchecks:\n  - {id: db-broad, severity: high, action: revert, ports: [5432], peer: {broaderThan: 16}}\n",
			judged: []Rule{tcp(5432, 5432, "10.0.0.0/17", id("r1")), tcp(5432, 5432, "10.0.128.0/17", id("r2"))},
			want:   ""},
		{name: "broaderThan IPv6 sizes",
			policy: "version: 1\nchecks:\n  - {id: v6-broad, severity: high, action: alert, ports: [5432], peer: {broaderThan: {ipv4: 8, ipv6: 48}}}\n",
			judged: []Rule{tcp(5432, 5432, "2600:1f18::/49", id("r1")), tcp(5432, 5432, "2600:1f18:0:8000::/49", id("r2")), tcp(5432, 5432, "2600:1f18:1::/64", id("r3"))},
			want:   "v6-broad=alert:r1 [together, r1 (2600:1f18::/49), r2 (2600:1f18:0:8000::/49) and r3 (2600:1f18:1::/64) open tcp/5432 to more addresses than a /48 (IPv6)] v6-broad=alert:r2 v6-broad=alert:r3"},
		{name: "public keeps its per-prefix meaning",
			policy: "version: 1\nchecks:\n  - {id: pub, severity: high, action: revert, ports: [12345], peer: public}\n",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   ""},
		{name: "dry-run",
			policy: "version: 1\nbase: default\nmode: dry-run\n",
			judged: []Rule{tcp(12345, 12345, "0.0.0.0/1", id("sgr-a")), tcp(12345, 12345, "128.0.0.0/1", id("sgr-b"))},
			want:   "unrestricted-ports-world=would-revert:sgr-a " + halves + " unrestricted-ports-world=would-revert:sgr-b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Default()
			if tc.policy != "" {
				e = mustLoad(t, tc.policy)
			}
			got := coverageString(e.EvaluateCoverage(tc.standing, tc.judged, EvalContext{Now: testNow}, nil))
			if got != tc.want {
				t.Errorf("EvaluateCoverage(%s) =\n  %s\nwant\n  %s", tc.name, got, tc.want)
			}
		})
	}
}

// TestCoverageRevertCloses: for every case where judged rules complete a
// world coverage, removing the judged contributors leaves no world
// coverage, and every other judged rule stays.
func TestCoverageRevertCloses(t *testing.T) {
	e := mustLoad(t, "version: 1\nchecks:\n  - {id: w, severity: high, action: revert, ports: [12345], peer: world}\n")
	peers := [][]string{
		{"0.0.0.0/1", "128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"},
		{"0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1"},
		{"0.0.0.0/1", "0.0.0.0/1", "128.0.0.0/1"},
		{"0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1", "0.0.0.0/1", "192.0.0.0/3", "224.0.0.0/3"},
	}
	for i, ps := range peers {
		var judged []Rule
		for j, p := range ps {
			judged = append(judged, rule(ProtoTCP, 12345, 12345, cidr(p), id(fmt.Sprintf("r%d", j))))
		}
		vs := e.EvaluateCoverage(nil, judged, EvalContext{Now: testNow}, nil)
		reverted := map[string]bool{}
		for _, v := range vs {
			reverted[v.Rule.RuleID] = true
		}
		var left []Rule
		for _, r := range judged {
			if !reverted[r.RuleID] && !IsWorld(r.Peer.CIDR) {
				left = append(left, r)
			}
		}
		if again := e.EvaluateCoverage(nil, left, EvalContext{Now: testNow}, nil); len(again) > 0 {
			t.Errorf("case %d %v: after reverting %v, still %s", i, ps, reverted, coverageString(again))
		}
	}
}

// TestEvaluateCoverageCommonCaseAllocs: a group whose rules cannot add up
// costs no allocation.
func TestEvaluateCoverageCommonCaseAllocs(t *testing.T) {
	e := Default()
	rules := benchRules(10)
	allocs := testing.AllocsPerRun(100, func() { _ = e.EvaluateCoverage(nil, rules, EvalContext{Now: testNow}, nil) })
	if allocs != 0 {
		t.Errorf("EvaluateCoverage(common group) allocates %v times, want 0", allocs)
	}
}

func TestMayOpenTogether(t *testing.T) {
	tests := []struct {
		name  string
		rules []Rule
		want  bool
	}{
		{"private peer", []Rule{rule(ProtoTCP, 12345, 12345, cidr("10.0.0.0/8"))}, false},
		{"group peer", []Rule{rule(ProtoTCP, 12345, 12345, groupPeer("sg-0b", ""))}, false},
		{"public half", []Rule{rule(ProtoTCP, 12345, 12345, cidr("128.0.0.0/1"))}, true},
		{"public /32 on a port a world check judges", []Rule{rule(ProtoTCP, 5432, 5432, cidr("81.2.69.1/32"))}, true},
		{"public peer on authorized 443", []Rule{rule(ProtoTCP, 443, 443, cidr("81.2.69.0/24"))}, false},
		{"the world alone is judged rule by rule", []Rule{rule(ProtoTCP, 12345, 12345, cidr("0.0.0.0/0"))}, false},
		{"public egress: no egress world check", []Rule{rule(ProtoTCP, 12345, 12345, cidr("81.2.69.0/24"), egress)}, false},
		{"unresolved prefix list", []Rule{rule(ProtoTCP, 12345, 12345, prefixList("pl-1", false))}, true},
		{"private prefix list", []Rule{rule(ProtoTCP, 12345, 12345, prefixList("pl-1", true, "10.0.0.0/8"))}, false},
		{"icmp: no port check matches", []Rule{rule(ProtoICMP, 8, -1, cidr("81.2.69.0/24"))}, false},
	}
	for _, tc := range tests {
		if got := Default().MayOpenTogether(tc.rules); got != tc.want {
			t.Errorf("MayOpenTogether(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUnionNeeds(t *testing.T) {
	broad := mustLoad(t, "version: 1\nchecks:\n  - {id: b, severity: high, action: alert, direction: egress, ports: [5432], peer: {broaderThan: 16}}\n")
	tests := []struct {
		name                    string
		e                       *Engine
		d                       Direction
		wantPublic, wantPrivate bool
	}{
		{"default ingress", Default(), Ingress, true, false},
		{"default egress", Default(), Egress, false, false},
		{"broaderThan egress", broad, Egress, true, true},
		{"broaderThan ingress", broad, Ingress, false, false},
	}
	for _, tc := range tests {
		if pub, priv := tc.e.UnionNeeds(tc.d); pub != tc.wantPublic || priv != tc.wantPrivate {
			t.Errorf("UnionNeeds(%s) = %v, %v, want %v, %v", tc.name, pub, priv, tc.wantPublic, tc.wantPrivate)
		}
	}
}
