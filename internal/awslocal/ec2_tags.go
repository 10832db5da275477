package awslocal

import "strings"

// tagsOf returns a pointer to the tag map of a resource, or an error when
// the resource does not exist. Resource types that are not modelled
// (instances, subnets...) keep their tags in a side table.
func (rs *regionState) tagsOf(id string) (*map[string]string, *APIError) {
	prefix, _, ok := strings.Cut(id, "-")
	if !ok || prefix == "" {
		return nil, clientErr("InvalidID", "The ID '%s' is not valid", id)
	}
	switch prefix {
	case "sg":
		g, aerr := rs.groupByID(id)
		if aerr != nil {
			return nil, aerr
		}
		return &g.tags, nil
	case "sgr":
		r := rs.rules[id]
		if r == nil {
			return nil, ruleNotFound(id)
		}
		return &r.tags, nil
	case "eni":
		n := rs.enis[id]
		if n == nil {
			return nil, clientErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
		}
		return &n.tags, nil
	case "pl":
		p := rs.prefixLists[id]
		if p == nil {
			return nil, clientErr("InvalidPrefixListID.NotFound", "The prefix list ID '%s' does not exist", id)
		}
		return &p.tags, nil
	case "vpc":
		v := rs.vpcs[id]
		if v == nil {
			return nil, clientErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
		return &v.tags, nil
	}
	t := rs.otherTags[id]
	if t == nil {
		t = map[string]string{}
		rs.otherTags[id] = t
	}
	return &t, nil
}

func ec2CreateTags(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	ids := f.list("ResourceId")
	if len(ids) == 0 {
		return clientErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	tags, aerr := tagList(f, "Tag")
	if aerr != nil {
		return aerr
	}
	if len(tags) == 0 {
		return clientErr("MissingParameter", "The request must contain the parameter tagSet")
	}
	targets := make([]*map[string]string, 0, len(ids))
	for _, id := range ids {
		t, aerr := rs.tagsOf(id)
		if aerr != nil {
			return aerr
		}
		if len(*t)+len(tags) > 50 {
			return clientErr("TagLimitExceeded", "The maximum number of tags for resource '%s' has been reached.", id)
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		if *t == nil {
			*t = map[string]string{}
		}
		for k, v := range tags {
			(*t)[k] = v
		}
	}
	x.bool("return", true)
	return nil
}

func ec2DeleteTags(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	ids := f.list("ResourceId")
	if len(ids) == 0 {
		return clientErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	type del struct {
		key      string
		value    string
		anyValue bool
	}
	var dels []del
	for _, i := range f.indexes("Tag") {
		p := sub("Tag", i)
		// A key without a Value deletes whatever the value; with a Value
		// (even empty) only a matching tag goes.
		dels = append(dels, del{key: f.get(p + "Key"), value: f.get(p + "Value"), anyValue: !f.has(p + "Value")})
	}
	targets := make([]*map[string]string, 0, len(ids))
	for _, id := range ids {
		t, aerr := rs.tagsOf(id)
		if aerr != nil {
			return aerr
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		if len(dels) == 0 {
			for k := range *t {
				delete(*t, k)
			}
			continue
		}
		for _, d := range dels {
			if v, ok := (*t)[d.key]; ok && (d.anyValue || v == d.value) {
				delete(*t, d.key)
			}
		}
	}
	x.bool("return", true)
	return nil
}
