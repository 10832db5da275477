package iac

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// cfnReader reads one CloudFormation template.
type cfnReader struct {
	file      string
	params    map[string]val
	resources map[string]*node
	order     []string // logical IDs in document order
	mappings  *node
	groups    map[string]*cfnGroup
	lists     map[string]prefixList
	rules     []Rule
	cdk       bool // some resource carries aws:cdk:path
}

// cfnGroup is what a template says about one AWS::EC2::SecurityGroup.
type cfnGroup struct {
	name string
	vpc  string
	tags map[string]string
}

// prefixList is an AWS::EC2::PrefixList of the template.
type prefixList struct {
	entries []netip.Prefix
	unknown string // why its entries are not known
}

// readCloudFormation reads a parsed template. params override parameter
// defaults.
func readCloudFormation(file string, root *node, params map[string]string) (*Template, error) {
	if root.kind != kMap {
		return nil, &SyntaxError{Loc: root.loc(file), Msg: "template is not an object"}
	}
	res := root.get("Resources")
	if res == nil || res.kind != kMap {
		return nil, &SyntaxError{Loc: root.loc(file), Msg: "template has no Resources object"}
	}
	t := &cfnReader{
		file: file, params: map[string]val{}, resources: make(map[string]*node, len(res.keys)),
		mappings: root.get("Mappings"), groups: map[string]*cfnGroup{}, lists: map[string]prefixList{},
	}
	for i, id := range res.keys {
		r := res.vals[i]
		if r.kind != kMap || r.get("Type") == nil || r.get("Type").kind != kScalar {
			return nil, &SyntaxError{Loc: r.loc(file), Msg: fmt.Sprintf("resource %s has no Type", id)}
		}
		t.resources[id] = r
		t.order = append(t.order, id)
		if r.get("Metadata").get("aws:cdk:path") != nil {
			t.cdk = true
		}
	}
	if err := t.readParams(root.get("Parameters"), params); err != nil {
		return nil, err
	}
	// Groups and prefix lists first, so that rules can be joined to them.
	size := 0
	for _, id := range t.order {
		r := t.resources[id]
		switch r.get("Type").text() {
		case "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
			size++
		case "AWS::EC2::SecurityGroup":
			props := r.get("Properties")
			size += 2 + len(props.get("SecurityGroupIngress").itemsOrNil()) + len(props.get("SecurityGroupEgress").itemsOrNil())
			t.groups[id] = t.readGroup(props)
		case "AWS::EC2::PrefixList":
			t.lists[id] = t.readPrefixList(r.get("Properties"))
		}
	}
	t.rules = make([]Rule, 0, size)
	for _, id := range t.order {
		r := t.resources[id]
		switch r.get("Type").text() {
		case "AWS::EC2::SecurityGroup":
			t.readInlineRules(id, r)
		case "AWS::EC2::SecurityGroupIngress":
			t.readRuleResource(id, r, policy.Ingress)
		case "AWS::EC2::SecurityGroupEgress":
			t.readRuleResource(id, r, policy.Egress)
		}
	}
	format := FormatCloudFormation
	if t.cdk {
		format = FormatCDK
	}
	names := make([]string, 0, len(t.params))
	for name := range t.params {
		names = append(names, name)
	}
	slices.Sort(names)
	return &Template{File: file, Format: format, Rules: t.rules, Parameters: names}, nil
}

// readParams sets each parameter's value: the override, else its default,
// else unknown.
func (t *cfnReader) readParams(ps *node, overrides map[string]string) error {
	if ps != nil && ps.kind != kMap {
		return &SyntaxError{Loc: ps.loc(t.file), Msg: "Parameters is not an object"}
	}
	var names []string
	if ps != nil {
		names = ps.keys
	}
	for i, name := range names {
		p := ps.vals[i]
		typ := p.get("Type")
		list := typ != nil && (strings.HasPrefix(typ.str, "List<") || typ.str == "CommaDelimitedList")
		raw, ok := overrides[name]
		switch {
		case ok:
		case typ != nil && strings.HasPrefix(typ.str, "AWS::SSM::Parameter::Value"):
			t.params[name] = unknownVal("parameter " + name + " is read from SSM at deploy")
			continue
		case p.get("Default") != nil && p.get("Default").kind == kScalar:
			raw = p.get("Default").text()
		default:
			t.params[name] = unknownVal("parameter " + name + " has no default (pass --parameters " + name + "=...)")
			continue
		}
		if list {
			v := splitVal(raw, ",")
			for j := range v.list {
				v.list[j].s = strings.TrimSpace(v.list[j].s)
			}
			t.params[name] = v
		} else {
			t.params[name] = val{s: raw}
		}
	}
	return nil
}

