package awslocal

import (
	"net/netip"
	"strconv"
)

func (rs *regionState) prefixListARN(id string) string {
	return "arn:aws:ec2:" + rs.name + ":" + rs.account + ":prefix-list/" + id
}

// createPrefixList adds a prefix list at version 1. The caller validated
// the entries.
func (rs *regionState) createPrefixList(id, name, family string, maxEntries int32, entries []plEntry, tags map[string]string) *prefixList {
	if id == "" {
		id = rs.newID("pl", func(s string) bool { return rs.prefixLists[s] != nil })
	}
	p := &prefixList{
		id: id, name: name, addressFamily: family, maxEntries: maxEntries,
		version: 1, versions: map[int64][]plEntry{1: entries},
		tags: copyTags(tags), seq: rs.next(), state: "create-complete",
	}
	rs.prefixLists[id] = p
	return p
}

func validatePLEntry(family, cidr string, desc string) *APIError {
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || pfx.Addr().Is4() != (family == "IPv4") {
		return clientErr("InvalidParameterValue", "The CIDR '%s' is not valid for address family %s", cidr, family)
	}
	if len(desc) > 255 {
		return clientErr("InvalidParameterValue", "Entry descriptions must be at most 255 characters")
	}
	return nil
}

func ec2CreateManagedPrefixList(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	name, family := f.get("PrefixListName"), f.get("AddressFamily")
	max, hasMax, aerr := f.int32("MaxEntries")
	if aerr != nil {
		return aerr
	}
	switch {
	case name == "":
		return clientErr("MissingParameter", "The request must contain the parameter PrefixListName")
	case family != "IPv4" && family != "IPv6":
		return clientErr("InvalidParameterValue", "The address family '%s' is not valid; use IPv4 or IPv6", family)
	case !hasMax || max < 1 || max > 1000:
		return clientErr("InvalidParameterValue", "MaxEntries must be between 1 and 1000")
	case len(name) >= len("com.amazonaws") && name[:len("com.amazonaws")] == "com.amazonaws":
		return clientErr("InvalidParameterValue", "Prefix list names cannot start with com.amazonaws")
	}
	var entries []plEntry
	seen := map[string]bool{}
	for _, i := range f.indexes("Entry") {
		p := sub("Entry", i)
		e := plEntry{cidr: f.get(p + "Cidr"), description: f.get(p + "Description")}
		if aerr := validatePLEntry(family, e.cidr, e.description); aerr != nil {
			return aerr
		}
		if seen[e.cidr] {
			return clientErr("InvalidParameterValue", "The CIDR '%s' is listed more than once", e.cidr)
		}
		seen[e.cidr] = true
		entries = append(entries, e)
	}
	if int32(len(entries)) > max {
		return clientErr("InvalidParameterValue", "The number of entries (%d) exceeds MaxEntries (%d)", len(entries), max)
	}
	tags, aerr := tagSpecs(f, "prefix-list")
	if aerr != nil {
		return aerr
	}
	p := rs.createPrefixList("", name, family, max, entries, tags)
	x.open("prefixList")
	writePrefixList(rs, x, p)
	x.close("prefixList")
	return nil
}

func (rs *regionState) prefixListByID(id string) (*prefixList, *APIError) {
	if id == "" {
		return nil, clientErr("MissingParameter", "The request must contain the parameter PrefixListId")
	}
	p := rs.prefixLists[id]
	if p == nil {
		return nil, clientErr("InvalidPrefixListID.NotFound", "The prefix list ID '%s' does not exist", id)
	}
	return p, nil
}

