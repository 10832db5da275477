package policy

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Test helpers build rules tersely: a known, non-default group sg-0a in
// account 111111111111 unless changed by options.

func cidr(s string) Peer {
	p, err := ParsePeerCIDR(s)
	if err != nil {
		panic(err)
	}
	return p
}

func groupPeer(id, owner string) Peer { return Peer{Kind: PeerGroup, GroupID: id, GroupOwner: owner} }

func prefixList(id string, resolved bool, entries ...string) Peer {
	p := Peer{Kind: PeerPrefixList, PrefixListID: id, PrefixListResolved: resolved}
	for _, e := range entries {
		p.PrefixListEntries = append(p.PrefixListEntries, netip.MustParsePrefix(e))
	}
	return p
}

type ruleOpt func(*Rule)

func egress(r *Rule)       { r.Direction = Egress }
func defaultGroup(r *Rule) { r.IsDefaultGroup = true; r.GroupName = "default" }
func unknownGroup(r *Rule) { r.GroupKnown = false; r.GroupTags = nil }
func groupTag(k, v string) ruleOpt {
	return func(r *Rule) {
		if r.GroupTags == nil {
			r.GroupTags = map[string]string{}
		}
		r.GroupTags[k] = v
	}
}
func ruleTag(k, v string) ruleOpt {
	return func(r *Rule) {
		if r.RuleTags == nil {
			r.RuleTags = map[string]string{}
		}
		r.RuleTags[k] = v
	}
}
func inGroup(id string) ruleOpt { return func(r *Rule) { r.GroupID = id } }

func rule(proto Protocol, from, to int32, peer Peer, opts ...ruleOpt) Rule {
	r := Rule{
		GroupID: "sg-0a", GroupName: "web", GroupOwner: "111111111111", VPCID: "vpc-1",
		GroupKnown: true, RuleID: "sgr-0a1", Direction: Ingress,
		Protocol: proto, FromPort: from, ToPort: to, Peer: peer,
	}
	for _, o := range opts {
		o(&r)
	}
	return r
}

// summary renders violations as "check=decision" (plus markers), sorted
// only when asked, for compact comparisons.
func summary(vs []Violation) string {
	var parts []string
	for _, v := range vs {
		s := v.CheckID + "=" + string(v.Decision)
		if v.Exemption != "" {
			s += "(" + v.Exemption + ")"
		}
		if v.PrefixListUnresolved {
			s += "?pl"
		}
		if v.GroupInfoNeeded {
			s += "?group"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func mustLoad(t testing.TB, src string) *Engine {
	t.Helper()
	e, err := Load([]byte(src), "test.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return e
}
