package policy

import (
	"fmt"
	"runtime"
	"testing"
)

// benchRules is a realistic mix: mostly compliant rules (private CIDRs,
// group references, 443 from the world, default egress), with a few
// violations, so the figure is what an audit of a real account costs.
func benchRules(n int) []Rule {
	peers := []Peer{
		cidr("10.0.0.0/16"), cidr("0.0.0.0/0"), cidr("172.16.4.0/24"), cidr("::/0"),
		groupPeer("sg-0b", "111111111111"), cidr("81.2.69.0/24"), cidr("192.168.0.0/16"), cidr("fd00::/8"),
	}
	ports := [][2]int32{{443, 443}, {443, 443}, {22, 22}, {5432, 5432}, {8000, 8100}, {80, 80}, {1024, 65535}, {3306, 3306}}
	rules := make([]Rule, n)
	for i := range rules {
		p := ports[i%len(ports)]
		peer := peers[(i/len(ports))%len(peers)]
		r := rule(ProtoTCP, p[0], p[1], peer)
		r.GroupID = fmt.Sprintf("sg-%08x", i/10)
		r.RuleID = fmt.Sprintf("sgr-%08x", i)
		if i%10 == 9 {
			r = rule(ProtoAll, -1, -1, cidr("0.0.0.0/0"), egress)
		}
		rules[i] = r
	}
	return rules
}

// BenchmarkEvaluateRule: one op is one rule judged against the default
// policy (target: <= 200 ns and 0 allocations for a compliant rule).
func BenchmarkEvaluateRule(b *testing.B) {
	e := Default()
	ec := EvalContext{Now: testNow}
	cases := []struct {
		name string
		r    Rule
	}{
		{"compliant-https-world", rule(ProtoTCP, 443, 443, cidr("0.0.0.0/0"))},
		{"compliant-private", rule(ProtoTCP, 5432, 5432, cidr("10.0.0.0/16"))},
		{"compliant-egress-all", rule(ProtoAll, -1, -1, cidr("0.0.0.0/0"), egress)},
		{"violating-ssh-world", rule(ProtoTCP, 22, 22, cidr("0.0.0.0/0"))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]Violation, 0, 8)
			b.ReportAllocs()
			for b.Loop() {
				dst = e.Evaluate(&c.r, ec, dst[:0])
			}
		})
	}
}

// BenchmarkEvaluate100k: one op is 100,000 rules of a realistic mix
// (target: < 50 ms).
func BenchmarkEvaluate100k(b *testing.B) {
	e := Default()
	rules := benchRules(100_000)
	ec := EvalContext{Now: testNow}
	dst := make([]Violation, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for i := range rules {
			dst = e.Evaluate(&rules[i], ec, dst[:0])
			n += len(dst)
		}
		if n == 0 {
			b.Fatal("no violations in the mix")
		}
	}
}

// BenchmarkExposure20k: one op is the effective exposure of 20,000 ENIs
// with 3 groups of 10 rules each (target: < 200 ms and 60 MB). The heap
// figure is reported as MB-heap.
func BenchmarkExposure20k(b *testing.B) {
	const enis, groupsPerENI, rulesPerGroup, groups = 20_000, 3, 10, 10_000
	all := benchRules(groups * rulesPerGroup)
	byGroup := make(map[string][]Rule, groups)
	for i := range all {
		all[i].Direction = Ingress
		byGroup[all[i].GroupID] = append(byGroup[all[i].GroupID], all[i])
	}
	ids := make([]string, 0, groups)
	for id := range byGroup {
		ids = append(ids, id)
	}
	list := make([]ENI, enis)
	for i := range list {
		list[i] = ENI{ID: fmt.Sprintf("eni-%08x", i), OwnerType: "instance"}
		for g := range groupsPerENI {
			list[i].GroupIDs = append(list[i].GroupIDs, ids[(i*groupsPerENI+g)%len(ids)])
		}
	}
	var before, after runtime.MemStats
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		out := make([]Exposure, 0, len(list))
		for _, n := range list {
			if x := ExposureOf(n, byGroup); len(x.Open) > 0 {
				out = append(out, x)
			}
		}
		runtime.ReadMemStats(&after)
		if len(out) == 0 {
			b.Fatal("no exposure found")
		}
	}
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MB-alloc")
}

