package main

import (
	"fmt"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// scaleShape is the size of the row 5 account.
type scaleShape struct {
	groups, rules, enis int
}

// groupsPerVPC splits the account into VPCs of this many groups, the first
// of which is the VPC's default group.
const groupsPerVPC = 1000

// scaleRuleTemplates are the rules a group of the scale account carries, in
// this order, up to its share of the rule count; the default allow-all
// egress (given to every non-default group) comes on top of them. Most are
// compliant, as in a real account; the violating ones are placed on a few
// groups only (see scaleFixture).
var scaleRuleTemplates = []awslocal.RuleSpec{
	awslocal.TCP(443, "0.0.0.0/0"),
	awslocal.TCP(80, "0.0.0.0/0"),
	awslocal.TCP(22, "10.0.0.0/8"),
	awslocal.AllTraffic("self"),
	awslocal.UDP(53, "10.0.0.2/32"),
	awslocal.TCP(8080, "172.16.0.0/12"),
	awslocal.TCP(3306, "192.168.0.0/16"),
	awslocal.TCP(443, "::/0"),
	awslocal.PortRange("tcp", 9000, 9100, "10.20.0.0/16"),
	awslocal.TCP(6379, "10.30.0.0/16"),
	awslocal.TCP(11211, "10.40.0.0/16"),
	awslocal.TCP(8443, "fd00::/8"),
}

// scaleViolations replace the last template rule of every 100th group (by
// offset within the hundred), so that about 4% of groups carry one finding.
var scaleViolations = map[int]awslocal.RuleSpec{
	7:  awslocal.TCP(22, "0.0.0.0/0"),
	31: awslocal.TCP(3389, "::/0"),
	55: awslocal.TCP(5432, "8.0.0.0/7"),
	89: awslocal.PortRange("tcp", 1024, 65535, "0.0.0.0/0"),
}

// scaleFixture lays out an account of exactly s.groups security groups
// carrying s.rules rules (ingress and egress together) and s.enis network
// interfaces. Groups are in VPCs of groupsPerVPC, each VPC's first group
// being its default group (a self-reference and the allow-all egress, as
// AWS creates it); every interface carries two groups of its VPC.
func scaleFixture(s scaleShape) (*awslocal.Fixture, error) {
	if s.groups < 1 || s.enis < 0 {
		return nil, fmt.Errorf("scale account of %d groups and %d interfaces", s.groups, s.enis)
	}
	vpcs := (s.groups + groupsPerVPC - 1) / groupsPerVPC
	const defaultRules = 2
	normal := s.groups - vpcs
	spare := s.rules - vpcs*defaultRules - normal // the allow-all egress of each normal group
	if normal > 0 && (spare < 0 || spare > normal*len(scaleRuleTemplates)) {
		return nil, fmt.Errorf("%d rules cannot be spread over %d groups of 1 to %d rules", s.rules, s.groups, len(scaleRuleTemplates)+1)
	}
	f := &awslocal.Fixture{Region: benchRegion, Topics: []string{sceneTopic}}
	groupID := func(i int) string { return fmt.Sprintf("sg-0%016x", i+1) }
	vpcID := func(v int) string { return fmt.Sprintf("vpc-0%016x", v+1) }
	for v := range vpcs {
		f.VPCs = append(f.VPCs, awslocal.VPCSpec{ID: vpcID(v), CIDR: fmt.Sprintf("10.%d.0.0/16", v%256)})
	}
	n := 0 // normal groups so far
	for i := range s.groups {
		v := i / groupsPerVPC
		if i%groupsPerVPC == 0 {
			f.Groups = append(f.Groups, awslocal.GroupSpec{
				ID: groupID(i), Name: "default", Description: "default VPC security group", VPC: vpcID(v),
				Ingress: []awslocal.RuleSpec{awslocal.AllTraffic("self")},
				Egress:  []awslocal.RuleSpec{awslocal.AllTraffic("0.0.0.0/0")},
			})
			continue
		}
		k := spare / normal
		if n < spare%normal {
			k++
		}
		ingress := append([]awslocal.RuleSpec(nil), scaleRuleTemplates[:k]...)
		if i%5 != 0 {
			// Only one group in five is a web tier open to the world.
			for j := range ingress {
				switch ingress[j].CIDR + ingress[j].CIDR6 {
				case "0.0.0.0/0":
					ingress[j].CIDR = "10.0.0.0/8"
				case "::/0":
					ingress[j].CIDR6 = "fd00:10::/32"
				}
			}
		}
		if bad, ok := scaleViolations[i%100]; ok && k > 0 {
			ingress[k-1] = bad
		}
		n++
		f.Groups = append(f.Groups, awslocal.GroupSpec{
			ID: groupID(i), Name: fmt.Sprintf("app-%05d", i), Description: "make bench scale account", VPC: vpcID(v),
			Tags:    map[string]string{"team": fmt.Sprintf("team-%02d", i%37)},
			Ingress: ingress,
		})
	}
	for e := range s.enis {
		first := e % s.groups
		v := first / groupsPerVPC
		inVPC := min(groupsPerVPC, s.groups-v*groupsPerVPC)
		second := v*groupsPerVPC + (first%groupsPerVPC+1+(e/s.groups)*7)%inVPC
		groups := []string{groupID(first)}
		if second != first {
			groups = append(groups, groupID(second))
		}
		eni := awslocal.ENISpec{
			ID: fmt.Sprintf("eni-0%016x", e+1), VPC: vpcID(v), Groups: groups,
			InterfaceType: "interface", PrivateIP: fmt.Sprintf("10.%d.%d.%d", v%256, (e/250)%250, e%250+1),
		}
		if e%4 != 3 {
			eni.InstanceID = fmt.Sprintf("i-0%016x", e+1)
		} else {
			eni.Description, eni.RequesterManaged, eni.RequesterID = "ELB app/bench/0123456789abcdef", true, "amazon-elb"
		}
		f.NetworkInterfaces = append(f.NetworkInterfaces, eni)
	}
	return f, nil
}

// ruleCount counts the rules a fixture lays out.
func ruleCount(f *awslocal.Fixture) int {
	n := 0
	for _, g := range f.Groups {
		n += len(g.Ingress) + len(g.Egress)
		if g.Egress == nil {
			n++ // the default allow-all egress
		}
	}
	return n
}