func (t *cfnReader) readGroup(props *node) *cfnGroup {
	g := &cfnGroup{}
	if v := t.resolve(props.get("GroupName")); v.unknown == "" && !v.absent {
		g.name = v.s
	}
	if v := t.resolve(props.get("VpcId")); v.unknown == "" && !v.absent {
		g.vpc = v.s
		if v.ref != "" {
			g.vpc = v.ref
		}
	}
	if tags := props.get("Tags"); tags != nil && tags.kind == kSeq {
		for _, tag := range tags.items {
			k, v := t.resolve(tag.get("Key")), t.resolve(tag.get("Value"))
			if k.unknown == "" && v.unknown == "" && !k.absent {
				if g.tags == nil {
					g.tags = map[string]string{}
				}
				g.tags[k.s] = v.s
			}
		}
	}
	return g
}

// readPrefixList reads the entries of every Fn::If branch (their union:
// a rule that references the list may meet any of them).
func (t *cfnReader) readPrefixList(props *node) prefixList {
	var pl prefixList
	vs, truncated := expand(props.get("Entries"))
	if truncated {
		pl.unknown = "too many Fn::If combinations in Entries"
	}
	for _, v := range vs {
		if v.n == nil {
			continue
		}
		if v.n.kind != kSeq {
			pl.unknown = "Entries is not a list"
			continue
		}
		for _, e := range v.n.items {
			c := t.resolve(e.get("Cidr"))
			if c.unknown != "" {
				pl.unknown = "entry Cidr: " + c.unknown
				continue
			}
			p, err := policy.ParsePeerCIDR(c.s)
			if err != nil {
				pl.unknown = fmt.Sprintf("entry Cidr %q is not a CIDR", c.s)
				continue
			}
			pl.entries = append(pl.entries, p.CIDR)
		}
	}
	return pl
}

// ruleBase is what the rules of one resource share.
type ruleBase struct {
	resource string
	cdkPath  string
	conds    []cond
}

// base is what every rule of resource id shares: its construct path and
// the resource's Condition.
func (t *cfnReader) base(id string, r *node) ruleBase {
	b := ruleBase{resource: id}
	if p := r.get("Metadata").get("aws:cdk:path"); p != nil {
		b.cdkPath = p.str
	}
	if c := r.get("Condition"); c != nil && c.kind == kScalar {
		b.conds = []cond{{c.str, true}}
	}
	return b
}

func (t *cfnReader) readInlineRules(id string, r *node) {
	b := t.base(id, r)
	props := r.get("Properties")
	g := t.groups[id]
	pr := groupRule(id, g)
	for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
		key := "SecurityGroupIngress"
		if dir == policy.Egress {
			key = "SecurityGroupEgress"
		}
		lists, truncated := expand(props.get(key))
		if truncated {
			t.tooManyVariants(b, props.get(key), pr, dir)
		}
		for _, lv := range lists {
			lb := b
			lb.conds, _ = mergeConds(b.conds, lv.conds)
			if lv.n == nil {
				if dir == policy.Egress {
					t.implicitEgress(lb, r, pr)
				}
				continue
			}
			if lv.n.kind != kSeq {
				t.addUnknownRule(lb, lv.n, pr, dir, key, "not a list")
				continue
			}
			if dir == policy.Egress && len(lv.n.items) == 0 {
				t.implicitEgress(lb, r, pr)
			}
			for _, item := range lv.n.items {
				t.readRuleVariants(lb, item, pr, dir)
			}
		}
	}
}

