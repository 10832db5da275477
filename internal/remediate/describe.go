package remediate

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// groupState is the current state of one group, read from the account.
type groupState struct {
	// group is nil when the group no longer exists.
	group *types.SecurityGroup
	rules []policy.Rule
}

// describeGroup reads the group (name, VPC, tags) and all its rules. With a
// known group ID both calls run concurrently; with only a name, the group is
// resolved first.
func (iv *invocation) describeGroup(ctx context.Context, groupID, groupName string) (*groupState, error) {
	st := &groupState{}
	if groupID == "" {
		if groupName == "" {
			return nil, fmt.Errorf("event names no group")
		}
		out, err := iv.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{groupName}})
		if err != nil {
			if isGroupNotFound(err) {
				return st, nil
			}
			return nil, fmt.Errorf("describe group %q: %w", groupName, err)
		}
		switch len(out.SecurityGroups) {
		case 0:
			return st, nil
		case 1:
		default:
			return nil, fmt.Errorf("describe group %q: %d groups have that name", groupName, len(out.SecurityGroups))
		}
		st.group = &out.SecurityGroups[0]
		rules, err := iv.describeRules(ctx, "group-id", []string{aws.ToString(st.group.GroupId)})
		if err != nil {
			return nil, err
		}
		st.rules = rules
		setGroups(st.rules, st.group)
		return st, nil
	}

	var (
		wg       sync.WaitGroup
		groupErr error
		groups   *ec2.DescribeSecurityGroupsOutput
	)
	wg.Go(func() {
		groups, groupErr = iv.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{groupID}})
	})
	rules, rulesErr := iv.describeRules(ctx, "group-id", []string{groupID})
	wg.Wait()
	switch {
	case groupErr != nil && isGroupNotFound(groupErr):
		return st, nil
	case groupErr != nil:
		return nil, fmt.Errorf("describe group %s: %w", groupID, groupErr)
	case rulesErr != nil:
		return nil, rulesErr
	}
	for i := range groups.SecurityGroups {
		if aws.ToString(groups.SecurityGroups[i].GroupId) == groupID {
			st.group = &groups.SecurityGroups[i]
		}
	}
	if st.group == nil {
		return st, nil
	}
	st.rules = rules
	setGroups(st.rules, st.group)
	return st, nil
}

func setGroups(rules []policy.Rule, g *types.SecurityGroup) {
	for i := range rules {
		SetGroup(&rules[i], g)
	}
}

// describeRules pages through DescribeSecurityGroupRules with one filter
// (or none when filter is empty).
func (iv *invocation) describeRules(ctx context.Context, filter string, values []string) ([]policy.Rule, error) {
	in := &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(1000)}
	if filter != "" {
		in.Filters = []types.Filter{{Name: aws.String(filter), Values: values}}
	}
	var rules []policy.Rule
	for {
		out, err := iv.ec2.DescribeSecurityGroupRules(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe rules (%s=%v): %w", filter, values, err)
		}
		for i := range out.SecurityGroupRules {
			r, err := RuleFromEC2(&out.SecurityGroupRules[i])
			if err != nil {
				iv.log.WarnContext(ctx, "rule skipped", "rule_id", aws.ToString(out.SecurityGroupRules[i].SecurityGroupRuleId), "error", err.Error())
				continue
			}
			rules = append(rules, r)
		}
		if aws.ToString(out.NextToken) == "" {
			return rules, nil
		}
		in.NextToken = out.NextToken
	}
}

// describeGroups reads groups by ID (for tags and default-ness); missing
// groups are simply absent from the map.
func (iv *invocation) describeGroups(ctx context.Context, ids []string) (map[string]*types.SecurityGroup, error) {
	m := map[string]*types.SecurityGroup{}
	if len(ids) == 0 {
		return m, nil
	}
	in := &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: ids}}}
	for {
		out, err := iv.ec2.DescribeSecurityGroups(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe groups %v: %w", ids, err)
		}
		for i := range out.SecurityGroups {
			g := &out.SecurityGroups[i]
			m[aws.ToString(g.GroupId)] = g
		}
		if aws.ToString(out.NextToken) == "" {
			return m, nil
		}
		in.NextToken = out.NextToken
	}
}

// prefixListEntries reads the current entries of a managed prefix list.
func (iv *invocation) prefixListEntries(ctx context.Context, id string, version int64) ([]types.PrefixListEntry, error) {
	in := &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id), MaxResults: aws.Int32(100)}
	if version > 0 {
		in.TargetVersion = aws.Int64(version)
	}
	var entries []types.PrefixListEntry
	for {
		out, err := iv.ec2.GetManagedPrefixListEntries(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("get entries of %s: %w", id, err)
		}
		entries = append(entries, out.Entries...)
		if aws.ToString(out.NextToken) == "" {
			return entries, nil
		}
		in.NextToken = out.NextToken
	}
}

// resolvePrefixLists fills the entries of every prefix-list peer among
// rules, one call per distinct list. A list that cannot be read stays
// unresolved (the engine then reports an uncertain match).
func (iv *invocation) resolvePrefixLists(ctx context.Context, rules []*policy.Rule) {
	cache := map[string][]types.PrefixListEntry{}
	failed := map[string]bool{}
	for _, r := range rules {
		if r.Peer.Kind != policy.PeerPrefixList || r.Peer.PrefixListResolved {
			continue
		}
		id := r.Peer.PrefixListID
		entries, ok := cache[id]
		if !ok && !failed[id] {
			var err error
			entries, err = iv.prefixListEntries(ctx, id, 0)
			if err != nil {
				iv.log.WarnContext(ctx, "prefix list unresolved", "prefix_list_id", id, "error", err.Error())
				failed[id] = true
				continue
			}
			cache[id] = entries
		}
		if failed[id] {
			continue
		}
		setPrefixListEntries(&r.Peer, entries)
	}
}

func setPrefixListEntries(p *policy.Peer, entries []types.PrefixListEntry) {
	p.PrefixListEntries = p.PrefixListEntries[:0]
	for _, e := range entries {
		if pfx, err := parsePrefix(aws.ToString(e.Cidr)); err == nil {
			p.PrefixListEntries = append(p.PrefixListEntries, pfx)
		}
	}
	p.PrefixListResolved = true
}

// describeENIs lists the network interfaces matching one filter.
func (iv *invocation) describeENIs(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput) ([]policy.ENI, error) {
	var enis []policy.ENI
	for {
		out, err := iv.ec2.DescribeNetworkInterfaces(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe network interfaces: %w", err)
		}
		for i := range out.NetworkInterfaces {
			enis = append(enis, ENIFromEC2(&out.NetworkInterfaces[i]))
		}
		if aws.ToString(out.NextToken) == "" {
			return enis, nil
		}
		in.NextToken = out.NextToken
	}
}
