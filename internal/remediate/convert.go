package remediate

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// ParseProtocol converts an EC2 IpProtocol ("tcp", "6", "-1", "icmpv6"...)
// to a policy.Protocol.
func ParseProtocol(s string) (policy.Protocol, error) {
	switch strings.ToLower(s) {
	case "-1", "all":
		return policy.ProtoAll, nil
	case "tcp":
		return policy.ProtoTCP, nil
	case "udp":
		return policy.ProtoUDP, nil
	case "icmp":
		return policy.ProtoICMP, nil
	case "icmpv6":
		return policy.ProtoICMPv6, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 || n > 255 {
		return 0, fmt.Errorf("unknown IP protocol %q", s)
	}
	return policy.Protocol(n), nil
}

// RuleFromEC2 converts a rule from DescribeSecurityGroupRules. Group
// attributes (name, VPC, tags, default-ness) are left for the caller, and
// GroupKnown stays false.
func RuleFromEC2(r *types.SecurityGroupRule) (policy.Rule, error) {
	out := policy.Rule{
		GroupID:     aws.ToString(r.GroupId),
		GroupOwner:  aws.ToString(r.GroupOwnerId),
		RuleID:      aws.ToString(r.SecurityGroupRuleId),
		RuleTags:    tagMap(r.Tags),
		Description: aws.ToString(r.Description),
		FromPort:    -1,
		ToPort:      -1,
	}
	if aws.ToBool(r.IsEgress) {
		out.Direction = policy.Egress
	}
	p, err := ParseProtocol(aws.ToString(r.IpProtocol))
	if err != nil {
		return out, fmt.Errorf("rule %s: %w", out.RuleID, err)
	}
	out.Protocol = p
	if r.FromPort != nil {
		out.FromPort = *r.FromPort
	}
	if r.ToPort != nil {
		out.ToPort = *r.ToPort
	}
	switch {
	case r.CidrIpv4 != nil:
		pfx, err := netip.ParsePrefix(*r.CidrIpv4)
		if err != nil {
			return out, fmt.Errorf("rule %s: cidr %q: %w", out.RuleID, *r.CidrIpv4, err)
		}
		out.Peer = policy.Peer{Kind: policy.PeerIPv4, CIDR: pfx.Masked()}
	case r.CidrIpv6 != nil:
		pfx, err := netip.ParsePrefix(*r.CidrIpv6)
		if err != nil {
			return out, fmt.Errorf("rule %s: cidr %q: %w", out.RuleID, *r.CidrIpv6, err)
		}
		out.Peer = policy.Peer{Kind: policy.PeerIPv6, CIDR: pfx.Masked()}
	case r.PrefixListId != nil:
		out.Peer = policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: *r.PrefixListId}
	case r.ReferencedGroupInfo != nil:
		out.Peer = policy.Peer{Kind: policy.PeerGroup, GroupID: aws.ToString(r.ReferencedGroupInfo.GroupId),
			GroupOwner: aws.ToString(r.ReferencedGroupInfo.UserId)}
	}
	return out, nil
}

// SetGroup fills the group attributes of r from g and marks them known.
func SetGroup(r *policy.Rule, g *types.SecurityGroup) {
	r.GroupKnown = true
	r.GroupName = aws.ToString(g.GroupName)
	r.IsDefaultGroup = r.GroupName == "default"
	r.VPCID = aws.ToString(g.VpcId)
	r.GroupTags = tagMap(g.Tags)
	if r.GroupOwner == "" {
		r.GroupOwner = aws.ToString(g.OwnerId)
	}
}

// ENIFromEC2 converts a network interface from DescribeNetworkInterfaces.
func ENIFromEC2(n *types.NetworkInterface) policy.ENI {
	e := policy.ENI{
		ID:            aws.ToString(n.NetworkInterfaceId),
		VPCID:         aws.ToString(n.VpcId),
		SubnetID:      aws.ToString(n.SubnetId),
		InterfaceType: string(n.InterfaceType),
		RequesterID:   aws.ToString(n.RequesterId),
		Description:   aws.ToString(n.Description),
		PrivateIP:     aws.ToString(n.PrivateIpAddress),
	}
	if n.Association != nil {
		e.PublicIP = aws.ToString(n.Association.PublicIp)
		e.ElasticIP = aws.ToString(n.Association.AllocationId) != ""
	}
	e.IPv6 = len(n.Ipv6Addresses) > 0 || aws.ToString(n.Ipv6Address) != ""
	if n.Attachment != nil {
		e.InstanceID = aws.ToString(n.Attachment.InstanceId)
	}
	for _, g := range n.Groups {
		e.GroupIDs = append(e.GroupIDs, aws.ToString(g.GroupId))
	}
	e.OwnerType = ClassifyOwner(n)
	return e
}

func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// SameTuple reports whether a and b are the same (direction, protocol,
// ports, peer) tuple, as EC2 compares rules.
func SameTuple(a, b *policy.Rule) bool {
	if a.Direction != b.Direction || a.Protocol != b.Protocol {
		return false
	}
	switch a.Protocol {
	case policy.ProtoTCP, policy.ProtoUDP, policy.ProtoICMP, policy.ProtoICMPv6:
		if a.FromPort != b.FromPort || a.ToPort != b.ToPort {
			return false
		}
	}
	return samePeer(&a.Peer, &b.Peer)
}

func samePeer(a, b *policy.Peer) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case policy.PeerIPv4, policy.PeerIPv6:
		return a.CIDR.Masked() == b.CIDR.Masked()
	case policy.PeerPrefixList:
		return a.PrefixListID == b.PrefixListID
	case policy.PeerGroup:
		return a.GroupID == b.GroupID
	}
	return false
}

func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, err
	}
	return p.Masked(), nil
}
