package policy

import (
	"bytes"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// maxPolicySize bounds the input so that a hostile file cannot make
// loading slow; real policies are a few kilobytes.
const maxPolicySize = 1 << 20

// maxIssues bounds the issues kept for one file.
const maxIssues = 200

type fieldSet uint32

const (
	fDescription fieldSet = 1 << iota
	fSeverity
	fAction
	fDirection
	fProtocols
	fPorts
	fPortsExcept
	fPortMatch
	fPeer
	fGroups
	fSelfRef
	fEnabled
)

type portRange struct{ lo, hi int32 }

type peerClass uint8

const (
	peerAny peerClass = iota
	peerWorld
	peerPublic
	peerPublicNotWorld
	peerCIDRs
	peerBroader
	peerPrefixList
	peerOtherAccount
)

var peerClassNames = map[string]peerClass{
	"any":               peerAny,
	"world":             peerWorld,
	"public":            peerPublic,
	"publicNotWorld":    peerPublicNotWorld,
	"prefixList":        peerPrefixList,
	"otherAccountGroup": peerOtherAccount,
}

type peerSpec struct {
	class    peerClass
	cidrs    []netip.Prefix
	broader4 int // match IPv4 prefixes shorter than this; -1 = never
	broader6 int
}

type tagKV struct{ key, value string }

// groupDefault values.
const (
	groupAnyKind int8 = iota
	groupDefaultOnly
	groupNonDefaultOnly
)

type checkSpec struct {
	pos   *yaml.Node // where compile-time issues point; nil for the embedded policy
	field string
	set   fieldSet

	id          string
	description string
	severity    Severity
	action      Action
	dirs        uint8 // bit 0 ingress, bit 1 egress
	protosAll   bool  // "all" listed
	protos      []Protocol
	ports       []portRange
	portsExcept []portRange
	contains    bool
	peer        peerSpec
	groupKind   int8
	groupTags   []tagKV
	selfRef     bool
	disabled    bool
}

type exemptionKind uint8

const (
	exNone exemptionKind = iota
	exGroupTag
	exRuleTag
	exGroupIDs
	exActor
)

type exemptionSpec struct {
	pos   *yaml.Node
	field string

	id       string
	reason   string
	kind     exemptionKind
	key      string
	value    string
	hasValue bool
	groupIDs []string
	actor    string
	checks   []string
	checkPos []*yaml.Node
	expires  time.Time // zero = never
}

type policySpec struct {
	version  int
	mode     Mode
	hasMode  bool
	base     bool
	ownerTag string // group tag key naming the owner or team (routing)
	// stackManaged is the action for a violating rule of a group that a
	// CloudFormation stack manages ("" = revert, the default).
	stackManaged Action
	checks       []checkSpec
	exemptions   []exemptionSpec
	trusted      trustedSpec
}

// trustedSpec is the policy's trusted peers (the office, the VPN): rules
// from them are never flagged.
type trustedSpec struct {
	cidrs []netip.Prefix
	lists []string
}

type loader struct {
	name   string
	issues []Issue
}

func (l *loader) add(n *yaml.Node, field, format string, args ...any) {
	if len(l.issues) >= maxIssues {
		return
	}
	is := Issue{Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		is.Line, is.Column = n.Line, n.Column
	}
	l.issues = append(l.issues, is)
}

// err returns the issues, in file order, as a *LoadError.
func (l *loader) err() error {
	slices.SortStableFunc(l.issues, func(a, b Issue) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return &LoadError{Name: l.name, Issues: l.issues}
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

type entry struct {
	key  string
	kn   *yaml.Node
	v    *yaml.Node
	path string
}

// mapping returns the entries of a mapping node, reporting a non-mapping,
// unknown keys and repeated keys.
func (l *loader) mapping(n *yaml.Node, field string, allowed ...string) []entry {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		l.add(n, field, "must be a mapping")
		return nil
	}
	var out []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolve(n.Content[i]), resolve(n.Content[i+1])
		if kn == nil || kn.Kind != yaml.ScalarNode {
			l.add(n.Content[i], field, "keys must be plain strings")
			continue
		}
		path := kn.Value
		if field != "" {
			path = field + "." + kn.Value
		}
		known := false
		for _, a := range allowed {
			if a == kn.Value {
				known = true
				break
			}
		}
		switch {
		case !known && suggest(kn.Value, allowed) != "":
			l.add(kn, path, "unknown key; did you mean %q?", suggest(kn.Value, allowed))
		case !known:
			l.add(kn, path, "unknown key (want one of: %s)", strings.Join(allowed, ", "))
		case seen[kn.Value]:
			l.add(kn, path, "key repeated")
		default:
			seen[kn.Value] = true
			out = append(out, entry{key: kn.Value, kn: kn, v: vn, path: path})
		}
	}
	return out
}

// suggest returns the word of allowed closest to word when it is close
// enough to be a typo (case aside, or at most a third of its letters
// edited), else "".
func suggest(word string, allowed []string) string {
	best, bestD := "", len(word)/3+1
	for _, a := range allowed {
		if strings.EqualFold(a, word) {
			return a
		}
		if d := editDistance(strings.ToLower(word), strings.ToLower(a)); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (l *loader) scalar(n *yaml.Node, field string) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.add(n, field, "must be a single value")
		return "", false
	}
	return n.Value, true
}

func (l *loader) str(n *yaml.Node, field string) (string, bool) {
	s, ok := l.scalar(n, field)
	if ok && strings.TrimSpace(s) == "" {
		l.add(n, field, "must not be empty")
		return "", false
	}
	return s, ok
}

func (l *loader) boolean(n *yaml.Node, field string) (bool, bool) {
	s, ok := l.scalar(n, field)
	if !ok {
		return false, false
	}
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	l.add(n, field, "must be true or false, not %q", s)
	return false, false
}

func (l *loader) integer(n *yaml.Node, field string) (int, bool) {
	s, ok := l.scalar(n, field)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		l.add(n, field, "must be an integer, not %q", s)
		return 0, false
	}
	return v, true
}

