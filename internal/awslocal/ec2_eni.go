package awslocal

import (
	"crypto/md5"
	"fmt"
	"strconv"
)

var eniFilters = map[string]func(n *eni, v []string) bool{
	"network-interface-id": func(n *eni, v []string) bool { return matchAny(v, n.id) },
	"vpc-id":               func(n *eni, v []string) bool { return matchAny(v, n.vpcID) },
	"subnet-id":            func(n *eni, v []string) bool { return matchAny(v, n.subnetID) },
	"description":          func(n *eni, v []string) bool { return matchAny(v, n.description) },
	"interface-type":       func(n *eni, v []string) bool { return matchAny(v, n.interfaceType) },
	"requester-id":         func(n *eni, v []string) bool { return matchAny(v, n.requesterID) },
	"requester-managed": func(n *eni, v []string) bool {
		return matchAny(v, strconv.FormatBool(n.requesterManaged))
	},
	"attachment.instance-id":       func(n *eni, v []string) bool { return matchAny(v, n.instanceID) },
	"private-ip-address":           func(n *eni, v []string) bool { return matchAny(v, n.privateIP) },
	"association.public-ip":        func(n *eni, v []string) bool { return matchAny(v, n.publicIP) },
	"addresses.private-ip-address": func(n *eni, v []string) bool { return matchAny(v, n.privateIP) },
	"status":                       func(n *eni, v []string) bool { return matchAny(v, n.status()) },
	"group-id": func(n *eni, v []string) bool {
		for _, g := range n.groups {
			if matchAny(v, g) {
				return true
			}
		}
		return false
	},
}

func (n *eni) status() string {
	if n.instanceID != "" || n.requesterManaged || n.interfaceType != "interface" {
		return "in-use"
	}
	return "available"
}

func ec2DescribeNetworkInterfaces(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	max, aerr := c.maxResults(f, 5, 1000)
	if aerr != nil {
		return aerr
	}
	filters := f.filters()
	for _, fl := range filters {
		if _, ok := eniFilters[fl.name]; !ok && !isTagFilter(fl.name) && fl.name != "group-name" {
			return clientErr("InvalidParameterValue", "The filter '%s' is invalid", fl.name)
		}
	}
	ids := f.list("NetworkInterfaceId")
	if len(ids) > 0 && f.has("MaxResults") {
		return clientErr("InvalidParameterCombination", "The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults")
	}
	keep := func(n *eni) bool { return eniMatches(rs, n, filters) }
	var page []*eni
	var next string
	if len(ids) > 0 {
		var matched []*eni
		for _, id := range ids {
			n := rs.enis[id]
			if n == nil {
				return clientErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
			}
			if keep(n) {
				matched = append(matched, n)
			}
		}
		page, next, aerr = paginate(matched, func(n *eni) uint64 { return n.seq }, "eni", f.get("NextToken"), max)
	} else {
		page, next, aerr = rs.eniOrder.page("eni", f.get("NextToken"), max, keep)
	}
	if aerr != nil {
		return aerr
	}
	x.open("networkInterfaceSet")
	for _, n := range page {
		x.open("item")
		writeENI(rs, x, n)
		x.close("item")
	}
	x.close("networkInterfaceSet")
	x.opt("nextToken", next)
	return nil
}

func eniMatches(rs *regionState, n *eni, filters []filter) bool {
	for _, fl := range filters {
		var ok bool
		switch {
		case fl.name == "group-name":
			for _, gid := range n.groups {
				if g := rs.groups[gid]; g != nil && matchAny(fl.values, g.name) {
					ok = true
				}
			}
		case isTagFilter(fl.name):
			ok, _ = matchTags(fl, n.tags)
		default:
			ok = eniFilters[fl.name](n, fl.values)
		}
		if !ok {
			return false
		}
	}
	return true
}

func writeENI(rs *regionState, x *xmlWriter, n *eni) {
	sum := md5.Sum([]byte(n.id))
	mac := fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", sum[0], sum[1], sum[2], sum[3], sum[4])
	x.elem("networkInterfaceId", n.id)
	x.opt("subnetId", n.subnetID)
	x.elem("vpcId", n.vpcID)
	x.elem("availabilityZone", rs.name+"a")
	x.elem("description", n.description)
	x.elem("ownerId", rs.account)
	x.opt("requesterId", n.requesterID)
	x.bool("requesterManaged", n.requesterManaged)
	x.elem("status", n.status())
	x.elem("macAddress", mac)
	x.opt("privateIpAddress", n.privateIP)
	x.bool("sourceDestCheck", true)
	x.open("groupSet")
	for _, gid := range n.groups {
		x.open("item")
		x.elem("groupId", gid)
		if g := rs.groups[gid]; g != nil {
			x.elem("groupName", g.name)
		}
		x.close("item")
	}
	x.close("groupSet")
	if n.instanceID != "" {
		x.open("attachment")
		x.elem("attachmentId", "eni-attach-"+n.id[len("eni-"):])
		x.elem("instanceId", n.instanceID)
		x.elem("instanceOwnerId", rs.account)
		x.int("deviceIndex", 0)
		x.elem("status", "attached")
		x.bool("deleteOnTermination", true)
		x.close("attachment")
	}
	if n.publicIP != "" {
		x.open("association")
		x.elem("publicIp", n.publicIP)
		x.elem("ipOwnerId", "amazon")
		x.close("association")
	}
	x.tags("tagSet", n.tags)
	if n.privateIP != "" {
		x.open("privateIpAddressesSet")
		x.open("item")
		x.elem("privateIpAddress", n.privateIP)
		x.bool("primary", true)
		if n.publicIP != "" {
			x.open("association")
			x.elem("publicIp", n.publicIP)
			x.elem("ipOwnerId", "amazon")
			x.close("association")
		}
		x.close("item")
		x.close("privateIpAddressesSet")
	}
	x.elem("interfaceType", n.interfaceType)
}