// TestExposureBenchMixIsExposed guards the benchmark's mix: it must hold
// world and public exposures, or the figure would measure nothing.
func TestExposureBenchMixIsExposed(t *testing.T) {
	rules := benchRules(100)
	byGroup := map[string][]Rule{}
	eni := ENI{ID: "eni-1"}
	for _, r := range rules {
		if byGroup[r.GroupID] == nil {
			eni.GroupIDs = append(eni.GroupIDs, r.GroupID)
		}
		byGroup[r.GroupID] = append(byGroup[r.GroupID], r)
	}
	x := ExposureOf(eni, byGroup)
	var world, public bool
	for _, o := range x.Open {
		world = world || o.From == FromWorld
		public = public || o.From == FromPublic
	}
	if !world || !public {
		t.Fatalf("ExposureOf(bench mix) = %+v, want world and public parts", x.Open)
	}
}

// BenchmarkEvaluateCoverage: one op is one group of 10 rules judged as a
// union against the default policy. "common" has no rules that can add up
// (target: 0 allocations); "public-peers" holds public CIDRs that do not
// add up to the world (target: a few hundred ns); "halves" opens a port to
// the world with two rules.
func BenchmarkEvaluateCoverage(b *testing.B) {
	e := Default()
	ec := EvalContext{Now: testNow}
	common := benchRules(10)
	public := benchRules(10)
	for i, p := range []string{"81.2.69.0/24", "8.0.0.0/7", "2600:1f18::/32", "0.0.0.0/2"} {
		public[i] = rule(ProtoTCP, 8000, 8100, cidr(p), id(fmt.Sprintf("sgr-p%d", i)))
	}
	halves := benchRules(10)
	halves[0] = rule(ProtoTCP, 12345, 12345, cidr("0.0.0.0/1"), id("sgr-a"))
	halves[1] = rule(ProtoTCP, 12345, 12345, cidr("128.0.0.0/1"), id("sgr-b"))
	for _, c := range []struct {
		name  string
		rules []Rule
	}{{"common", common}, {"public-peers", public}, {"halves", halves}} {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]Violation, 0, 8)
			b.ReportAllocs()
			for b.Loop() {
				dst = e.EvaluateCoverage(nil, c.rules, ec, dst[:0])
			}
		})
	}
}

// BenchmarkAuditEvaluate100k: one op is what an audit evaluates for
// 100,000 rules in groups of 10: every rule alone, then each group's
// unions (target: < 200 ms).
func BenchmarkAuditEvaluate100k(b *testing.B) {
	e := Default()
	rules := benchRules(100_000)
	ec := EvalContext{Now: testNow}
	dst := make([]Violation, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		for i := range rules {
			dst = e.Evaluate(&rules[i], ec, dst[:0])
		}
		for g := 0; g < len(rules); g += 10 {
			dst = e.EvaluateCoverage(nil, rules[g:g+10], ec, dst[:0])
		}
	}
}

// BenchmarkMayOpenTogether: one op is the event path's test of one rule
// whose per-rule evaluation was compliant: does it need the group's rules?
// "private" is the common case (0 AWS calls follow), "public" reads the
// group (target: 0 allocations either way).
func BenchmarkMayOpenTogether(b *testing.B) {
	e := Default()
	for _, c := range []struct {
		name  string
		rules []Rule
	}{
		{"private", []Rule{rule(ProtoTCP, 5432, 5432, cidr("10.0.0.0/16"))}},
		{"public", []Rule{rule(ProtoTCP, 12345, 12345, cidr("128.0.0.0/1"))}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if e.MayOpenTogether(c.rules) != (c.name == "public") {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

// BenchmarkEvaluateCoverageWorst: one op is a group of 200 rules whose
// nested port ranges all hold halves of the IPv4 space, so that every one
// of about 400 segments is the world: a bound on what one group can cost.
func BenchmarkEvaluateCoverageWorst(b *testing.B) {
	e := Default()
	rules := make([]Rule, 200)
	for i := range rules {
		peer := "0.0.0.0/1"
		if i%2 == 1 {
			peer = "128.0.0.0/1"
		}
		rules[i] = rule(ProtoTCP, int32(1000+i), int32(60000-i), cidr(peer), id(fmt.Sprintf("sgr-%03d", i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.EvaluateCoverage(nil, rules, EvalContext{Now: testNow}, nil)
	}
}
