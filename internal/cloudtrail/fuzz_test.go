package cloudtrail

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// fuzzSeedGlobs are the real-shaped events the fuzzer starts from: the
// project's corpus and the published reference shapes.
var fuzzSeedGlobs = []string{"../../events/*.json", "testdata/reference/*.json"}

// FuzzDecode checks that Decode never panics, that every error is a
// *DecodeError wrapping one of the sentinels, and that a decoded event is
// well formed. Crashers it finds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	n := 0
	for _, g := range fuzzSeedGlobs {
		files, err := filepath.Glob(g)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			n++
		}
	}
	if n == 0 {
		f.Fatal("no seed events")
	}
	f.Add([]byte(record("ModifySecurityGroupRules", `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-0a","SecurityGroupRule":[{"SecurityGroupRuleId":"sgr-0","SecurityGroupRule":{"CidrIpv6":"::/0","IpProtocol":"-1"}}]}}`, "")))
	f.Add([]byte(record("ModifyManagedPrefixList", `{"ModifyManagedPrefixListRequest":{"PrefixListId":"pl-0a","AddEntry":[{"cidr":"8.8.8.8/7"}],"RemoveEntry":{"cidr":"10.0.0.0/8"}}}`, "")))
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":{"eventID":"x","errorCode":"Client.UnauthorizedOperation"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error %T %v, want *DecodeError", err, err)
			}
			if de.Field == "" || !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("DecodeError %+v: want a field and ErrMalformed or ErrUnsupported", de)
			}
			if ev != nil {
				t.Fatalf("Decode returned an event with error %v", err)
			}
			return
		}
		if ev == nil || ev.ID == "" {
			t.Fatalf("Decode = %+v, want an event with an ID", ev)
		}
		if k, ok := kindOf(ev.Name); !ok || k != ev.Kind {
			t.Fatalf("event %q has kind %q, want %q", ev.Name, ev.Kind, k)
		}
		for i := range ev.Rules {
			if msg := ruleProblem(&ev.Rules[i]); msg != "" {
				t.Fatalf("%s rule %d %+v: %s", ev.Name, i, ev.Rules[i], msg)
			}
		}
		if pl := ev.PrefixList; pl != nil {
			for _, e := range append(append([]PrefixListEntry(nil), pl.Added...), pl.Removed...) {
				if p, ok := parseCIDRAny(e.CIDR); !ok || p.String() != e.CIDR {
					t.Fatalf("prefix-list entry %q is not a masked CIDR", e.CIDR)
				}
			}
		}
	})
}

// ruleProblem says what is wrong with a decoded rule, or "".
func ruleProblem(r *policy.Rule) string {
	if r.Direction != policy.Ingress && r.Direction != policy.Egress {
		return "bad direction"
	}
	if r.Peer.Kind == policy.PeerUnknown {
		// Only a Revoke by rule ID names no peer.
		if r.RuleID == "" {
			return "no peer and no rule ID"
		}
		return ""
	}
	switch r.Protocol {
	case policy.ProtoTCP, policy.ProtoUDP:
		if r.FromPort < 0 || r.FromPort > r.ToPort || r.ToPort > 65535 {
			return "bad port range"
		}
	case policy.ProtoICMP, policy.ProtoICMPv6:
		if r.FromPort < -1 || r.FromPort > 255 || r.ToPort < -1 || r.ToPort > 255 {
			return "bad ICMP type or code"
		}
	default:
		if r.Protocol < policy.ProtoAll || r.Protocol > 255 {
			return "bad protocol"
		}
	}
	switch r.Peer.Kind {
	case policy.PeerIPv4, policy.PeerIPv6:
		c := r.Peer.CIDR
		if !c.IsValid() || c != c.Masked() || c.Addr().Is4() != (r.Peer.Kind == policy.PeerIPv4) {
			return "bad CIDR"
		}
	}
	return ""
}
