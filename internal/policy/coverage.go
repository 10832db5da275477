package policy

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Coverage is an opening that no single rule makes but a union of rules
// does (seed rule 1): on one protocol and port segment, the peers of the
// rules that cover it together hold a whole address family (World) or more
// addresses than a broaderThan check allows.
type Coverage struct {
	Direction Direction
	// Protocol, FromPort and ToPort are the segment, written as a Rule
	// writes them (ProtoAll for rules of every protocol).
	Protocol         Protocol
	FromPort, ToPort int32
	// IPv6 is true when the union is of IPv6 space; IPv4-mapped IPv6
	// counts as IPv4.
	IPv6 bool
	// World is true when the union holds the whole family. Otherwise it
	// holds more addresses than a prefix of MaxBits bits.
	World   bool
	MaxBits int
	// Rules are the contributing rules, in input order: a rule whose
	// addresses the others already hold is left out.
	Rules []Contributor
}

// Contributor is one rule of a Coverage.
type Contributor struct {
	GroupID string
	RuleID  string
	Peer    string // the rule's own peer, e.g. "0.0.0.0/1" or "pl-0abc"
	// Standing is true for a rule that was not judged (EvaluateCoverage's
	// standing rules): it stays, and only the judged ones are reverted.
	Standing bool
}

// ProtoPorts describes the segment like Rule.ProtoPorts: "tcp/12345".
func (c *Coverage) ProtoPorts() string {
	r := Rule{Protocol: c.Protocol, FromPort: c.FromPort, ToPort: c.ToPort}
	return r.ProtoPorts()
}

