package policy

import (
	"fmt"
	"strings"
	"testing"
)

func exposureString(x Exposure) string {
	var parts []string
	for _, o := range x.Open {
		var gs []string
		for _, g := range o.Grants {
			gs = append(gs, g.GroupID+"/"+g.RuleID+"@"+g.Peer)
		}
		ports := fmt.Sprintf("%d-%d", o.FromPort, o.ToPort)
		parts = append(parts, fmt.Sprintf("%s/%s<-%s[%s]", o.Protocol, ports, o.From, strings.Join(gs, ",")))
	}
	return strings.Join(parts, " ")
}

func TestExposureOf(t *testing.T) {
	r := func(group, id string, proto Protocol, from, to int32, peer Peer, opts ...ruleOpt) Rule {
		x := rule(proto, from, to, peer, append([]ruleOpt{inGroup(group)}, opts...)...)
		x.RuleID = id
		return x
	}
	world, v6world := cidr("0.0.0.0/0"), cidr("::/0")
	tests := []struct {
		name   string
		groups []string
		rules  map[string][]Rule
		want   string
	}{
		{"no groups", nil, nil, ""},
		{"private only", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoTCP, 22, 22, cidr("10.0.0.0/8")),
			r("sg-a", "r2", ProtoAll, -1, -1, groupPeer("sg-b", "")),
		}}, ""},
		{"union across groups, overlapping ranges merge", []string{"sg-a", "sg-b"}, map[string][]Rule{
			"sg-a": {r("sg-a", "r1", ProtoTCP, 80, 90, world)},
			"sg-b": {r("sg-b", "r2", ProtoTCP, 85, 100, v6world), r("sg-b", "r3", ProtoTCP, 200, 200, world)},
		}, "tcp/80-100<-world[sg-a/r1@0.0.0.0/0,sg-b/r2@::/0] tcp/200-200<-world[sg-b/r3@0.0.0.0/0]"},
		{"world and public stay apart", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoTCP, 443, 443, world),
			r("sg-a", "r2", ProtoTCP, 443, 443, cidr("81.2.69.0/24")),
		}}, "tcp/443-443<-world[sg-a/r1@0.0.0.0/0] tcp/443-443<-public[sg-a/r2@81.2.69.0/24]"},
		{"egress ignored", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoAll, -1, -1, world, egress),
		}}, ""},
		{"never mixes ports of one rule with the peer of another", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoTCP, 22, 22, world),
			r("sg-a", "r2", ProtoAll, -1, -1, cidr("10.1.2.3/32")),
		}}, "tcp/22-22<-world[sg-a/r1@0.0.0.0/0]"},
		{"all traffic and icmp", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoAll, -1, -1, world),
			r("sg-a", "r2", ProtoICMP, 8, -1, world),
			r("sg-a", "r3", ProtoICMP, 8, -1, cidr("8.8.8.8/32")),
		}}, "all/-1--1<-world[sg-a/r1@0.0.0.0/0] icmp/8--1<-world[sg-a/r2@0.0.0.0/0] icmp/8--1<-public[sg-a/r3@8.8.8.8/32]"},
		{"prefix lists by entries; unresolved left out", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoTCP, 5432, 5432, prefixList("pl-pub", true, "10.0.0.0/8", "81.2.69.0/24")),
			r("sg-a", "r2", ProtoTCP, 5432, 5432, prefixList("pl-priv", true, "10.0.0.0/8")),
			r("sg-a", "r3", ProtoTCP, 5432, 5432, prefixList("pl-unk", false)),
		}}, "tcp/5432-5432<-public[sg-a/r1@pl-pub]"},
		{"group listed twice counts once", []string{"sg-a", "sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoUDP, 53, 53, world),
		}}, "udp/53-53<-world[sg-a/r1@0.0.0.0/0]"},
		{"unknown group has no rules", []string{"sg-gone"}, map[string][]Rule{}, ""},
		{"halves across two groups are the world", []string{"sg-a", "sg-b"}, map[string][]Rule{
			"sg-a": {r("sg-a", "r1", ProtoTCP, 6000, 7000, cidr("0.0.0.0/1"))},
			"sg-b": {r("sg-b", "r2", ProtoTCP, 6500, 8000, cidr("128.0.0.0/1"))},
		}, "tcp/6500-7000<-world[sg-a/r1@0.0.0.0/1,sg-b/r2@128.0.0.0/1] tcp/6000-8000<-public[sg-a/r1@0.0.0.0/1,sg-b/r2@128.0.0.0/1]"},
		{"halves on different ports are not", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoTCP, 22, 22, cidr("0.0.0.0/1")),
			r("sg-a", "r2", ProtoTCP, 23, 23, cidr("128.0.0.0/1")),
		}}, "tcp/22-22<-public[sg-a/r1@0.0.0.0/1] tcp/23-23<-public[sg-a/r2@128.0.0.0/1]"},
		{"a prefix list of IPv6 halves", []string{"sg-a"}, map[string][]Rule{"sg-a": {
			r("sg-a", "r1", ProtoUDP, 53, 53, prefixList("pl-1", true, "::/1", "8000::/1")),
		}}, "udp/53-53<-world[sg-a/r1@pl-1] udp/53-53<-public[sg-a/r1@pl-1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eni := ENI{ID: "eni-1", GroupIDs: tc.groups}
			x := ExposureOf(eni, tc.rules)
			if x.ENI.ID != "eni-1" {
				t.Errorf("Exposure.ENI = %+v", x.ENI)
			}
			if got := exposureString(x); got != tc.want {
				t.Errorf("ExposureOf(%v) =\n  %s\nwant\n  %s", tc.groups, got, tc.want)
			}
		})
	}
}
