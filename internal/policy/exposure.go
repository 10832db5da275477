package policy

import "slices"

// Peer classes of an OpenPort.
const (
	FromWorld  = "world"
	FromPublic = "public"
)

type exposureSeg struct {
	proto  Protocol
	lo, hi int32
	world  bool
	grant  Grant
	peer   *Peer // printed into grant.Peer only once the segment is kept
}

// exposureOf is ExposureOf. Each ingress rule contributes its own
// (protocol, ports) for its own peer class; segments of one protocol and
// class that overlap are merged and keep every granting rule. Prefix lists
// count by their resolved entries; unresolved ones are left out, as no
// reachable address is known.
func exposureOf(eni ENI, rulesByGroup map[string][]Rule) Exposure {
	out := exposureByRule(eni, rulesByGroup)
	addUnionParts(&out, rulesByGroup)
	return out
}

// addUnionParts adds the world parts that several rules open together: on
// one protocol and port segment, the union of the peers of the ENI's rules
// (across its groups) holds a whole family, though no rule's peer does.
// The math is EvaluateCoverage's; each part's grants are the contributors.
func addUnionParts(x *Exposure, rulesByGroup map[string][]Rule) {
	var s sums
	for gi, gid := range x.ENI.GroupIDs {
		if !slices.Contains(x.ENI.GroupIDs[:gi], gid) {
			s.addRules(rulesByGroup[gid])
		}
	}
	if !s.partial[Ingress][fam4].atLeastPow(famBits[fam4]) && !s.partial[Ingress][fam6].atLeastPow(famBits[fam6]) {
		return
	}
	var sets [][]Rule
	var gids []string
	for gi, gid := range x.ENI.GroupIDs {
		if !slices.Contains(x.ENI.GroupIDs[:gi], gid) {
			sets = append(sets, rulesByGroup[gid])
			gids = append(gids, gid)
		}
	}
	var members []*member
	for gi, rules := range sets {
		ms := collectMembers(Ingress, nil, rules)
		for _, m := range ms {
			m.order += gi << 20
			m.group = gids[gi]
		}
		members = append(members, ms...)
	}
	added := false
	var t *tiling
	forEachSegment(members, func(track Protocol, lo, hi int32, active []*member) {
		for f := fam4; f <= fam6; f++ {
			t = newTiling(t, active, f)
			cov := t.contributors(need{world: true})
			if cov == nil || slices.ContainsFunc(cov.in, func(m *member) bool {
				return IsWorld(m.r.Peer.CIDR) || m.r.Peer.Kind == PeerPrefixList && slices.ContainsFunc(m.r.Peer.PrefixListEntries, IsWorld)
			}) {
				continue
			}
			from, to := segmentPorts(track, lo, hi)
			op := OpenPort{Protocol: track, FromPort: from, ToPort: to, From: FromWorld}
			for _, m := range cov.in {
				gid := m.r.GroupID
				if gid == "" {
					gid = m.group
				}
				op.Grants = append(op.Grants, Grant{GroupID: gid, RuleID: m.r.RuleID, Peer: m.r.Peer.String()})
			}
			x.Open = append(x.Open, op)
			added = true
		}
	})
	if added {
		slices.SortStableFunc(x.Open, func(a, b OpenPort) int {
			switch {
			case a.Protocol != b.Protocol:
				return int(a.Protocol) - int(b.Protocol)
			case a.From != b.From:
				if a.From == FromWorld {
					return -1
				}
				return 1
			}
			return int(a.FromPort - b.FromPort)
		})
	}
}

// exposureByRule is each rule's own part of the exposure.
func exposureByRule(eni ENI, rulesByGroup map[string][]Rule) Exposure {
	out := Exposure{ENI: eni}
	var buf [16]exposureSeg
	segs := buf[:0]
	for gi, gid := range eni.GroupIDs {
		if slices.Contains(eni.GroupIDs[:gi], gid) {
			continue
		}
		rules := rulesByGroup[gid]
		for i := range rules {
			r := &rules[i]
			if r.Direction != Ingress {
				continue
			}
			if r.Peer.Kind == PeerPrefixList && !r.Peer.PrefixListResolved {
				continue
			}
			var facts peerFacts
			f := facts.get(&r.Peer)
			if !f.public {
				continue
			}
			s := exposureSeg{proto: r.Protocol, lo: -1, hi: -1, world: f.world}
			switch {
			case r.Protocol.HasPorts():
				s.lo, s.hi = normalizePorts(r.FromPort, r.ToPort)
			case r.Protocol == ProtoICMP || r.Protocol == ProtoICMPv6:
				s.lo, s.hi = r.FromPort, r.ToPort
				if s.lo < 0 {
					s.lo, s.hi = -1, -1
				}
			}
			groupID := r.GroupID
			if groupID == "" {
				groupID = gid
			}
			s.grant = Grant{GroupID: groupID, RuleID: r.RuleID}
			s.peer = &r.Peer
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return out
	}
	slices.SortFunc(segs, func(a, b exposureSeg) int {
		switch {
		case a.proto != b.proto:
			return int(a.proto) - int(b.proto)
		case a.world != b.world:
			if a.world {
				return -1
			}
			return 1
		case a.lo != b.lo:
			return int(a.lo - b.lo)
		}
		return int(a.hi - b.hi)
	})
	// Sorted segments of one part are adjacent, so every part's grants are
	// a window of one backing array: two allocations per ENI, not one per
	// part.
	grants := make([]Grant, len(segs))
	out.Open = make([]OpenPort, 0, len(segs))
	start := 0
	for i, s := range segs {
		s.grant.Peer = s.peer.String()
		grants[i] = s.grant
		if n := len(out.Open); n > 0 {
			cur := &out.Open[n-1]
			sameClass := cur.Protocol == s.proto && (cur.From == FromWorld) == s.world
			merge := sameClass && s.proto.HasPorts() && s.lo <= cur.ToPort ||
				sameClass && !s.proto.HasPorts() && s.lo == cur.FromPort && s.hi == cur.ToPort
			if merge {
				cur.ToPort = max(cur.ToPort, s.hi)
				cur.Grants = grants[start : i+1 : i+1]
				continue
			}
		}
		from := FromPublic
		if s.world {
			from = FromWorld
		}
		start = i
		out.Open = append(out.Open, OpenPort{Protocol: s.proto, FromPort: s.lo, ToPort: s.hi, From: from, Grants: grants[i : i+1 : i+1]})
	}
	return out
}
