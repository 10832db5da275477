package remediate

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// judged is one rule of the event, matched to the account's current state
// and judged again.
type judged struct {
	event   *policy.Rule
	current *policy.Rule // nil when the rule is gone
	// rule is what the alert shows: current when present, else event.
	rule     *policy.Rule
	vs       []policy.Violation
	decision policy.Decision // "" when compliant now
	outcome  notify.Outcome
	note     string
	err      error
}

// DecisionRank orders decisions by strength: revert 4, would-revert 3,
// alert 2, exempt 1, anything else 0.
func DecisionRank(d policy.Decision) int {
	switch d {
	case policy.DecisionRevert:
		return 4
	case policy.DecisionWouldRevert:
		return 3
	case policy.DecisionAlert:
		return 2
	case policy.DecisionExempt:
		return 1
	}
	return 0
}

// Strongest returns the strongest decision among vs: revert, would-revert,
// alert, exempt; "" when vs is empty.
func Strongest(vs []policy.Violation) policy.Decision {
	var d policy.Decision
	for i := range vs {
		if DecisionRank(vs[i].Decision) > DecisionRank(d) {
			d = vs[i].Decision
		}
	}
	return d
}

// ruleChange is one rule event on its way through handleRules' steps.
type ruleChange struct {
	// groupID is the group as resolved: the groupName form learns it from
	// the describe.
	groupID  string
	st       *groupState
	js       []*judged
	toRevert []policy.Violation
	// outs are the revoke's answers, confirmed by verifyGone.
	outs     []RuleOutcome
	needENIs bool
	enis     []policy.ENI
	// stack is set when CloudFormation manages the group.
	stack *notify.Stack
}

// handleRules is the contract for added or modified rules, step by step:
// judge the event's rules (a compliant change stops here, with no AWS
// call), confirm the candidates against the group's current state, revoke
// what still violates, verify that every rule reported gone was seen gone,
// and alert.
func (iv *invocation) handleRules(ctx context.Context, res Result) (Result, error) {
	candidates := iv.judgeEventRules()
	if len(candidates) == 0 && !iv.mayOpenTogether() {
		return iv.ignore(ctx, res, "compliant"), nil
	}
	rc, err := iv.confirmRules(ctx, candidates)
	if err != nil {
		return iv.failRules(res, candidates, err)
	}
	if len(rc.js) == 0 {
		// Compliant alone, and with the group's other rules too.
		return iv.ignore(ctx, res, "compliant"), nil
	}
	if rc.st.group == nil {
		return iv.alertGroupGone(ctx, res, rc)
	}
	err = iv.revokeRules(ctx, rc)
	err = errors.Join(err, iv.verifyGone(ctx, rc))
	return iv.alertRules(ctx, res, rc, err)
}

// judgeEventRules returns the event's rules that violate some check, judged
// from the event alone: the event is a hint.
func (iv *invocation) judgeEventRules() []*policy.Rule {
	ev := iv.ev
	ec := iv.evalContext()
	engine := iv.r.engine
	start := time.Now()
	var candidates []*policy.Rule
	var scratch []policy.Violation
	for i := range ev.Rules {
		scratch = engine.Evaluate(&ev.Rules[i], ec, scratch[:0])
		if len(scratch) == 0 && ev.Rules[i].GroupName == "default" {
			// EC2 reserves the name "default" for the VPC's default group,
			// so checks on the default group (EC2.2) apply before the group
			// is described; its tags stay unknown until then.
			r := ev.Rules[i]
			r.GroupKnown, r.IsDefaultGroup = true, true
			scratch = engine.Evaluate(&r, ec, scratch[:0])
		}
		if len(scratch) == 0 && ev.DirectionUnknown {
			// ModifySecurityGroupRules does not say the direction: the
			// rule may be egress, judged by the egress checks.
			r := ev.Rules[i]
			r.Direction = policy.Egress
			scratch = engine.Evaluate(&r, ec, scratch[:0])
		}
		if len(scratch) > 0 {
			candidates = append(candidates, &ev.Rules[i])
		}
	}
	iv.m.evaluated += len(ev.Rules)
	iv.m.time(stageEvaluate, start)
	return candidates
}

