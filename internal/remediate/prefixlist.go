package remediate

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// mayBePublic reports whether a CIDR may hold a globally routable address.
// It only spares AWS calls for entries that cannot matter; the policy
// engine judges the rest. Unparseable input counts as possibly public.
func mayBePublic(cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return true
	}
	return policy.IsPublic(p)
}

func (iv *invocation) handlePrefixList(ctx context.Context, res Result) (Result, error) {
	ev := iv.ev
	pl := ev.PrefixList
	if pl == nil || pl.ID == "" || ev.Name == "CreateManagedPrefixList" {
		return iv.ignore(ctx, res, "new prefix list: no rule references it yet"), nil
	}
	var added []string
	for _, e := range pl.Added {
		if mayBePublic(e.CIDR) {
			added = append(added, e.CIDR)
		}
	}
	if len(added) == 0 {
		return iv.ignore(ctx, res, "no public entry added"), nil
	}
	iv.log = iv.log.With("prefix_list_id", pl.ID)

	start := time.Now()
	lists, err := iv.ec2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{PrefixListIds: []string{pl.ID}})
	if err != nil {
		if IsPrefixListNotFound(err) {
			iv.m.time(stageDescribe, start)
			return iv.ignore(ctx, res, "prefix list gone"), nil
		}
		return iv.failPrefixList(ctx, res, fmt.Errorf("describe prefix list %s: %w", pl.ID, err), start)
	}
	var list *types.ManagedPrefixList
	for i := range lists.PrefixLists {
		if aws.ToString(lists.PrefixLists[i].PrefixListId) == pl.ID {
			list = &lists.PrefixLists[i]
		}
	}
	if list == nil {
		iv.m.time(stageDescribe, start)
		return iv.ignore(ctx, res, "prefix list gone"), nil
	}
	version := aws.ToInt64(list.Version)
	entries, err := iv.prefixListEntries(ctx, pl.ID, version)
	if err != nil {
		return iv.failPrefixList(ctx, res, err, start)
	}
	// EC2 has no rule filter on a referenced prefix list: read every rule.
	all, err := iv.describeRules(ctx, "", nil)
	if err != nil {
		return iv.failPrefixList(ctx, res, err, start)
	}
	var refs []policy.Rule
	groupSet := map[string]bool{}
	for _, r := range all {
		if r.Peer.Kind == policy.PeerPrefixList && r.Peer.PrefixListID == pl.ID {
			refs = append(refs, r)
			groupSet[r.GroupID] = true
		}
	}
	if len(refs) == 0 {
		iv.m.time(stageDescribe, start)
		return iv.ignore(ctx, res, "prefix list not referenced by any rule"), nil
	}
	groups, err := iv.describeGroups(ctx, sortedKeys(groupSet))
	if err != nil {
		return iv.failPrefixList(ctx, res, err, start)
	}
	iv.m.time(stageDescribe, start)

	// Judge every referencing rule with the list's current entries, then
	// find which public entries make it violate.
	start = time.Now()
	ec := iv.evalContext()
	engine := iv.r.engine
	current := map[string]bool{}
	for _, e := range entries {
		if p, err := parsePrefix(aws.ToString(e.Cidr)); err == nil {
			current[p.String()] = true
		}
	}
	var js []*judged
	violGroups := map[string]bool{}
	for i := range refs {
		r := &refs[i]
		if g := groups[r.GroupID]; g != nil {
			SetGroup(r, g)
		}
		setPrefixListEntries(&r.Peer, entries)
		vs := engine.Evaluate(r, ec, nil)
		iv.m.evaluated++
		if len(vs) == 0 {
			continue
		}
		iv.m.violations++
		js = append(js, &judged{rule: r, current: r, vs: vs, decision: Strongest(vs), outcome: notify.OutcomeKept})
		violGroups[r.GroupID] = true
	}
	if len(js) == 0 {
		iv.m.time(stageEvaluate, start)
		return iv.ignore(ctx, res, "referencing rules compliant"), nil
	}
	var toRemove, offending []string
	for _, cidr := range added {
		p, err := parsePrefix(cidr)
		if err != nil || !current[p.String()] {
			continue
		}
		var d policy.Decision
		for _, j := range js {
			r := *j.rule
			r.Peer = policy.Peer{Kind: policy.PeerIPv4, CIDR: p}
			if p.Addr().Is6() {
				r.Peer.Kind = policy.PeerIPv6
			}
			if s := Strongest(engine.Evaluate(&r, ec, nil)); DecisionRank(s) > DecisionRank(d) {
				d = s
			}
		}
		if DecisionRank(d) >= DecisionRank(policy.DecisionAlert) {
			offending = append(offending, p.String())
		}
		if d == policy.DecisionRevert || d == policy.DecisionWouldRevert {
			toRemove = append(toRemove, p.String())
		}
	}
	iv.m.time(stageEvaluate, start)

	a := iv.baseAlert(notify.ActionAlert)
	a.PrefixList = &notify.PrefixList{ID: pl.ID, Name: aws.ToString(list.PrefixListName), Version: version,
		Added: added, Offending: offending, ReferencedBy: len(refs)}
	if len(violGroups) == 1 {
		g := groups[js[0].rule.GroupID]
		a.Group = groupDoc(js[0].rule.GroupID, "", g)
	}
	for _, j := range js {
		a.Rules = append(a.Rules, notify.NewRule(j.rule, j.vs, j.decision, j.outcome))
		res.Kept = append(res.Kept, j.rule.RuleID)
		iv.logRule(ctx, j)
	}
	a.Action = prefixListAction(js)
	if len(toRemove) > 0 && iv.r.cfg.PrefixListAction == policy.ActionRevert {
		if iv.r.engine.Mode() == policy.ModeDryRun {
			a.Action = notify.ActionWouldRevert
		} else {
			start = time.Now()
			_, err := iv.ec2.ModifyManagedPrefixList(ctx, &ec2.ModifyManagedPrefixListInput{
				PrefixListId:   aws.String(pl.ID),
				CurrentVersion: aws.Int64(version),
				RemoveEntries:  removeEntries(toRemove),
			})
			iv.m.time(stageRevoke, start)
			if err != nil {
				return iv.fail(ctx, res, a, fmt.Errorf("remove %v from %s (version %d): %w", toRemove, pl.ID, version, err))
			}
			a.Action = notify.ActionReverted
			a.PrefixList.Removed = toRemove
			res.RemovedEntries = toRemove
			iv.m.reverted += len(toRemove)
			iv.log.InfoContext(ctx, "prefix list entries removed", "entries", toRemove)
		}
	}
	if a.Action != notify.ActionExempt {
		enis, err := iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{
			Filters: []types.Filter{{Name: aws.String("group-id"), Values: sortedKeys(violGroups)}},
		})
		if err != nil {
			iv.log.WarnContext(ctx, "exposed ENIs unknown", "error", err.Error())
		}
		a.Exposed = exposedDocs(enis, js)
	}
	if err := iv.publish(ctx, &res, a); err != nil {
		iv.m.failed++
		return res, err
	}
	return res, nil
}

