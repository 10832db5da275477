package remediate

import (
	"context"
	"slices"

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
		r := &st.rules[k]
		for i := range iv.ev.Rules {
			c := &iv.ev.Rules[i]
			if (c.RuleID != "" && r.RuleID == c.RuleID) || (c.RuleID == "" && SameTuple(c, r)) {
				isEvent[k] = true
				break
			}
		}
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
		c := &iv.ev.Rules[i]
		if (c.RuleID != "" && r.RuleID == c.RuleID) || (c.RuleID == "" && SameTuple(c, r)) {
			return c
		}
	}
	return r
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
