package awslocal

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxRulesPerDirection is AWS's default quota of inbound (and of
// outbound) rules per security group.
const maxRulesPerDirection = 60

// permission is one IpPermission of a request: a protocol and port range
// with its peers. Each peer becomes one rule.
type permission struct {
	protocol string
	from, to int32
	peers    []peerRef
}

type peerRef struct {
	kind        peerKind
	value       string
	user        string
	description string
}

// normalizeProtocol maps the names and numbers EC2 accepts to the form it
// reports: tcp, udp, icmp, icmpv6, -1 or a protocol number.
func normalizeProtocol(p string) (string, *APIError) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "icmpv6", "58":
		return "icmpv6", nil
	case "-1", "all":
		return "-1", nil
	case "":
		return "", clientErr("MissingParameter", "The request must contain the parameter ipProtocol")
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 255 {
		return "", clientErr("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", p)
	}
	return strconv.Itoa(n), nil
}

// normalizePorts applies EC2's port rules for a protocol.
func normalizePorts(protocol string, from, to int32, hasFrom, hasTo bool) (int32, int32, *APIError) {
	switch protocol {
	case "tcp", "udp":
		if !hasFrom || !hasTo {
			return 0, 0, clientErr("InvalidParameterValue", "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
		}
		if from < 0 || to > 65535 || from > to {
			return 0, 0, clientErr("InvalidParameterValue", "Invalid %s port range: %d-%d", strings.ToUpper(protocol), from, to)
		}
		return from, to, nil
	case "icmp", "icmpv6":
		if !hasFrom {
			from = -1
		}
		if !hasTo {
			to = -1
		}
		if from < -1 || from > 255 || to < -1 || to > 255 {
			return 0, 0, clientErr("InvalidParameterValue", "Invalid ICMP type/code: %d/%d", from, to)
		}
		return from, to, nil
	}
	return -1, -1, nil
}

// parsePermissions reads IpPermissions.N, or the legacy flat parameters
// (IpProtocol, FromPort, ToPort, CidrIp, SourceSecurityGroupName).
func parsePermissions(rs *regionState, f form, g *group) ([]permission, *APIError) {
	idx := f.indexes("IpPermissions")
	legacy := f.get("IpProtocol") != "" || f.get("CidrIp") != "" || f.get("SourceSecurityGroupName") != ""
	if len(idx) > 0 && legacy {
		return nil, clientErr("InvalidParameterCombination", "The parameter 'ipPermissions' may not be used in combination with 'ipProtocol', 'cidrIp' or 'sourceSecurityGroupName'")
	}
	var out []permission
	if legacy {
		proto := f.get("IpProtocol")
		if proto == "" {
			proto = "-1"
		}
		p, aerr := newPermission(proto, f, "")
		if aerr != nil {
			return nil, aerr
		}
		if cidr := f.get("CidrIp"); cidr != "" {
			p.peers = append(p.peers, peerRef{kind: peerCIDR4, value: cidr})
		}
		if name := f.get("SourceSecurityGroupName"); name != "" {
			src, aerr := rs.groupInDefaultVPC(name)
			if aerr != nil {
				return nil, aerr
			}
			p.peers = append(p.peers, peerRef{kind: peerGroup, value: src.id, user: rs.account})
		}
		out = append(out, p)
	}
	for _, i := range idx {
		pre := sub("IpPermissions", i)
		p, aerr := newPermission(f.get(pre+"IpProtocol"), f, pre)
		if aerr != nil {
			return nil, aerr
		}
		for _, j := range f.indexes(pre + "IpRanges") {
			q := sub(pre+"IpRanges", j)
			p.peers = append(p.peers, peerRef{kind: peerCIDR4, value: f.get(q + "CidrIp"), description: f.get(q + "Description")})
		}
		for _, j := range f.indexes(pre + "Ipv6Ranges") {
			q := sub(pre+"Ipv6Ranges", j)
			p.peers = append(p.peers, peerRef{kind: peerCIDR6, value: f.get(q + "CidrIpv6"), description: f.get(q + "Description")})
		}
		for _, j := range f.indexes(pre + "PrefixListIds") {
			q := sub(pre+"PrefixListIds", j)
			p.peers = append(p.peers, peerRef{kind: peerPrefixList, value: f.get(q + "PrefixListId"), description: f.get(q + "Description")})
		}
		for _, j := range f.indexes(pre + "Groups") {
			q := sub(pre+"Groups", j)
			ref := peerRef{kind: peerGroup, value: f.get(q + "GroupId"), user: f.get(q + "UserId"), description: f.get(q + "Description")}
			if ref.value == "" {
				name := f.get(q + "GroupName")
				if name == "" {
					return nil, clientErr("MissingParameter", "A group pair must name a groupId or a groupName")
				}
				src := rs.groupByName(g.vpcID, name)
				if src == nil {
					return nil, clientErr("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'", name, g.vpcID)
				}
				ref.value = src.id
			}
			p.peers = append(p.peers, ref)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, clientErr("MissingParameter", "No permissions were specified")
	}
	for _, p := range out {
		if len(p.peers) == 0 {
			return nil, clientErr("InvalidParameterValue", "Each permission must name at least one CIDR range, prefix list or security group")
		}
	}
	return out, nil
}

func newPermission(proto string, f form, pre string) (permission, *APIError) {
	protocol, aerr := normalizeProtocol(proto)
	if aerr != nil {
		return permission{}, aerr
	}
	from, hasFrom, aerr := f.int32(pre + "FromPort")
	if aerr != nil {
		return permission{}, aerr
	}
	to, hasTo, aerr := f.int32(pre + "ToPort")
	if aerr != nil {
		return permission{}, aerr
	}
	from, to, aerr = normalizePorts(protocol, from, to, hasFrom, hasTo)
	if aerr != nil {
		return permission{}, aerr
	}
	return permission{protocol: protocol, from: from, to: to}, nil
}

// validatePeer checks a peer's value and fills defaults (owner of a group).
func (rs *regionState) validatePeer(p *peerRef) *APIError {
	switch p.kind {
	case peerCIDR4, peerCIDR6:
		pfx, err := netip.ParsePrefix(p.value)
		if err != nil || pfx.Addr().Is4() != (p.kind == peerCIDR4) || pfx.Addr().Is4In6() {
			return clientErr("InvalidParameterValue", "CIDR block %s is malformed", p.value)
		}
	case peerPrefixList:
		if rs.prefixLists[p.value] == nil {
			return clientErr("InvalidPrefixListID.NotFound", "The prefix list ID '%s' does not exist", p.value)
		}
	case peerGroup:
		if p.user == "" {
			p.user = rs.account
		}
		if p.user == rs.account {
			if _, aerr := rs.groupByID(p.value); aerr != nil {
				return aerr
			}
		}
	}
	if len(p.description) > 255 {
		return clientErr("InvalidParameterValue", "Descriptions must be at most 255 characters")
	}
	return nil
}

// expand turns permissions into candidate rules for g, one per peer.
func (rs *regionState) expand(perms []permission, egress bool) ([]*rule, *APIError) {
	var out []*rule
	for _, p := range perms {
		for _, ref := range p.peers {
			if aerr := rs.validatePeer(&ref); aerr != nil {
				return nil, aerr
			}
			out = append(out, &rule{
				egress: egress, protocol: p.protocol, from: p.from, to: p.to,
				kind: ref.kind, peer: ref.value, peerUser: ref.user, description: ref.description,
			})
		}
	}
	return out, nil
}

func duplicateErr(r *rule) *APIError {
	action := "ALLOW"
	return clientErr("InvalidPermission.Duplicate", "the specified rule \"peer: %s, %s, from port: %d, to port: %d, %s\" already exists",
		r.peer, strings.ToUpper(r.protocol), r.from, r.to, action)
}

func ec2AuthorizeIngress(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	return authorize(rs, f, x, false)
}

func ec2AuthorizeEgress(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	return authorize(rs, f, x, true)
}

func authorize(rs *regionState, f form, x *xmlWriter, egress bool) *APIError {
	nameKey := "GroupName"
	if egress {
		nameKey = ""
	}
	g, aerr := rs.lookupGroup(f, "GroupId", nameKey)
	if aerr != nil {
		return aerr
	}
	perms, aerr := parsePermissions(rs, f, g)
	if aerr != nil {
		return aerr
	}
	rules, aerr := rs.expand(perms, egress)
	if aerr != nil {
		return aerr
	}
	tags, aerr := tagSpecs(f, "security-group-rule")
	if aerr != nil {
		return aerr
	}
	seen := map[ruleKey]bool{}
	for _, r := range rules {
		k := r.key()
		if g.keys[k] != nil || seen[k] {
			return duplicateErr(r)
		}
		seen[k] = true
	}
	if len(g.rulesOf(egress))+len(rules) > maxRulesPerDirection {
		return clientErr("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
	}
	x.bool("return", true)
	x.open("securityGroupRuleSet")
	for _, r := range rules {
		r.tags = copyTags(tags)
		rs.addRule(g, r)
		x.open("item")
		writeRule(rs, x, r)
		x.close("item")
	}
	x.close("securityGroupRuleSet")
	return nil
}

func (rs *regionState) ruleARN(id string) string {
	return "arn:aws:ec2:" + rs.name + ":" + rs.account + ":security-group-rule/" + id
}

// writeRule writes a SecurityGroupRule as DescribeSecurityGroupRules and
// Authorize* show it.
func writeRule(rs *regionState, x *xmlWriter, r *rule) {
	x.elem("securityGroupRuleId", r.id)
	x.elem("groupId", r.groupID)
	x.elem("groupOwnerId", rs.account)
	x.bool("isEgress", r.egress)
	x.elem("ipProtocol", r.protocol)
	x.int("fromPort", int64(r.from))
	x.int("toPort", int64(r.to))
	switch r.kind {
	case peerCIDR4:
		x.elem("cidrIpv4", r.peer)
	case peerCIDR6:
		x.elem("cidrIpv6", r.peer)
	case peerPrefixList:
		x.elem("prefixListId", r.peer)
	case peerGroup:
		x.open("referencedGroupInfo")
		x.elem("groupId", r.peer)
		x.elem("userId", r.peerUser)
		x.close("referencedGroupInfo")
	}
	x.opt("description", r.description)
	x.tags("tagSet", r.tags)
	x.elem("securityGroupRuleArn", rs.ruleARN(r.id))
}

func writeRevokedRule(x *xmlWriter, r *rule) {
	x.open("item")
	x.elem("securityGroupRuleId", r.id)
	x.elem("groupId", r.groupID)
	x.bool("isEgress", r.egress)
	x.elem("ipProtocol", r.protocol)
	x.int("fromPort", int64(r.from))
	x.int("toPort", int64(r.to))
	switch r.kind {
	case peerCIDR4:
		x.elem("cidrIpv4", r.peer)
	case peerCIDR6:
		x.elem("cidrIpv6", r.peer)
	case peerPrefixList:
		x.elem("prefixListId", r.peer)
	case peerGroup:
		x.elem("referencedGroupId", r.peer)
	}
	x.opt("description", r.description)
	x.close("item")
}

func ec2RevokeIngress(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	return revoke(rs, f, x, false)
}

func ec2RevokeEgress(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	return revoke(rs, f, x, true)
}

// revoke follows AWS: rules named by ID must all exist, or nothing is
// revoked (InvalidSecurityGroupRuleId.NotFound). Rules named by content
// that do not exist fail the call with InvalidPermission.NotFound in a
// non-default VPC; in the default VPC the call succeeds and lists them in
// unknownIpPermissionSet.
func revoke(rs *regionState, f form, x *xmlWriter, egress bool) *APIError {
	nameKey := "GroupName"
	if egress {
		nameKey = ""
	}
	g, aerr := rs.lookupGroup(f, "GroupId", nameKey)
	if aerr != nil {
		return aerr
	}
	ids := f.list("SecurityGroupRuleId")
	hasPerms := len(f.indexes("IpPermissions")) > 0 || f.get("IpProtocol") != "" || f.get("CidrIp") != "" || f.get("SourceSecurityGroupName") != ""
	if len(ids) > 0 && hasPerms {
		return clientErr("InvalidParameterCombination", "The parameter 'SecurityGroupRuleIds' may not be used in combination with 'IpPermissions'")
	}
	var victims []*rule
	var unknown [][]*rule
	if len(ids) > 0 {
		for _, id := range ids {
			r, aerr := rs.ruleByID(id)
			if aerr != nil {
				return aerr
			}
			if r.groupID != g.id || r.egress != egress {
				return ruleNotFound(id)
			}
			victims = append(victims, r)
		}
	} else {
		perms, aerr := parsePermissions(rs, f, g)
		if aerr != nil {
			return aerr
		}
		for _, p := range perms {
			var missing []*rule
			for _, ref := range p.peers {
				if ref.kind == peerGroup && ref.user == "" {
					ref.user = rs.account
				}
				want := rule{egress: egress, protocol: p.protocol, from: p.from, to: p.to, kind: ref.kind, peer: ref.value}
				if r := g.keys[want.key()]; r != nil {
					victims = append(victims, r)
					continue
				}
				miss := want
				miss.peerUser = ref.user
				miss.description = ref.description
				missing = append(missing, &miss)
			}
			if len(missing) > 0 {
				unknown = append(unknown, missing)
			}
		}
		if len(unknown) > 0 {
			if v := rs.vpcs[g.vpcID]; v == nil || !v.isDefault {
				return clientErr("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
		}
	}
	seen := map[*rule]bool{}
	x.bool("return", true)
	if len(unknown) > 0 {
		x.open("unknownIpPermissionSet")
		for _, rules := range unknown {
			writePermission(x, rules)
		}
		x.close("unknownIpPermissionSet")
	}
	x.open("revokedSecurityGroupRuleSet")
	for _, r := range victims {
		if seen[r] {
			continue
		}
		seen[r] = true
		writeRevokedRule(x, r)
		rs.deleteRule(g, r)
	}
	x.close("revokedSecurityGroupRuleSet")
	return nil
}

func ruleNotFound(id string) *APIError {
	return clientErr("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
}

// ruleByID finds a rule, telling a malformed ID from a missing one as EC2 does.
func (rs *regionState) ruleByID(id string) (*rule, *APIError) {
	if !strings.HasPrefix(id, "sgr-") {
		return nil, clientErr("InvalidSecurityGroupRuleId.Malformed", "The security group rule ID '%s' is malformed", id)
	}
	r := rs.rules[id]
	if r == nil {
		return nil, ruleNotFound(id)
	}
	return r, nil
}

func ec2DescribeSecurityGroupRules(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	max, aerr := c.maxResults(f, 5, 1000)
	if aerr != nil {
		return aerr
	}
	filters := f.filters()
	for _, fl := range filters {
		switch {
		case fl.name == "group-id", fl.name == "security-group-rule-id", isTagFilter(fl.name):
		default:
			return clientErr("InvalidParameterValue", "The filter '%s' is invalid", fl.name)
		}
	}
	ids := f.list("SecurityGroupRuleId")
	if len(ids) > 0 && f.has("MaxResults") {
		return clientErr("InvalidParameterCombination", "The parameter 'securityGroupRuleIds' may not be used in combination with 'maxResults'.")
	}
	var page []*rule
	var next string
	gids := groupIDFilter(filters)
	if len(ids) > 0 || gids != nil {
		// Small candidate sets: the named rules, or the rules of the
		// named groups (the remediation path), sorted by paginate.
		var candidates []*rule
		for _, id := range ids {
			r, aerr := rs.ruleByID(id)
			if aerr != nil {
				return aerr
			}
			candidates = append(candidates, r)
		}
		if len(ids) == 0 {
			for _, gid := range gids {
				if g := rs.groups[gid]; g != nil {
					candidates = append(candidates, g.ingress...)
					candidates = append(candidates, g.egress...)
				}
			}
		}
		matched := candidates[:0]
		for _, r := range candidates {
			if ruleMatches(r, filters) {
				matched = append(matched, r)
			}
		}
		page, next, aerr = paginate(matched, func(r *rule) uint64 { return r.seq }, "sgr", f.get("NextToken"), max)
	} else {
		page, next, aerr = rs.ruleOrder.page("sgr", f.get("NextToken"), max, func(r *rule) bool { return ruleMatches(r, filters) })
	}
	if aerr != nil {
		return aerr
	}
	x.open("securityGroupRuleSet")
	for _, r := range page {
		x.open("item")
		writeRule(rs, x, r)
		x.close("item")
	}
	x.close("securityGroupRuleSet")
	x.opt("nextToken", next)
	return nil
}

// groupIDFilter returns the literal values of a group-id filter, or nil
// when there is none or it uses wildcards.
func groupIDFilter(filters []filter) []string {
	for _, fl := range filters {
		if fl.name != "group-id" {
			continue
		}
		for _, v := range fl.values {
			if strings.ContainsAny(v, "*?") {
				return nil
			}
		}
		return fl.values
	}
	return nil
}

func ruleMatches(r *rule, filters []filter) bool {
	for _, fl := range filters {
		var ok bool
		switch fl.name {
		case "group-id":
			ok = matchAny(fl.values, r.groupID)
		case "security-group-rule-id":
			ok = matchAny(fl.values, r.id)
		default:
			ok, _ = matchTags(fl, r.tags)
		}
		if !ok {
			return false
		}
	}
	return true
}

func ec2ModifySecurityGroupRules(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	g, aerr := rs.lookupGroup(f, "GroupId", "")
	if aerr != nil {
		return aerr
	}
	type change struct {
		old, new *rule
	}
	var changes []change
	idx := f.indexes("SecurityGroupRule")
	if len(idx) == 0 {
		return clientErr("MissingParameter", "The request must contain the parameter SecurityGroupRule")
	}
	for _, i := range idx {
		p := sub("SecurityGroupRule", i)
		id := f.get(p + "SecurityGroupRuleId")
		old, aerr := rs.ruleByID(id)
		if aerr != nil {
			return aerr
		}
		if old.groupID != g.id {
			return ruleNotFound(id)
		}
		q := p + "SecurityGroupRule."
		perm, aerr := newPermission(f.get(q+"IpProtocol"), f, q)
		if aerr != nil {
			return aerr
		}
		var refs []peerRef
		if v := f.get(q + "CidrIpv4"); v != "" {
			refs = append(refs, peerRef{kind: peerCIDR4, value: v})
		}
		if v := f.get(q + "CidrIpv6"); v != "" {
			refs = append(refs, peerRef{kind: peerCIDR6, value: v})
		}
		if v := f.get(q + "PrefixListId"); v != "" {
			refs = append(refs, peerRef{kind: peerPrefixList, value: v})
		}
		if v := f.get(q + "ReferencedGroupId"); v != "" {
			refs = append(refs, peerRef{kind: peerGroup, value: v})
		}
		if len(refs) != 1 {
			return clientErr("InvalidParameterValue", "Exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId must be specified")
		}
		refs[0].description = f.get(q + "Description")
		if aerr := rs.validatePeer(&refs[0]); aerr != nil {
			return aerr
		}
		nr := &rule{
			id: old.id, groupID: g.id, egress: old.egress, protocol: perm.protocol, from: perm.from, to: perm.to,
			kind: refs[0].kind, peer: refs[0].value, peerUser: refs[0].user, description: refs[0].description,
			tags: old.tags, seq: old.seq,
		}
		if dup := g.keys[nr.key()]; dup != nil && dup != old {
			return duplicateErr(nr)
		}
		changes = append(changes, change{old, nr})
	}
	for _, ch := range changes {
		delete(g.keys, ch.old.key())
		*ch.old = *ch.new
		g.keys[ch.old.key()] = ch.old
	}
	x.bool("return", true)
	return nil
}