// implicitEgress adds the allow-all egress EC2 gives a new group when the
// template declares no egress rule.
func (t *cfnReader) implicitEgress(b ruleBase, r *node, pr policy.Rule) {
	for _, p := range []policy.Peer{worldV4, worldV6} {
		rule := pr
		rule.Direction, rule.Protocol, rule.FromPort, rule.ToPort, rule.Peer = policy.Egress, policy.ProtoAll, -1, -1, p
		rule.Description = "added by EC2: the template declares no egress"
		t.rules = append(t.rules, Rule{Rule: rule, Loc: r.loc(t.file), Resource: b.resource, CDKPath: b.cdkPath, Conditions: condStrings(b.conds), Implicit: true})
	}
}

// The worlds of each family, as peers.
var (
	worldV4, _ = policy.ParsePeerCIDR("0.0.0.0/0")
	worldV6, _ = policy.ParsePeerCIDR("::/0")
)

// groupRule is a rule carrying a template group's attributes.
func groupRule(id string, g *cfnGroup) policy.Rule {
	r := policy.Rule{GroupID: id, GroupKnown: g != nil}
	if g != nil {
		r.GroupName, r.VPCID, r.GroupTags = g.name, g.vpc, g.tags
	}
	return r
}

func (t *cfnReader) readRuleResource(id string, r *node, dir policy.Direction) {
	b := t.base(id, r)
	props := r.get("Properties")
	if props == nil || props.kind != kMap {
		t.addUnknownRule(b, r, policy.Rule{GroupID: "?"}, dir, "Properties", "missing")
		return
	}
	t.eachVariant(b, props, policy.Rule{GroupID: "?"}, dir, func(vb ruleBase, v *node) {
		pr, unk := t.targetGroup(v)
		t.addRules(vb, v, pr, dir, r.loc(t.file), unk)
	})
}

// eachVariant calls fn with every Fn::If variant of n (none for
// AWS::NoValue), its conditions added to b's. Past maxVariants, the rest
// become one unknown rule.
func (t *cfnReader) eachVariant(b ruleBase, n *node, pr policy.Rule, dir policy.Direction, fn func(ruleBase, *node)) {
	if !hasIf(n) {
		if !isNoValue(n) {
			fn(b, n)
		}
		return
	}
	vs, truncated := expand(n)
	if truncated {
		t.tooManyVariants(b, n, pr, dir)
	}
	for _, v := range vs {
		if v.n == nil {
			continue
		}
		vb := b
		vb.conds, _ = mergeConds(b.conds, v.conds)
		fn(vb, v.n)
	}
}

// targetGroup finds the group a separate rule resource belongs to, from
// GroupId (Ref, Fn::GetAtt, a VPC's DefaultSecurityGroup or a literal) or
// GroupName.
func (t *cfnReader) targetGroup(props *node) (policy.Rule, []Unknown) {
	gid := t.resolve(props.get("GroupId"))
	if gid.absent {
		gn := t.resolve(props.get("GroupName"))
		switch {
		case gn.ref != "":
			return groupRule(gn.ref, t.groups[gn.ref]), nil
		case gn.unknown == "" && !gn.absent:
			// A group named "default" is the default VPC's default group.
			return policy.Rule{GroupID: gn.s, GroupName: gn.s, GroupKnown: gn.s == "default", IsDefaultGroup: gn.s == "default"}, nil
		}
		return policy.Rule{GroupID: "?"}, []Unknown{{"GroupId", "no GroupId or GroupName"}}
	}
	switch {
	case gid.unknown != "":
		// The rules are judged all the same; only group-selecting checks
		// (the default group, tags) need the group.
		return policy.Rule{GroupID: "?" + describe(props.get("GroupId"))}, nil
	case gid.ref != "" && gid.attr == "DefaultSecurityGroup":
		return policy.Rule{GroupID: gid.ref + ".DefaultSecurityGroup", VPCID: gid.ref, GroupKnown: true, IsDefaultGroup: true}, nil
	case gid.ref != "":
		return groupRule(gid.ref, t.groups[gid.ref]), nil
	}
	return policy.Rule{GroupID: gid.s}, nil
}

