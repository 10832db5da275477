package awslocal

import (
	"net/netip"
	"strconv"
	"strings"
)

// groupSpec is what creating a group needs, from the API or a fixture.
type groupSpec struct {
	id, name, description, vpcID string
	tags                         map[string]string
	noDefaultEgress              bool
}

// createGroup adds a group with AWS's default allow-all IPv4 egress rule.
// The caller has validated the spec.
func (rs *regionState) createGroup(sp groupSpec) *group {
	id := sp.id
	if id == "" {
		id = rs.newID("sg", func(s string) bool { return rs.groups[s] != nil })
	}
	g := &group{
		id:          id,
		name:        sp.name,
		description: sp.description,
		vpcID:       sp.vpcID,
		seq:         rs.next(),
		tags:        copyTags(sp.tags),
		keys:        map[ruleKey]*rule{},
	}
	rs.groups[id] = g
	rs.groupNames[groupName{g.vpcID, g.name}] = g
	rs.groupOrder.add(g)
	if !sp.noDefaultEgress {
		rs.addRule(g, &rule{egress: true, protocol: "-1", from: -1, to: -1, kind: peerCIDR4, peer: "0.0.0.0/0"})
	}
	return g
}

// addRule gives r an ID if it has none and attaches it to g.
func (rs *regionState) addRule(g *group, r *rule) {
	if r.id == "" {
		r.id = rs.newID("sgr", func(s string) bool { return rs.rules[s] != nil })
	}
	r.groupID = g.id
	r.seq = rs.next()
	rs.rules[r.id] = r
	rs.ruleOrder.add(r)
	g.addRule(r)
}

func (rs *regionState) deleteRule(g *group, r *rule) {
	g.removeRule(r)
	delete(rs.rules, r.id)
	r.gone = true
	rs.ruleOrder.removed()
}

// deleteGroup removes a group and its rules; the caller checked that
// nothing depends on it.
func (rs *regionState) deleteGroup(g *group) {
	for _, r := range append(append([]*rule(nil), g.ingress...), g.egress...) {
		rs.deleteRule(g, r)
	}
	delete(rs.groups, g.id)
	delete(rs.groupNames, groupName{g.vpcID, g.name})
	g.gone = true
	rs.groupOrder.removed()
}

// createVPC adds a VPC and its default group (self-referencing ingress,
// allow-all egress) unless withoutDefaultGroup.
func (rs *regionState) createVPC(id, cidr string, isDefault, withoutDefaultGroup bool) *vpc {
	if id == "" {
		id = rs.newID("vpc", func(s string) bool { return rs.vpcs[s] != nil })
	}
	v := &vpc{id: id, cidr: cidr, isDefault: isDefault, seq: rs.next()}
	rs.vpcs[id] = v
	if !withoutDefaultGroup {
		g := rs.createGroup(groupSpec{name: "default", description: "default VPC security group", vpcID: id})
		rs.addRule(g, &rule{protocol: "-1", from: -1, to: -1, kind: peerGroup, peer: g.id, peerUser: rs.account})
	}
	return v
}

func (rs *regionState) groupARN(id string) string {
	return "arn:aws:ec2:" + rs.name + ":" + rs.account + ":security-group/" + id
}

// lookupGroup resolves GroupId, or GroupName in the default VPC.
func (rs *regionState) lookupGroup(f form, idKey, nameKey string) (*group, *APIError) {
	if id := f.get(idKey); id != "" {
		return rs.groupByID(id)
	}
	name := ""
	if nameKey != "" {
		name = f.get(nameKey)
	}
	if name == "" {
		return nil, clientErr("MissingParameter", "Either groupId or groupName must be specified")
	}
	return rs.groupInDefaultVPC(name)
}

