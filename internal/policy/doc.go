// Package policy decides which security-group rules break a declarative
// policy. It does no I/O and imports no AWS SDK: it takes values (Rule, ENI)
// and returns decisions (Violation, Exposure).
//
// # Compile once, evaluate many
//
// Load parses and validates a YAML policy, reporting every problem at once
// as a *LoadError (each Issue has its line, column and dotted field), and
// compiles it into an Engine. Default returns the engine of the embedded
// default policy (DefaultYAML). Engine.Evaluate judges one rule and appends
// its violations, in policy check order; a compliant rule costs no
// allocation. Violation.Reason builds its text only when asked.
//
// # Policy file
//
//	version: 1              # required
//	mode: enforce           # or dry-run; default enforce
//	base: default           # optional: start from the embedded default policy
//	checks:
//	  - id: remote-admin-world
//	    description: remote admin port from the world
//	    severity: critical  # critical | high | medium | low | info
//	    action: revert      # revert | alert
//	    direction: ingress  # ingress (default) | egress | any
//	    protocols: [tcp]    # tcp, udp, icmp, icmpv6, all, or numbers
//	    ports: [22, "3380-3390"]   # or portsExcept: [80, 443]
//	    portMatch: overlap  # or contains: the rule's range holds a listed range entirely
//	    peer: world         # world | public | prefixList | otherAccountGroup | any
//	                        # | {cidrs: [...]} | {broaderThan: 16} | {broaderThan: {ipv4: 16, ipv6: 48}}
//	    groups: {default: true, tags: {env: prod}}
//	    selfReference: false
//	    enabled: true
//	exemptions:
//	  - id: break-glass
//	    reason: incident response
//	    actorArn: "arn:aws:sts::*:assumed-role/BreakGlass/*"  # or groupTag, ruleTag, groupIds
//	    checks: [remote-admin-world]   # optional: limit to these checks
//	    expires: 2026-12-31            # optional, inclusive, UTC
//
// With base: default, a check whose id is in the default policy overrides
// only the fields it sets (for example `{id: default-group-rules, action:
// revert}`), `enabled: false` turns a check off, and an exemption with a
// default id replaces it. docs/policy.md describes every field.
//
// # Semantics
//
// Engine.Evaluate judges each rule alone as one (direction, protocol, ports, peer) tuple;
// the ports of one rule never combine with another rule's peer. A port check
// matches when the ranges overlap (or, with portMatch: contains, when the
// rule's range holds a listed range). All-traffic (-1) and tcp/udp 0-65535
// cover every port. ICMP has no ports: it never matches a port check but
// does match a protocol-only check. Protocols other than tcp, udp, icmp and
// icmpv6 (for example 132, sctp) open every port of that protocol, so they
// match a port check only when the check lists that protocol or "all"; a
// port check without protocols means tcp and udp.
//
// world is exactly 0.0.0.0/0 or ::/0. public is any prefix holding a
// globally reachable address according to the IANA special-purpose
// registries (IsPublic). A prefix-list peer is judged by its resolved
// entries; an unresolved one matches world, public, cidrs and broaderThan
// pessimistically, with Violation.PrefixListUnresolved set.
// Self-referencing rules never match unless the check says selfReference:
// true. Egress rules match only checks with direction egress or any.
//
// Rules decoded from events carry no group attributes (Rule.GroupKnown
// false): then a `default: true` group selector does not match (the audit
// covers the default group), tag selectors match with GroupInfoNeeded set,
// and group-tag exemptions do not apply until the group is described.
//
// # Rules aggregate
//
// What a group opens on a port is the union of the peers of all its rules
// that cover that port (seed rule 1). Engine.EvaluateCoverage judges those
// unions for the world and broaderThan checks: for each protocol and port
// segment (found over the rules' range boundaries, never port by port) it
// takes the CIDRs and resolved prefix-list entries of the covering rules,
// IPv4 and IPv6 apart (IPv4-mapped IPv6 counts as IPv4). world matches when
// the union holds the whole family, broaderThan when it holds more
// addresses than the threshold's prefix; public keeps its per-prefix
// meaning. Rules on different ports or protocols never join one union
// (seed rule 2). A violation found this way carries a Coverage naming every
// contributing rule; callers judge the event's rules against the group's
// standing ones, or every rule of a group in an audit.
//
// ExposureOf computes an ENI's effective inbound exposure from the world and
// public space across all its groups (seed rule 1), part by part, with the
// rules that grant each part; a union of rules that holds a whole family is
// a world part, with the same math.
package policy
