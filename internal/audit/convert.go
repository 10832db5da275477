package audit

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// The conversion from SDK types to policy values is remediate's
// (RuleFromEC2, SetGroup, ENIFromEC2), so the event path and the audit judge
// the same rule identically. This file only adapts it to a scan.

// group is what a scan keeps of one security group: its attributes as
// remediate.SetGroup sets them on a rule, computed once per group so that
// every rule of the group shares one tag map instead of a copy per rule.
// Only those attributes are kept, not a whole rule: a region's groups are
// held for the whole scan.
type group struct {
	groupID, name, ownerID, vpc string
	known, isDefault            bool
	tags                        map[string]string
}

func newGroup(g *types.SecurityGroup) *group {
	r := policy.Rule{GroupID: aws.ToString(g.GroupId), GroupOwner: aws.ToString(g.OwnerId)}
	remediate.SetGroup(&r, g)
	return &group{groupID: r.GroupID, name: r.GroupName, ownerID: r.GroupOwner, vpc: r.VPCID,
		known: r.GroupKnown, isDefault: r.IsDefaultGroup, tags: r.GroupTags}
}

func (g *group) id() string    { return g.groupID }
func (g *group) owner() string { return g.ownerID }

// convertRule turns one DescribeSecurityGroupRules item into a policy.Rule.
// g may be nil when the group was not listed (created meanwhile); the rule is
// then evaluated with GroupKnown=false.
func convertRule(r *types.SecurityGroupRule, g *group) (policy.Rule, error) {
	out, err := remediate.RuleFromEC2(r)
	if err != nil {
		return policy.Rule{}, err
	}
	if g != nil {
		out.GroupID = g.groupID // share the group's string
		out.GroupKnown, out.GroupName, out.IsDefaultGroup, out.VPCID, out.GroupTags = g.known, g.name, g.isDefault, g.vpc, g.tags
		if out.GroupOwner == "" {
			out.GroupOwner = g.ownerID
		}
	}
	return out, nil
}

// convertENI converts an interface with remediate.ENIFromEC2, which also
// classifies its owner (remediate.ClassifyOwner).
func convertENI(ni *types.NetworkInterface) policy.ENI {
	return remediate.ENIFromEC2(ni)
}
