package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// RuleOutcome is what happened to one rule that was to be reverted.
type RuleOutcome struct {
	GroupID   string
	RuleID    string
	Direction policy.Direction
	// Outcome is notify.OutcomeRevoked, OutcomeAlreadyGone, OutcomeFailed,
	// or OutcomeGroupGone (ConfirmGone).
	Outcome notify.Outcome
	// Err is set when Outcome is OutcomeFailed.
	Err error
}

// Reverter revokes security-group rules by rule ID, one call per direction.
// It is the single revert path shared by the event handler and the audit.
type Reverter struct {
	EC2 Revoker
	// Reader, when set, confirms every not-found answer (ConfirmGone);
	// without it a not-found answer is reported already gone unconfirmed.
	Reader GroupReader
	Logger *slog.Logger
}

// GroupReader reads a group and its rules. *ec2.Client satisfies it.
type GroupReader interface {
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeSecurityGroupRules(ctx context.Context, in *ec2.DescribeSecurityGroupRulesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error)
}

// RevertRules revokes the rules of groupID that appear in violations with
// Decision policy.DecisionRevert (each rule once, whatever the number of
// checks that fired on it). Rules of other groups, rules without an ID and
// violations with any other decision are ignored: nothing else in the group
// is touched.
//
// It returns one outcome per revoked rule ID, in the order first seen, and a
// non-nil error (joining every failure) when any rule could not be revoked.
func (rv *Reverter) RevertRules(ctx context.Context, groupID string, violations []policy.Violation) ([]RuleOutcome, error) {
	var ingress, egress []string
	seen := map[string]bool{}
	for i := range violations {
		v := &violations[i]
		id := v.Rule.RuleID
		if v.Decision != policy.DecisionRevert || id == "" || v.Rule.GroupID != groupID || seen[id] {
			continue
		}
		seen[id] = true
		if v.Rule.Direction == policy.Egress {
			egress = append(egress, id)
		} else {
			ingress = append(ingress, id)
		}
	}
	in, errIn := rv.RevokeRuleIDs(ctx, groupID, policy.Ingress, ingress)
	out, errOut := rv.RevokeRuleIDs(ctx, groupID, policy.Egress, egress)
	outs, err := append(in, out...), errors.Join(errIn, errOut)
	if rv.Reader != nil {
		err = errors.Join(err, rv.ConfirmGone(ctx, groupID, outs))
	}
	return outs, err
}

// ConfirmGone checks each already-gone outcome against the group as it is
// now (rv.Reader): a rule counts as already gone only when the group exists
// and lacks it. A group that no longer exists makes the outcome group-gone;
// a rule still there makes it failed, and the error says so. A not-found
// answer can come from the wrong account or region, or a rule replaced
// meanwhile: only the group's current state is the truth.
func (rv *Reverter) ConfirmGone(ctx context.Context, groupID string, outs []RuleOutcome) error {
	var claims []*RuleOutcome
	for i := range outs {
		if outs[i].Outcome == notify.OutcomeAlreadyGone {
			claims = append(claims, &outs[i])
		}
	}
	if len(claims) == 0 {
		return nil
	}
	exists, present, readErr := GroupRuleIDs(ctx, rv.Reader, groupID)
	var errs []error
	for _, o := range claims {
		switch {
		case readErr != nil:
			o.Outcome, o.Err = notify.OutcomeFailed, fmt.Errorf("revoke of %s answered not found; confirming it: %w", o.RuleID, readErr)
		case !exists:
			o.Outcome = notify.OutcomeGroupGone
		case present[o.RuleID]:
			o.Outcome, o.Err = notify.OutcomeFailed, fmt.Errorf("revoke %s on %s answered not found, but the rule is still there", o.RuleID, groupID)
		}
		if o.Err != nil {
			errs = append(errs, o.Err)
		}
	}
	return errors.Join(errs...)
}

// GroupRuleIDs reports whether the group exists and the IDs of its rules.
func GroupRuleIDs(ctx context.Context, api GroupReader, groupID string) (exists bool, ruleIDs map[string]bool, err error) {
	groups, err := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{groupID}})
	switch {
	case isGroupNotFound(err):
		return false, nil, nil
	case err != nil:
		return false, nil, fmt.Errorf("describe group %s: %w", groupID, err)
	}
	for i := range groups.SecurityGroups {
		exists = exists || aws.ToString(groups.SecurityGroups[i].GroupId) == groupID
	}
	if !exists {
		return false, nil, nil
	}
	ruleIDs = map[string]bool{}
	in := &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(1000),
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}}}
	for {
		out, err := api.DescribeSecurityGroupRules(ctx, in)
		if err != nil {
			return false, nil, fmt.Errorf("describe rules of %s: %w", groupID, err)
		}
		for _, r := range out.SecurityGroupRules {
			ruleIDs[aws.ToString(r.SecurityGroupRuleId)] = true
		}
		if aws.ToString(out.NextToken) == "" {
			return true, ruleIDs, nil
		}
		in.NextToken = out.NextToken
	}
}

