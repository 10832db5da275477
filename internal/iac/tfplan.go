package iac

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// tfResource is one resource instance of a plan: its planned values, what
// is unknown until apply, and the expressions of its configuration.
type tfResource struct {
	address string
	module  string // module address, "" for the root
	typ     string
	after   *node
	unknown *node // after_unknown, mirroring after
	exprs   *node // configuration expressions (nil if not found)
	at      *node // where it is written
}

type tfReader struct {
	file   string
	res    []*tfResource
	byAddr map[string]*tfResource
	byID   map[string]string // planned "id" -> address
	rules  []Rule
	config *node
}

// tfTypes are the resource types the plan reader uses.
var tfTypes = map[string]bool{
	"aws_security_group": true, "aws_default_security_group": true, "aws_security_group_rule": true,
	"aws_vpc_security_group_ingress_rule": true, "aws_vpc_security_group_egress_rule": true,
	"aws_ec2_managed_prefix_list": true, "aws_ec2_managed_prefix_list_entry": true,
}

// readTerraformPlan reads `terraform show -json` output of a plan (or of a
// state, whose values are all known).
func readTerraformPlan(file string, root *node) (*Template, error) {
	t := &tfReader{file: file, byAddr: map[string]*tfResource{}, byID: map[string]string{}, config: root.get("configuration")}
	if rc := root.get("resource_changes"); rc != nil {
		if rc.kind != kSeq {
			return nil, &SyntaxError{Loc: rc.loc(file), Msg: "resource_changes is not a list"}
		}
		for _, c := range rc.items {
			if !tfTypes[c.get("type").text()] || c.get("mode").text() == "data" {
				continue
			}
			ch := c.get("change")
			after := ch.get("after")
			if after == nil || after.kind != kMap {
				continue // deleted
			}
			t.add(&tfResource{address: c.get("address").text(), module: c.get("module_address").text(), typ: c.get("type").text(),
				after: after, unknown: ch.get("after_unknown"), at: c})
		}
	}
	for _, key := range []string{"planned_values", "values"} {
		if pv := root.get(key); pv != nil {
			if err := t.walkModule(pv.get("root_module"), ""); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range t.res {
		r.exprs = t.configFor(r)
		if id := r.after.get("id"); id != nil && id.kind == kScalar {
			t.byID[id.str] = r.address
		}
	}
	for _, r := range t.res {
		switch r.typ {
		case "aws_security_group", "aws_default_security_group":
			t.inlineRules(r)
		case "aws_security_group_rule":
			t.legacyRule(r)
		case "aws_vpc_security_group_ingress_rule":
			t.vpcRule(r, policy.Ingress)
		case "aws_vpc_security_group_egress_rule":
			t.vpcRule(r, policy.Egress)
		}
	}
	return &Template{File: file, Format: FormatTerraformPlan, Rules: t.rules}, nil
}

func (t *tfReader) add(r *tfResource) {
	if _, dup := t.byAddr[r.address]; dup {
		return
	}
	t.byAddr[r.address] = r
	t.res = append(t.res, r)
}

// walkModule adds the planned values of resources that resource_changes
// did not list.
func (t *tfReader) walkModule(m *node, module string) error {
	if m == nil {
		return nil
	}
	if m.kind != kMap {
		return &SyntaxError{Loc: m.loc(t.file), Msg: "module is not an object"}
	}
	if a := m.get("address"); a != nil {
		module = a.str
	}
	for _, r := range m.get("resources").itemsOrNil() {
		if !tfTypes[r.get("type").text()] || r.get("mode").text() == "data" {
			continue
		}
		if v := r.get("values"); v != nil && v.kind == kMap {
			t.add(&tfResource{address: r.get("address").text(), module: module, typ: r.get("type").text(), after: v, at: r})
		}
	}
	for _, c := range m.get("child_modules").itemsOrNil() {
		if err := t.walkModule(c, ""); err != nil {
			return err
		}
	}
	return nil
}

func (n *node) itemsOrNil() []*node {
	if n == nil || n.kind != kSeq {
		return nil
	}
	return n.items
}

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

// configFor finds a resource's expressions in the configuration.
func (t *tfReader) configFor(r *tfResource) *node {
	m := t.config.get("root_module")
	if r.module != "" {
		for _, part := range strings.Split(indexRE.ReplaceAllString(r.module, ""), ".") {
			if part == "module" {
				continue
			}
			m = m.get("module_calls").get(part).get("module")
		}
	}
	local := strings.TrimPrefix(r.address, r.module+".")
	if r.module == "" {
		local = r.address
	}
	local = indexRE.ReplaceAllString(local, "")
	for _, c := range m.get("resources").itemsOrNil() {
		if c.get("address").text() == local {
			return c.get("expressions")
		}
	}
	return nil
}

// refs returns the resource addresses (made absolute) that an expression
// references.
func (t *tfReader) refs(r *tfResource, expr *node) []string {
	var out []string
	for _, ref := range expr.get("references").itemsOrNil() {
		a := ref.str
		// "aws_security_group.web.id" -> "aws_security_group.web"
		parts := strings.Split(a, ".")
		if len(parts) < 2 || strings.HasPrefix(a, "var.") || strings.HasPrefix(a, "local.") || strings.HasPrefix(a, "module.") || strings.HasPrefix(a, "data.") {
			continue
		}
		a = parts[0] + "." + parts[1]
		if r.module != "" {
			a = r.module + "." + a
		}
		out = append(out, a)
	}
	return out
}

// resolveRef picks the resource instance of type typ that a reference
// names: the exact address, or the instance with the rule's own index.
func (t *tfReader) resolveRef(r *tfResource, expr *node, types ...string) *tfResource {
	for _, a := range t.refs(r, expr) {
		if x, ok := t.byAddr[a]; ok && typeIn(x.typ, types) {
			return x
		}
		idx := ""
		if i := strings.LastIndexByte(r.address, '['); i >= 0 {
			idx = r.address[i:]
		}
		if x, ok := t.byAddr[a+idx]; ok && typeIn(x.typ, types) {
			return x
		}
		if x, ok := t.byAddr[a+"[0]"]; ok && typeIn(x.typ, types) {
			return x
		}
	}
	return nil
}

func typeIn(typ string, types []string) bool {
	for _, x := range types {
		if x == typ {
			return true
		}
	}
	return false
}

var groupTypes = []string{"aws_security_group", "aws_default_security_group"}

// groupRuleOf is a rule carrying the attributes of group resource g.
func (t *tfReader) groupRuleOf(g *tfResource) policy.Rule {
	r := policy.Rule{GroupID: g.address, GroupKnown: true, IsDefaultGroup: g.typ == "aws_default_security_group"}
	r.GroupName = g.after.get("name").text()
	r.VPCID = g.after.get("vpc_id").text()
	if tags := g.after.get("tags"); tags != nil && tags.kind == kMap {
		r.GroupTags = make(map[string]string, len(tags.keys))
		for i, k := range tags.keys {
			r.GroupTags[k] = tags.vals[i].str
		}
	}
	return r
}

// targetGroup finds the group of a separate rule through its
// security_group_id: the planned ID, else the configuration's reference.
func (t *tfReader) targetGroup(r *tfResource) policy.Rule {
	if id := r.after.get("security_group_id"); id != nil && id.kind == kScalar {
		if a, ok := t.byID[id.str]; ok {
			return t.groupRuleOf(t.byAddr[a])
		}
		return policy.Rule{GroupID: id.str}
	}
	if g := t.resolveRef(r, r.exprs.get("security_group_id"), groupTypes...); g != nil {
		return t.groupRuleOf(g)
	}
	return policy.Rule{GroupID: "?" + r.address + ".security_group_id"}
}

func isTrue(n *node) bool { return n != nil && n.kind == kScalar && n.str == "true" }

// field is one attribute of a block, with its after_unknown twin.
type field struct {
	v, unk *node
}

func fieldOf(after, unk *node, name string) field {
	return field{after.get(name), unk.get(name)}
}

func (f field) unknown() bool { return isTrue(f.unk) }

// items are the values of a list attribute (one for a scalar written where
// a list may be, none for null).
func (f field) items() []*node {
	switch {
	case f.v == nil || f.v.kind == kNull:
		return nil
	case f.v.kind == kSeq:
		return f.v.items
	}
	return []*node{f.v}
}

func (t *tfReader) base(r *tfResource, pr policy.Rule, dir policy.Direction, at *node) Rule {
	out := Rule{Rule: pr, Loc: at.loc(t.file), Resource: r.address}
	out.Direction = dir
	return out
}

// traffic reads protocol and ports of a block.
func (t *tfReader) traffic(out *Rule, blk, unk *node, protoKey string) {
	out.Protocol, out.FromPort, out.ToPort = policy.ProtoAll, -1, -1
	pf := fieldOf(blk, unk, protoKey)
	if pf.unknown() {
		out.Unknown = append(out.Unknown, Unknown{protoKey, "known after apply"})
		return
	}
	p, err := policy.ParseProtocol(pf.v.text())
	if err != nil {
		out.Unknown = append(out.Unknown, Unknown{protoKey, fmt.Sprintf("%q is not a protocol", pf.v.text())})
		return
	}
	out.Protocol = p
	if p == policy.ProtoAll {
		return
	}
	for _, f := range []struct {
		name string
		dst  *int32
	}{{"from_port", &out.FromPort}, {"to_port", &out.ToPort}} {
		ff := fieldOf(blk, unk, f.name)
		switch {
		case ff.unknown():
			out.Unknown = append(out.Unknown, Unknown{f.name, "known after apply"})
			out.FromPort, out.ToPort = -1, -1
			return
		case ff.v == nil || ff.v.kind == kNull:
		default:
			n, err := strconv.Atoi(ff.v.text())
			if err != nil {
				out.Unknown = append(out.Unknown, Unknown{f.name, fmt.Sprintf("%q is not a port", ff.v.text())})
				out.FromPort, out.ToPort = -1, -1
				return
			}
			*f.dst = int32(n)
		}
	}
}

// cidrRules adds one rule per CIDR of a list field; an unknown list or
// element becomes a rule from the whole internet, marked unknown.
func (t *tfReader) cidrRules(base Rule, f field, name, world string) []Rule {
	var out []Rule
	if f.unknown() {
		return []Rule{widened(base, name, world, "known after apply")}
	}
	items := f.items()
	for i, it := range items {
		fname := fmt.Sprintf("%s[%d]", name, i)
		if f.v.kind != kSeq {
			fname = name
		}
		if f.unk != nil && f.unk.kind == kSeq && i < len(f.unk.items) && isTrue(f.unk.items[i]) {
			out = append(out, widened(base, fname, world, "known after apply"))
			continue
		}
		p, err := policy.ParsePeerCIDR(it.str)
		if err != nil {
			out = append(out, widened(base, fname, world, fmt.Sprintf("%q is not a CIDR", it.str)))
			continue
		}
		r := base
		r.Peer = p
		out = append(out, r)
	}
	return out
}

func widened(base Rule, field, world, why string) Rule {
	r := base
	r.Peer, _ = policy.ParsePeerCIDR(world)
	r.PeerUnknown = true
	r.Unknown = append(append([]Unknown(nil), base.Unknown...), Unknown{field, why})
	return r
}

// prefixListRules adds one rule per prefix list ID, with the entries of
// the plan's aws_ec2_managed_prefix_list where one matches.
func (t *tfReader) prefixListRules(res *tfResource, base Rule, f field, name string, expr *node) []Rule {
	ids := f.items()
	if f.unknown() {
		ids = []*node{nil}
	}
	var out []Rule
	for i, id := range ids {
		r := base
		r.Unknown = append([]Unknown(nil), base.Unknown...)
		r.Peer = policy.Peer{Kind: policy.PeerPrefixList}
		var pl *tfResource
		if id != nil && id.kind == kScalar && !(f.unk != nil && f.unk.kind == kSeq && i < len(f.unk.items) && isTrue(f.unk.items[i])) {
			r.Peer.PrefixListID = id.str
			if a, ok := t.byID[id.str]; ok {
				pl = t.byAddr[a]
			}
		} else if pl = t.resolveRef(res, expr, "aws_ec2_managed_prefix_list"); pl != nil {
			r.Peer.PrefixListID = pl.address
		} else {
			r.Peer.PrefixListID = "?"
		}
		if pl == nil {
			r.Unknown = append(r.Unknown, Unknown{name, "prefix list " + r.Peer.PrefixListID + " is not in the plan: its entries are unknown"})
		} else if entries, why := t.prefixListEntries(pl); why != "" {
			r.Unknown = append(r.Unknown, Unknown{name, pl.address + ": " + why})
		} else {
			r.Peer.PrefixListEntries, r.Peer.PrefixListResolved = entries, true
		}
		out = append(out, r)
	}
	return out
}

// prefixListEntries are a managed prefix list's entries: its entry blocks
// and the aws_ec2_managed_prefix_list_entry resources that name it.
func (t *tfReader) prefixListEntries(pl *tfResource) ([]netip.Prefix, string) {
	var out []netip.Prefix
	// With entry resources, the list's own entry attribute is computed
	// (unknown in the plan): the entries are those resources.
	entryUnknown := isTrue(pl.unknown.get("entry"))
	for _, e := range pl.after.get("entry").itemsOrNil() {
		p, err := policy.ParsePeerCIDR(e.get("cidr").text())
		if err != nil {
			return nil, fmt.Sprintf("entry %q is not a CIDR", e.get("cidr").text())
		}
		out = append(out, p.CIDR)
	}
	for _, r := range t.res {
		if r.typ != "aws_ec2_managed_prefix_list_entry" {
			continue
		}
		id := r.after.get("prefix_list_id")
		named := id != nil && id.kind == kScalar && t.byID[id.str] == pl.address
		if !named && (id == nil || id.kind != kScalar) {
			named = t.resolveRef(r, r.exprs.get("prefix_list_id"), "aws_ec2_managed_prefix_list") == pl
		}
		if !named {
			continue
		}
		c := fieldOf(r.after, r.unknown, "cidr")
		if c.unknown() {
			return nil, r.address + ".cidr known after apply"
		}
		p, err := policy.ParsePeerCIDR(c.v.text())
		if err != nil {
			return nil, fmt.Sprintf("%s: %q is not a CIDR", r.address, c.v.text())
		}
		out = append(out, p.CIDR)
		entryUnknown = false
	}
	if entryUnknown {
		return nil, "entries known after apply"
	}
	return out, ""
}

// groupPeerRules adds one rule per referenced group.
func (t *tfReader) groupPeerRules(base Rule, f field, name string) []Rule {
	var out []Rule
	if f.unknown() {
		r := base
		r.Peer = policy.Peer{Kind: policy.PeerGroup, GroupID: "?" + name}
		return []Rule{r}
	}
	items := f.items()
	for _, it := range items {
		r := base
		gid := it.str
		if a, ok := t.byID[gid]; ok {
			gid = a
		}
		owner := ""
		if o, g, ok := strings.Cut(gid, "/"); ok { // "123456789012/sg-0abc"
			owner, gid = o, g
		}
		r.Peer = policy.Peer{Kind: policy.PeerGroup, GroupID: gid, GroupOwner: owner}
		out = append(out, r)
	}
	return out
}

// blockRules reads one block of aws_security_group(ingress/egress) or an
// aws_security_group_rule, with its list-style peers.
func (t *tfReader) blockRules(res *tfResource, base Rule, blk, unk, exprs *node, groupsKey string) []Rule {
	t.traffic(&base, blk, unk, "protocol")
	var out []Rule
	out = append(out, t.cidrRules(base, fieldOf(blk, unk, "cidr_blocks"), "cidr_blocks", "0.0.0.0/0")...)
	out = append(out, t.cidrRules(base, fieldOf(blk, unk, "ipv6_cidr_blocks"), "ipv6_cidr_blocks", "::/0")...)
	out = append(out, t.prefixListRules(res, base, fieldOf(blk, unk, "prefix_list_ids"), "prefix_list_ids", exprs.get("prefix_list_ids"))...)
	out = append(out, t.groupPeerRules(base, fieldOf(blk, unk, groupsKey), groupsKey)...)
	if isTrue(blk.get("self")) {
		r := base
		r.Peer = policy.Peer{Kind: policy.PeerGroup, GroupID: base.GroupID}
		out = append(out, r)
	}
	return out
}

func (t *tfReader) inlineRules(g *tfResource) {
	pr := t.groupRuleOf(g)
	for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
		key := dir.String()
		f := fieldOf(g.after, g.unknown, key)
		base := t.base(g, pr, dir, g.at)
		if f.unknown() {
			base.Protocol, base.FromPort, base.ToPort = policy.ProtoAll, -1, -1
			t.rules = append(t.rules, widened(base, key, "0.0.0.0/0", "known after apply"))
			continue
		}
		exprList := g.exprs.get(key)
		for i, blk := range f.v.itemsOrNil() {
			var unk, exprs *node
			if f.unk != nil && f.unk.kind == kSeq && i < len(f.unk.items) {
				unk = f.unk.items[i]
			}
			if exprList != nil && exprList.kind == kSeq && i < len(exprList.items) {
				exprs = exprList.items[i]
			}
			b := base
			b.Loc = blk.loc(t.file)
			if d := blk.get("description"); d != nil {
				b.Description = d.str
			}
			t.rules = append(t.rules, t.blockRules(g, b, blk, unk, exprs, "security_groups")...)
		}
	}
}

func (t *tfReader) legacyRule(r *tfResource) {
	dir := policy.Ingress
	if r.after.get("type").text() == "egress" {
		dir = policy.Egress
	}
	base := t.base(r, t.targetGroup(r), dir, r.at)
	base.Description = r.after.get("description").text()
	base.Rule.Description = base.Description
	rules := t.blockRules(r, base, r.after, r.unknown, r.exprs, "source_security_group_id")
	t.rules = append(t.rules, rules...)
}

func (t *tfReader) vpcRule(r *tfResource, dir policy.Direction) {
	base := t.base(r, t.targetGroup(r), dir, r.at)
	base.Description = r.after.get("description").text()
	t.traffic(&base, r.after, r.unknown, "ip_protocol")
	var out []Rule
	out = append(out, t.cidrRules(base, fieldOf(r.after, r.unknown, "cidr_ipv4"), "cidr_ipv4", "0.0.0.0/0")...)
	out = append(out, t.cidrRules(base, fieldOf(r.after, r.unknown, "cidr_ipv6"), "cidr_ipv6", "::/0")...)
	out = append(out, t.prefixListRules(r, base, fieldOf(r.after, r.unknown, "prefix_list_id"), "prefix_list_id", r.exprs.get("prefix_list_id"))...)
	ref := fieldOf(r.after, r.unknown, "referenced_security_group_id")
	if ref.v != nil && ref.v.kind != kNull || ref.unknown() {
		if ref.unknown() {
			if g := t.resolveRef(r, r.exprs.get("referenced_security_group_id"), groupTypes...); g != nil {
				ref = field{v: &node{kind: kScalar, str: g.address}}
			}
		}
		out = append(out, t.groupPeerRules(base, ref, "referenced_security_group_id")...)
	}
	t.rules = append(t.rules, out...)
}
