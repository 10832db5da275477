package policy

import (
	"errors"
	"os"
	"path/filepath"
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