// confirmRules reads the group's current state, the truth, pairs each
// candidate with its current rule and judges it again. A candidate absent
// from a group that exists is seen gone; one whose decision is still revert
// joins toRevert.
func (iv *invocation) confirmRules(ctx context.Context, candidates []*policy.Rule) (*ruleChange, error) {
	ev := iv.ev
	if err := iv.connect(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	st, err := iv.describeGroup(ctx, ev.GroupID, ev.GroupName)
	iv.m.time(stageDescribe, start)
	if err != nil {
		return nil, err
	}
	rc := &ruleChange{groupID: ev.GroupID, st: st}
	if st.group != nil && aws.ToString(st.group.GroupId) != rc.groupID {
		// The groupName form: the ID is known only now.
		rc.groupID = aws.ToString(st.group.GroupId)
		iv.log = iv.eventLog.With(slog.String("group_id", rc.groupID))
	}

	rc.stack = stackOf(st.group, ev.Actor.InvokedBy, iv.r.engine.StackManagedAction())
	start = time.Now()
	rc.js = iv.match(candidates, st)
	together := iv.judgeTogether(ctx, rc)
	var cur []*policy.Rule
	for _, j := range rc.js {
		if j.current != nil {
			cur = append(cur, j.current)
		}
	}
	iv.resolvePrefixLists(ctx, cur)
	ec := iv.evalContext()
	for _, j := range rc.js {
		if j.current != nil {
			j.vs = iv.r.engine.Evaluate(j.current, ec, nil)
			j.vs = append(j.vs, together[j.current.RuleID]...)
		} else {
			// Gone: judge the event's rule with what is known of the group,
			// to say what it was.
			r := *j.event
			if st.group != nil {
				SetGroup(&r, st.group)
			}
			j.vs = iv.r.engine.Evaluate(&r, ec, nil)
		}
		if rc.stack != nil && alertOnly(iv.r.engine, j.vs) {
			j.note = joinNote(j.note, "stack-managed: alert only (policy stackManaged: alert)")
		}
		j.decision = Strongest(j.vs)
		switch {
		case j.current == nil:
			j.outcome = notify.OutcomeAlreadyGone
		case j.decision == policy.DecisionRevert:
			rc.toRevert = append(rc.toRevert, j.vs...)
		default:
			j.outcome = notify.OutcomeKept
			if j.decision == "" {
				j.note = joinNote(j.note, "no longer violates")
			}
		}
		if j.current != nil && j.current.Direction == policy.Ingress && DecisionRank(j.decision) >= DecisionRank(policy.DecisionAlert) {
			rc.needENIs = true
		}
		if j.decision != "" {
			iv.m.violations++
		}
	}
	// The current rules are the event's rules judged again: not counted
	// twice in Evaluated.
	iv.m.time(stageEvaluate, start)
	return rc, nil
}

// revokeRules revokes toRevert by rule ID and, concurrently, lists the ENIs
// the group's violating ingress rules exposed.
func (iv *invocation) revokeRules(ctx context.Context, rc *ruleChange) error {
	var (
		wg      sync.WaitGroup
		eniErr  error
		outs    []RuleOutcome
		revErr  error
		revTime time.Duration
		eniTime time.Duration
	)
	if rc.needENIs && rc.groupID != "" {
		wg.Go(func() {
			t := time.Now()
			rc.enis, eniErr = iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{
				Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{rc.groupID}}},
			})
			eniTime = time.Since(t)
		})
	}
	if len(rc.toRevert) > 0 {
		t := time.Now()
		rv := &Reverter{EC2: iv.ec2, Logger: iv.eventLog}
		outs, revErr = rv.RevertRules(ctx, rc.groupID, rc.toRevert)
		revTime = time.Since(t)
	}
	wg.Wait()
	if len(rc.toRevert) > 0 {
		iv.m.add(stageRevoke, revTime)
	}
	if eniTime > 0 {
		iv.m.add(stageDescribe, eniTime)
	}
	if eniErr != nil {
		// The exposure list is informative: the revert and alert go on.
		iv.log.LogAttrs(ctx, slog.LevelWarn, "exposed ENIs unknown", slog.String("error", eniErr.Error()))
	}
	rc.outs = outs
	iv.applyOutcomes(rc)
	return revErr
}

// verifyGone reads the group again when a revoke answered not-found
// (Reverter.ConfirmGone): a rule counts as already gone only when the group
// still exists and lacks it. A rule still present has failed; a group that
// vanished makes its rules group-gone.
func (iv *invocation) verifyGone(ctx context.Context, rc *ruleChange) error {
	if !slices.ContainsFunc(rc.outs, func(o RuleOutcome) bool { return o.Outcome == notify.OutcomeAlreadyGone }) {
		return nil
	}
	start := time.Now()
	rv := &Reverter{EC2: iv.ec2, Reader: iv.ec2, Logger: iv.eventLog}
	err := rv.ConfirmGone(ctx, rc.groupID, rc.outs)
	iv.m.time(stageDescribe, start)
	iv.applyOutcomes(rc)
	return err
}

