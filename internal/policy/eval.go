package policy

import (
	"net/netip"
	"time"
)

func (c *check) protoListed(p Protocol) bool {
	if c.protoAny {
		return true
	}
	if p < 0 || p > 255 {
		return false
	}
	return c.protoSet[uint8(p)>>6]&(1<<(uint8(p)&63)) != 0
}

// matchTraffic judges the rule's protocol and ports. All-traffic covers
// every protocol and port. ICMP has no ports, so it never matches a port
// check. Protocols other than tcp, udp and icmp open every "port" of that
// protocol (EC2 ignores their port range), so they match a port check only
// when the check lists the protocol or "all".
func (c *check) matchTraffic(r *Rule) bool {
	p := r.Protocol
	if !c.hasPorts {
		return p == ProtoAll || c.protoListed(p)
	}
	switch {
	case p == ProtoAll:
		return true
	case p == ProtoICMP || p == ProtoICMPv6:
		return false
	case p.HasPorts():
		if !c.protoListed(p) {
			return false
		}
		lo, hi := normalizePorts(r.FromPort, r.ToPort)
		return c.matchPorts(lo, hi)
	default:
		return c.protoListed(p) && c.matchPorts(0, 65535)
	}
}

func (c *check) matchPorts(lo, hi int32) bool {
	for _, pr := range c.ports {
		if c.contains {
			if lo <= pr.lo && pr.hi <= hi {
				return true
			}
		} else if pr.lo <= hi && lo <= pr.hi {
			return true
		}
	}
	return false
}

// peerFacts caches the classification of one rule's peer across checks.
type peerFacts struct {
	done   bool
	world  bool
	public bool
}

func (f *peerFacts) get(p *Peer) *peerFacts {
	if f.done {
		return f
	}
	f.done = true
	switch p.Kind {
	case PeerIPv4, PeerIPv6:
		f.world = IsWorld(p.CIDR)
		f.public = f.world || IsPublic(p.CIDR)
	case PeerPrefixList:
		for _, e := range p.PrefixListEntries {
			if IsWorld(e) {
				f.world = true
			}
			if IsPublic(e) {
				f.public = true
			}
		}
	}
	return f
}

// matchPeer reports whether the rule's peer is in the check's peer class,
// and whether that is only possible because the rule's prefix list entries
// are unknown.
func (c *check) matchPeer(r *Rule, facts *peerFacts) (match, unresolved bool) {
	p := &r.Peer
	switch c.peer.class {
	case peerAny:
		return true, false
	case peerPrefixList:
		return p.Kind == PeerPrefixList, false
	case peerOtherAccount:
		return p.Kind == PeerGroup && p.GroupOwner != "" && r.GroupOwner != "" && p.GroupOwner != r.GroupOwner, false
	}
	switch p.Kind {
	case PeerIPv4, PeerIPv6:
	case PeerPrefixList:
		if !p.PrefixListResolved {
			return true, true
		}
	default:
		return false, false
	}
	switch c.peer.class {
	case peerWorld:
		return facts.get(p).world, false
	case peerPublic:
		return facts.get(p).public, false
	case peerPublicNotWorld:
		f := facts.get(p)
		return f.public && !f.world, false
	case peerCIDRs:
		if p.Kind == PeerPrefixList {
			for _, e := range p.PrefixListEntries {
				if c.peer.overlapsCIDRs(e) {
					return true, false
				}
			}
			return false, false
		}
		return c.peer.overlapsCIDRs(p.CIDR), false
	case peerBroader:
		if p.Kind == PeerPrefixList {
			for _, e := range p.PrefixListEntries {
				if c.peer.broader(e) {
					return true, false
				}
			}
			return false, false
		}
		return c.peer.broader(p.CIDR), false
	}
	return false, false
}

func (ps *peerSpec) overlapsCIDRs(p netip.Prefix) bool {
	p, ok := normalizePrefix(p)
	if !ok {
		return false
	}
	for _, c := range ps.cidrs {
		if c.Overlaps(p) {
			return true
		}
	}
	return false
}

func (ps *peerSpec) broader(p netip.Prefix) bool {
	p, ok := normalizePrefix(p)
	if !ok {
		return false
	}
	limit := ps.broader6
	if p.Addr().Is4() {
		limit = ps.broader4
	}
	return limit > 0 && p.Bits() < limit
}