// prefixListAction is the headline when no entry is removed: an alert
// unless every violation is exempt.
func prefixListAction(js []*judged) notify.Action {
	for _, j := range js {
		if DecisionRank(j.decision) >= DecisionRank(policy.DecisionAlert) {
			return notify.ActionAlert
		}
	}
	return notify.ActionExempt
}

func (iv *invocation) failPrefixList(ctx context.Context, res Result, err error, start time.Time) (Result, error) {
	iv.m.time(stageDescribe, start)
	a := iv.baseAlert(notify.ActionFailed)
	pl := iv.ev.PrefixList
	a.PrefixList = &notify.PrefixList{ID: pl.ID, Name: pl.Name}
	return iv.fail(ctx, res, a, err)
}

func removeEntries(cidrs []string) []types.RemovePrefixListEntry {
	out := make([]types.RemovePrefixListEntry, len(cidrs))
	for i, c := range cidrs {
		out[i] = types.RemovePrefixListEntry{Cidr: aws.String(c)}
	}
	return out
}

// IsPrefixListNotFound reports whether err says the prefix list is gone.
func IsPrefixListNotFound(err error) bool {
	switch ErrorCode(err) {
	case "InvalidPrefixListID.NotFound", "InvalidPrefixListId.NotFound":
		return true
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
