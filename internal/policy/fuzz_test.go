package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzLoad: any bytes either compile or give a *LoadError whose issues all
// carry a field or a position; nothing panics.
func FuzzLoad(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("version: 1\nbase: default\nchecks:\n  - {id: default-group-rules, action: revert}\n"))
	f.Add([]byte("version: 1\nchecks:\n  - id: x\n    severity: high\n    action: revert\n    ports: [\"1-70000\"]\n    peer: {cidrs: [10.0.0.0/33]}\n"))
	f.Add([]byte("version: 1\nexemptions:\n  - {id: e, reason: r, groupTag: {key: k}, expires: 2026-02-30}\n"))
	f.Add([]byte("&a [*a, *a]"))
	if m, _ := filepath.Glob(filepath.Join("testdata", "decisions", "*", "policy.yaml")); m != nil {
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Load(data, "fuzz.yaml")
		if err == nil {
			if e == nil {
				t.Fatal("Load returned neither engine nor error")
			}
			r := Rule{Protocol: ProtoTCP, FromPort: 22, ToPort: 22, Peer: Peer{Kind: PeerIPv4}, GroupKnown: true}
			_ = e.Evaluate(&r, EvalContext{Now: testNow}, nil)
			return
		}
		var le *LoadError
		if !errors.As(err, &le) || !errors.Is(err, ErrInvalidPolicy) {
			t.Fatalf("Load error %T %v is not a *LoadError wrapping ErrInvalidPolicy", err, err)
		}
		if len(le.Issues) == 0 {
			t.Fatalf("LoadError with no issues: %v", err)
		}
	})
}

// FuzzParsePeerCIDR: a CIDR parses to an IPv4 or IPv6 peer whose class does
// not depend on host bits, or errors; never panics.
func FuzzParsePeerCIDR(f *testing.F) {
	for _, s := range []string{"0.0.0.0/0", "::/0", "10.0.0.1/8", "fd00::/8", "1.2.3.4", "300.1.1.1/8", "::ffff:1.2.3.4/128", "1.2.3.4/-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeerCIDR(s)
		if err != nil {
			return
		}
		if p.Kind != PeerIPv4 && p.Kind != PeerIPv6 {
			t.Fatalf("ParsePeerCIDR(%q).Kind = %v", s, p.Kind)
		}
		if !p.CIDR.IsValid() {
			t.Fatalf("ParsePeerCIDR(%q) = %v, want a valid prefix", s, p.CIDR)
		}
		// Host bits must not change the classification.
		if IsPublic(p.CIDR) != IsPublic(p.CIDR.Masked()) || IsWorld(p.CIDR) != IsWorld(p.CIDR.Masked()) {
			t.Fatalf("ParsePeerCIDR(%q): classification of %v differs from its masked form", s, p.CIDR)
		}
	})
}

// FuzzParsePortRange: an accepted range lies within 0-65535, from <= to.
func FuzzParsePortRange(f *testing.F) {
	for _, s := range []string{"22", "1024-65535", "0-65535", "65536", "-1", "5-3", " 80 ", "1-", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := ParsePortRange(s)
		if err != nil {
			return
		}
		if from < 0 || to > 65535 || from > to {
			t.Fatalf("ParsePortRange(%q) = %d-%d, want 0 <= from <= to <= 65535", s, from, to)
		}
	})
}

// FuzzDecodeRulesJSON: rules JSON decodes or errors with ErrBadRulesJSON,
// and decoded rules evaluate without panicking.
func FuzzDecodeRulesJSON(f *testing.F) {
	if m, _ := filepath.Glob(filepath.Join("testdata", "decisions", "*", "input.json")); m != nil {
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"SecurityGroupRules":[{"IpProtocol":"-1","CidrIpv4":"0.0.0.0/0"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := DecodeRulesJSON(data)
		if err != nil {
			if !errors.Is(err, ErrBadRulesJSON) {
				t.Fatalf("DecodeRulesJSON error %v does not wrap ErrBadRulesJSON", err)
			}
			return
		}
		_ = Default().EvaluateAll(rules, EvalContext{Now: testNow})
	})
}

// fuzzRule decodes three bytes into a small rule for FuzzCoverage: a prefix
// of 1 to 4 bits (IPv4, IPv6 or IPv4-mapped IPv6) on a tcp range within
// ports 1000-1007, standing or judged.
func fuzzRule(b []byte, i int) (r Rule, standing bool) {
	bits := int(b[0]&3) + 1
	top := b[1] &^ (0xff >> bits)
	var p netip.Prefix
	switch (b[0] >> 2) & 3 {
	case 0, 1:
		p = netip.PrefixFrom(netip.AddrFrom4([4]byte{top}), bits)
	case 2:
		p = netip.PrefixFrom(netip.AddrFrom16([16]byte{top}), bits)
	default:
		p = netip.PrefixFrom(netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: top}), 96+bits)
	}
	lo, hi := int32(b[2]&7), int32(b[2]>>3&7)
	if lo > hi {
		lo, hi = hi, lo
	}
	r = rule(ProtoTCP, 1000+lo, 1000+hi, Peer{Kind: PeerIPv4, CIDR: p}, id(fmt.Sprintf("r%d", i)))
	if p.Addr().Is6() {
		r.Peer.Kind = PeerIPv6
	}
	return r, b[0]&16 != 0
}