// ec2ModifyManagedPrefixList follows AWS: a CurrentVersion that is not the
// list's version fails with PrefixListVersionMismatch; adding or removing
// entries creates a new version; renaming does not.
func ec2ModifyManagedPrefixList(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	p, aerr := rs.prefixListByID(f.get("PrefixListId"))
	if aerr != nil {
		return aerr
	}
	if f.has("CurrentVersion") {
		v, err := strconv.ParseInt(f.get("CurrentVersion"), 10, 64)
		if err != nil {
			return clientErr("InvalidParameterValue", "CurrentVersion %q is not a number", f.get("CurrentVersion"))
		}
		if v != p.version {
			return clientErr("PrefixListVersionMismatch", "The prefix list has the incorrect version number.")
		}
	}
	adds, removes := f.indexes("AddEntry"), f.indexes("RemoveEntry")
	max, hasMax, aerr := f.int32("MaxEntries")
	if aerr != nil {
		return aerr
	}
	if hasMax && (len(adds) > 0 || len(removes) > 0) {
		return clientErr("InvalidParameterCombination", "You cannot modify the entries of a prefix list and modify the size of a prefix list at the same time.")
	}
	cur := p.entries()
	next := make([]plEntry, 0, len(cur)+len(adds))
	index := map[string]int{}
	for _, e := range cur {
		index[e.cidr] = len(next)
		next = append(next, e)
	}
	removed := map[string]bool{}
	for _, i := range removes {
		cidr := f.get(sub("RemoveEntry", i) + "Cidr")
		if _, ok := index[cidr]; !ok {
			return clientErr("InvalidPrefixListModification", "The CIDR '%s' is not an entry of prefix list '%s'", cidr, p.id)
		}
		removed[cidr] = true
	}
	kept := next[:0]
	for _, e := range next {
		if !removed[e.cidr] {
			kept = append(kept, e)
		}
	}
	next = kept
	for _, i := range adds {
		q := sub("AddEntry", i)
		e := plEntry{cidr: f.get(q + "Cidr"), description: f.get(q + "Description")}
		if aerr := validatePLEntry(p.addressFamily, e.cidr, e.description); aerr != nil {
			return aerr
		}
		replaced := false
		for j := range next {
			if next[j].cidr == e.cidr {
				// Adding an existing CIDR updates its description.
				next[j].description = e.description
				replaced = true
			}
		}
		if !replaced {
			next = append(next, e)
		}
	}
	limit := p.maxEntries
	if hasMax {
		if max < 1 || max > 1000 || int(max) < len(cur) {
			return clientErr("InvalidParameterValue", "MaxEntries %d is not valid for prefix list '%s'", max, p.id)
		}
		limit = max
	}
	if int32(len(next)) > limit {
		return clientErr("PrefixListMaxEntriesExceeded", "The prefix list '%s' would exceed its maximum of %d entries", p.id, limit)
	}
	if name := f.get("PrefixListName"); name != "" {
		p.name = name
	}
	p.maxEntries = limit
	if len(adds) > 0 || len(removes) > 0 {
		p.version++
		p.versions[p.version] = next
		p.state = "modify-complete"
	}
	x.open("prefixList")
	writePrefixList(rs, x, p)
	x.close("prefixList")
	return nil
}

func writePrefixList(rs *regionState, x *xmlWriter, p *prefixList) {
	x.elem("prefixListId", p.id)
	x.elem("addressFamily", p.addressFamily)
	x.elem("state", p.state)
	x.elem("prefixListArn", rs.prefixListARN(p.id))
	x.elem("prefixListName", p.name)
	x.int("maxEntries", int64(p.maxEntries))
	x.int("version", p.version)
	x.tags("tagSet", p.tags)
	x.elem("ownerId", rs.account)
}

func ec2GetManagedPrefixListEntries(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	p, aerr := rs.prefixListByID(f.get("PrefixListId"))
	if aerr != nil {
		return aerr
	}
	max, aerr := c.maxResults(f, 1, 100)
	if aerr != nil {
		return aerr
	}
	version := p.version
	if f.has("TargetVersion") {
		v, err := strconv.ParseInt(f.get("TargetVersion"), 10, 64)
		if err != nil || p.versions[v] == nil && v != 1 {
			return clientErr("InvalidParameterValue", "The target version %q does not exist for prefix list '%s'", f.get("TargetVersion"), p.id)
		}
		version = v
	}
	entries := p.versions[version]
	type indexed struct {
		e plEntry
		i uint64
	}
	items := make([]indexed, len(entries))
	for i, e := range entries {
		items[i] = indexed{e, uint64(i)}
	}
	page, next, aerr := paginate(items, func(it indexed) uint64 { return it.i }, "ple"+strconv.FormatInt(version, 10), f.get("NextToken"), max)
	if aerr != nil {
		return aerr
	}
	x.open("entrySet")
	for _, it := range page {
		x.open("item")
		x.elem("cidr", it.e.cidr)
		x.opt("description", it.e.description)
		x.close("item")
	}
	x.close("entrySet")
	x.opt("nextToken", next)
	return nil
}

