package perf

import (
	"net/netip"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// mixedRules is the rule set of the policy benchmark: what an account's
// groups typically carry, compliant rules first among them, with one rule
// for each check of the default policy and a few exemptions.
func mixedRules() []policy.Rule {
	v4 := func(s string) policy.Peer {
		return policy.Peer{Kind: policy.PeerIPv4, CIDR: netip.MustParsePrefix(s)}
	}
	v6 := func(s string) policy.Peer {
		return policy.Peer{Kind: policy.PeerIPv6, CIDR: netip.MustParsePrefix(s)}
	}
	group := func(id string) policy.Peer {
		return policy.Peer{Kind: policy.PeerGroup, GroupID: id, GroupOwner: "123456789012"}
	}
	prefixList := func(id string, resolved bool, cidrs ...string) policy.Peer {
		p := policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: id, PrefixListResolved: resolved}
		for _, c := range cidrs {
			p.PrefixListEntries = append(p.PrefixListEntries, netip.MustParsePrefix(c))
		}
		return p
	}
	rule := func(id string, dir policy.Direction, proto policy.Protocol, from, to int32, peer policy.Peer) policy.Rule {
		return policy.Rule{
			GroupID: "sg-0web", GroupName: "web", GroupOwner: "123456789012", VPCID: "vpc-0bench",
			GroupKnown: true, RuleID: id, Direction: dir, Protocol: proto, FromPort: from, ToPort: to, Peer: peer,
		}
	}
	rules := []policy.Rule{
		// Compliant.
		rule("sgr-01", policy.Ingress, policy.ProtoTCP, 443, 443, v4("0.0.0.0/0")),
		rule("sgr-02", policy.Ingress, policy.ProtoTCP, 80, 80, v4("0.0.0.0/0")),
		rule("sgr-03", policy.Ingress, policy.ProtoTCP, 443, 443, v6("::/0")),
		rule("sgr-04", policy.Ingress, policy.ProtoTCP, 22, 22, v4("10.0.0.0/8")),
		rule("sgr-05", policy.Ingress, policy.ProtoAll, -1, -1, v4("172.16.0.0/12")),
		rule("sgr-06", policy.Ingress, policy.ProtoTCP, 5432, 5432, group("sg-0app")),
		rule("sgr-07", policy.Ingress, policy.ProtoAll, -1, -1, group("sg-0web")),
		rule("sgr-08", policy.Ingress, policy.ProtoTCP, 3306, 3306, prefixList("pl-0private", true, "10.1.0.0/16", "192.168.0.0/16")),
		rule("sgr-09", policy.Egress, policy.ProtoAll, -1, -1, v4("0.0.0.0/0")),
		rule("sgr-10", policy.Egress, policy.ProtoAll, -1, -1, v6("::/0")),
		rule("sgr-11", policy.Ingress, policy.ProtoUDP, 53, 53, v4("10.0.0.2/32")),
		rule("sgr-12", policy.Ingress, policy.ProtoTCP, 8443, 8443, v4("192.168.10.0/24")),
		// Violating: one or more checks each.
		rule("sgr-20", policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0")),
		rule("sgr-21", policy.Ingress, policy.ProtoTCP, 3389, 3389, v6("::/0")),
		rule("sgr-22", policy.Ingress, policy.ProtoTCP, 5432, 5432, v4("8.0.0.0/7")),
		rule("sgr-23", policy.Ingress, policy.ProtoTCP, 8000, 8100, v4("0.0.0.0/0")),
		rule("sgr-24", policy.Ingress, policy.ProtoTCP, 1024, 65535, v4("0.0.0.0/0")),
		rule("sgr-25", policy.Ingress, policy.ProtoAll, -1, -1, v4("0.0.0.0/0")),
		rule("sgr-26", policy.Ingress, policy.ProtoTCP, 9200, 9200, prefixList("pl-0public", true, "203.0.113.0/24")),
		rule("sgr-27", policy.Ingress, policy.ProtoTCP, 22, 22, prefixList("pl-0unknown", false)),
	}
	// The VPC default group carrying a rule.
	def := rule("sgr-30", policy.Ingress, policy.ProtoAll, -1, -1, group("sg-0default"))
	def.GroupID, def.GroupName, def.IsDefaultGroup = "sg-0default", "default", true
	rules = append(rules, def)
	// Exempt by group tag (expiring) and by rule tag (reason).
	ex := rule("sgr-31", policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0"))
	ex.GroupTags = map[string]string{"sgwarden:exempt": "2099-12-31", "team": "bastion"}
	rules = append(rules, ex)
	rex := rule("sgr-32", policy.Ingress, policy.ProtoTCP, 3389, 3389, v4("0.0.0.0/0"))
	rex.RuleTags = map[string]string{"sgwarden:exempt": "vendor support window"}
	rules = append(rules, rex)
	return rules
}
