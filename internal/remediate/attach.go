package remediate

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// exposureChange is one attachment event on its way through
// handleAttachment's steps.
type exposureChange struct {
	rulesByGroup map[string][]policy.Rule
	exposures    []policy.Exposure
	// granting holds the rule IDs that grant some public exposure.
	granting map[string]bool
	groups   map[string]*types.SecurityGroup
	js       []*judged
	flagged  map[string]bool
}

// handleAttachment is the contract for groups attached to interfaces or
// instances (seed rule 1: the union of all groups counts). It confirms the
// effective exposure of the interfaces, judges the rules that grant public
// exposure, and alerts when the policy flags one. Nothing is revoked: the
// rules themselves did not change. Exposure that only comes from compliant
// rules (say 443 from the world) is logged, not alerted.
func (iv *invocation) handleAttachment(ctx context.Context, res Result) (Result, error) {
	att := iv.ev.Attachment
	if att == nil || (len(att.GroupIDs) == 0 && len(att.NetworkInterfaceIDs) == 0 && len(att.InstanceIDs) == 0) {
		return iv.ignore(ctx, res, "no groups attached"), nil
	}
	if err := iv.connect(ctx); err != nil {
		return iv.failEvent(res, err)
	}
	start := time.Now()
	xc, why, err := iv.confirmExposure(ctx)
	iv.m.time(stageDescribe, start)
	if err != nil {
		return iv.failEvent(res, err)
	}
	if why != "" {
		return iv.ignore(ctx, res, why), nil
	}
	start = time.Now()
	flagged := iv.judgeExposure(xc)
	iv.m.time(stageEvaluate, start)
	if !flagged {
		iv.log.InfoContext(ctx, "interfaces exposed by compliant rules only", "rules", len(xc.granting))
		return iv.ignore(ctx, res, "exposure allowed by policy"), nil
	}
	return iv.alertAttachment(ctx, res, xc)
}

// confirmExposure reads the rules of the attached groups, the interfaces
// and the rules of all their groups, and computes each interface's
// effective exposure; why says when nothing is exposed.
func (iv *invocation) confirmExposure(ctx context.Context) (*exposureChange, string, error) {
	att := iv.ev.Attachment
	xc := &exposureChange{rulesByGroup: map[string][]policy.Rule{}, granting: map[string]bool{}}
	// Groups named by the event first: when none opens anything to public
	// space, the ENIs need not be read.
	if len(att.GroupIDs) > 0 {
		if err := iv.fetchRules(ctx, xc.rulesByGroup, att.GroupIDs); err != nil {
			return nil, "", err
		}
		if len(policy.ExposureOf(policy.ENI{GroupIDs: att.GroupIDs}, xc.rulesByGroup).Open) == 0 {
			return nil, "attached groups open nothing to public space", nil
		}
	}
	enis, err := iv.attachedENIs(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(enis) == 0 {
		// The interfaces are unknown (or already gone): judge the groups.
		enis = []policy.ENI{{GroupIDs: att.GroupIDs}}
	}
	for _, e := range enis {
		if err := iv.fetchRules(ctx, xc.rulesByGroup, e.GroupIDs); err != nil {
			return nil, "", err
		}
	}
	xc.exposures = make([]policy.Exposure, 0, len(enis))
	for _, e := range enis {
		x := policy.ExposureOf(e, xc.rulesByGroup)
		xc.exposures = append(xc.exposures, x)
		for _, op := range x.Open {
			for _, g := range op.Grants {
				xc.granting[g.RuleID] = true
			}
		}
	}
	if len(xc.granting) == 0 {
		return nil, "interfaces not exposed", nil
	}
	xc.groups, err = iv.describeGroups(ctx, xc.grantingGroups())
	if err != nil {
		return nil, "", err
	}
	return xc, "", nil
}

// fetchRules reads the rules of the groups not yet in rulesByGroup, with
// their prefix lists resolved.
func (iv *invocation) fetchRules(ctx context.Context, rulesByGroup map[string][]policy.Rule, ids []string) error {
	var missing []string
	for _, id := range ids {
		if _, ok := rulesByGroup[id]; !ok {
			missing = append(missing, id)
			rulesByGroup[id] = nil
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rules, err := iv.describeRules(ctx, "group-id", missing)
	if err != nil {
		return err
	}
	ptrs := make([]*policy.Rule, 0, len(rules))
	for i := range rules {
		ptrs = append(ptrs, &rules[i])
	}
	iv.resolvePrefixLists(ctx, ptrs)
	for _, r := range rules {
		rulesByGroup[r.GroupID] = append(rulesByGroup[r.GroupID], r)
	}
	return nil
}

// attachedENIs reads the interfaces the event attached groups to.
func (iv *invocation) attachedENIs(ctx context.Context) ([]policy.ENI, error) {
	att := iv.ev.Attachment
	switch {
	case len(att.NetworkInterfaceIDs) > 0:
		return iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: att.NetworkInterfaceIDs})
	case len(att.InstanceIDs) > 0:
		return iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{
			Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: att.InstanceIDs}},
		})
	}
	return nil, nil
}