func (rs *regionState) groupByID(id string) (*group, *APIError) {
	if !strings.HasPrefix(id, "sg-") {
		return nil, clientErr("InvalidGroupId.Malformed", "Invalid id: %q (expecting \"sg-...\")", id)
	}
	g, ok := rs.groups[id]
	if !ok {
		return nil, clientErr("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return g, nil
}

func (rs *regionState) groupInDefaultVPC(name string) (*group, *APIError) {
	dv := rs.defaultVPC()
	if dv == nil {
		return nil, clientErr("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	g := rs.groupByName(dv.id, name)
	if g == nil {
		return nil, clientErr("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, dv.id)
	}
	return g, nil
}

func ec2CreateSecurityGroup(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	name, desc := f.get("GroupName"), f.get("GroupDescription")
	switch {
	case name == "":
		return clientErr("MissingParameter", "The request must contain the parameter groupName")
	case desc == "":
		return clientErr("MissingParameter", "The request must contain the parameter groupDescription")
	case len(name) > 255 || len(desc) > 255:
		return clientErr("InvalidParameterValue", "Group name and description must be at most 255 characters")
	case strings.HasPrefix(name, "sg-"):
		return clientErr("InvalidParameterValue", "Group names may not be in the format sg-*.")
	case name == "default":
		return clientErr("InvalidGroup.Reserved", "The security group 'default' is reserved")
	}
	vpcID := f.get("VpcId")
	if vpcID == "" {
		dv := rs.defaultVPC()
		if dv == nil {
			return clientErr("VPCIdNotSpecified", "No default VPC for this user")
		}
		vpcID = dv.id
	} else if rs.vpcs[vpcID] == nil {
		return clientErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if rs.groupByName(vpcID, name) != nil {
		return clientErr("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
	}
	tags, aerr := tagSpecs(f, "security-group")
	if aerr != nil {
		return aerr
	}
	g := rs.createGroup(groupSpec{name: name, description: desc, vpcID: vpcID, tags: tags})
	x.bool("return", true)
	x.elem("groupId", g.id)
	x.elem("securityGroupArn", rs.groupARN(g.id))
	x.tags("tagSet", g.tags)
	return nil
}

var groupFilters = map[string]func(rs *regionState, g *group, values []string) bool{
	"group-id":    func(_ *regionState, g *group, v []string) bool { return matchAny(v, g.id) },
	"group-name":  func(_ *regionState, g *group, v []string) bool { return matchAny(v, g.name) },
	"vpc-id":      func(_ *regionState, g *group, v []string) bool { return matchAny(v, g.vpcID) },
	"description": func(_ *regionState, g *group, v []string) bool { return matchAny(v, g.description) },
	"owner-id":    func(rs *regionState, _ *group, v []string) bool { return matchAny(v, rs.account) },
	"ip-permission.cidr": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.ingress, func(r *rule) bool { return r.kind == peerCIDR4 && matchAny(v, r.peer) })
	},
	"ip-permission.ipv6-cidr": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.ingress, func(r *rule) bool { return r.kind == peerCIDR6 && matchAny(v, r.peer) })
	},
	"ip-permission.prefix-list-id": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.ingress, func(r *rule) bool { return r.kind == peerPrefixList && matchAny(v, r.peer) })
	},
	"ip-permission.group-id": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.ingress, func(r *rule) bool { return r.kind == peerGroup && matchAny(v, r.peer) })
	},
	"ip-permission.protocol": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.ingress, func(r *rule) bool { return matchAny(v, r.protocol) })
	},
	"ip-permission.from-port": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.ingress, func(r *rule) bool { return matchAny(v, strconv.Itoa(int(r.from))) })
	},
	"ip-permission.to-port": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.ingress, func(r *rule) bool { return matchAny(v, strconv.Itoa(int(r.to))) })
	},
	"egress.ip-permission.cidr": func(_ *regionState, g *group, v []string) bool {
		return anyRule(g.egress, func(r *rule) bool { return r.kind == peerCIDR4 && matchAny(v, r.peer) })
	},
}

func anyRule(rules []*rule, pred func(*rule) bool) bool {
	for _, r := range rules {
		if pred(r) {
			return true
		}
	}
	return false
}

