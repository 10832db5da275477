package audit

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// group is the compact, per-scan view of one security group. Its tag map is
// shared by every rule of the group, never copied per rule.
type group struct {
	id, name, vpc, owner string
	isDefault            bool
	tags                 map[string]string
}

func newGroup(g *types.SecurityGroup) *group {
	return &group{
		id:        deref(g.GroupId),
		name:      deref(g.GroupName),
		vpc:       deref(g.VpcId),
		owner:     deref(g.OwnerId),
		isDefault: deref(g.GroupName) == "default",
		tags:      tagMap(g.Tags),
	}
}

// ParseProtocol converts EC2's IpProtocol ("tcp", "udp", "icmp", "icmpv6",
// "-1" or a protocol number) to a policy.Protocol.
func ParseProtocol(s string) (policy.Protocol, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return policy.ProtoTCP, nil
	case "udp":
		return policy.ProtoUDP, nil
	case "icmp":
		return policy.ProtoICMP, nil
	case "icmpv6":
		return policy.ProtoICMPv6, nil
	case "-1", "all":
		return policy.ProtoAll, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("unknown IP protocol %q", s)
	}
	return policy.Protocol(n), nil
}

// ProtocolName is the inverse of ParseProtocol, with "all" for ProtoAll.
func ProtocolName(p policy.Protocol) string {
	switch p {
	case policy.ProtoTCP:
		return "tcp"
	case policy.ProtoUDP:
		return "udp"
	case policy.ProtoICMP:
		return "icmp"
	case policy.ProtoICMPv6:
		return "icmpv6"
	case policy.ProtoAll:
		return "all"
	}
	return strconv.Itoa(int(p))
}

// convertRule turns one DescribeSecurityGroupRules item into a policy.Rule.
// g may be nil when the group was not listed (created meanwhile); the rule is
// then evaluated with GroupKnown=false.
func convertRule(r *types.SecurityGroupRule, g *group) (policy.Rule, error) {
	proto, err := ParseProtocol(deref(r.IpProtocol))
	if err != nil {
		return policy.Rule{}, err
	}
	out := policy.Rule{
		RuleID:      deref(r.SecurityGroupRuleId),
		RuleTags:    tagMap(r.Tags),
		Protocol:    proto,
		FromPort:    derefPort(r.FromPort),
		ToPort:      derefPort(r.ToPort),
		Description: deref(r.Description),
	}
	if r.IsEgress != nil && *r.IsEgress {
		out.Direction = policy.Egress
	}
	if g != nil {
		out.GroupID, out.GroupName, out.GroupOwner, out.VPCID = g.id, g.name, g.owner, g.vpc
		out.GroupKnown, out.IsDefaultGroup, out.GroupTags = true, g.isDefault, g.tags
	} else {
		out.GroupID, out.GroupOwner = deref(r.GroupId), deref(r.GroupOwnerId)
	}
	out.Peer, err = rulePeer(deref(r.CidrIpv4), deref(r.CidrIpv6), deref(r.PrefixListId), r.ReferencedGroupInfo)
	if err != nil {
		return policy.Rule{}, fmt.Errorf("rule %s: %w", out.RuleID, err)
	}
	return out, nil
}

func rulePeer(v4, v6, pl string, ref *types.ReferencedSecurityGroup) (policy.Peer, error) {
	switch {
	case v4 != "":
		p, err := netip.ParsePrefix(v4)
		if err != nil {
			return policy.Peer{}, fmt.Errorf("parse IPv4 CIDR: %w", err)
		}
		return policy.Peer{Kind: policy.PeerIPv4, CIDR: p.Masked()}, nil
	case v6 != "":
		p, err := netip.ParsePrefix(v6)
		if err != nil {
			return policy.Peer{}, fmt.Errorf("parse IPv6 CIDR: %w", err)
		}
		return policy.Peer{Kind: policy.PeerIPv6, CIDR: p.Masked()}, nil
	case pl != "":
		return policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: pl}, nil
	case ref != nil && ref.GroupId != nil:
		return policy.Peer{Kind: policy.PeerGroup, GroupID: *ref.GroupId, GroupOwner: deref(ref.UserId)}, nil
	}
	return policy.Peer{}, nil
}

func convertENI(ni *types.NetworkInterface, groups map[string]*group) policy.ENI {
	e := policy.ENI{
		ID:            deref(ni.NetworkInterfaceId),
		VPCID:         deref(ni.VpcId),
		SubnetID:      deref(ni.SubnetId),
		InterfaceType: string(ni.InterfaceType),
		OwnerType:     ClassifyOwner(ni),
		RequesterID:   deref(ni.RequesterId),
		Description:   deref(ni.Description),
		PrivateIP:     deref(ni.PrivateIpAddress),
	}
	if ni.Attachment != nil {
		e.InstanceID = deref(ni.Attachment.InstanceId)
	}
	if ni.Association != nil {
		e.PublicIP = deref(ni.Association.PublicIp)
	}
	if len(ni.Groups) > 0 {
		e.GroupIDs = make([]string, 0, len(ni.Groups))
		for _, gi := range ni.Groups {
			id := deref(gi.GroupId)
			if g, ok := groups[id]; ok {
				id = g.id // share the string
			}
			e.GroupIDs = append(e.GroupIDs, id)
		}
	}
	return e
}

func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[deref(t.Key)] = deref(t.Value)
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefPort(p *int32) int32 {
	if p == nil {
		return -1
	}
	return *p
}