// describe renders a small node for a message: "!Ref X", "!ImportValue Y".
func describe(n *node) string {
	if n == nil {
		return ""
	}
	if n.kind == kScalar {
		return n.str
	}
	if n.kind == kMap && len(n.keys) == 1 {
		arg := n.vals[0]
		s := arg.str
		if arg.kind == kSeq {
			parts := make([]string, 0, len(arg.items))
			for _, it := range arg.items {
				parts = append(parts, describe(it))
			}
			s = strings.Join(parts, ".")
		} else if arg.kind == kMap {
			s = describe(arg)
		}
		return "!" + strings.TrimPrefix(n.keys[0], "Fn::") + " " + s
	}
	return "(value)"
}

func (t *cfnReader) readRuleVariants(b ruleBase, item *node, pr policy.Rule, dir policy.Direction) {
	t.eachVariant(b, item, pr, dir, func(vb ruleBase, v *node) {
		t.addRules(vb, v, pr, dir, v.loc(t.file), nil)
	})
}

func (t *cfnReader) tooManyVariants(b ruleBase, n *node, pr policy.Rule, dir policy.Direction) {
	t.addUnknownRule(b, n, pr, dir, "Fn::If", fmt.Sprintf("more than %d combinations; the rest are judged as unknown", maxVariants))
}

// addUnknownRule records a rule the template declares but that cannot be
// read: judged as every protocol from the whole internet.
func (t *cfnReader) addUnknownRule(b ruleBase, n *node, pr policy.Rule, dir policy.Direction, field, why string) {
	r := pr
	r.Direction, r.Protocol, r.FromPort, r.ToPort = dir, policy.ProtoAll, -1, -1
	r.Peer = worldV4
	t.rules = append(t.rules, Rule{Rule: r, Loc: n.loc(t.file), Resource: b.resource, CDKPath: b.cdkPath,
		Conditions: condStrings(b.conds), Unknown: []Unknown{{field, why}}, PeerUnknown: true})
}