// String says what the rules open together, e.g. "together, sgr-a
// (0.0.0.0/1) and sgr-b (128.0.0.0/1) open tcp/12345 to the whole
// internet".
func (c *Coverage) String() string {
	var b strings.Builder
	if len(c.Rules) > 1 {
		b.WriteString("together, ")
	}
	if len(c.Rules) == 1 {
		// One prefix list whose entries add up.
		b.WriteString("the entries of ")
	}
	for i, r := range c.Rules {
		switch {
		case i == 0:
		case i == len(c.Rules)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		if r.RuleID != "" {
			b.WriteString(r.RuleID)
			b.WriteString(" (")
			b.WriteString(r.Peer)
			b.WriteString(")")
		} else {
			b.WriteString(r.Peer)
		}
	}
	if len(c.Rules) == 1 {
		b.WriteString(" together open ")
	} else {
		b.WriteString(" open ")
	}
	b.WriteString(c.ProtoPorts())
	if c.Direction == Egress {
		b.WriteString(" egress")
	}
	b.WriteString(" to ")
	switch {
	case c.World && c.IPv6:
		b.WriteString("the whole IPv6 internet")
	case c.World:
		b.WriteString("the whole internet")
	default:
		b.WriteString("more addresses than a /")
		b.WriteString(strconv.Itoa(c.MaxBits))
		if c.IPv6 {
			b.WriteString(" (IPv6)")
		}
	}
	return b.String()
}

// EvaluateCoverage appends to dst the violations that only the union of
// one group's rules makes, and returns the extended slice. For every
// protocol and port segment the rules open, it takes the union of the peers
// of the rules covering that segment (CIDRs and resolved prefix-list
// entries, IPv4 and IPv6 apart) and judges it by the checks whose peer is
// world or broaderThan; other peer classes keep their per-rule meaning, and
// rules on different ports never mix (seed rule 2).
//
// standing are the group's rules that stay as they are; judged are the
// ones the caller may revert: an event's rules, or every rule in an audit
// (standing nil). A union that the standing rules make alone is not
// reported. Otherwise each judged rule that contributes gets one violation
// per check, with Violation.Coverage naming every contributing rule; a
// judged rule left out would not undo the opening by its removal, and
// removing all the judged contributors always does. A rule that matches a
// check alone gets no coverage violation for it (Evaluate reports it).
//
// A group whose rules cannot add up to an opening (the common case) costs
// one pass over the rules and no allocation.
func (e *Engine) EvaluateCoverage(standing, judged []Rule, ec EvalContext, dst []Violation) []Violation {
	if e == nil || e.p == nil || len(judged) == 0 {
		return dst
	}
	n := len(dst)
	dst = e.p.evaluateCoverage(standing, judged, &ec, e.mode, dst)
	// A trusted rule still counts in the union (it does open the port),
	// but no check flags it.
	if t := &e.p.trusted; len(t.cidrs) > 0 || len(t.lists) > 0 {
		kept := dst[:n]
		for _, v := range dst[n:] {
			if !t.trusts(&v.Rule) {
				kept = append(kept, v)
			}
		}
		dst = kept
	}
	return dst
}

// MayOpenTogether reports whether rules may open a port together with
// rules outside them that the caller does not hold (the group's other
// rules): some rule has a public peer that is not the whole family alone
// (or a prefix list whose entries are unknown) on traffic that a world or
// broaderThan check judges. Then the caller reads the group's rules and
// calls EvaluateCoverage; otherwise they cannot complete a union that
// matters, and an event needs no AWS call. Unions of private space alone
// (a broaderThan check on 10.0.0.0/8 halves) are left to the audit. It
// does not allocate.
func (e *Engine) MayOpenTogether(rules []Rule) bool {
	if e == nil || e.p == nil {
		return false
	}
	for i := range rules {
		r := &rules[i]
		if !partlyPublic(&r.Peer) {
			continue
		}
		for ci := range e.p.checks {
			c := &e.p.checks[ci]
			if r.Direction > Egress || c.dirs&(1<<r.Direction) == 0 || !c.aggregate() || !c.matchTraffic(r) {
				continue
			}
			if ok, _ := c.matchGroup(r); ok {
				return true
			}
		}
	}
	return false
}

// UnionNeeds says which rules of direction d EvaluateCoverage must be given
// to see every union that can matter, for a caller that cannot keep every
// rule (the audit bounds its memory): none when no world or broaderThan
// check judges d; public is true when some does (rules whose peer may hold
// public addresses); private is true when a broaderThan check does, since
// private prefixes alone can add up past its threshold. A world union
// needs public rules: the public rules alone must then hold all public
// space, and only the rare union that private rules complete after that
// is missed without them.
func (e *Engine) UnionNeeds(d Direction) (public, private bool) {
	if e == nil || e.p == nil || d > Egress {
		return false, false
	}
	for i := range e.p.checks {
		c := &e.p.checks[i]
		if c.dirs&(1<<d) == 0 || !c.aggregate() {
			continue
		}
		public = true
		private = private || c.peer.class == peerBroader
	}
	return public, private
}

// partlyPublic reports whether a peer holds public addresses without being
// a whole family alone, or is a prefix list whose entries are unknown.
func partlyPublic(p *Peer) bool {
	switch p.Kind {
	case PeerIPv4, PeerIPv6:
		return !IsWorld(p.CIDR) && IsPublic(p.CIDR)
	case PeerPrefixList:
		if !p.PrefixListResolved {
			return true
		}
		for _, e := range p.PrefixListEntries {
			if !IsWorld(e) && IsPublic(e) {
				return true
			}
		}
	}
	return false
}

// aggregate reports whether the check's peer class is judged on unions.
func (c *check) aggregate() bool {
	return c.peer.class == peerWorld || c.peer.class == peerBroader && (c.peer.broader4 > 0 || c.peer.broader6 > 0)
}

// need returns what a union of family f must reach to match the check.
func (c *check) need(f family) need {
	if c.peer.class == peerWorld {
		return need{world: true}
	}
	limit := c.peer.broader4
	if f == fam6 {
		limit = c.peer.broader6
	}
	if limit <= 0 {
		return need{exp: -1}
	}
	return need{exp: famBits[f] - limit}
}

// member is one rule taking part in a union: its traffic on its track and
// its addresses per family.
type member struct {
	r        *Rule
	order    int
	standing bool
	group    string   // the ENI's group the rule came from (ExposureOf)
	track    Protocol // ProtoAll for every-protocol rules
	lo, hi   int32
	ivs      [2][]interval // merged
	size     [2]size
}

// icmpSpan is the number of (type, code) positions: 256 types of 257 (all
// codes, then codes 0-255).
const icmpSpan = 256 * 257

// trackRange maps a rule's traffic onto one line per protocol, so that
// segments are found over range boundaries: tcp and udp ports as they are;
// ICMP (type, code) pairs as positions; other protocols as one point.
func trackRange(r *Rule) (lo, hi int32) {
	switch {
	case r.Protocol.HasPorts():
		return normalizePorts(r.FromPort, r.ToPort)
	case r.Protocol == ProtoICMP || r.Protocol == ProtoICMPv6:
		t, code := r.FromPort, r.ToPort
		switch {
		case t < 0 || t > 255:
			return 0, icmpSpan - 1
		case code < 0 || code > 255:
			return t * 257, t*257 + 256
		}
		return t*257 + 1 + code, t*257 + 1 + code
	}
	return 0, 0
}

// fullRange is the whole line of a track, which every-protocol rules cover.
func fullRange(p Protocol) (lo, hi int32) {
	switch {
	case p.HasPorts():
		return 0, 65535
	case p == ProtoICMP || p == ProtoICMPv6:
		return 0, icmpSpan - 1
	}
	return 0, 0
}

// segmentPorts writes a track segment back as a Rule's ports.
func segmentPorts(p Protocol, lo, hi int32) (from, to int32) {
	switch {
	case p.HasPorts():
		return lo, hi
	case p == ProtoICMP || p == ProtoICMPv6:
		if lo == 0 && hi == icmpSpan-1 {
			return -1, -1
		}
		if lo%257 == 0 {
			return lo / 257, -1
		}
		return lo / 257, lo%257 - 1
	}
	return -1, -1
}

// addresses fills m's intervals from its peer; it reports false when the
// peer holds no known address (a group, an unresolved prefix list).
func (m *member) addresses() bool {
	p := &m.r.Peer
	add := func(pfx interval, f family) { m.ivs[f] = append(m.ivs[f], pfx) }
	defer func() {
		// Entries of one list may overlap: each member holds a merged set.
		for f := fam4; f <= fam6; f++ {
			m.ivs[f] = mergeSorted(m.ivs[f])
			m.size[f] = setSize(m.ivs[f])
		}
	}()
	switch p.Kind {
	case PeerIPv4, PeerIPv6:
		if f, iv, ok := prefixInterval(p.CIDR); ok {
			add(iv, f)
		}
	case PeerPrefixList:
		if !p.PrefixListResolved {
			return false
		}
		for _, e := range p.PrefixListEntries {
			if f, iv, ok := prefixInterval(e); ok {
				add(iv, f)
			}
		}
	}
	return len(m.ivs[fam4])+len(m.ivs[fam6]) > 0
}

// sums are address counts per direction and family: of all rules, and of
// those that are not the whole family alone.
type sums struct{ partial, all [2][2]size }

// addressSums adds up the addresses of rules. It is the cheap test that
// keeps the common case free: a union can cover a family only if the rules
// that are not the whole family alone hold at least as many addresses, and
// can exceed a size only if all of them together do.
func addressSums(standing, judged []Rule) (s sums) {
	s.addRules(standing)
	s.addRules(judged)
	return s
}

func (s *sums) addRules(rules []Rule) {
	for i := range rules {
		r := &rules[i]
		switch r.Peer.Kind {
		case PeerIPv4, PeerIPv6:
			s.add(r.Direction, r.Peer.CIDR)
		case PeerPrefixList:
			for _, e := range r.Peer.PrefixListEntries {
				s.add(r.Direction, e)
			}
		}
	}
}

func (s *sums) add(d Direction, p netip.Prefix) {
	f, k, ok := prefixExp(p)
	if !ok || d > Egress {
		return
	}
	s.all[d][f] = s.all[d][f].addPow(k)
	if k < famBits[f] {
		s.partial[d][f] = s.partial[d][f].addPow(k)
	}
}

// mayAddUp reports whether rules of direction d could add up to an opening
// for any aggregate check.
func (cp *compiled) mayAddUp(d Direction, s *sums) bool {
	for i := range cp.checks {
		c := &cp.checks[i]
		if c.dirs&(1<<d) == 0 || !c.aggregate() {
			continue
		}
		for f := fam4; f <= fam6; f++ {
			if c.peer.class == peerWorld {
				if s.partial[d][f].atLeastPow(famBits[f]) {
					return true
				}
				continue
			}
			limit := c.peer.broader4
			if f == fam6 {
				limit = c.peer.broader6
			}
			if limit > 0 && s.all[d][f].exceeds(famBits[f]-limit) {
				return true
			}
		}
	}
	return false
}

func (cp *compiled) evaluateCoverage(standing, judged []Rule, ec *EvalContext, mode Mode, dst []Violation) []Violation {
	clk := clock{ec: *ec}
	sums := addressSums(standing, judged)
	for d := Ingress; d <= Egress; d++ {
		if !cp.mayAddUp(d, &sums) {
			continue
		}
		members := collectMembers(d, standing, judged)
		type key struct{ check, order int }
		seen := map[key]bool{}
		type hit struct {
			check int
			v     Violation
		}
		var found []hit
		var tilings [2]*tiling // reused from segment to segment
		forEachSegment(members, func(track Protocol, lo, hi int32, active []*member) {
			from, to := segmentPorts(track, lo, hi)
			seg := Rule{Direction: d, Protocol: track, FromPort: from, ToPort: to}
			var built [2]bool
			var byNeed [2]map[need]*coverage
			for ci := range cp.checks {
				c := &cp.checks[ci]
				if c.dirs&(1<<d) == 0 || !c.aggregate() || !c.matchTraffic(&seg) {
					continue
				}
				for f := fam4; f <= fam6; f++ {
					nd := c.need(f)
					if nd.exp < 0 {
						continue
					}
					if !built[f] {
						built[f] = true
						tilings[f] = newTiling(tilings[f], active, f)
						byNeed[f] = map[need]*coverage{}
					}
					cov, ok := byNeed[f][nd]
					if !ok {
						cov = tilings[f].contributors(nd)
						byNeed[f][nd] = cov
					}
					if cov == nil {
						continue
					}
					cov.Direction, cov.Protocol, cov.FromPort, cov.ToPort = d, track, from, to
					cov.IPv6, cov.World = f == fam6, c.peer.class == peerWorld
					var pub *Coverage
					if !cov.World {
						cov.MaxBits = c.peer.broader4
						if f == fam6 {
							cov.MaxBits = c.peer.broader6
						}
					}
					for _, m := range active {
						if m.standing || !cov.has(m) || seen[key{ci, m.order}] {
							continue
						}
						var facts peerFacts
						if alone, _ := c.matchPeer(m.r, &facts); alone {
							continue
						}
						ok, needInfo := c.matchGroup(m.r)
						if !ok {
							continue
						}
						seen[key{ci, m.order}] = true
						if pub == nil {
							pub = cov.public()
						}
						v := Violation{CheckID: c.id, Severity: c.severity, Rule: *m.r, GroupInfoNeeded: needInfo, Coverage: pub, desc: c.desc}
						if x := cp.exemptionFor(ci, m.r, &clk); x != "" {
							v.Decision, v.Exemption = DecisionExempt, x
						} else {
							v.Decision = decide(c.action, mode)
						}
						found = append(found, hit{ci, v})
					}
				}
			}
		})
		slices.SortStableFunc(found, func(a, b hit) int { return a.check - b.check })
		for _, h := range found {
			dst = append(dst, h.v)
		}
	}
	return dst
}

func collectMembers(d Direction, standing, judged []Rule) []*member {
	var out []*member
	add := func(rules []Rule, isStanding bool, base int) {
		for i := range rules {
			r := &rules[i]
			if r.Direction != d {
				continue
			}
			m := &member{r: r, order: base + i, standing: isStanding}
			if !m.addresses() {
				continue
			}
			if r.Protocol == ProtoAll {
				m.track = ProtoAll
			} else {
				m.track = r.Protocol
				m.lo, m.hi = trackRange(r)
			}
			out = append(out, m)
		}
	}
	add(standing, true, 0)
	add(judged, false, len(standing))
	return out
}

// worthJudging reports whether rules may make a union that none of them
// makes alone: two rules or more, or one rule holding several prefixes (a
// prefix list).
func worthJudging(active []*member) bool {
	return len(active) > 1 || len(active) == 1 && active[0].r.Peer.Kind == PeerPrefixList && len(active[0].r.Peer.PrefixListEntries) > 1
}

// forEachSegment calls fn for every maximal segment of every track on
// which the set of covering rules is the same and worth judging; active is
// valid only during the call.
// Segments come from the rules' range boundaries, never port by port.
// Every-protocol rules join every track and also form a track of their own
// (traffic that only they open), which comes first.
func forEachSegment(members []*member, fn func(track Protocol, lo, hi int32, active []*member)) {
	var all []*member
	tracks := []Protocol{}
	for _, m := range members {
		if m.track == ProtoAll {
			all = append(all, m)
		} else if !slices.Contains(tracks, m.track) {
			tracks = append(tracks, m.track)
		}
	}
	if worthJudging(all) {
		fn(ProtoAll, 0, 0, all)
	}
	slices.Sort(tracks)
	for _, t := range tracks {
		flo, fhi := fullRange(t)
		var on []*member
		var bounds []int32
		for _, m := range members {
			lo, hi := m.lo, m.hi
			if m.track == ProtoAll {
				lo, hi = flo, fhi
			} else if m.track != t {
				continue
			}
			on = append(on, m)
			bounds = append(bounds, lo, hi+1)
		}
		if !worthJudging(on) {
			continue
		}
		slices.Sort(bounds)
		bounds = slices.Compact(bounds)
		// Two buffers, so that the previous set survives building the next.
		var prev, active []*member
		var prevLo int32
		flush := func(end int32) {
			if worthJudging(prev) {
				fn(t, prevLo, end, prev)
			}
		}
		for i := 0; i+1 < len(bounds); i++ {
			lo := bounds[i]
			active = active[:0]
			for _, m := range on {
				mlo, mhi := m.lo, m.hi
				if m.track == ProtoAll {
					mlo, mhi = flo, fhi
				}
				if mlo <= lo && lo <= mhi {
					active = append(active, m)
				}
			}
			if slices.Equal(active, prev) {
				continue
			}
			flush(lo - 1)
			prev, active, prevLo = active, prev, lo
		}
		flush(bounds[len(bounds)-1] - 1)
	}
}

// coverage is a Coverage under construction, with its members.
type coverage struct {
	Coverage
	in []*member
}

func (c *coverage) has(m *member) bool { return slices.Contains(c.in, m) }

// public returns the Coverage with its contributing rules named; they are
// written only for a coverage that is reported.
func (c *coverage) public() *Coverage {
	out := c.Coverage
	out.Rules = make([]Contributor, len(c.in))
	for i, m := range c.in {
		out.Rules[i] = Contributor{GroupID: m.r.GroupID, RuleID: m.r.RuleID, Peer: m.r.Peer.String(), Standing: m.standing}
	}
	return &out
}
