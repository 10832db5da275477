package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Sentinel errors of the parse helpers, for errors.Is.
var (
	ErrBadProtocol = errors.New("bad protocol")
	ErrBadPort     = errors.New("bad port")
	ErrBadCIDR     = errors.New("bad CIDR")
)

// ParseProtocol parses a protocol as EC2 writes it: "tcp", "udp", "icmp",
// "icmpv6", "-1" or "all", or a number 0-255. Names are case-insensitive
// and numbers of named protocols map to the same value ("6" is tcp).
func ParseProtocol(s string) (Protocol, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "tcp":
		return ProtoTCP, nil
	case "udp":
		return ProtoUDP, nil
	case "icmp":
		return ProtoICMP, nil
	case "icmpv6", "icmp6":
		return ProtoICMPv6, nil
	case "-1", "all":
		return ProtoAll, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("%w: %q (want tcp, udp, icmp, icmpv6, all, -1 or 0-255)", ErrBadProtocol, s)
	}
	return Protocol(n), nil
}

// String returns the EC2 name of a protocol: "tcp", "udp", "icmp",
// "icmpv6", "all" for ProtoAll, or the decimal number.
func (p Protocol) String() string {
	switch p {
	case ProtoAll:
		return "all"
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	case ProtoICMPv6:
		return "icmpv6"
	}
	return strconv.Itoa(int(p))
}

// HasPorts reports whether the protocol carries ports (tcp and udp). For
// ICMP the rule's "ports" are a type and a code; other protocols have none.
func (p Protocol) HasPorts() bool { return p == ProtoTCP || p == ProtoUDP }

// ParsePortRange parses "22", "1024-65535" or "-1" (every port). Ports
// must lie in 0-65535 and a range must not be reversed.
func ParsePortRange(s string) (from, to int32, err error) {
	t := strings.TrimSpace(s)
	if t == "-1" {
		return 0, 65535, nil
	}
	a, b, isRange := strings.Cut(t, "-")
	lo, err := parsePort(a)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %q", ErrBadPort, s)
	}
	hi := lo
	if isRange {
		if hi, err = parsePort(b); err != nil {
			return 0, 0, fmt.Errorf("%w: %q", ErrBadPort, s)
		}
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("%w: %q: range is reversed", ErrBadPort, s)
	}
	return lo, hi, nil
}

func parsePort(s string) (int32, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 5 {
		return 0, ErrBadPort
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrBadPort
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 65535 {
		return 0, ErrBadPort
	}
	return int32(n), nil
}

// ParsePeerCIDR parses an IPv4 or IPv6 CIDR into a Peer. A bare address is
// taken as a host prefix (/32 or /128). Host bits are kept as written.
func ParsePeerCIDR(s string) (Peer, error) {
	t := strings.TrimSpace(s)
	var p netip.Prefix
	var err error
	if strings.Contains(t, "/") {
		p, err = netip.ParsePrefix(t)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(t); err == nil {
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil || p.Addr().Zone() != "" {
		return Peer{}, fmt.Errorf("%w: %q", ErrBadCIDR, s)
	}
	if p.Addr().Is4() {
		return Peer{Kind: PeerIPv4, CIDR: p}, nil
	}
	return Peer{Kind: PeerIPv6, CIDR: p}, nil
}

// String returns "ingress" or "egress".
func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// String returns "ipv4", "ipv6", "prefix-list", "group" or "unknown".
func (k PeerKind) String() string {
	switch k {
	case PeerIPv4:
		return "ipv4"
	case PeerIPv6:
		return "ipv6"
	case PeerPrefixList:
		return "prefix-list"
	case PeerGroup:
		return "group"
	}
	return "unknown"
}

// String returns the peer as EC2 shows it: a CIDR, a prefix-list ID, or a
// group ID (with "owner/" in front when the owner is known).
func (p Peer) String() string {
	switch p.Kind {
	case PeerIPv4, PeerIPv6:
		// The world prefixes are by far the most common peers printed
		// (alerts, exposures): spare them an allocation.
		switch p.CIDR {
		case worldV4:
			return "0.0.0.0/0"
		case worldV6:
			return "::/0"
		}
		return p.CIDR.String()
	case PeerPrefixList:
		return p.PrefixListID
	case PeerGroup:
		if p.GroupOwner != "" {
			return p.GroupOwner + "/" + p.GroupID
		}
		return p.GroupID
	}
	return "unknown peer"
}

// SelfReference reports whether the rule's peer is its own group.
func (r *Rule) SelfReference() bool {
	return r.Peer.Kind == PeerGroup && r.Peer.GroupID != "" && r.Peer.GroupID == r.GroupID
}

// PortRange returns the rule's port range normalized to 0-65535 for tcp and
// udp (EC2's -1 and out-of-range values mean every port), and ok=false for
// protocols without ports.
func (r *Rule) PortRange() (from, to int32, ok bool) {
	if !r.Protocol.HasPorts() {
		return 0, 0, false
	}
	from, to = normalizePorts(r.FromPort, r.ToPort)
	return from, to, true
}

func normalizePorts(from, to int32) (int32, int32) {
	if from < 0 || from > 65535 {
		from = 0
	}
	if to < 0 || to > 65535 {
		to = 65535
	}
	if from > to {
		from, to = to, from
	}
	return from, to
}

// ProtoPorts describes the rule's traffic in sgwarden's one notation:
// "tcp/22", "udp/1024-65535", "tcp/0-65535" (every port of one protocol),
// "all" (every protocol), "icmp/all", "icmp/8" (any code) or "icmp/8:0",
// and the bare number for other protocols ("132").
func (r *Rule) ProtoPorts() string {
	switch {
	case r.Protocol == ProtoAll:
		return "all"
	case r.Protocol.HasPorts():
		from, to := normalizePorts(r.FromPort, r.ToPort)
		if from == to {
			return r.Protocol.String() + "/" + strconv.Itoa(int(from))
		}
		return r.Protocol.String() + "/" + strconv.Itoa(int(from)) + "-" + strconv.Itoa(int(to))
	case r.Protocol == ProtoICMP || r.Protocol == ProtoICMPv6:
		switch {
		case r.FromPort < 0:
			return r.Protocol.String() + "/all"
		case r.ToPort < 0:
			return r.Protocol.String() + "/" + strconv.Itoa(int(r.FromPort))
		}
		return r.Protocol.String() + "/" + strconv.Itoa(int(r.FromPort)) + ":" + strconv.Itoa(int(r.ToPort))
	}
	return r.Protocol.String()
}