// matchGroup judges the group selector. With unknown group attributes a
// default-group selector cannot match (only the audit, which knows, covers
// it), while tag and non-default selectors match pessimistically and say
// that group information is needed.
func (c *check) matchGroup(r *Rule) (match, needInfo bool) {
	if c.group == groupAnyKind && len(c.tags) == 0 {
		return true, false
	}
	if !r.GroupKnown {
		if c.group == groupDefaultOnly {
			return false, false
		}
		return true, true
	}
	if c.group == groupDefaultOnly && !r.IsDefaultGroup || c.group == groupNonDefaultOnly && r.IsDefaultGroup {
		return false, false
	}
	for _, t := range c.tags {
		v, ok := r.GroupTags[t.key]
		if !ok || t.value != "*" && v != t.value {
			return false, false
		}
	}
	return true, false
}

// clock returns the evaluation time, reading the system clock at most once.
type clock struct {
	ec  EvalContext
	now time.Time
}

func (c *clock) get() time.Time {
	if c.now.IsZero() {
		c.now = c.ec.Now
		if c.now.IsZero() {
			c.now = time.Now()
		}
	}
	return c.now
}

// exemptionFor returns the id of the first exemption that covers check ci
// for rule r, or "".
func (cp *compiled) exemptionFor(ci int, r *Rule, clk *clock) string {
	for i := range cp.exemptions {
		x := &cp.exemptions[i]
		if x.checks != nil && !x.checks[ci] {
			continue
		}
		if !x.until.IsZero() && !clk.get().Before(x.until) {
			continue
		}
		if x.applies(r, clk) {
			return x.id
		}
	}
	return ""
}

func (x *exemption) applies(r *Rule, clk *clock) bool {
	switch x.kind {
	case exGroupTag:
		// Group tags are unknown for rules decoded from an event: the
		// remediator describes the group before acting.
		if !r.GroupKnown {
			return false
		}
		return x.tagApplies(r.GroupTags, clk)
	case exRuleTag:
		return x.tagApplies(r.RuleTags, clk)
	case exGroupIDs:
		for _, g := range x.groupIDs {
			if g == r.GroupID {
				return true
			}
		}
	case exActor:
		return clk.ec.ActorARN != "" && globMatch(x.actor, clk.ec.ActorARN)
	}
	return false
}

func (x *exemption) tagApplies(tags map[string]string, clk *clock) bool {
	v, ok := tags[x.key]
	if !ok {
		return false
	}
	if x.hasValue && v != x.value {
		return false
	}
	return tagGrants(v, clk)
}

// trusts reports whether the rule's peer is inside the policy's trusted
// peers: a CIDR within a trusted CIDR, a trusted prefix list, or a prefix
// list whose known entries all lie within trusted CIDRs.
func (t *trustedSpec) trusts(r *Rule) bool {
	if len(t.cidrs) == 0 && len(t.lists) == 0 {
		return false
	}
	p := &r.Peer
	switch p.Kind {
	case PeerIPv4, PeerIPv6:
		return t.within(p.CIDR)
	case PeerPrefixList:
		for _, id := range t.lists {
			if id == p.PrefixListID {
				return true
			}
		}
		if !p.PrefixListResolved || len(p.PrefixListEntries) == 0 {
			return false
		}
		for _, e := range p.PrefixListEntries {
			if !t.within(e) {
				return false
			}
		}
		return true
	}
	return false
}

func (t *trustedSpec) within(p netip.Prefix) bool {
	for _, c := range t.cidrs {
		if c.Bits() <= p.Bits() && c.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func (cp *compiled) evaluate(r *Rule, ec *EvalContext, mode Mode, dst []Violation) []Violation {
	if cp.trusted.trusts(r) {
		return dst
	}
	self := r.SelfReference()
	var facts peerFacts
	clk := clock{ec: *ec}
	for i := range cp.checks {
		c := &cp.checks[i]
		if r.Direction > Egress || c.dirs&(1<<r.Direction) == 0 {
			continue
		}
		if self && !c.selfRef {
			continue
		}
		if !c.matchTraffic(r) {
			continue
		}
		ok, unresolved := c.matchPeer(r, &facts)
		if !ok {
			continue
		}
		ok, needInfo := c.matchGroup(r)
		if !ok {
			continue
		}
		v := Violation{
			CheckID:              c.id,
			Severity:             c.severity,
			Rule:                 *r,
			PrefixListUnresolved: unresolved,
			GroupInfoNeeded:      needInfo,
			desc:                 c.desc,
		}
		if x := cp.exemptionFor(i, r, &clk); x != "" {
			v.Decision, v.Exemption = DecisionExempt, x
		} else {
			v.Decision = decide(c.action, mode)
		}
		dst = append(dst, v)
	}
	return dst
}

func decide(a Action, m Mode) Decision {
	if a != ActionRevert {
		return DecisionAlert
	}
	if m == ModeDryRun {
		return DecisionWouldRevert
	}
	return DecisionRevert
}