// list accepts a sequence, or a single scalar as a one-element list.
func (l *loader) list(n *yaml.Node, field string) []*yaml.Node {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []*yaml.Node{n}
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		l.add(n, field, "must be a list")
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

func idx(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxIssue places a YAML syntax error. The YAML library reports the line
// where the enclosing construct starts (often the line before the
// mistake) and no column, so the first line at which the document, cut
// there, fails the same way is taken instead; the column is where that
// line's text starts.
func syntaxIssue(data []byte, err error) Issue {
	msg := err.Error()
	from := 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		from, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	is := Issue{Message: "YAML: " + msg, Line: from}
	lines := bytes.SplitAfter(data, []byte("\n"))
	// A bounded search: the mistake is seldom far after the reported line.
	for n := max(from, 1); n <= len(lines) && n < from+50; n++ {
		var doc yaml.Node
		perr := yaml.Unmarshal(bytes.Join(lines[:n], nil), &doc)
		if perr == nil {
			continue
		}
		if strings.HasSuffix(perr.Error(), msg) {
			line := lines[n-1]
			is.Line = n
			is.Column = len(line) - len(bytes.TrimLeft(line, " ")) + 1
		}
		break
	}
	return is
}

// parse turns a policy file into a spec, recording every problem it can
// find without the base policy.
func (l *loader) parse(data []byte) *policySpec {
	if len(data) > maxPolicySize {
		l.add(nil, "", "file is larger than %d bytes", maxPolicySize)
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.issues = append(l.issues, syntaxIssue(data, err))
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		l.add(nil, "", "file is empty (want at least `version: 1`)")
		return nil
	}
	root := resolve(doc.Content[0])
	spec := &policySpec{}
	hasVersion := false
	for _, e := range l.mapping(root, "", "version", "mode", "base", "description", "ownerTag", "stackManaged", "trusted", "checks", "exemptions") {
		switch e.key {
		case "version":
			hasVersion = true
			if v, ok := l.integer(e.v, e.path); ok {
				if v != 1 {
					l.add(e.v, e.path, "unsupported version %d (want 1)", v)
				}
				spec.version = v
			}
		case "mode":
			if s, ok := l.str(e.v, e.path); ok {
				switch Mode(s) {
				case ModeEnforce, ModeDryRun:
					spec.mode, spec.hasMode = Mode(s), true
				default:
					l.add(e.v, e.path, "unknown mode %q (want enforce or dry-run)", s)
				}
			}
		case "base":
			if s, ok := l.str(e.v, e.path); ok {
				if s != "default" {
					l.add(e.v, e.path, "unknown base %q (want default)", s)
				} else {
					spec.base = true
				}
			}
		case "description":
			l.scalar(e.v, e.path)
		case "trusted":
			spec.trusted = l.parseTrusted(e.v, e.path)
		case "ownerTag":
			if s, ok := l.str(e.v, e.path); ok {
				if s == "" || len(s) > 128 {
					l.add(e.v, e.path, "owner tag key must be 1 to 128 characters")
				} else {
					spec.ownerTag = s
				}
			}
		case "stackManaged":
			if s, ok := l.str(e.v, e.path); ok {
				switch Action(s) {
				case ActionRevert, ActionAlert:
					spec.stackManaged = Action(s)
				default:
					l.add(e.v, e.path, "unknown action %q for stack-managed groups (want revert or alert)", s)
				}
			}
		case "checks":
			ids := map[string]int{}
			for i, cn := range l.list(e.v, e.path) {
				c := l.parseCheck(cn, idx(e.path, i))
				if c.id != "" {
					if prev, dup := ids[c.id]; dup {
						l.add(cn, idx(e.path, i)+".id", "duplicate check id %q (first at checks[%d])", c.id, prev)
						continue
					}
					ids[c.id] = i
				}
				spec.checks = append(spec.checks, c)
			}
		case "exemptions":
			ids := map[string]int{}
			for i, xn := range l.list(e.v, e.path) {
				x := l.parseExemption(xn, idx(e.path, i))
				if x.id != "" {
					if prev, dup := ids[x.id]; dup {
						l.add(xn, idx(e.path, i)+".id", "duplicate exemption id %q (first at exemptions[%d])", x.id, prev)
						continue
					}
					ids[x.id] = i
				}
				spec.exemptions = append(spec.exemptions, x)
			}
		}
	}
	if root != nil && root.Kind == yaml.MappingNode && !hasVersion {
		l.add(root, "version", "missing (want `version: 1`)")
	}
	return spec
}

var checkKeys = []string{
	"id", "description", "severity", "action", "direction", "protocols", "ports",
	"portsExcept", "portMatch", "peer", "groups", "selfReference", "enabled",
}

func (l *loader) parseCheck(n *yaml.Node, field string) checkSpec {
	c := checkSpec{pos: n, field: field, dirs: 1}
	for _, e := range l.mapping(n, field, checkKeys...) {
		switch e.key {
		case "id":
			if s, ok := l.str(e.v, e.path); ok {
				c.id = s
			}
		case "description":
			if s, ok := l.scalar(e.v, e.path); ok {
				c.description, c.set = s, c.set|fDescription
			}
		case "severity":
			if s, ok := l.str(e.v, e.path); ok {
				switch Severity(s) {
				case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo:
					c.severity, c.set = Severity(s), c.set|fSeverity
				default:
					l.add(e.v, e.path, "unknown severity %q (want critical, high, medium, low or info)", s)
				}
			}
		case "action":
			if s, ok := l.str(e.v, e.path); ok {
				switch Action(s) {
				case ActionRevert, ActionAlert:
					c.action, c.set = Action(s), c.set|fAction
				default:
					l.add(e.v, e.path, "unknown action %q (want revert or alert)", s)
				}
			}
		case "direction":
			if s, ok := l.str(e.v, e.path); ok {
				switch s {
				case "ingress":
					c.dirs = 1
				case "egress":
					c.dirs = 2
				case "any":
					c.dirs = 3
				default:
					l.add(e.v, e.path, "unknown direction %q (want ingress, egress or any)", s)
				}
				c.set |= fDirection
			}
		case "protocols":
			c.set |= fProtocols
			for i, pn := range l.list(e.v, e.path) {
				s, ok := l.str(pn, idx(e.path, i))
				if !ok {
					continue
				}
				p, err := ParseProtocol(s)
				if err != nil {
					l.add(pn, idx(e.path, i), "unknown protocol %q (want tcp, udp, icmp, icmpv6, all or 0-255)", s)
					continue
				}
				if p == ProtoAll {
					c.protosAll = true
				} else {
					c.protos = append(c.protos, p)
				}
			}
		case "ports":
			c.set |= fPorts
			c.ports = l.parsePorts(e.v, e.path)
		case "portsExcept":
			c.set |= fPortsExcept
			c.portsExcept = l.parsePorts(e.v, e.path)
		case "portMatch":
			if s, ok := l.str(e.v, e.path); ok {
				switch s {
				case "overlap":
					c.contains = false
				case "contains":
					c.contains = true
				default:
					l.add(e.v, e.path, "unknown portMatch %q (want overlap or contains)", s)
				}
				c.set |= fPortMatch
			}
		case "peer":
			c.set |= fPeer
			c.peer = l.parsePeer(e.v, e.path)
		case "groups":
			c.set |= fGroups
			l.parseGroups(e.v, e.path, &c)
		case "selfReference":
			if b, ok := l.boolean(e.v, e.path); ok {
				c.selfRef, c.set = b, c.set|fSelfRef
			}
		case "enabled":
			if b, ok := l.boolean(e.v, e.path); ok {
				c.disabled, c.set = !b, c.set|fEnabled
			}
		}
	}
	if n = resolve(n); n != nil && n.Kind == yaml.MappingNode && c.id == "" && !hasKey(n, "id") {
		l.add(n, field+".id", "missing")
	}
	return c
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k != nil && k.Value == key {
			return true
		}
	}
	return false
}

func (l *loader) parsePorts(n *yaml.Node, field string) []portRange {
	var out []portRange
	items := l.list(n, field)
	if n := resolve(n); n != nil && n.Kind == yaml.SequenceNode && len(items) == 0 {
		l.add(n, field, "must list at least one port")
	}
	for i, pn := range items {
		s, ok := l.str(pn, idx(field, i))
		if !ok {
			continue
		}
		if strings.TrimSpace(s) == "-1" {
			l.add(pn, idx(field, i), "port -1 is not allowed here (write 0-65535)")
			continue
		}
		lo, hi, err := ParsePortRange(s)
		if err != nil {
			l.add(pn, idx(field, i), "port out of range or malformed: %q (want 0-65535 or a range like 1024-65535)", s)
			continue
		}
		out = append(out, portRange{lo, hi})
	}
	return out
}

func (l *loader) parsePeer(n *yaml.Node, field string) peerSpec {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode {
		s, _ := l.scalar(n, field)
		pc, ok := peerClassNames[s]
		if !ok {
			l.add(n, field, "unknown peer class %q (want world, public, publicNotWorld, prefixList, otherAccountGroup, any, or a mapping with cidrs or broaderThan)", s)
		}
		return peerSpec{class: pc}
	}
	es := l.mapping(n, field, "cidrs", "broaderThan")
	if len(es) != 1 {
		if n != nil && n.Kind == yaml.MappingNode {
			l.add(n, field, "must have exactly one of cidrs or broaderThan")
		}
		return peerSpec{}
	}
	e := es[0]
	switch e.key {
	case "cidrs":
		ps := peerSpec{class: peerCIDRs}
		items := l.list(e.v, e.path)
		if len(items) == 0 {
			l.add(e.v, e.path, "must list at least one CIDR")
		}
		for i, cn := range items {
			s, ok := l.str(cn, idx(e.path, i))
			if !ok {
				continue
			}
			p, err := ParsePeerCIDR(s)
			if err != nil {
				l.add(cn, idx(e.path, i), "bad CIDR %q", s)
				continue
			}
			ps.cidrs = append(ps.cidrs, p.CIDR.Masked())
		}
		return ps
	default: // broaderThan
		ps := peerSpec{class: peerBroader, broader4: -1, broader6: -1}
		v := resolve(e.v)
		if v != nil && v.Kind == yaml.MappingNode {
			for _, f := range l.mapping(v, e.path, "ipv4", "ipv6") {
				b, ok := l.integer(f.v, f.path)
				if !ok {
					continue
				}
				limit := 32
				if f.key == "ipv6" {
					limit = 128
				}
				if b < 1 || b > limit {
					l.add(f.v, f.path, "prefix length %d out of range (want 1-%d)", b, limit)
					continue
				}
				if f.key == "ipv4" {
					ps.broader4 = b
				} else {
					ps.broader6 = b
				}
			}
			return ps
		}
		b, ok := l.integer(v, e.path)
		if ok {
			if b < 1 || b > 32 {
				l.add(v, e.path, "prefix length %d out of range (want 1-32; use {ipv4: N, ipv6: M} for IPv6)", b)
			} else {
				ps.broader4 = b
				ps.broader6 = b
			}
		}
		return ps
	}
}

func (l *loader) parseGroups(n *yaml.Node, field string, c *checkSpec) {
	for _, e := range l.mapping(n, field, "default", "tags") {
		switch e.key {
		case "default":
			if b, ok := l.boolean(e.v, e.path); ok {
				if b {
					c.groupKind = groupDefaultOnly
				} else {
					c.groupKind = groupNonDefaultOnly
				}
			}
		case "tags":
			tn := resolve(e.v)
			if tn == nil || tn.Kind != yaml.MappingNode {
				l.add(tn, e.path, "must be a mapping of tag key to value (\"*\" = any value)")
				continue
			}
			for i := 0; i+1 < len(tn.Content); i += 2 {
				k, v := resolve(tn.Content[i]), resolve(tn.Content[i+1])
				ks, ok1 := l.str(k, e.path)
				vs, ok2 := l.scalar(v, e.path+"."+ks)
				if ok1 && ok2 {
					c.groupTags = append(c.groupTags, tagKV{ks, vs})
				}
			}
		}
	}
}

// parseTrusted reads `trusted: {cidrs: [...], prefixLists: [...]}`. The
// world cannot be trusted: that would switch the policy off.
func (l *loader) parseTrusted(n *yaml.Node, field string) trustedSpec {
	var t trustedSpec
	for _, e := range l.mapping(n, field, "cidrs", "prefixLists") {
		for i, vn := range l.list(e.v, e.path) {
			s, ok := l.str(vn, idx(e.path, i))
			if !ok {
				continue
			}
			if e.key == "prefixLists" {
				if !strings.HasPrefix(s, "pl-") {
					l.add(vn, idx(e.path, i), "not a prefix list ID: %q (want pl-...)", s)
					continue
				}
				t.lists = append(t.lists, s)
				continue
			}
			p, err := ParsePeerCIDR(s)
			switch {
			case err != nil:
				l.add(vn, idx(e.path, i), "bad CIDR %q", s)
			case p.CIDR.Bits() == 0:
				l.add(vn, idx(e.path, i), "the world (%s) cannot be trusted: it would turn every check off", s)
			default:
				t.cidrs = append(t.cidrs, p.CIDR.Masked())
			}
		}
	}
	return t
}

var exemptionKeys = []string{"id", "reason", "groupTag", "ruleTag", "groupIds", "actorArn", "checks", "expires"}

func (l *loader) parseExemption(n *yaml.Node, field string) exemptionSpec {
	x := exemptionSpec{pos: n, field: field}
	kinds := 0
	for _, e := range l.mapping(n, field, exemptionKeys...) {
		switch e.key {
		case "id":
			if s, ok := l.str(e.v, e.path); ok {
				x.id = s
			}
		case "reason":
			if s, ok := l.scalar(e.v, e.path); ok {
				x.reason = s
			}
		case "groupTag", "ruleTag":
			kinds++
			x.kind = exGroupTag
			if e.key == "ruleTag" {
				x.kind = exRuleTag
			}
			for _, f := range l.mapping(e.v, e.path, "key", "value") {
				if f.key == "key" {
					if s, ok := l.str(f.v, f.path); ok {
						x.key = s
					}
				} else if s, ok := l.str(f.v, f.path); ok {
					x.value, x.hasValue = s, true
				}
			}
			if x.key == "" {
				l.add(e.v, e.path+".key", "missing")
			}
		case "groupIds":
			kinds++
			x.kind = exGroupIDs
			items := l.list(e.v, e.path)
			if len(items) == 0 {
				l.add(e.v, e.path, "must list at least one group ID")
			}
			for i, gn := range items {
				if s, ok := l.str(gn, idx(e.path, i)); ok {
					if !strings.HasPrefix(s, "sg-") {
						l.add(gn, idx(e.path, i), "not a security group ID: %q (want sg-...)", s)
						continue
					}
					x.groupIDs = append(x.groupIDs, s)
				}
			}
		case "actorArn":
			kinds++
			x.kind = exActor
			if s, ok := l.str(e.v, e.path); ok {
				if !strings.HasPrefix(s, "arn:") {
					l.add(e.v, e.path, "not an ARN pattern: %q (want arn:..., * matches any text)", s)
				} else {
					x.actor = s
				}
			}
		case "checks":
			for i, cn := range l.list(e.v, e.path) {
				if s, ok := l.str(cn, idx(e.path, i)); ok {
					x.checks = append(x.checks, s)
					x.checkPos = append(x.checkPos, cn)
				}
			}
		case "expires":
			if s, ok := l.str(e.v, e.path); ok {
				t, err := time.Parse("2006-01-02", s)
				if err != nil {
					l.add(e.v, e.path, "not a date: %q (want YYYY-MM-DD)", s)
				} else {
					x.expires = t
				}
			}
		}
	}
	if rn := resolve(n); rn != nil && rn.Kind == yaml.MappingNode {
		if x.id == "" && !hasKey(rn, "id") {
			l.add(rn, field+".id", "missing")
		}
		if kinds != 1 {
			l.add(rn, field, "must have exactly one of groupTag, ruleTag, groupIds or actorArn")
		}
		// An exemption is an audited decision: it must say why.
		if strings.TrimSpace(x.reason) == "" && !hasKey(rn, "reason") {
			l.add(rn, field+".reason", "missing (an exemption must say why it is granted)")
		} else if hasKey(rn, "reason") && strings.TrimSpace(x.reason) == "" {
			l.add(rn, field+".reason", "must not be empty (an exemption must say why it is granted)")
		}
	}
	return x
}