// oracleWorld is the brute force: the family-f blocks of 4 bits that the
// rules covering port p hold, all 16 of them or not.
func oracleWorld(rules []Rule, p int32, f family) bool {
	var blocks [16]bool
	for _, r := range rules {
		if r.FromPort > p || r.ToPort < p {
			continue
		}
		pf, ok := normalizePrefix(r.Peer.CIDR)
		if !ok || (pf.Addr().Is4()) != (f == fam4) {
			continue
		}
		var top byte
		if pf.Addr().Is4() {
			top = pf.Addr().As4()[0]
		} else {
			top = pf.Addr().As16()[0]
		}
		n := 1 << (4 - pf.Bits())
		for k := range n {
			blocks[int(top>>4)+k] = true
		}
	}
	for _, b := range blocks {
		if !b {
			return false
		}
	}
	return true
}

// FuzzCoverage checks the union math against a brute-force oracle on small
// random prefixes and port ranges: EvaluateCoverage finds an opening if and
// only if, on some port, the rules cover a family that the standing rules
// alone do not; and removing the judged rules it names always closes every
// opening that the standing rules do not make alone.
func FuzzCoverage(f *testing.F) {
	f.Add([]byte{0, 0x00, 0, 0, 0x80, 0})                                     // halves
	f.Add([]byte{1, 0x00, 0, 17, 0x40, 0, 1, 0x80, 0, 1, 0xc0, 0})            // quarters over two calls
	f.Add([]byte{8, 0x00, 0, 8, 0x80, 0})                                     // IPv6 halves
	f.Add([]byte{12, 0x00, 0, 0, 0x80, 0})                                    // mapped half and IPv4 half
	f.Add([]byte{0, 0x00, 0o70, 0, 0x80, 0o72})                               // partly overlapping ranges
	f.Add([]byte{0, 0x00, 0, 1, 0x80, 0, 2, 0x00, 1, 2, 0x20, 1, 2, 0x40, 1}) // gaps
	e := mustLoad(f, "version: 1\nchecks:\n  - {id: w, severity: high, action: revert, ports: [\"1000-1007\"], peer: world}\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		var standing, judged []Rule
		for i := 0; i+3 <= len(data) && i < 30; i += 3 {
			r, st := fuzzRule(data[i:i+3], i/3)
			if st {
				standing = append(standing, r)
			} else {
				judged = append(judged, r)
			}
		}
		all := append(slices.Clone(standing), judged...)
		want := false
		for p := int32(1000); p <= 1007; p++ {
			for f := fam4; f <= fam6; f++ {
				want = want || oracleWorld(all, p, f) && !oracleWorld(standing, p, f)
			}
		}
		vs := e.EvaluateCoverage(standing, judged, EvalContext{Now: testNow}, nil)
		if got := len(vs) > 0; got != want {
			t.Fatalf("EvaluateCoverage(standing %v, judged %v) = %s, oracle says opening %v", peersOf(standing), peersOf(judged), coverageString(vs), want)
		}
		reverted := map[string]bool{}
		for _, v := range vs {
			if v.Coverage == nil || len(v.Coverage.Rules) == 0 {
				t.Fatalf("violation %s without its coverage", v.CheckID)
			}
			reverted[v.Rule.RuleID] = true
		}
		left := slices.Clone(standing)
		for _, r := range judged {
			if !reverted[r.RuleID] {
				left = append(left, r)
			}
		}
		for p := int32(1000); p <= 1007; p++ {
			for f := fam4; f <= fam6; f++ {
				if oracleWorld(left, p, f) && !oracleWorld(standing, p, f) {
					t.Fatalf("after reverting %v of judged %v (standing %v), port %d is still the world", reverted, peersOf(judged), peersOf(standing), p)
				}
			}
		}
	})
}

func peersOf(rules []Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, fmt.Sprintf("%s:%d-%d:%s", r.RuleID, r.FromPort, r.ToPort, r.Peer.CIDR))
	}
	return out
}
