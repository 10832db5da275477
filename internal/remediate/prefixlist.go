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

// listChange is one prefix-list event on its way through
// handlePrefixList's steps.
type listChange struct {
	list    *types.ManagedPrefixList
	version int64
	// added are the possibly public entries the event added (for a
	// restore: every possibly public entry of the restored version).
	added     []string
	refs      []policy.Rule
	others    []policy.Rule // the referencing groups' other rules (rules aggregate)
	groups    map[string]*types.SecurityGroup
	js        []*judged
	violGroup map[string]bool
	offending []string
	toRemove  []string
	removed   bool
}

// handlePrefixList is the contract for a prefix-list change: judge the
// event (only a possibly public entry can matter), confirm against the
// list's current entries and every rule referencing it, remove the
// offending entries when the policy says so, and alert.
func (iv *invocation) handlePrefixList(ctx context.Context, res Result) (Result, error) {
	added, why := iv.judgePrefixListEvent()
	if why != "" {
		return iv.ignore(ctx, res, why), nil
	}
	iv.log = iv.log.With("prefix_list_id", iv.ev.PrefixList.ID)
	lc, why, err := iv.confirmPrefixList(ctx, added)
	if err != nil {
		return iv.failEvent(res, err)
	}
	if why != "" {
		return iv.ignore(ctx, res, why), nil
	}
	a := iv.prefixListAlert(lc)
	for _, j := range lc.js {
		res.Kept = append(res.Kept, ruleRef(j.rule))
		iv.logRule(ctx, j)
	}
	if err := iv.removeOffending(ctx, lc); err != nil {
		return iv.fail(res, a, err)
	}
	return iv.alertPrefixList(ctx, res, lc, a)
}

// restoresVersion reports whether the event restores an earlier version of
// a list: the restored entries are not in the event.
func restoresVersion(name string) bool { return name == "RestoreManagedPrefixListVersion" }

// judgePrefixListEvent returns the possibly public entries the event added,
// or why the event needs no AWS call. A restore may bring back any entry,
// so it is always confirmed.
func (iv *invocation) judgePrefixListEvent() (added []string, why string) {
	ev := iv.ev
	pl := ev.PrefixList
	if pl == nil || pl.ID == "" || ev.Name == "CreateManagedPrefixList" {
		return nil, "new prefix list: no rule references it yet"
	}
	if restoresVersion(ev.Name) {
		return nil, ""
	}
	for _, e := range pl.Added {
		if mayBePublic(e.CIDR) {
			added = append(added, e.CIDR)
		}
	}
	if len(added) == 0 {
		return nil, "no public entry added"
	}
	return added, ""
}

// confirmPrefixList reads the list's current version and entries and every
// rule that references it, judges those rules with the current entries,
// and finds which added public entries make them violate.
func (iv *invocation) confirmPrefixList(ctx context.Context, added []string) (*listChange, string, error) {
	if err := iv.connect(ctx); err != nil {
		return nil, "", err
	}
	start := time.Now()
	lc, entries, why, err := iv.readPrefixList(ctx, added)
	iv.m.time(stageDescribe, start)
	if err != nil || why != "" {
		return nil, why, err
	}
	start = time.Now()
	defer iv.m.time(stageEvaluate, start)
	if !iv.judgeReferences(lc, entries) {
		return nil, "referencing rules compliant", nil
	}
	iv.findOffending(lc, entries)
	return lc, "", nil
}

// readPrefixList reads the list, its entries, the rules referencing it and
// their groups; why says when there is nothing to judge.
func (iv *invocation) readPrefixList(ctx context.Context, added []string) (lc *listChange, entries []types.PrefixListEntry, why string, err error) {
	id := iv.ev.PrefixList.ID
	lists, err := iv.ec2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{PrefixListIds: []string{id}})
	if err != nil {
		if IsPrefixListNotFound(err) {
			return nil, nil, "prefix list gone", nil
		}
		return nil, nil, "", fmt.Errorf("describe prefix list %s: %w", id, err)
	}
	lc = &listChange{added: added}
	for i := range lists.PrefixLists {
		if aws.ToString(lists.PrefixLists[i].PrefixListId) == id {
			lc.list = &lists.PrefixLists[i]
		}
	}
	if lc.list == nil {
		return nil, nil, "prefix list gone", nil
	}
	lc.version = aws.ToInt64(lc.list.Version)
	if entries, err = iv.prefixListEntries(ctx, id, lc.version); err != nil {
		return nil, nil, "", err
	}
	if restoresVersion(iv.ev.Name) {
		for _, e := range entries {
			if c := aws.ToString(e.Cidr); mayBePublic(c) {
				lc.added = append(lc.added, c)
			}
		}
		if len(lc.added) == 0 {
			return nil, nil, "no public entry restored", nil
		}
	}
	// EC2 has no rule filter on a referenced prefix list: read every rule.
	all, err := iv.describeRules(ctx, "", nil)
	if err != nil {
		return nil, nil, "", err
	}
	groupSet := map[string]bool{}
	for _, r := range all {
		if r.Peer.Kind == policy.PeerPrefixList && r.Peer.PrefixListID == id {
			lc.refs = append(lc.refs, r)
			groupSet[r.GroupID] = true
		}
	}
	if len(lc.refs) == 0 {
		return nil, nil, "prefix list not referenced by any rule", nil
	}
	for _, r := range all {
		if groupSet[r.GroupID] && (r.Peer.Kind != policy.PeerPrefixList || r.Peer.PrefixListID != id) {
			lc.others = append(lc.others, r)
		}
	}
	if lc.groups, err = iv.describeGroups(ctx, sortedKeys(groupSet)); err != nil {
		return nil, nil, "", err
	}
	return lc, entries, "", nil
}

