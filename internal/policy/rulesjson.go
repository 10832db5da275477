package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// ErrBadRulesJSON is wrapped by every DecodeRulesJSON error.
var ErrBadRulesJSON = errors.New("bad security-group rules JSON")

// RulesDocument is the JSON that DecodeRulesJSON reads: the output of
// `aws ec2 describe-security-group-rules`, optionally merged with the
// `SecurityGroups` of `aws ec2 describe-security-groups` (which makes the
// group attributes known) and sgwarden's own `PrefixLists` key (the
// entries of managed prefix lists, so prefix-list peers are resolved).
type RulesDocument struct {
	SecurityGroupRules []RuleJSON       `json:"SecurityGroupRules"`
	SecurityGroups     []GroupJSON      `json:"SecurityGroups,omitempty"`
	PrefixLists        []PrefixListJSON `json:"PrefixLists,omitempty"`
}

// RuleJSON is one element of SecurityGroupRules, as the AWS CLI prints it.
type RuleJSON struct {
	SecurityGroupRuleId string
	GroupId             string
	GroupOwnerId        string `json:",omitempty"`
	IsEgress            bool
	IpProtocol          string
	FromPort            *int32 `json:",omitempty"`
	ToPort              *int32 `json:",omitempty"`
	CidrIpv4            string `json:",omitempty"`
	CidrIpv6            string `json:",omitempty"`
	PrefixListId        string `json:",omitempty"`
	ReferencedGroupInfo *struct {
		GroupId string
		UserId  string `json:",omitempty"`
	} `json:",omitempty"`
	Description string    `json:",omitempty"`
	Tags        []TagJSON `json:",omitempty"`
}

// GroupJSON is one element of describe-security-groups' SecurityGroups
// (only the fields evaluation needs).
type GroupJSON struct {
	GroupId   string
	GroupName string
	VpcId     string    `json:",omitempty"`
	OwnerId   string    `json:",omitempty"`
	Tags      []TagJSON `json:",omitempty"`
}

// TagJSON is an EC2 tag.
type TagJSON struct {
	Key   string
	Value string
}

// PrefixListJSON lists the entries of one managed prefix list, in the
// shape of get-managed-prefix-list-entries' Entries.
type PrefixListJSON struct {
	PrefixListId string
	Entries      []struct {
		Cidr        string
		Description string `json:",omitempty"`
	}
}

// DecodeRulesJSON turns a RulesDocument into rules. A rule whose group is
// listed in SecurityGroups has its group attributes known (GroupKnown; the
// group named "default" is the VPC's default group); other rules leave
// them unknown. Errors name the offending rule and wrap ErrBadRulesJSON.
func DecodeRulesJSON(data []byte) ([]Rule, error) {
	var doc RulesDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRulesJSON, err)
	}
	if doc.SecurityGroupRules == nil {
		return nil, fmt.Errorf("%w: no SecurityGroupRules key", ErrBadRulesJSON)
	}
	groups := map[string]*GroupJSON{}
	for i := range doc.SecurityGroups {
		groups[doc.SecurityGroups[i].GroupId] = &doc.SecurityGroups[i]
	}
	lists := map[string][]netip.Prefix{}
	for i, pl := range doc.PrefixLists {
		entries := []netip.Prefix{}
		for j, e := range pl.Entries {
			p, err := ParsePeerCIDR(e.Cidr)
			if err != nil {
				return nil, fmt.Errorf("%w: PrefixLists[%d].Entries[%d]: %w", ErrBadRulesJSON, i, j, err)
			}
			entries = append(entries, p.CIDR)
		}
		lists[pl.PrefixListId] = entries
	}
	rules := make([]Rule, 0, len(doc.SecurityGroupRules))
	for i, rj := range doc.SecurityGroupRules {
		r, err := rj.rule(groups, lists)
		if err != nil {
			return nil, fmt.Errorf("%w: SecurityGroupRules[%d] (%s): %w", ErrBadRulesJSON, i, rj.SecurityGroupRuleId, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func (rj *RuleJSON) rule(groups map[string]*GroupJSON, lists map[string][]netip.Prefix) (Rule, error) {
	r := Rule{
		GroupID: rj.GroupId, GroupOwner: rj.GroupOwnerId, RuleID: rj.SecurityGroupRuleId,
		Description: rj.Description, RuleTags: tagMap(rj.Tags),
	}
	if rj.GroupId == "" {
		return r, errors.New("GroupId is empty")
	}
	if rj.IsEgress {
		r.Direction = Egress
	}
	p, err := ParseProtocol(rj.IpProtocol)
	if err != nil {
		return r, err
	}
	r.Protocol, r.FromPort, r.ToPort = p, -1, -1
	if rj.FromPort != nil {
		r.FromPort = *rj.FromPort
	}
	if rj.ToPort != nil {
		r.ToPort = *rj.ToPort
	}
	if p.HasPorts() && (r.FromPort < -1 || r.FromPort > 65535 || r.ToPort < -1 || r.ToPort > 65535) {
		return r, fmt.Errorf("%w: %d-%d", ErrBadPort, r.FromPort, r.ToPort)
	}
	n := 0
	if rj.CidrIpv4 != "" {
		n++
		if r.Peer, err = ParsePeerCIDR(rj.CidrIpv4); err == nil && r.Peer.Kind != PeerIPv4 {
			err = fmt.Errorf("%w: CidrIpv4 %q is not IPv4", ErrBadCIDR, rj.CidrIpv4)
		}
	}
	if rj.CidrIpv6 != "" {
		n++
		if r.Peer, err = ParsePeerCIDR(rj.CidrIpv6); err == nil && r.Peer.Kind != PeerIPv6 {
			err = fmt.Errorf("%w: CidrIpv6 %q is not IPv6", ErrBadCIDR, rj.CidrIpv6)
		}
	}
	if err != nil {
		return r, err
	}
	if rj.PrefixListId != "" {
		n++
		entries, ok := lists[rj.PrefixListId]
		r.Peer = Peer{Kind: PeerPrefixList, PrefixListID: rj.PrefixListId, PrefixListEntries: entries, PrefixListResolved: ok}
	}
	if g := rj.ReferencedGroupInfo; g != nil {
		n++
		r.Peer = Peer{Kind: PeerGroup, GroupID: g.GroupId, GroupOwner: g.UserId}
	}
	if n != 1 {
		return r, errors.New("want exactly one of CidrIpv4, CidrIpv6, PrefixListId, ReferencedGroupInfo, got " + strconv.Itoa(n))
	}
	if g, ok := groups[rj.GroupId]; ok {
		r.GroupKnown = true
		r.GroupName, r.VPCID = g.GroupName, g.VpcId
		r.IsDefaultGroup = g.GroupName == "default"
		r.GroupTags = tagMap(g.Tags)
		if r.GroupOwner == "" {
			r.GroupOwner = g.OwnerId
		}
	}
	return r, nil
}

func tagMap(tags []TagJSON) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