// grantingGroups lists, sorted, the groups holding a granting rule.
func (xc *exposureChange) grantingGroups() []string {
	var ids []string
	for id, rules := range xc.rulesByGroup {
		for _, r := range rules {
			if xc.granting[r.RuleID] {
				ids = append(ids, id)
				break
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// judgeExposure judges the granting rules with their groups known; it
// reports whether the policy flags any (alert or stronger).
func (iv *invocation) judgeExposure(xc *exposureChange) bool {
	ec := iv.evalContext()
	xc.flagged = map[string]bool{}
	for _, gid := range xc.grantingGroups() {
		for i := range xc.rulesByGroup[gid] {
			r := &xc.rulesByGroup[gid][i]
			if !xc.granting[r.RuleID] {
				continue
			}
			if g := xc.groups[gid]; g != nil {
				SetGroup(r, g)
			}
			vs := iv.r.engine.Evaluate(r, ec, nil)
			iv.m.evaluated++
			d := Strongest(vs)
			if DecisionRank(d) < DecisionRank(policy.DecisionAlert) {
				continue
			}
			iv.m.violations++
			xc.flagged[r.RuleID] = true
			xc.js = append(xc.js, &judged{rule: r, current: r, vs: vs, decision: d, outcome: notify.OutcomeKept})
		}
	}
	iv.judgeExposureTogether(xc)
	return len(xc.js) > 0
}

// alertAttachment publishes the flagged rules and the interfaces they open.
func (iv *invocation) alertAttachment(ctx context.Context, res Result, xc *exposureChange) (Result, error) {
	att := iv.ev.Attachment
	a := iv.baseAlert(notify.ActionAlert)
	if len(att.GroupIDs) == 1 {
		a.Group = groupDoc(att.GroupIDs[0], "", xc.groups[att.GroupIDs[0]])
	}
	for _, j := range xc.js {
		a.Rules = append(a.Rules, j.doc())
		res.Kept = append(res.Kept, ruleRef(j.rule))
		iv.logRule(ctx, j)
	}
	for _, x := range xc.exposures {
		var open []string
		for _, op := range x.Open {
			for _, g := range op.Grants {
				if xc.flagged[g.RuleID] {
					open = append(open, openString(op))
					break
				}
			}
		}
		if len(open) == 0 {
			continue
		}
		e := x.ENI
		a.Exposed = append(a.Exposed, notify.ExposedENI{ID: e.ID, InstanceID: e.InstanceID, OwnerType: e.OwnerType,
			PublicIP: e.PublicIP, ElasticIP: e.ElasticIP, IPv6: e.IPv6, PrivateIP: e.PrivateIP, VPC: e.VPCID, Subnet: e.SubnetID, Open: open})
	}
	return iv.alert(ctx, res, a)
}

func openString(op policy.OpenPort) string {
	r := policy.Rule{Protocol: op.Protocol, FromPort: op.FromPort, ToPort: op.ToPort}
	s := notify.ProtocolName(op.Protocol)
	if p := notify.Ports(&r); p != "all" {
		s += "/" + p
	}
	return fmt.Sprintf("%s from %s", s, op.From)
}
