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
type group struct {
	attrs policy.Rule
}

func newGroup(g *types.SecurityGroup) *group {
	gr := &group{attrs: policy.Rule{GroupID: aws.ToString(g.GroupId), GroupOwner: aws.ToString(g.OwnerId)}}
	remediate.SetGroup(&gr.attrs, g)
	return gr
}

func (g *group) id() string    { return g.attrs.GroupID }
func (g *group) owner() string { return g.attrs.GroupOwner }

// convertRule turns one DescribeSecurityGroupRules item into a policy.Rule.
// g may be nil when the group was not listed (created meanwhile); the rule is
// then evaluated with GroupKnown=false.
func convertRule(r *types.SecurityGroupRule, g *group) (policy.Rule, error) {
	out, err := remediate.RuleFromEC2(r)
	if err != nil {
		return policy.Rule{}, err
	}
	if g != nil {
		a := &g.attrs
		out.GroupID = a.GroupID // share the group's string
		out.GroupKnown, out.GroupName, out.IsDefaultGroup, out.VPCID, out.GroupTags = a.GroupKnown, a.GroupName, a.IsDefaultGroup, a.VPCID, a.GroupTags
		if out.GroupOwner == "" {
			out.GroupOwner = a.GroupOwner
		}
	}
	return out, nil
}

// convertENI converts an interface with remediate.ENIFromEC2, which also
// classifies its owner (remediate.ClassifyOwner).
func convertENI(ni *types.NetworkInterface) policy.ENI {
	return remediate.ENIFromEC2(ni)
}