func ec2DescribeSecurityGroups(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	max, aerr := c.maxResults(f, 5, 1000)
	if aerr != nil {
		return aerr
	}
	filters := f.filters()
	for _, fl := range filters {
		if _, ok := groupFilters[fl.name]; !ok && !isTagFilter(fl.name) {
			return clientErr("InvalidParameterValue", "The filter '%s' is invalid", fl.name)
		}
	}
	ids, names := f.list("GroupId"), f.list("GroupName")
	if len(ids) > 0 && f.has("MaxResults") {
		return clientErr("InvalidParameterCombination", "The parameter groupIds cannot be used with the parameter maxResults")
	}
	var page []*group
	var next string
	if len(ids) > 0 || len(names) > 0 {
		var candidates []*group
		seen := map[string]bool{}
		for _, id := range ids {
			g, aerr := rs.groupByID(id)
			if aerr != nil {
				return aerr
			}
			if !seen[g.id] {
				seen[g.id] = true
				candidates = append(candidates, g)
			}
		}
		for _, n := range names {
			g, aerr := rs.groupInDefaultVPC(n)
			if aerr != nil {
				return aerr
			}
			if !seen[g.id] {
				seen[g.id] = true
				candidates = append(candidates, g)
			}
		}
		matched := candidates[:0]
		for _, g := range candidates {
			if groupMatches(rs, g, filters) {
				matched = append(matched, g)
			}
		}
		page, next, aerr = paginate(matched, func(g *group) uint64 { return g.seq }, "sg", f.get("NextToken"), max)
	} else {
		page, next, aerr = rs.groupOrder.page("sg", f.get("NextToken"), max, func(g *group) bool { return groupMatches(rs, g, filters) })
	}
	if aerr != nil {
		return aerr
	}
	x.open("securityGroupInfo")
	for _, g := range page {
		x.open("item")
		writeGroup(rs, x, g)
		x.close("item")
	}
	x.close("securityGroupInfo")
	x.opt("nextToken", next)
	return nil
}

func isTagFilter(name string) bool {
	return strings.HasPrefix(name, "tag:") || name == "tag-key" || name == "tag-value"
}

func groupMatches(rs *regionState, g *group, filters []filter) bool {
	for _, fl := range filters {
		if ok, handled := matchTags(fl, g.tags); handled {
			if !ok {
				return false
			}
			continue
		}
		if !groupFilters[fl.name](rs, g, fl.values) {
			return false
		}
	}
	return true
}

func writeGroup(rs *regionState, x *xmlWriter, g *group) {
	x.elem("ownerId", rs.account)
	x.elem("groupId", g.id)
	x.elem("groupName", g.name)
	x.elem("groupDescription", g.description)
	writePermissions(x, "ipPermissions", g.ingress)
	writePermissions(x, "ipPermissionsEgress", g.egress)
	x.opt("vpcId", g.vpcID)
	x.elem("securityGroupArn", rs.groupARN(g.id))
	x.tags("tagSet", g.tags)
}