func condStrings(cs []cond) []string {
	if len(cs) == 0 {
		return nil
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

// peerFields are the fields that name a rule's peer, per direction.
var peerFields = [2][]string{
	policy.Ingress: {"CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId", "SourceSecurityGroupName"},
	policy.Egress:  {"CidrIp", "CidrIpv6", "DestinationPrefixListId", "DestinationSecurityGroupId"},
}

// addRules reads one rule object (inline or the properties of a separate
// resource). An object that names several peers, which EC2 would reject,
// yields one rule per peer, so that none goes unjudged.
func (t *cfnReader) addRules(b ruleBase, m *node, pr policy.Rule, dir policy.Direction, loc Location, unknown []Unknown) {
	base := Rule{Rule: pr, Loc: loc, Resource: b.resource, CDKPath: b.cdkPath, Conditions: condStrings(b.conds), Unknown: unknown}
	base.Direction = dir
	if m == nil || m.kind != kMap {
		base.Protocol, base.FromPort, base.ToPort = policy.ProtoAll, -1, -1
		base.Peer = worldV4
		base.Unknown = append(base.Unknown[:len(base.Unknown):len(base.Unknown)], Unknown{"rule", "not an object"})
		base.PeerUnknown = true
		t.rules = append(t.rules, base)
		return
	}
	if d := t.resolve(m.get("Description")); d.unknown == "" {
		base.Description = d.s
	}
	t.traffic(&base, m)
	for _, f := range peerFields[dir] {
		fn := m.get(f)
		if fn == nil {
			continue
		}
		v := t.resolve(fn)
		if v.absent {
			continue
		}
		r := base
		r.Unknown = base.Unknown[:len(base.Unknown):len(base.Unknown)] // appends copy
		t.peer(&r, f, v, m)
		t.rules = append(t.rules, r)
	}
}

// traffic reads IpProtocol, FromPort and ToPort. Unknown values widen to
// every protocol or port.
func (t *cfnReader) traffic(r *Rule, m *node) {
	r.Protocol, r.FromPort, r.ToPort = policy.ProtoAll, -1, -1
	pv := t.resolve(m.get("IpProtocol"))
	switch {
	case pv.unknown != "":
		r.Unknown = append(r.Unknown, Unknown{"IpProtocol", pv.unknown})
		return
	case pv.absent:
		r.Unknown = append(r.Unknown, Unknown{"IpProtocol", "missing"})
		return
	}
	p, err := policy.ParseProtocol(pv.s)
	if err != nil {
		r.Unknown = append(r.Unknown, Unknown{"IpProtocol", fmt.Sprintf("%q is not a protocol", pv.s)})
		return
	}
	r.Protocol = p
	if p == policy.ProtoAll {
		return
	}
	for _, f := range []struct {
		name string
		dst  *int32
	}{{"FromPort", &r.FromPort}, {"ToPort", &r.ToPort}} {
		v := t.resolve(m.get(f.name))
		switch {
		case v.absent:
			// EC2 reads a missing port as every port (-1).
		case v.unknown != "":
			r.Unknown = append(r.Unknown, Unknown{f.name, v.unknown})
			r.FromPort, r.ToPort = -1, -1
			return
		default:
			n, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
			if err != nil || n != float64(int32(n)) {
				r.Unknown = append(r.Unknown, Unknown{f.name, fmt.Sprintf("%q is not a port", v.s)})
				r.FromPort, r.ToPort = -1, -1
				return
			}
			*f.dst = int32(n)
		}
	}
}

// peer sets the rule's peer from field f, whose value is v.
func (t *cfnReader) peer(r *Rule, f string, v val, m *node) {
	world := "0.0.0.0/0"
	if f == "CidrIpv6" {
		world = "::/0"
	}
	widen := func(why string) {
		r.Peer, _ = policy.ParsePeerCIDR(world)
		r.PeerUnknown = true
		r.Unknown = append(r.Unknown, Unknown{f, why})
	}
	switch f {
	case "CidrIp", "CidrIpv6":
		switch {
		case v.unknown != "":
			widen(v.unknown)
		case v.ref != "" || v.isList:
			widen("a resource attribute, known only at deploy")
		default:
			p, err := policy.ParsePeerCIDR(v.s)
			if err != nil {
				widen(fmt.Sprintf("%q is not a CIDR", v.s))
				return
			}
			r.Peer = p
		}
	case "SourcePrefixListId", "DestinationPrefixListId":
		r.Peer = policy.Peer{Kind: policy.PeerPrefixList}
		switch {
		case v.unknown != "":
			r.Peer.PrefixListID = "?"
			r.Unknown = append(r.Unknown, Unknown{f, v.unknown})
		case v.ref != "":
			r.Peer.PrefixListID = v.ref
			pl, ok := t.lists[v.ref]
			switch {
			case !ok:
				r.Unknown = append(r.Unknown, Unknown{f, v.ref + " is not an AWS::EC2::PrefixList"})
			case pl.unknown != "":
				r.Unknown = append(r.Unknown, Unknown{f, v.ref + ": " + pl.unknown})
			default:
				r.Peer.PrefixListEntries, r.Peer.PrefixListResolved = pl.entries, true
			}
		default:
			r.Peer.PrefixListID = v.s
			r.Unknown = append(r.Unknown, Unknown{f, "prefix list " + v.s + " is not defined in the template: its entries are unknown"})
		}
	default: // a security group
		r.Peer = policy.Peer{Kind: policy.PeerGroup}
		switch {
		case v.unknown != "":
			r.Peer.GroupID = "?" + describe(m.get(f))
		case v.ref != "" && v.attr == "DefaultSecurityGroup":
			r.Peer.GroupID = v.ref + ".DefaultSecurityGroup"
		case v.ref != "":
			r.Peer.GroupID = v.ref
		default:
			r.Peer.GroupID = v.s
		}
		if o := t.resolve(m.get("SourceSecurityGroupOwnerId")); o.unknown == "" && !o.absent {
			r.Peer.GroupOwner = o.s
		}
	}
}
