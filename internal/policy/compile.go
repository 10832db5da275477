package policy

import (
	"cmp"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// compiled is the immutable, evaluation-ready form of a policy.
type compiled struct {
	mode         Mode
	ownerTag     string
	stackManaged Action
	checks       []check
	exemptions   []exemption
	trusted      trustedSpec
}

type check struct {
	id       string
	desc     string
	severity Severity
	action   Action
	dirs     uint8
	protoAny bool      // no protocol filter (or "all" listed)
	protoSet [4]uint64 // listed protocol numbers, when !protoAny
	hasPorts bool
	ports    []portRange
	contains bool
	peer     peerSpec
	group    int8
	tags     []tagKV
	selfRef  bool
}

type exemption struct {
	id       string
	reason   string
	kind     exemptionKind
	key      string
	value    string
	hasValue bool
	groupIDs []string
	actor    string
	checks   []bool    // indexed like compiled.checks; nil = every check
	until    time.Time // exclusive end (day after the expiry date); zero = never
}

// mergeBase lays the file's checks and exemptions over the base policy: a
// check whose id is already in the base replaces only the fields it sets; an
// exemption with a base id replaces it; new ones are appended.
func mergeBase(base, file *policySpec) *policySpec {
	out := &policySpec{version: file.version, mode: base.mode, hasMode: true, base: true, ownerTag: cmp.Or(file.ownerTag, base.ownerTag),
		stackManaged: cmp.Or(file.stackManaged, base.stackManaged)}
	if file.hasMode {
		out.mode = file.mode
	}
	out.checks = slices.Clone(base.checks)
	for _, fc := range file.checks {
		i := slices.IndexFunc(out.checks, func(c checkSpec) bool { return c.id == fc.id })
		if i < 0 {
			out.checks = append(out.checks, fc)
			continue
		}
		out.checks[i] = overlayCheck(out.checks[i], fc)
	}
	out.trusted = trustedSpec{
		cidrs: append(slices.Clone(base.trusted.cidrs), file.trusted.cidrs...),
		lists: append(slices.Clone(base.trusted.lists), file.trusted.lists...),
	}
	out.exemptions = slices.Clone(base.exemptions)
	for _, fx := range file.exemptions {
		i := slices.IndexFunc(out.exemptions, func(x exemptionSpec) bool { return x.id == fx.id })
		if i < 0 {
			out.exemptions = append(out.exemptions, fx)
		} else {
			out.exemptions[i] = fx
		}
	}
	return out
}

func overlayCheck(b, o checkSpec) checkSpec {
	b.pos, b.field = o.pos, o.field
	s := o.set
	if s&fDescription != 0 {
		b.description = o.description
	}
	if s&fSeverity != 0 {
		b.severity = o.severity
	}
	if s&fAction != 0 {
		b.action = o.action
	}
	if s&fDirection != 0 {
		b.dirs = o.dirs
	}
	if s&fProtocols != 0 {
		b.protos, b.protosAll = o.protos, o.protosAll
	}
	// ports and portsExcept are one setting: writing either replaces both.
	if s&(fPorts|fPortsExcept) != 0 {
		b.ports, b.portsExcept = o.ports, o.portsExcept
		b.set &^= fPorts | fPortsExcept
	}
	if s&fPortMatch != 0 {
		b.contains = o.contains
	}
	if s&fPeer != 0 {
		b.peer = o.peer
	}
	if s&fGroups != 0 {
		b.groupKind, b.groupTags = o.groupKind, o.groupTags
	}
	if s&fSelfRef != 0 {
		b.selfRef = o.selfRef
	}
	if s&fEnabled != 0 {
		b.disabled = o.disabled
	}
	b.set |= s
	return b
}

// compile checks the combinations of settings and builds the engine form.
func (l *loader) compile(spec *policySpec) *compiled {
	cp := &compiled{mode: ModeEnforce, ownerTag: spec.ownerTag, stackManaged: cmp.Or(spec.stackManaged, ActionRevert), trusted: spec.trusted}
	if spec.hasMode {
		cp.mode = spec.mode
	}
	index := map[string]int{}
	for _, cs := range spec.checks {
		// A key that is present but invalid was reported while parsing.
		if cs.set&fSeverity == 0 && !specHasKey(cs.pos, "severity") {
			l.add(cs.pos, cs.field+".severity", "missing (want critical, high, medium, low or info)")
		}
		if cs.set&fAction == 0 && !specHasKey(cs.pos, "action") {
			l.add(cs.pos, cs.field+".action", "missing (want revert or alert)")
		}
		if cs.set&fPorts != 0 && cs.set&fPortsExcept != 0 {
			l.add(cs.pos, cs.field, "has both ports and portsExcept (use one)")
		}
		c := check{
			id: cs.id, desc: cs.description, severity: cs.severity, action: cs.action,
			dirs: cs.dirs, contains: cs.contains, peer: cs.peer, group: cs.groupKind,
			tags: cs.groupTags, selfRef: cs.selfRef,
		}
		if c.desc == "" {
			c.desc = c.id
		}
		switch {
		case cs.set&fPorts != 0:
			c.hasPorts = true
			c.ports = normalizeRanges(cs.ports, !cs.contains)
		case cs.set&fPortsExcept != 0:
			c.hasPorts = true
			if cs.contains {
				l.add(cs.pos, cs.field+".portMatch", "contains needs ports, not portsExcept")
			}
			c.ports = complementRanges(cs.portsExcept)
		case cs.set&fPortMatch != 0 && cs.contains:
			l.add(cs.pos, cs.field+".portMatch", "contains needs ports")
		}
		switch {
		case cs.protosAll:
			c.protoAny = true
		case len(cs.protos) > 0:
			portful := false
			for _, p := range cs.protos {
				c.protoSet[uint8(p)>>6] |= 1 << (uint8(p) & 63)
				if p != ProtoICMP && p != ProtoICMPv6 {
					portful = true
				}
			}
			if c.hasPorts && !portful {
				l.add(cs.pos, cs.field+".protocols", "icmp and icmpv6 have no ports: a port check with only them never matches")
			}
		case c.hasPorts:
			// A port check without protocols means tcp and udp.
			c.protoSet[0] |= 1<<ProtoTCP | 1<<ProtoUDP
		default:
			c.protoAny = true
		}
		if !cs.disabled {
			index[c.id] = len(cp.checks)
			cp.checks = append(cp.checks, c)
		} else {
			index[c.id] = -1
		}
	}
	for _, xs := range spec.exemptions {
		x := exemption{
			id: xs.id, reason: xs.reason, kind: xs.kind, key: xs.key, value: xs.value,
			hasValue: xs.hasValue, groupIDs: xs.groupIDs, actor: xs.actor,
		}
		if !xs.expires.IsZero() {
			x.until = xs.expires.AddDate(0, 0, 1)
		}
		if len(xs.checks) > 0 {
			x.checks = make([]bool, len(cp.checks))
			for i, id := range xs.checks {
				ci, ok := index[id]
				switch {
				case !ok:
					l.add(xs.checkPos[i], idx(xs.field+".checks", i), "no check with id %q", id)
				case ci >= 0:
					x.checks[ci] = true
				}
			}
		}
		cp.exemptions = append(cp.exemptions, x)
	}
	return cp
}

// normalizeRanges sorts ranges; for overlap matching it also merges
// overlapping and adjacent ones (contains matching must keep them apart).
func normalizeRanges(rs []portRange, merge bool) []portRange {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b portRange) int {
		if a.lo != b.lo {
			return int(a.lo - b.lo)
		}
		return int(a.hi - b.hi)
	})
	if !merge {
		return slices.Compact(rs)
	}
	var out []portRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// complementRanges returns the ports of 0-65535 not in rs.
func complementRanges(rs []portRange) []portRange {
	var out []portRange
	next := int32(0)
	for _, r := range normalizeRanges(rs, true) {
		if r.lo > next {
			out = append(out, portRange{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= 65535 {
		out = append(out, portRange{next, 65535})
	}
	return out
}

// globMatch matches s against a pattern where * stands for any text
// (including none and including '/' and ':'). It does not allocate.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// tagGrants interprets an exemption tag value: YYYY-MM-DD exempts through
// that day (UTC, inclusive); any other non-empty value is a reason with no
// expiry. A date-shaped value that is not a real date grants nothing, so a
// typo never turns into a permanent exemption.
func tagGrants(val string, clk *clock) bool {
	v := strings.TrimSpace(val)
	if v == "" {
		return false
	}
	if looksLikeDate(v) {
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return false
		}
		return clk.get().Before(d.AddDate(0, 0, 1))
	}
	return true
}

func looksLikeDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := 0; i < 10; i++ {
		if i == 4 || i == 7 {
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func specHasKey(n *yaml.Node, key string) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.MappingNode && hasKey(n, key)
}
