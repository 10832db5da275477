package notify

import (
	"sort"
	"strconv"
	"strings"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// ProtocolName renders a protocol as the console does: tcp, udp, icmp,
// icmpv6, all, or the protocol number.
func ProtocolName(p policy.Protocol) string {
	switch p {
	case policy.ProtoAll:
		return "all"
	case policy.ProtoTCP:
		return "tcp"
	case policy.ProtoUDP:
		return "udp"
	case policy.ProtoICMP:
		return "icmp"
	case policy.ProtoICMPv6:
		return "icmpv6"
	}
	return strconv.Itoa(int(p))
}

// Ports renders a rule's port range in the notation of
// policy.Rule.ProtoPorts, without the protocol: "22", "1024-65535",
// "0-65535", "all" (all traffic, or an ICMP rule of every type), "8" or
// "8:0" for ICMP type and code, "" for a protocol without ports.
func Ports(r *policy.Rule) string {
	pp := r.ProtoPorts()
	if pp == "all" {
		return "all"
	}
	if _, ports, ok := strings.Cut(pp, "/"); ok {
		return ports
	}
	return ""
}

// Peer renders a rule's peer and its kind.
func Peer(p *policy.Peer) (peer, kind string) {
	switch p.Kind {
	case policy.PeerIPv4:
		return p.CIDR.String(), "ipv4"
	case policy.PeerIPv6:
		return p.CIDR.String(), "ipv6"
	case policy.PeerPrefixList:
		return p.PrefixListID, "prefix-list"
	case policy.PeerGroup:
		if p.GroupOwner != "" {
			return p.GroupOwner + "/" + p.GroupID, "group"
		}
		return p.GroupID, "group"
	}
	return "unknown", "unknown"
}

// Direction renders ingress or egress.
func Direction(d policy.Direction) string {
	if d == policy.Egress {
		return "egress"
	}
	return "ingress"
}

// Short renders a rule for a subject line in the one port notation:
// "tcp/22 from 0.0.0.0/0", "tcp/0-65535 from ::/0", "all to 0.0.0.0/0".
func Short(r *Rule) string {
	s := r.Protocol
	if r.Protocol != "all" && r.Ports != "" {
		s += "/" + r.Ports
	}
	if r.Direction == "egress" {
		return s + " to " + r.Peer
	}
	return s + " from " + r.Peer
}

// NewRule converts a policy rule, the violations found on it, its overall
// decision and its outcome into a document rule.
func NewRule(r *policy.Rule, vs []policy.Violation, decision policy.Decision, outcome Outcome) Rule {
	peer, kind := Peer(&r.Peer)
	out := Rule{
		ID:          r.RuleID,
		GroupID:     r.GroupID,
		Direction:   Direction(r.Direction),
		Protocol:    ProtocolName(r.Protocol),
		Ports:       Ports(r),
		Peer:        peer,
		PeerKind:    kind,
		Description: r.Description,
		Tags:        copyTags(r.RuleTags),
		Decision:    string(decision),
		Outcome:     outcome,
	}
	for i := range vs {
		v := &vs[i]
		out.Checks = append(out.Checks, Check{
			ID:        v.CheckID,
			Severity:  string(v.Severity),
			Decision:  string(v.Decision),
			Exemption: v.Exemption,
			Reason:    v.Reason(),
			Uncertain: v.PrefixListUnresolved,
		})
	}
	return out
}

func copyTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// SeverityRank orders severities, worst first: critical 0 ... info 4;
// unknown values rank last.
func SeverityRank(s string) int {
	switch policy.Severity(s) {
	case policy.SeverityCritical:
		return 0
	case policy.SeverityHigh:
		return 1
	case policy.SeverityMedium:
		return 2
	case policy.SeverityLow:
		return 3
	case policy.SeverityInfo:
		return 4
	}
	return 5
}

// Worst returns the worst of the given severities ("info" when empty).
func Worst(sevs ...string) string {
	best := ""
	for _, s := range sevs {
		if best == "" || SeverityRank(s) < SeverityRank(best) {
			best = s
		}
	}
	if best == "" {
		return string(policy.SeverityInfo)
	}
	return best
}

// Finalize fills the derived fields of a: Schema, Severity (the worst check,
// unless already set), Checks (every check ID that fired, worst first, then
// by name), the outcome counts and DedupKey (the event ID).
func (a *Alert) Finalize() {
	a.Schema = Schema
	a.DedupKey = a.Event.ID
	for i := range a.Exposed {
		a.Exposed[i].Reachable = Reachability(&a.Exposed[i])
	}
	sevByCheck := map[string]string{}
	var res Result
	for i := range a.Rules {
		r := &a.Rules[i]
		for _, c := range r.Checks {
			if old, ok := sevByCheck[c.ID]; !ok || SeverityRank(c.Severity) < SeverityRank(old) {
				sevByCheck[c.ID] = c.Severity
			}
		}
		switch r.Outcome {
		case OutcomeRevoked:
			res.Revoked++
		case OutcomeAlreadyGone:
			res.AlreadyGone++
		case OutcomeKept:
			res.Kept++
		case OutcomeFailed:
			res.Failed++
		case OutcomeGroupGone:
			res.GroupGone++
		}
	}
	res.Error = a.Outcome.Error
	a.Outcome = res
	if len(sevByCheck) > 0 || a.Checks == nil {
		checks := make([]string, 0, len(sevByCheck))
		sevs := make([]string, 0, len(sevByCheck))
		for id, s := range sevByCheck {
			checks = append(checks, id)
			sevs = append(sevs, s)
		}
		sort.Slice(checks, func(i, j int) bool {
			ri, rj := SeverityRank(sevByCheck[checks[i]]), SeverityRank(sevByCheck[checks[j]])
			if ri != rj {
				return ri < rj
			}
			return checks[i] < checks[j]
		})
		if len(checks) > 0 || a.Checks == nil {
			a.Checks = checks
		}
		if a.Severity == "" {
			a.Severity = Worst(sevs...)
		}
	}
	if a.Severity == "" {
		a.Severity = string(policy.SeverityInfo)
	}
}