// RevokeRuleIDs revokes ruleIDs of one direction of groupID in one call. If
// the call answers not-found for a batch, each rule is retried alone so that
// the rules still present are revoked and the missing ones reported as
// already gone.
func (rv *Reverter) RevokeRuleIDs(ctx context.Context, groupID string, dir policy.Direction, ruleIDs []string) ([]RuleOutcome, error) {
	if len(ruleIDs) == 0 {
		return nil, nil
	}
	outcomes, err := rv.revoke(ctx, groupID, dir, ruleIDs)
	if err == nil {
		return outcomes, nil
	}
	if IsNotFound(err) && (len(ruleIDs) == 1 || isGroupNotFound(err)) {
		return rv.all(groupID, dir, ruleIDs, notify.OutcomeAlreadyGone, nil), nil
	}
	if !IsNotFound(err) {
		err = fmt.Errorf("revoke %s %v on %s: %w", notify.Direction(dir), ruleIDs, groupID, err)
		return rv.all(groupID, dir, ruleIDs, notify.OutcomeFailed, err), err
	}
	// A batch with at least one missing rule: find out which, one by one.
	var errs []error
	outcomes = outcomes[:0]
	for _, id := range ruleIDs {
		o, err := rv.revoke(ctx, groupID, dir, []string{id})
		switch {
		case err == nil:
			outcomes = append(outcomes, o...)
		case IsNotFound(err):
			outcomes = append(outcomes, rv.all(groupID, dir, []string{id}, notify.OutcomeAlreadyGone, nil)...)
		default:
			err = fmt.Errorf("revoke %s on %s: %w", id, groupID, err)
			errs = append(errs, err)
			outcomes = append(outcomes, rv.all(groupID, dir, []string{id}, notify.OutcomeFailed, err)...)
		}
	}
	return outcomes, errors.Join(errs...)
}

func (rv *Reverter) all(groupID string, dir policy.Direction, ids []string, o notify.Outcome, err error) []RuleOutcome {
	out := make([]RuleOutcome, len(ids))
	for i, id := range ids {
		out[i] = RuleOutcome{GroupID: groupID, RuleID: id, Direction: dir, Outcome: o, Err: err}
	}
	return out
}

// revoke makes one Revoke call. Rules the answer does not list as revoked
// (when it lists any) are reported as already gone.
func (rv *Reverter) revoke(ctx context.Context, groupID string, dir policy.Direction, ids []string) ([]RuleOutcome, error) {
	var revoked map[string]bool
	var ok *bool
	if dir == policy.Egress {
		res, err := rv.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
			GroupId: aws.String(groupID), SecurityGroupRuleIds: ids,
		})
		if err != nil {
			return nil, err
		}
		ok = res.Return
		revoked = make(map[string]bool, len(res.RevokedSecurityGroupRules))
		for _, r := range res.RevokedSecurityGroupRules {
			revoked[aws.ToString(r.SecurityGroupRuleId)] = true
		}
	} else {
		res, err := rv.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
			GroupId: aws.String(groupID), SecurityGroupRuleIds: ids,
		})
		if err != nil {
			return nil, err
		}
		ok = res.Return
		revoked = make(map[string]bool, len(res.RevokedSecurityGroupRules))
		for _, r := range res.RevokedSecurityGroupRules {
			revoked[aws.ToString(r.SecurityGroupRuleId)] = true
		}
	}
	if ok != nil && !*ok && len(revoked) == 0 {
		return nil, fmt.Errorf("revoke %v on %s: EC2 returned false", ids, groupID)
	}
	out := make([]RuleOutcome, len(ids))
	for i, id := range ids {
		o := notify.OutcomeRevoked
		if len(revoked) > 0 && !revoked[id] {
			o = notify.OutcomeAlreadyGone
		}
		out[i] = RuleOutcome{GroupID: groupID, RuleID: id, Direction: dir, Outcome: o}
		if rv.Logger != nil {
			rv.Logger.LogAttrs(ctx, slog.LevelInfo, "rule "+string(o), slog.String("group_id", groupID), slog.String("rule_id", id))
		}
	}
	return out, nil
}