// applyOutcomes gives each rule to revert its outcome from rc.outs.
func (iv *invocation) applyOutcomes(rc *ruleChange) {
	byID := make(map[string]*RuleOutcome, len(rc.outs))
	for i := range rc.outs {
		byID[rc.outs[i].RuleID] = &rc.outs[i]
	}
	for _, j := range rc.js {
		if j.current == nil || j.decision != policy.DecisionRevert {
			continue
		}
		o := byID[j.current.RuleID]
		if o == nil {
			j.outcome = notify.OutcomeFailed
			continue
		}
		j.outcome, j.err = o.Outcome, o.Err
		switch o.Outcome {
		case notify.OutcomeAlreadyGone:
			j.note = joinNote(j.note, "not found: already reverted")
		case notify.OutcomeGroupGone:
			j.note = joinNote(j.note, "group deleted")
		}
	}
}

// alertRules publishes the one alert of the event and fills res. A revoke
// or verify failure makes it a FAILED alert and an error.
func (iv *invocation) alertRules(ctx context.Context, res Result, rc *ruleChange, stepErr error) (Result, error) {
	ev := iv.ev
	a := iv.baseAlert("")
	a.Group = groupDoc(ev.GroupID, ev.GroupName, rc.st.group)
	a.Stack = rc.stack
	for _, j := range rc.js {
		a.Rules = append(a.Rules, j.doc())
		iv.logRule(ctx, j)
		res.record(j)
		if j.outcome == notify.OutcomeRevoked {
			iv.m.reverted++
		}
	}
	a.Exposed = exposedDocs(rc.enis, rc.js)
	a.Action = actionOf(rc.js)
	if stepErr != nil {
		return iv.fail(res, a, stepErr)
	}
	if a.Action == "" {
		return iv.ignore(ctx, res, "no longer violates"), nil
	}
	return iv.alert(ctx, res, a)
}

// alertGroupGone reports that the event's group no longer exists in the
// event's own account and region, so neither do its rules.
func (iv *invocation) alertGroupGone(ctx context.Context, res Result, rc *ruleChange) (Result, error) {
	ev := iv.ev
	a := iv.baseAlert(notify.ActionGroupGone)
	a.Group = groupDoc(ev.GroupID, ev.GroupName, nil)
	for _, j := range rc.js {
		j.outcome = notify.OutcomeGroupGone
		j.note = "group not found in " + ev.Account + "/" + ev.Region
		a.Rules = append(a.Rules, j.doc())
		iv.logRule(ctx, j)
	}
	res.GroupGone = cmp.Or(ev.GroupID, ev.GroupName)
	return iv.alert(ctx, res, a)
}

// failRules fails the event before any rule was confirmed.
func (iv *invocation) failRules(res Result, candidates []*policy.Rule, cause error) (Result, error) {
	a := iv.baseAlert(notify.ActionFailed)
	a.Group = iv.eventGroup()
	ec := iv.evalContext()
	for _, c := range candidates {
		vs := iv.r.engine.Evaluate(c, ec, nil)
		nr := notify.NewRule(c, vs, Strongest(vs), notify.OutcomeFailed)
		a.Rules = append(a.Rules, nr)
		res.Failed = append(res.Failed, ruleRef(c))
	}
	return iv.fail(res, a, cause)
}

// doc is the alert's view of a judged rule.
func (j *judged) doc() notify.Rule {
	nr := notify.NewRule(j.rule, j.vs, j.decision, j.outcome)
	nr.Note = j.note
	if j.err != nil {
		nr.Error = j.err.Error()
	}
	return nr
}

// record lists j's rule under its outcome.
func (res *Result) record(j *judged) {
	ref := ruleRef(j.rule)
	switch j.outcome {
	case notify.OutcomeRevoked:
		res.Revoked = append(res.Revoked, ref)
	case notify.OutcomeAlreadyGone:
		res.AlreadyGone = append(res.AlreadyGone, ref)
	case notify.OutcomeKept:
		res.Kept = append(res.Kept, ref)
	case notify.OutcomeFailed:
		res.Failed = append(res.Failed, ref)
	case notify.OutcomeGroupGone:
		res.GroupGone = j.rule.GroupID
	}
}

// ruleRef names a rule by its ID, or by its tuple when no ID is known (a
// rule matched by tuple and not found).
func ruleRef(r *policy.Rule) string {
	if r.RuleID != "" {
		return r.RuleID
	}
	nr := notify.NewRule(r, nil, "", "")
	return nr.Direction + " " + notify.Short(&nr)
}

