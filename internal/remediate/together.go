package remediate

import (
	"context"
	"net/netip"
	"slices"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// mayOpenTogether reports whether the event's rules, compliant alone, may
// open a port together with the group's other rules (rules aggregate): then
// the group is read. An event with no public peer costs no AWS call.
func (iv *invocation) mayOpenTogether() bool {
	e := iv.r.engine
	if e.MayOpenTogether(iv.ev.Rules) {
		return true
	}
	if !iv.ev.DirectionUnknown {
		return false
	}
	// ModifySecurityGroupRules does not say the direction.
	rules := slices.Clone(iv.ev.Rules)
	for i := range rules {
		rules[i].Direction = policy.Egress
	}
	return e.MayOpenTogether(rules)
}

// judgeTogether judges the event's rules, as they are now, together with
// the group's standing rules (rules aggregate): when the event's rules
// complete a union that a world or broaderThan check matches (0.0.0.0/1
// standing, 128.0.0.0/1 added), the event's contributing rules get
// coverage violations, keyed by rule ID, and those that were compliant
// alone join rc.js. Standing rules are never judged, so never reverted: the
// revert returns the group to what it was. A union the standing rules made
// alone is the audit's.
func (iv *invocation) judgeTogether(ctx context.Context, rc *ruleChange) map[string][]policy.Violation {
	st := rc.st
	if st.group == nil || !iv.mayOpenTogether() {
		return nil
	}
	isEvent := make([]bool, len(st.rules))
	var lists []*policy.Rule
	for k := range st.rules {
		isEvent[k] = slices.ContainsFunc(iv.ev.Rules, func(c policy.Rule) bool { return isNow(&c, &st.rules[k]) })
	}
	mine := marked(st.rules, isEvent)
	for k := range st.rules {
		r := &st.rules[k]
		// Only rules on the event's traffic can join its unions (rule 2):
		// no list is read for the others.
		if r.Peer.Kind == policy.PeerPrefixList && slices.ContainsFunc(mine, func(e *policy.Rule) bool { return sameTraffic(e, r) }) {
			lists = append(lists, r)
		}
	}
	// A union counts prefix lists by their entries; a list that cannot be
	// read adds nothing to it (its rules are judged alone, pessimistically).
	iv.resolvePrefixLists(ctx, lists)
	var standing, event []policy.Rule
	for k := range st.rules {
		if isEvent[k] {
			event = append(event, st.rules[k])
		} else {
			standing = append(standing, st.rules[k])
		}
	}
	vs := iv.r.engine.EvaluateCoverage(standing, event, iv.evalContext(), nil)
	if len(vs) == 0 {
		return nil
	}
	byID := map[string][]policy.Violation{}
	for _, v := range vs {
		byID[v.Rule.RuleID] = append(byID[v.Rule.RuleID], v)
	}
	for k := range st.rules {
		r := &st.rules[k]
		if !isEvent[k] || byID[r.RuleID] == nil || slices.ContainsFunc(rc.js, func(j *judged) bool { return j.current == r }) {
			continue
		}
		rc.js = append(rc.js, &judged{event: iv.eventRule(r), current: r, rule: r})
	}
	return byID
}

// eventRule returns the event's rule that r is now.
func (iv *invocation) eventRule(r *policy.Rule) *policy.Rule {
	for i := range iv.ev.Rules {
		if c := &iv.ev.Rules[i]; isNow(c, r) {
			return c
		}
	}
	return r
}

// isNow reports whether the current rule r is the event's rule c: by rule
// ID when the event gives one, else by exact tuple.
func isNow(c, r *policy.Rule) bool {
	return (c.RuleID != "" && r.RuleID == c.RuleID) || (c.RuleID == "" && SameTuple(c, r))
}

// marked lists the rules marked in isEvent.
func marked(rules []policy.Rule, isEvent []bool) []*policy.Rule {
	var out []*policy.Rule
	for k := range rules {
		if isEvent[k] {
			out = append(out, &rules[k])
		}
	}
	return out
}

// sameTraffic reports whether two rules may share a protocol and port, so
// that their peers may join one union: same direction, protocols equal or
// one of them all traffic, and for tcp and udp overlapping port ranges.
func sameTraffic(a, b *policy.Rule) bool {
	if a.Direction != b.Direction {
		return false
	}
	if a.Protocol == policy.ProtoAll || b.Protocol == policy.ProtoAll {
		return true
	}
	if a.Protocol != b.Protocol {
		return false
	}
	af, at, ok := a.PortRange()
	if !ok {
		return true
	}
	bf, bt, _ := b.PortRange()
	return af <= bt && bf <= at
}

// judgeReferencesTogether judges each referencing group's rules together
// with the list's current entries (rules aggregate): a list whose entries,
// alone or with the group's other rules, open a port to the world gives its
// referencing rules coverage violations.
func (iv *invocation) judgeReferencesTogether(lc *listChange) {
	ec := iv.evalContext()
	for _, g := range sortedKeys(refGroups(lc)) {
		for _, v := range iv.r.engine.EvaluateCoverage(othersOf(lc, g), refsOf(lc, g), ec, nil) {
			i := slices.IndexFunc(lc.js, func(j *judged) bool { return j.rule.RuleID == v.Rule.RuleID })
			if i < 0 {
				k := slices.IndexFunc(lc.refs, func(r policy.Rule) bool { return r.RuleID == v.Rule.RuleID })
				if k < 0 {
					continue
				}
				iv.m.violations++
				lc.js = append(lc.js, &judged{rule: &lc.refs[k], current: &lc.refs[k], outcome: notify.OutcomeKept})
				i = len(lc.js) - 1
			}
			j := lc.js[i]
			j.vs = append(j.vs, v)
			j.decision = Strongest(j.vs)
			lc.violGroup[g] = true
		}
	}
}

// findOffendingTogether finds the added entries that complete a union: an
// added entry offends when, without it, the referencing rule's coverage
// violation of that check is gone. When no single added entry is needed
// (two added entries hold the same gap), all the added entries of the
// union's family offend, which returns the list to what it was.
func (iv *invocation) findOffendingTogether(lc *listChange, current map[string]bool) {
	ec := iv.evalContext()
	for _, j := range lc.js {
		for _, v := range j.vs {
			if v.Coverage == nil || DecisionRank(v.Decision) < DecisionRank(policy.DecisionAlert) {
				continue
			}
			var added []netip.Prefix
			for _, cidr := range lc.added {
				if p, err := parsePrefix(cidr); err == nil && current[p.String()] && inIPv6(p) == v.Coverage.IPv6 {
					added = append(added, p)
				}
			}
			if len(added) == 0 || iv.stillOpen(lc, j.rule, v.CheckID, ec, added...) {
				continue // open before the event too: reported, not undone here
			}
			var needed []string
			for _, p := range added {
				if !iv.stillOpen(lc, j.rule, v.CheckID, ec, p) {
					needed = append(needed, p.String())
				}
			}
			if len(needed) == 0 {
				for _, p := range added {
					needed = append(needed, p.String())
				}
			}
			for _, c := range needed {
				if !slices.Contains(lc.offending, c) {
					lc.offending = append(lc.offending, c)
				}
				if (v.Decision == policy.DecisionRevert || v.Decision == policy.DecisionWouldRevert) && !slices.Contains(lc.toRemove, c) {
					lc.toRemove = append(lc.toRemove, c)
				}
			}
		}
	}
}

// stillOpen reports whether rule r still has check's coverage violation
// when the list lacks the entries drop.
func (iv *invocation) stillOpen(lc *listChange, r *policy.Rule, check string, ec policy.EvalContext, drop ...netip.Prefix) bool {
	refs := refsOf(lc, r.GroupID)
	for i := range refs {
		refs[i].Peer.PrefixListEntries = slices.DeleteFunc(slices.Clone(refs[i].Peer.PrefixListEntries), func(e netip.Prefix) bool { return slices.Contains(drop, e.Masked()) })
	}
	return slices.ContainsFunc(iv.r.engine.EvaluateCoverage(othersOf(lc, r.GroupID), refs, ec, nil), func(v policy.Violation) bool {
		return v.Rule.RuleID == r.RuleID && v.CheckID == check
	})
}

// inIPv6 reports whether a prefix is IPv6 space (IPv4-mapped counts as IPv4).
func inIPv6(p netip.Prefix) bool { return p.Addr().Is6() && !(p.Addr().Is4In6() && p.Bits() >= 96) }

func refGroups(lc *listChange) map[string]bool {
	out := map[string]bool{}
	for _, r := range lc.refs {
		out[r.GroupID] = true
	}
	return out
}

// refsOf returns copies of the rules of group g that reference the list.
func refsOf(lc *listChange, g string) []policy.Rule { return inGroup(lc.refs, g) }

// othersOf returns copies of group g's other rules.
func othersOf(lc *listChange, g string) []policy.Rule { return inGroup(lc.others, g) }

func inGroup(rules []policy.Rule, g string) []policy.Rule {
	var out []policy.Rule
	for _, r := range rules {
		if r.GroupID == g {
			out = append(out, r)
		}
	}
	return out
}

// judgeExposureTogether judges, for each interface with a world part, the
// rules of all its groups together (rules aggregate): two groups whose
// halves open one port give their rules coverage violations, flagged like
// the rules that are the world alone.
func (iv *invocation) judgeExposureTogether(xc *exposureChange) {
	ec := iv.evalContext()
	for _, x := range xc.exposures {
		if !slices.ContainsFunc(x.Open, func(op policy.OpenPort) bool { return op.From == policy.FromWorld }) {
			continue
		}
		var rules []policy.Rule
		var ptrs []*policy.Rule
		for gi, gid := range x.ENI.GroupIDs {
			if slices.Contains(x.ENI.GroupIDs[:gi], gid) {
				continue
			}
			for i := range xc.rulesByGroup[gid] {
				r := &xc.rulesByGroup[gid][i]
				if g := xc.groups[gid]; g != nil {
					SetGroup(r, g)
				}
				rules, ptrs = append(rules, *r), append(ptrs, r)
			}
		}
		for _, v := range iv.r.engine.EvaluateCoverage(nil, rules, ec, nil) {
			if DecisionRank(v.Decision) < DecisionRank(policy.DecisionAlert) {
				continue
			}
			k := slices.IndexFunc(rules, func(r policy.Rule) bool { return r.RuleID == v.Rule.RuleID && r.GroupID == v.Rule.GroupID })
			if k < 0 {
				continue
			}
			i := slices.IndexFunc(xc.js, func(j *judged) bool { return j.rule == ptrs[k] })
			if i < 0 {
				iv.m.violations++
				xc.js = append(xc.js, &judged{rule: ptrs[k], current: ptrs[k], outcome: notify.OutcomeKept})
				i = len(xc.js) - 1
			}
			j := xc.js[i]
			if slices.ContainsFunc(j.vs, func(w policy.Violation) bool { return w.CheckID == v.CheckID && w.Coverage != nil }) {
				continue // another interface, the same union
			}
			j.vs = append(j.vs, v)
			j.decision = Strongest(j.vs)
			xc.flagged[v.Rule.RuleID] = true
		}
	}
}