// writePermissions folds rules into IpPermissions the way
// DescribeSecurityGroups does: one permission per protocol and port range,
// carrying every peer of that range.
func writePermissions(x *xmlWriter, tag string, rules []*rule) {
	type portKey struct {
		protocol string
		from, to int32
	}
	var order []portKey
	byKey := map[portKey][]*rule{}
	for _, r := range rules {
		k := portKey{r.protocol, r.from, r.to}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	x.open(tag)
	for _, k := range order {
		writePermission(x, byKey[k])
	}
	x.close(tag)
}

// writePermission writes one <item> IpPermission for rules that share a
// protocol and port range.
func writePermission(x *xmlWriter, rules []*rule) {
	r0 := rules[0]
	x.open("item")
	x.elem("ipProtocol", r0.protocol)
	if hasPorts(r0.protocol) {
		x.int("fromPort", int64(r0.from))
		x.int("toPort", int64(r0.to))
	}
	x.open("groups")
	for _, r := range rules {
		if r.kind == peerGroup {
			x.open("item")
			x.opt("description", r.description)
			x.elem("userId", r.peerUser)
			x.elem("groupId", r.peer)
			x.close("item")
		}
	}
	x.close("groups")
	x.open("ipRanges")
	for _, r := range rules {
		if r.kind == peerCIDR4 {
			x.open("item")
			x.elem("cidrIp", r.peer)
			x.opt("description", r.description)
			x.close("item")
		}
	}
	x.close("ipRanges")
	x.open("ipv6Ranges")
	for _, r := range rules {
		if r.kind == peerCIDR6 {
			x.open("item")
			x.elem("cidrIpv6", r.peer)
			x.opt("description", r.description)
			x.close("item")
		}
	}
	x.close("ipv6Ranges")
	x.open("prefixListIds")
	for _, r := range rules {
		if r.kind == peerPrefixList {
			x.open("item")
			x.elem("prefixListId", r.peer)
			x.opt("description", r.description)
			x.close("item")
		}
	}
	x.close("prefixListIds")
	x.close("item")
}

// hasPorts reports whether DescribeSecurityGroups shows ports for the
// protocol: tcp, udp, icmp and icmpv6 carry them, the rest do not.
func hasPorts(protocol string) bool {
	switch protocol {
	case "tcp", "udp", "icmp", "icmpv6":
		return true
	}
	return false
}

func ec2DeleteSecurityGroup(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	g, aerr := rs.lookupGroup(f, "GroupId", "GroupName")
	if aerr != nil {
		return aerr
	}
	if g.name == "default" {
		return clientErr("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.id)
	}
	for _, n := range rs.enis {
		for _, gid := range n.groups {
			if gid == g.id {
				return clientErr("DependencyViolation", "resource %s has a dependent object", g.id)
			}
		}
	}
	for _, r := range rs.rules {
		if r.kind == peerGroup && r.peer == g.id && r.groupID != g.id {
			return clientErr("DependencyViolation", "resource %s has a dependent object", g.id)
		}
	}
	rs.deleteGroup(g)
	x.bool("return", true)
	x.elem("groupId", g.id)
	return nil
}

func ec2DescribeVpcs(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	if len(f.list("VpcId")) > 0 && f.has("MaxResults") {
		return clientErr("InvalidParameterCombination", "The parameter VpcIds cannot be used with the parameter MaxResults")
	}
	ids := map[string]bool{}
	for _, id := range f.list("VpcId") {
		if rs.vpcs[id] == nil {
			return clientErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
		ids[id] = true
	}
	filters := f.filters()
	var vs []*vpc
	for _, v := range rs.vpcs {
		if len(ids) > 0 && !ids[v.id] {
			continue
		}
		ok := true
		for _, fl := range filters {
			switch fl.name {
			case "vpc-id":
				ok = ok && matchAny(fl.values, v.id)
			case "is-default":
				ok = ok && matchAny(fl.values, strconv.FormatBool(v.isDefault))
			case "cidr", "cidr-block-association.cidr-block":
				ok = ok && matchAny(fl.values, v.cidr)
			default:
				m, handled := matchTags(fl, v.tags)
				if !handled {
					return clientErr("InvalidParameterValue", "The filter '%s' is invalid", fl.name)
				}
				ok = ok && m
			}
		}
		if ok {
			vs = append(vs, v)
		}
	}
	max, aerr := c.maxResults(f, 5, 1000)
	if aerr != nil {
		return aerr
	}
	page, next, aerr := paginate(vs, func(v *vpc) uint64 { return v.seq }, "vpc", f.get("NextToken"), max)
	if aerr != nil {
		return aerr
	}
	x.open("vpcSet")
	for _, v := range page {
		x.open("item")
		writeVPC(rs, x, v)
		x.close("item")
	}
	x.close("vpcSet")
	x.opt("nextToken", next)
	return nil
}

func writeVPC(rs *regionState, x *xmlWriter, v *vpc) {
	x.elem("vpcId", v.id)
	x.elem("ownerId", rs.account)
	x.elem("state", "available")
	x.elem("cidrBlock", v.cidr)
	x.bool("isDefault", v.isDefault)
	x.tags("tagSet", v.tags)
}

// ec2CreateVpc creates a VPC with its default security group, so that
// tests can lay out an account through the API alone.
func ec2CreateVpc(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	cidr := f.get("CidrBlock")
	if cidr == "" {
		return clientErr("MissingParameter", "The request must contain the parameter cidrBlock")
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || !pfx.Addr().Is4() || pfx.Bits() < 16 || pfx.Bits() > 28 {
		return clientErr("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
	}
	tags, aerr := tagSpecs(f, "vpc")
	if aerr != nil {
		return aerr
	}
	v := rs.createVPC("", pfx.Masked().String(), false, false)
	v.tags = copyTags(tags)
	x.open("vpc")
	writeVPC(rs, x, v)
	x.close("vpc")
	return nil
}

// ec2DeleteVpc deletes a VPC once only its default group is left in it.
func ec2DeleteVpc(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	id := f.get("VpcId")
	v := rs.vpcs[id]
	if v == nil {
		return clientErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	var dflt *group
	for _, g := range rs.groups {
		if g.vpcID != id {
			continue
		}
		if g.name != "default" {
			return clientErr("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted.", id)
		}
		dflt = g
	}
	for _, n := range rs.enis {
		if n.vpcID == id {
			return clientErr("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted.", id)
		}
	}
	if dflt != nil {
		for _, r := range rs.rules {
			if r.kind == peerGroup && r.peer == dflt.id && r.groupID != dflt.id {
				return clientErr("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted.", id)
			}
		}
		rs.deleteGroup(dflt)
	}
	delete(rs.vpcs, id)
	x.bool("return", true)
	return nil
}