// match pairs each candidate with its current rule: by rule ID when the
// event gives one, else by exact tuple.
func (iv *invocation) match(candidates []*policy.Rule, st *groupState) []*judged {
	js := make([]*judged, 0, len(candidates))
	for _, c := range candidates {
		j := &judged{event: c, rule: c}
		for i := range st.rules {
			r := &st.rules[i]
			if isNow(c, r) {
				j.current = r
				break
			}
		}
		if j.current != nil {
			j.rule = j.current
			if !SameTuple(c, j.current) {
				j.note = "changed since the event; judged as it is now"
			}
		} else if st.group != nil {
			j.note = "not found: already reverted"
		}
		js = append(js, j)
	}
	return js
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	if a == b {
		return a
	}
	return a + "; " + b
}

// actionOf is the event's headline action.
func actionOf(js []*judged) notify.Action {
	var best notify.Action
	rank := map[notify.Action]int{notify.ActionExempt: 1, notify.ActionAlert: 2, notify.ActionWouldRevert: 3,
		notify.ActionGroupGone: 4, notify.ActionReverted: 5, notify.ActionFailed: 6}
	for _, j := range js {
		var a notify.Action
		switch {
		case j.outcome == notify.OutcomeFailed:
			a = notify.ActionFailed
		case j.outcome == notify.OutcomeGroupGone:
			a = notify.ActionGroupGone
		case j.outcome == notify.OutcomeRevoked,
			j.outcome == notify.OutcomeAlreadyGone && j.decision == policy.DecisionRevert:
			a = notify.ActionReverted
		case j.decision == policy.DecisionWouldRevert:
			a = notify.ActionWouldRevert
		case j.decision == policy.DecisionAlert:
			a = notify.ActionAlert
		case j.decision == policy.DecisionExempt:
			a = notify.ActionExempt
		}
		if rank[a] > rank[best] {
			best = a
		}
	}
	return best
}

func groupDoc(id, name string, g *types.SecurityGroup) *notify.Group {
	if g == nil {
		if id == "" && name == "" {
			return nil
		}
		return &notify.Group{ID: id, Name: name}
	}
	gd := &notify.Group{
		ID:   aws.ToString(g.GroupId),
		Name: aws.ToString(g.GroupName),
		VPC:  aws.ToString(g.VpcId),
		Tags: tagMap(g.Tags),
	}
	gd.IsDefault = gd.Name == "default"
	return gd
}

// exposedDocs lists the ENIs carrying the group, with the violating ingress
// rules that (would have) opened them.
func exposedDocs(enis []policy.ENI, js []*judged) []notify.ExposedENI {
	if len(enis) == 0 {
		return nil
	}
	var open []string
	for _, j := range js {
		if j.current != nil && j.current.Direction == policy.Ingress && DecisionRank(j.decision) >= DecisionRank(policy.DecisionAlert) {
			nr := notify.NewRule(j.current, nil, "", "")
			open = append(open, notify.Short(&nr))
		}
	}
	out := make([]notify.ExposedENI, 0, len(enis))
	for _, e := range enis {
		out = append(out, notify.ExposedENI{
			ID: e.ID, InstanceID: e.InstanceID, OwnerType: e.OwnerType, PublicIP: e.PublicIP,
			ElasticIP: e.ElasticIP, IPv6: e.IPv6,
			PrivateIP: e.PrivateIP, VPC: e.VPCID, Subnet: e.SubnetID, Open: open,
		})
	}
	// Interfaces reachable from the internet (a public IP) lead the alert.
	slices.SortStableFunc(out, func(a, b notify.ExposedENI) int {
		reachable := func(e notify.ExposedENI) int {
			if e.PublicIP != "" {
				return 0
			}
			return 1
		}
		return cmp.Or(cmp.Compare(reachable(a), reachable(b)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (iv *invocation) logRule(ctx context.Context, j *judged) {
	attrs := []slog.Attr{
		slog.String("rule_id", j.rule.RuleID),
		slog.String("decision", string(j.decision)),
		slog.String("outcome", string(j.outcome)),
	}
	if len(j.vs) > 0 {
		attrs = append(attrs, slog.String("check", j.vs[0].CheckID))
		if j.vs[0].Exemption != "" {
			attrs = append(attrs, slog.String("exemption", j.vs[0].Exemption))
		}
	}
	if j.note != "" {
		attrs = append(attrs, slog.String("note", j.note))
	}
	level := slog.LevelInfo
	if j.err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", j.err.Error()))
	}
	iv.log.LogAttrs(ctx, level, "rule judged", attrs...)
}
