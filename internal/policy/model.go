package policy

import (
	"net/netip"
	"time"
)

// Direction says whether a rule governs inbound or outbound traffic.
type Direction uint8

const (
	Ingress Direction = iota
	Egress
)

// Protocol is an IP protocol number. ProtoAll (-1) stands for every protocol.
type Protocol int16

const (
	ProtoAll    Protocol = -1
	ProtoICMP   Protocol = 1
	ProtoTCP    Protocol = 6
	ProtoUDP    Protocol = 17
	ProtoICMPv6 Protocol = 58
)

// PeerKind says what a rule's peer (source for ingress, destination for egress) is.
type PeerKind uint8

const (
	PeerUnknown PeerKind = iota
	PeerIPv4
	PeerIPv6
	PeerPrefixList
	PeerGroup
)

// Peer is the other side of a rule: exactly one of a CIDR, a managed prefix
// list or a security group.
type Peer struct {
	Kind PeerKind
	// CIDR is set for PeerIPv4 and PeerIPv6.
	CIDR netip.Prefix
	// PrefixListID is set for PeerPrefixList. PrefixListResolved tells
	// whether PrefixListEntries holds the list's current entries.
	PrefixListID       string
	PrefixListEntries  []netip.Prefix
	PrefixListResolved bool
	// GroupID and GroupOwner (account ID, may be empty when unknown) are set
	// for PeerGroup.
	GroupID    string
	GroupOwner string
}

// Rule is one security-group rule: a single (direction, protocol, port range,
// peer) tuple with the attributes of the group that carries it.
//
// For tcp and udp, FromPort..ToPort is the port range. For icmp and icmpv6,
// FromPort is the ICMP type and ToPort the code (-1 meaning all). For
// ProtoAll, and for other protocols, the ports are ignored.
type Rule struct {
	GroupID    string
	GroupName  string
	GroupOwner string
	VPCID      string
	// GroupKnown tells whether IsDefaultGroup and GroupTags were read from
	// the account (DescribeSecurityGroups) rather than left unknown, as they
	// are for rules decoded from an event.
	GroupKnown     bool
	IsDefaultGroup bool
	GroupTags      map[string]string

	RuleID      string
	RuleTags    map[string]string
	Direction   Direction
	Protocol    Protocol
	FromPort    int32
	ToPort      int32
	Peer        Peer
	Description string
}

// ENI is a network interface and the groups attached to it.
type ENI struct {
	ID            string
	VPCID         string
	SubnetID      string
	InterfaceType string // "interface", "network_load_balancer", "vpc_endpoint", "lambda", ...
	// OwnerType classifies what uses the ENI: "instance", "load-balancer",
	// "lambda", "vpc-endpoint", "nat-gateway", "aws-service" or "unattached".
	OwnerType   string
	InstanceID  string
	RequesterID string
	Description string
	PrivateIP   string
	PublicIP    string
	// ElasticIP is true when PublicIP is an Elastic IP; IPv6 when the
	// interface has an IPv6 address (reachable from the internet if its
	// subnet routes to an internet gateway).
	ElasticIP bool
	IPv6      bool
	GroupIDs  []string
}

// EvalContext carries what evaluation needs beyond the rule itself.
type EvalContext struct {
	// ActorARN is the ARN of the principal that made the change (from
	// CloudTrail), or empty for an audit.
	ActorARN string
	// Now is compared with exemption expiry dates. The zero value means
	// time.Now().
	Now time.Time
}
