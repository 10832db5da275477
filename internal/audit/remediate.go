package audit

import (
	"context"
	"fmt"

	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// remediate reverts the revert candidates of every region when their number
// stays within the bound, and records each finding's outcome.
func (a *Auditor) remediate(ctx context.Context, rep *Report, results []*regionResult) {
	rem := &rep.Remediation
	rem.Enforced = a.engine.Mode() == policy.ModeEnforce
	rem.MaxReverts = a.maxReverts
	for _, res := range results {
		rem.Candidates += res.revertCount
	}
	if rem.Candidates == 0 {
		return
	}
	status := map[string]*FindingOutcome{} // region|ruleKey -> outcome
	setAll := func(st string) {
		for _, res := range results {
			for key := range res.revertRules {
				status[res.report.Region+"|"+key] = &FindingOutcome{Status: st}
			}
		}
	}
	switch {
	case rem.Candidates > a.maxReverts:
		rem.BoundExceeded = true
		rem.Note = fmt.Sprintf("%d rules to revert exceed the bound of %d per run: nothing was reverted, report only", rem.Candidates, a.maxReverts)
		setAll(StatusSkippedBound)
		a.logger.WarnContext(ctx, "audit revert bound exceeded", "candidates", rem.Candidates, "max_reverts", a.maxReverts)
	case a.reverter == nil:
		rem.Note = "no reverter configured: nothing was reverted"
		setAll(StatusNotAttempted)
	default:
		for _, res := range results {
			a.revertRegion(ctx, res, rem, status)
		}
	}
	reverted := map[string]bool{} // region|rule ID
	for i := range rep.Violations {
		f := &rep.Violations[i]
		if f.Decision != policy.DecisionRevert {
			continue
		}
		key := f.Region + "|" + findingRuleKey(f)
		if o, ok := status[key]; ok {
			c := *o
			f.Remediation = &c
			if f.Rule.ID != "" && (o.Status == StatusReverted || o.Status == StatusAlreadyGone) {
				reverted[f.Region+"|"+f.Rule.ID] = true
			}
		}
	}
	if len(reverted) == 0 {
		return
	}
	rep.reverted = reverted
	for i := range rep.Exposures {
		markReverted(&rep.Exposures[i], reverted)
	}
}

func (a *Auditor) revertRegion(ctx context.Context, res *regionResult, rem *Remediation, status map[string]*FindingOutcome) {
	region := res.report.Region
	// Group the candidates by security group, in the order found.
	var order []string
	byGroup := map[string][]policy.Violation{}
	keys := map[string]string{} // rule ID -> rule key
	for _, c := range res.reverts {
		if _, ok := byGroup[c.groupID]; !ok {
			order = append(order, c.groupID)
		}
		byGroup[c.groupID] = append(byGroup[c.groupID], c.vs...)
		keys[c.ruleID] = ruleKey(&c.vs[0].Rule)
	}
	for _, gid := range order {
		vs := byGroup[gid]
		outcomes, err := a.reverter.Revert(ctx, region, gid, vs)
		done := map[string]bool{}
		for _, o := range outcomes {
			key, ok := keys[o.RuleID]
			if !ok || done[key] {
				continue
			}
			done[key] = true
			a.record(ctx, region, gid, o.RuleID, o.AlreadyGone, o.Err, rem, status, key)
		}
		// Rules the reverter said nothing about failed with its error.
		for _, v := range vs {
			key := ruleKey(&v.Rule)
			if done[key] {
				continue
			}
			done[key] = true
			e := err
			if e == nil {
				e = fmt.Errorf("reverter returned no outcome for rule %s", v.Rule.RuleID)
			}
			a.record(ctx, region, gid, v.Rule.RuleID, false, e, rem, status, key)
		}
	}
}

func (a *Auditor) record(ctx context.Context, region, groupID, ruleID string, gone bool, err error, rem *Remediation, status map[string]*FindingOutcome, key string) {
	if err != nil {
		rem.Failed++
		status[region+"|"+key] = &FindingOutcome{Status: StatusFailed, Error: err.Error()}
		a.logger.ErrorContext(ctx, "audit revert failed", "region", region, "group_id", groupID, "rule_id", ruleID, "error", err.Error())
		return
	}
	rem.Reverted++
	st := StatusReverted
	if gone {
		st = StatusAlreadyGone
	}
	status[region+"|"+key] = &FindingOutcome{Status: st}
	a.logger.InfoContext(ctx, "audit reverted rule", "region", region, "group_id", groupID, "rule_id", ruleID)
}

// findingRuleKey matches ruleKey for the rule of a finding.
func findingRuleKey(f *Finding) string {
	if f.Rule.ID != "" {
		return f.Rule.ID
	}
	r := policy.Rule{GroupID: f.Group.ID, FromPort: f.Rule.FromPort, ToPort: f.Rule.ToPort}
	if f.Rule.Direction == "egress" {
		r.Direction = policy.Egress
	}
	r.Protocol, _ = remediate.ParseProtocol(f.Rule.Protocol)
	return fmt.Sprintf("%s|%d|%d|%d|%d|%s", r.GroupID, r.Direction, r.Protocol, r.FromPort, r.ToPort, f.Rule.Peer)
}
