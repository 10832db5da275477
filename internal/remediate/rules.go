package remediate

import (
	"cmp"
	"context"
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

func (iv *invocation) handleRules(ctx context.Context, res Result) (Result, error) {
	ev := iv.ev
	ec := iv.evalContext()
	engine := iv.r.engine

	// 1. The event is a hint: a compliant change costs no AWS call.
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
	if len(candidates) == 0 {
		return iv.ignore(ctx, res, "compliant"), nil
	}

	// 2. The current state is the truth.
	start = time.Now()
	st, err := iv.describeGroup(ctx, ev.GroupID, ev.GroupName)
	iv.m.time(stageDescribe, start)
	if err != nil {
		a := iv.baseAlert(notify.ActionFailed)
		a.Group = &notify.Group{ID: ev.GroupID, Name: ev.GroupName}
		for _, c := range candidates {
			vs := engine.Evaluate(c, ec, nil)
			nr := notify.NewRule(c, vs, Strongest(vs), notify.OutcomeFailed)
			a.Rules = append(a.Rules, nr)
			res.Failed = append(res.Failed, c.RuleID)
		}
		return iv.fail(ctx, res, a, err)
	}
	groupID := ev.GroupID
	if st.group != nil && aws.ToString(st.group.GroupId) != groupID {
		// The groupName form: the ID is known only now.
		groupID = aws.ToString(st.group.GroupId)
		iv.log = iv.eventLog.With(slog.String("group_id", groupID))
	}

	start = time.Now()
	js := iv.match(candidates, st)
	var cur []*policy.Rule
	for _, j := range js {
		if j.current != nil {
			cur = append(cur, j.current)
		}
	}
	iv.resolvePrefixLists(ctx, cur)
	var toRevert []policy.Violation
	needENIs := false
	for _, j := range js {
		if j.current != nil {
			j.vs = engine.Evaluate(j.current, ec, nil)
		} else {
			// Gone: judge the event's rule with what is known of the group,
			// to say what it was.
			r := *j.event
			if st.group != nil {
				SetGroup(&r, st.group)
			}
			j.vs = engine.Evaluate(&r, ec, nil)
		}
		j.decision = Strongest(j.vs)
		switch {
		case j.current == nil:
			j.outcome = notify.OutcomeAlreadyGone
		case j.decision == policy.DecisionRevert:
			toRevert = append(toRevert, j.vs...)
		default:
			j.outcome = notify.OutcomeKept
			if j.decision == "" {
				j.note = joinNote(j.note, "no longer violates")
			}
		}
		if j.current != nil && j.current.Direction == policy.Ingress && DecisionRank(j.decision) >= DecisionRank(policy.DecisionAlert) {
			needENIs = true
		}
		if j.decision != "" {
			iv.m.violations++
		}
	}
	// The current rules are the event's rules judged again: not counted
	// twice in Evaluated.
	iv.m.time(stageEvaluate, start)

	// 3. Revert (and find what the rules exposed, concurrently).
	var (
		wg      sync.WaitGroup
		enis    []policy.ENI
		eniErr  error
		outs    []RuleOutcome
		revErr  error
		revTime time.Duration
		eniTime time.Duration
	)
	if needENIs && groupID != "" {
		wg.Go(func() {
			t := time.Now()
			enis, eniErr = iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{
				Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
			})
			eniTime = time.Since(t)
		})
	}
	if len(toRevert) > 0 {
		t := time.Now()
		rv := &Reverter{EC2: iv.ec2, Logger: iv.eventLog}
		outs, revErr = rv.RevertRules(ctx, groupID, toRevert)
		revTime = time.Since(t)
	}
	wg.Wait()
	if len(toRevert) > 0 {
		iv.m.add(stageRevoke, revTime)
	}
	if eniTime > 0 {
		iv.m.add(stageDescribe, eniTime)
	}
	if eniErr != nil {
		// The exposure list is informative: the revert and alert go on.
		iv.log.LogAttrs(ctx, slog.LevelWarn, "exposed ENIs unknown", slog.String("error", eniErr.Error()))
	}
	byID := map[string]*RuleOutcome{}
	for i := range outs {
		byID[outs[i].RuleID] = &outs[i]
	}
	for _, j := range js {
		if j.current == nil || j.decision != policy.DecisionRevert {
			continue
		}
		o := byID[j.current.RuleID]
		if o == nil {
			j.outcome = notify.OutcomeFailed
			continue
		}
		j.outcome, j.err = o.Outcome, o.Err
		if o.Outcome == notify.OutcomeAlreadyGone {
			j.note = joinNote(j.note, "not found: already reverted")
		}
	}

	// 4. Alert.
	a := iv.baseAlert("")
	a.Group = groupDoc(ev.GroupID, ev.GroupName, st.group)
	for _, j := range js {
		nr := notify.NewRule(j.rule, j.vs, j.decision, j.outcome)
		nr.Note = j.note
		if j.err != nil {
			nr.Error = j.err.Error()
		}
		a.Rules = append(a.Rules, nr)
		iv.logRule(ctx, j)
		switch j.outcome {
		case notify.OutcomeRevoked:
			res.Revoked = append(res.Revoked, j.rule.RuleID)
			iv.m.reverted++
		case notify.OutcomeAlreadyGone:
			res.AlreadyGone = append(res.AlreadyGone, j.rule.RuleID)
		case notify.OutcomeKept:
			res.Kept = append(res.Kept, j.rule.RuleID)
		case notify.OutcomeFailed:
			res.Failed = append(res.Failed, j.rule.RuleID)
		}
	}
	a.Exposed = exposedDocs(enis, js)
	a.Action = actionOf(js)
	if revErr != nil {
		return iv.fail(ctx, res, a, revErr)
	}
	if a.Action == "" {
		return iv.ignore(ctx, res, "no longer violates"), nil
	}
	if err := iv.publish(ctx, &res, a); err != nil {
		iv.m.failed++
		return res, err
	}
	return res, nil
}

// match pairs each candidate with its current rule: by rule ID when the
// event gives one, else by exact tuple.
func (iv *invocation) match(candidates []*policy.Rule, st *groupState) []*judged {
	js := make([]*judged, 0, len(candidates))
	for _, c := range candidates {
		j := &judged{event: c, rule: c}
		for i := range st.rules {
			r := &st.rules[i]
			if (c.RuleID != "" && r.RuleID == c.RuleID) || (c.RuleID == "" && SameTuple(c, r)) {
				j.current = r
				break
			}
		}
		if j.current != nil {
			j.rule = j.current
			if !SameTuple(c, j.current) {
				j.note = "changed since the event; judged as it is now"
			}
		} else {
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
	rank := map[notify.Action]int{notify.ActionExempt: 1, notify.ActionAlert: 2, notify.ActionWouldRevert: 3, notify.ActionReverted: 4, notify.ActionFailed: 5}
	for _, j := range js {
		var a notify.Action
		switch {
		case j.outcome == notify.OutcomeFailed:
			a = notify.ActionFailed
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