func ec2DescribeManagedPrefixLists(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	max, aerr := c.maxResults(f, 1, 100)
	if aerr != nil {
		return aerr
	}
	filters := f.filters()
	var candidates []*prefixList
	if ids := f.list("PrefixListId"); len(ids) > 0 {
		for _, id := range ids {
			p, aerr := rs.prefixListByID(id)
			if aerr != nil {
				return aerr
			}
			candidates = append(candidates, p)
		}
	} else {
		for _, p := range rs.prefixLists {
			candidates = append(candidates, p)
		}
	}
	var matched []*prefixList
	for _, p := range candidates {
		ok := true
		for _, fl := range filters {
			switch fl.name {
			case "prefix-list-id":
				ok = ok && matchAny(fl.values, p.id)
			case "prefix-list-name":
				ok = ok && matchAny(fl.values, p.name)
			case "owner-id":
				ok = ok && matchAny(fl.values, rs.account)
			default:
				m, handled := matchTags(fl, p.tags)
				if !handled {
					return clientErr("InvalidParameterValue", "The filter '%s' is invalid", fl.name)
				}
				ok = ok && m
			}
		}
		if ok {
			matched = append(matched, p)
		}
	}
	page, next, aerr := paginate(matched, func(p *prefixList) uint64 { return p.seq }, "pl", f.get("NextToken"), max)
	if aerr != nil {
		return aerr
	}
	x.open("prefixListSet")
	for _, p := range page {
		x.open("item")
		writePrefixList(rs, x, p)
		x.close("item")
	}
	x.close("prefixListSet")
	x.opt("nextToken", next)
	return nil
}

// ec2DeleteManagedPrefixList deletes a list that no rule references.
func ec2DeleteManagedPrefixList(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	p, aerr := rs.prefixListByID(f.get("PrefixListId"))
	if aerr != nil {
		return aerr
	}
	for _, r := range rs.rules {
		if r.kind == peerPrefixList && r.peer == p.id {
			return clientErr("DependencyViolation", "The prefix list '%s' is referenced by security group rule '%s'", p.id, r.id)
		}
	}
	delete(rs.prefixLists, p.id)
	p.state = "delete-complete"
	x.open("prefixList")
	writePrefixList(rs, x, p)
	x.close("prefixList")
	return nil
}

// ec2RestoreManagedPrefixListVersion follows AWS: CurrentVersion must be the
// list's version (PrefixListVersionMismatch otherwise), and the entries of
// PreviousVersion become a new version.
func ec2RestoreManagedPrefixListVersion(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	p, aerr := rs.prefixListByID(f.get("PrefixListId"))
	if aerr != nil {
		return aerr
	}
	var versions [2]int64
	for i, k := range [...]string{"CurrentVersion", "PreviousVersion"} {
		if !f.has(k) {
			return clientErr("MissingParameter", "The request must contain the parameter %s", k)
		}
		v, err := strconv.ParseInt(f.get(k), 10, 64)
		if err != nil {
			return clientErr("InvalidParameterValue", "%s %q is not a number", k, f.get(k))
		}
		versions[i] = v
	}
	cur, prev := versions[0], versions[1]
	if cur != p.version {
		return clientErr("PrefixListVersionMismatch", "The prefix list has the incorrect version number.")
	}
	old, ok := p.versions[prev]
	if !ok || prev >= cur {
		return clientErr("InvalidParameterValue", "The version %d does not exist for prefix list '%s'", prev, p.id)
	}
	if int32(len(old)) > p.maxEntries {
		return clientErr("PrefixListMaxEntriesExceeded", "The prefix list '%s' would exceed its maximum of %d entries", p.id, p.maxEntries)
	}
	p.version++
	p.versions[p.version] = append([]plEntry(nil), old...)
	p.state = "restore-complete"
	x.open("prefixList")
	writePrefixList(rs, x, p)
	x.close("prefixList")
	return nil
}
