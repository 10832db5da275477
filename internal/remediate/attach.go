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

// handleAttachment computes the effective exposure (seed rule 1) of the
// network interfaces that groups were attached to, and alerts when a port
// is open to public space through a rule the policy flags. Exposure that
// only comes from compliant rules (say 443 from the world) is logged, not
// alerted.
func (iv *invocation) handleAttachment(ctx context.Context, res Result) (Result, error) {
	att := iv.ev.Attachment
	if att == nil || (len(att.GroupIDs) == 0 && len(att.NetworkInterfaceIDs) == 0 && len(att.InstanceIDs) == 0) {
		return iv.ignore(ctx, res, "no groups attached"), nil
	}
	start := time.Now()
	rulesByGroup := map[string][]policy.Rule{}
	fetch := func(ids []string) error {
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
		var ptrs []*policy.Rule
		for i := range rules {
			ptrs = append(ptrs, &rules[i])
		}
		iv.resolvePrefixLists(ctx, ptrs)
		for _, r := range rules {
			rulesByGroup[r.GroupID] = append(rulesByGroup[r.GroupID], r)
		}
		return nil
	}
	failed := func(err error) (Result, error) {
		iv.m.time(stageDescribe, start)
		a := iv.baseAlert(notify.ActionFailed)
		return iv.fail(ctx, res, a, err)
	}

	// Groups named by the event first: when none opens anything to public
	// space, the ENIs need not be read.
	if len(att.GroupIDs) > 0 {
		if err := fetch(att.GroupIDs); err != nil {
			return failed(err)
		}
		if len(policy.ExposureOf(policy.ENI{GroupIDs: att.GroupIDs}, rulesByGroup).Open) == 0 {
			iv.m.time(stageDescribe, start)
			return iv.ignore(ctx, res, "attached groups open nothing to public space"), nil
		}
	}
	var enis []policy.ENI
	var err error
	switch {
	case len(att.NetworkInterfaceIDs) > 0:
		enis, err = iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: att.NetworkInterfaceIDs})
	case len(att.InstanceIDs) > 0:
		enis, err = iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{
			Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: att.InstanceIDs}},
		})
	}
	if err != nil {
		return failed(err)
	}
	if len(enis) == 0 {
		// The interfaces are unknown (or already gone): judge the groups.
		enis = []policy.ENI{{GroupIDs: att.GroupIDs}}
	}
	for _, e := range enis {
		if err := fetch(e.GroupIDs); err != nil {
			return failed(err)
		}
	}

	// Judge the rules that grant public exposure, with their groups known.
	exposures := make([]policy.Exposure, 0, len(enis))
	granting := map[string]bool{}
	for _, e := range enis {
		x := policy.ExposureOf(e, rulesByGroup)
		exposures = append(exposures, x)
		for _, op := range x.Open {
			for _, g := range op.Grants {
				granting[g.RuleID] = true
			}
		}
	}
	if len(granting) == 0 {
		iv.m.time(stageDescribe, start)
		return iv.ignore(ctx, res, "interfaces not exposed"), nil
	}
	var grantGroups []string
	for id, rules := range rulesByGroup {
		for _, r := range rules {
			if granting[r.RuleID] {
				grantGroups = append(grantGroups, id)
				break
			}
		}
	}
	sort.Strings(grantGroups)
	groups, err := iv.describeGroups(ctx, grantGroups)
	if err != nil {
		return failed(err)
	}
	iv.m.time(stageDescribe, start)

	start = time.Now()
	ec := iv.evalContext()
	var js []*judged
	flagged := map[string]bool{}
	for _, gid := range grantGroups {
		for i := range rulesByGroup[gid] {
			r := &rulesByGroup[gid][i]
			if !granting[r.RuleID] {
				continue
			}
			if g := groups[gid]; g != nil {
				SetGroup(r, g)
			}
			vs := iv.r.engine.Evaluate(r, ec, nil)
			iv.m.evaluated++
			d := Strongest(vs)
			if DecisionRank(d) < DecisionRank(policy.DecisionAlert) {
				continue
			}
			iv.m.violations++
			flagged[r.RuleID] = true
			js = append(js, &judged{rule: r, current: r, vs: vs, decision: d, outcome: notify.OutcomeKept})
		}
	}
	iv.m.time(stageEvaluate, start)
	if len(js) == 0 {
		iv.log.InfoContext(ctx, "interfaces exposed by compliant rules only", "rules", len(granting))
		return iv.ignore(ctx, res, "exposure allowed by policy"), nil
	}

	a := iv.baseAlert(notify.ActionAlert)
	if len(att.GroupIDs) == 1 {
		a.Group = groupDoc(att.GroupIDs[0], "", groups[att.GroupIDs[0]])
	}
	for _, j := range js {
		a.Rules = append(a.Rules, notify.NewRule(j.rule, j.vs, j.decision, j.outcome))
		res.Kept = append(res.Kept, j.rule.RuleID)
		iv.logRule(ctx, j)
	}
	for _, x := range exposures {
		var open []string
		for _, op := range x.Open {
			for _, g := range op.Grants {
				if flagged[g.RuleID] {
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
			PublicIP: e.PublicIP, PrivateIP: e.PrivateIP, VPC: e.VPCID, Subnet: e.SubnetID, Open: open})
	}
	if err := iv.publish(ctx, &res, a); err != nil {
		iv.m.failed++
		return res, err
	}
	return res, nil
}

func openString(op policy.OpenPort) string {
	r := policy.Rule{Protocol: op.Protocol, FromPort: op.FromPort, ToPort: op.ToPort}
	s := notify.ProtocolName(op.Protocol)
	if p := notify.Ports(&r); p != "all" {
		s += "/" + p
	}
	return fmt.Sprintf("%s from %s", s, op.From)
}