// judgeReferences judges every referencing rule with the list's current
// entries; it reports whether any violates.
func (iv *invocation) judgeReferences(lc *listChange, entries []types.PrefixListEntry) bool {
	ec := iv.evalContext()
	lc.violGroup = map[string]bool{}
	for i := range lc.refs {
		r := &lc.refs[i]
		if g := lc.groups[r.GroupID]; g != nil {
			SetGroup(r, g)
		}
		setPrefixListEntries(&r.Peer, entries)
		vs := iv.r.engine.Evaluate(r, ec, nil)
		iv.m.evaluated++
		if len(vs) == 0 {
			continue
		}
		iv.m.violations++
		lc.js = append(lc.js, &judged{rule: r, current: r, vs: vs, decision: Strongest(vs), outcome: notify.OutcomeKept})
		lc.violGroup[r.GroupID] = true
	}
	iv.judgeReferencesTogether(lc)
	return len(lc.js) > 0
}

// findOffending judges each added entry that is still in the list as the
// peer of every violating rule: it offends when that alone draws an alert,
// and is to be removed when it draws a revert.
func (iv *invocation) findOffending(lc *listChange, entries []types.PrefixListEntry) {
	ec := iv.evalContext()
	current := map[string]bool{}
	for _, e := range entries {
		if p, err := parsePrefix(aws.ToString(e.Cidr)); err == nil {
			current[p.String()] = true
		}
	}
	for _, cidr := range lc.added {
		p, err := parsePrefix(cidr)
		if err != nil || !current[p.String()] {
			continue
		}
		var d policy.Decision
		for _, j := range lc.js {
			r := *j.rule
			r.Peer = policy.Peer{Kind: policy.PeerIPv4, CIDR: p}
			if p.Addr().Is6() {
				r.Peer.Kind = policy.PeerIPv6
			}
			if s := Strongest(iv.r.engine.Evaluate(&r, ec, nil)); DecisionRank(s) > DecisionRank(d) {
				d = s
			}
		}
		if DecisionRank(d) >= DecisionRank(policy.DecisionAlert) {
			lc.offending = append(lc.offending, p.String())
		}
		if d == policy.DecisionRevert || d == policy.DecisionWouldRevert {
			lc.toRemove = append(lc.toRemove, p.String())
		}
	}
	iv.findOffendingTogether(lc, current)
}

// prefixListAlert is the alert as confirmed, before any removal.
func (iv *invocation) prefixListAlert(lc *listChange) notify.Alert {
	a := iv.baseAlert(prefixListAction(lc.js))
	a.PrefixList = &notify.PrefixList{ID: iv.ev.PrefixList.ID, Name: aws.ToString(lc.list.PrefixListName), Version: lc.version,
		Added: lc.added, Offending: lc.offending, ReferencedBy: len(lc.refs)}
	if len(lc.violGroup) == 1 {
		gid := lc.js[0].rule.GroupID
		a.Group = groupDoc(gid, "", lc.groups[gid])
	}
	for _, j := range lc.js {
		a.Rules = append(a.Rules, j.doc())
	}
	return a
}

// removeOffending removes the offending entries from the version it read,
// when the policy's prefix-list action is revert and the mode enforces.
// EC2 rejects the call if the list moved on meanwhile, so nothing newer is
// undone.
func (iv *invocation) removeOffending(ctx context.Context, lc *listChange) error {
	if len(lc.toRemove) == 0 || iv.r.cfg.PrefixListAction != policy.ActionRevert || iv.r.engine.Mode() == policy.ModeDryRun {
		return nil
	}
	id := iv.ev.PrefixList.ID
	start := time.Now()
	_, err := iv.ec2.ModifyManagedPrefixList(ctx, &ec2.ModifyManagedPrefixListInput{
		PrefixListId:   aws.String(id),
		CurrentVersion: aws.Int64(lc.version),
		RemoveEntries:  removeEntries(lc.toRemove),
	})
	iv.m.time(stageRevoke, start)
	if err != nil {
		return fmt.Errorf("remove %v from %s (version %d): %w", lc.toRemove, id, lc.version, err)
	}
	lc.removed = true
	iv.m.reverted += len(lc.toRemove)
	iv.log.InfoContext(ctx, "prefix list entries removed", "entries", lc.toRemove)
	return nil
}

// alertPrefixList sets the headline, lists the exposed ENIs and publishes.
func (iv *invocation) alertPrefixList(ctx context.Context, res Result, lc *listChange, a notify.Alert) (Result, error) {
	switch {
	case lc.removed:
		a.Action = notify.ActionReverted
		a.PrefixList.Removed = lc.toRemove
		res.RemovedEntries = lc.toRemove
	case len(lc.toRemove) > 0 && iv.r.cfg.PrefixListAction == policy.ActionRevert:
		a.Action = notify.ActionWouldRevert
	}
	if a.Action != notify.ActionExempt {
		enis, err := iv.describeENIs(ctx, &ec2.DescribeNetworkInterfacesInput{
			Filters: []types.Filter{{Name: aws.String("group-id"), Values: sortedKeys(lc.violGroup)}},
		})
		if err != nil {
			iv.log.WarnContext(ctx, "exposed ENIs unknown", "error", err.Error())
		}
		a.Exposed = exposedDocs(enis, lc.js)
	}
	return iv.alert(ctx, res, a)
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
