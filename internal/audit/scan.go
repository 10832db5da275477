package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// Operation names, as they appear in RegionReport.Calls and Unscanned.
const (
	OpDescribeSecurityGroups      = "DescribeSecurityGroups"
	OpDescribeSecurityGroupRules  = "DescribeSecurityGroupRules"
	OpDescribeNetworkInterfaces   = "DescribeNetworkInterfaces"
	OpDescribeManagedPrefixLists  = "DescribeManagedPrefixLists"
	OpGetManagedPrefixListEntries = "GetManagedPrefixListEntries"
	opClient                      = "NewClient"
)

// Page sizes: the maximum each operation accepts, to make the fewest calls.
const (
	pageSize           = 1000 // DescribeSecurityGroups, DescribeSecurityGroupRules, DescribeNetworkInterfaces
	prefixListPageSize = 100  // DescribeManagedPrefixLists, GetManagedPrefixListEntries
	// groupBatch is how many groups' rules are read and judged together
	// (the values of one group-id filter); their rules are then dropped,
	// except those that may expose an interface. It bounds the memory of a
	// scan by the batch, not by the region.
	groupBatch = 200
)

// regionResult is what one region contributes to the report. The rules
// themselves are not kept once evaluated.
type regionResult struct {
	report    RegionReport
	account   string
	unscanned []Unscanned
	errs      []*RegionError
	findings  []Finding
	exposures []ExposureReport

	// revertRules are the distinct rules whose decision is revert, in the
	// order found; only the first limit+1 keep their violations, which is
	// enough to know whether the bound is exceeded.
	revertRules map[string]int
	reverts     []revertCandidate
	revertCount int
}

type revertCandidate struct {
	groupID string
	ruleID  string
	vs      []policy.Violation
}

// scanner holds the state of one region's scan.
type scanner struct {
	a      *Auditor
	region string
	client EC2API
	res    *regionResult
	ec     policy.EvalContext
	evalD  time.Duration

	groups map[string]*group
	// exposable are the batch's ingress rules that may open public space,
	// by group; once the batch's unions are judged they move to exposing,
	// which keeps only what ExposureOf reads, for the rest of the scan.
	exposable map[string][]policy.Rule
	exposing  map[string][]exposingRule
	// unionOnly are the batch's other rules with CIDR or prefix-list
	// peers that the policy's unions need (policy.Engine.UnionNeeds): with
	// exposable, what a group's unions are made of (rule 1). One slice,
	// reused from batch to batch.
	unionOnly  []policy.Rule
	unionNeeds [2][2]bool             // [direction][0 public, 1 private]
	deferred   []policy.Rule          // prefix-list rules, evaluated once lists are resolved
	lists      map[string]*prefixList // every list referenced so far, resolved once
	worstRule  map[string]policy.Severity
	spool      *exposureSpool       // nil: exposures are kept in res
	attached   map[string]*Attached // groups with findings -> their interfaces
	strs       map[string]string    // see intern
}

func (a *Auditor) scanRegion(ctx context.Context, region string, spool *exposureSpool) *regionResult {
	res := &regionResult{
		report: RegionReport{
			Region: region, Status: RegionScanned,
			Calls:                    map[string]int{},
			NetworkInterfacesByOwner: map[string]int{},
		},
		revertRules: map[string]int{},
	}
	start := a.now()
	s := &scanner{
		a: a, region: region, res: res,
		ec:         policy.EvalContext{Now: start},
		groups:     map[string]*group{},
		exposable:  map[string][]policy.Rule{},
		exposing:   map[string][]exposingRule{},
		unionNeeds: unionNeeds(a.engine),
		lists:      map[string]*prefixList{},
		worstRule:  map[string]policy.Severity{},
		attached:   map[string]*Attached{},
		spool:      spool,
	}
	defer func() {
		res.report.Timings = Timings{
			ScanMillis:     a.now().Sub(start).Milliseconds(),
			EvaluateMillis: s.evalD.Milliseconds(),
		}
		stage := "done"
		if res.report.Status == RegionFailed {
			stage = "failed"
		}
		s.progress(stage, res.report.Rules)
	}()

	client, err := a.clients(region)
	if err != nil {
		s.fail(opClient, "", err)
		return res
	}
	s.client = client
	if !s.listGroupsAndRules(ctx) {
		return res
	}
	if spool != nil {
		// Every rule is judged: the groups only served to share their IDs
		// with the interfaces the report keeps, and the spool keeps none.
		s.groups = nil
	}
	s.listNetworkInterfaces(ctx)
	s.finish()
	return res
}

func (s *scanner) progress(stage string, n int) {
	if s.a.progress != nil {
		s.a.progress(Progress{Region: s.region, Stage: stage, Items: n})
	}
}

// fail records that op (on resource, if any) could not be scanned. A failure
// of a listing without which nothing can be evaluated fails the region.
func (s *scanner) fail(op, resource string, err error) {
	s.res.unscanned = append(s.res.unscanned, Unscanned{Region: s.region, Operation: op, Resource: resource, Error: err.Error()})
	s.res.errs = append(s.res.errs, &RegionError{Region: s.region, Operation: op, Resource: resource, Err: err})
	switch {
	case resource == "" && (op == opClient || op == OpDescribeSecurityGroups || op == OpDescribeSecurityGroupRules):
		s.res.report.Status = RegionFailed
		// Nothing of this region is reported when its rules are unknown.
		s.res.findings, s.res.reverts, s.res.revertCount = nil, nil, 0
	default:
		if s.res.report.Status == RegionScanned {
			s.res.report.Status = RegionPartial
		}
	}
}

func (s *scanner) timeEval(f func()) {
	t := s.a.now()
	f()
	s.evalD += s.a.now().Sub(t)
}

// listGroupsAndRules streams the region a page of groups at a time: each
// page's groups have their rules read (groupBatch groups per group-id
// filter), their prefix lists resolved and their unions judged, after which
// only the rules that may expose an interface are kept. So a scan holds one
// batch of rules, not the region's.
func (s *scanner) listGroupsAndRules(ctx context.Context) bool {
	p := ec2.NewDescribeSecurityGroupsPaginator(s.client, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		s.res.report.Calls[OpDescribeSecurityGroups]++
		out, err := p.NextPage(ctx)
		if err != nil {
			s.fail(OpDescribeSecurityGroups, "", err)
			return false
		}
		ids := make([]string, 0, len(out.SecurityGroups))
		for i := range out.SecurityGroups {
			g := newGroup(&out.SecurityGroups[i])
			if _, seen := s.groups[g.id()]; seen {
				continue
			}
			g.vpc = s.intern(g.vpc)
			s.groups[g.id()] = g
			ids = append(ids, g.id())
			if s.res.account == "" {
				s.res.account = g.owner()
			}
		}
		// The page, with every group's permissions, is not used from here
		// on, so the collector may take it while the batches run.
		s.res.report.SecurityGroups = len(s.groups)
		s.progress("groups", len(s.groups))
		for start := 0; start < len(ids); start += groupBatch {
			batch := ids[start:min(start+groupBatch, len(ids))]
			if !s.listRules(ctx, batch) {
				return false
			}
			s.resolvePrefixLists(ctx)
			s.evaluateUnions(batch)
		}
	}
	return true
}

// listRules reads and evaluates the rules of the groups in ids.
func (s *scanner) listRules(ctx context.Context, ids []string) bool {
	p := ec2.NewDescribeSecurityGroupRulesPaginator(s.client, &ec2.DescribeSecurityGroupRulesInput{
		Filters:    []types.Filter{{Name: aws.String("group-id"), Values: ids}},
		MaxResults: aws.Int32(pageSize),
	})
	page := make([]policy.Rule, 0, pageSize)
	for p.HasMorePages() {
		s.res.report.Calls[OpDescribeSecurityGroupRules]++
		out, err := p.NextPage(ctx)
		if err != nil {
			s.fail(OpDescribeSecurityGroupRules, "", err)
			return false
		}
		page = page[:0]
		for i := range out.SecurityGroupRules {
			sr := &out.SecurityGroupRules[i]
			r, err := convertRule(sr, s.groups[aws.ToString(sr.GroupId)])
			if err != nil {
				s.fail(OpDescribeSecurityGroupRules, aws.ToString(sr.SecurityGroupRuleId), err)
				continue
			}
			s.res.report.Rules++
			if r.Peer.Kind == policy.PeerPrefixList {
				s.deferred = append(s.deferred, r)
				continue
			}
			page = append(page, r)
		}
		s.evaluate(page)
		s.progress("rules", s.res.report.Rules)
	}
	return true
}

// evaluate evaluates rules and keeps what the report and exposures need.
func (s *scanner) evaluate(rules []policy.Rule) {
	var vs []policy.Violation
	s.timeEval(func() { vs = s.a.engine.EvaluateAll(rules, s.ec) })
	for i := range vs {
		s.addViolation(&vs[i])
	}
	for i := range rules {
		r := &rules[i]
		public := mayBePublic(r.Peer)
		switch {
		case r.Direction == policy.Ingress && public:
			s.exposable[r.GroupID] = append(s.exposable[r.GroupID], *r)
		case r.Direction <= policy.Egress && s.unionNeeds[r.Direction][publicOrPrivate(public)] && hasAddresses(r.Peer):
			s.unionOnly = append(s.unionOnly, *r)
		}
	}
}

// evaluateUnions judges what each group's rules open together (rule 1):
// a finding names every contributing rule, and the revert removes the
// public ones among them, which is enough to close the opening (private
// space never holds a whole family) and leaves the rest alone.
//
// It judges the groups in ids, whose rules are all known by now, and then
// forgets their rules that cannot expose an interface.
func (s *scanner) evaluateUnions(ids []string) {
	ids = slices.Sorted(slices.Values(ids))
	// The batch's rules by group, in the order read: sort their indexes,
	// not the rules.
	order := make([]int, len(s.unionOnly))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(s.unionOnly[a].GroupID, s.unionOnly[b].GroupID), a-b)
	})
	var rules []policy.Rule
	var vs []policy.Violation
	for _, id := range ids {
		lo, _ := slices.BinarySearchFunc(order, id, func(i int, id string) int { return strings.Compare(s.unionOnly[i].GroupID, id) })
		rules = append(rules[:0], s.exposable[id]...)
		for k := lo; k < len(order) && s.unionOnly[order[k]].GroupID == id; k++ {
			rules = append(rules, s.unionOnly[order[k]])
		}
		if len(rules) == 0 {
			continue
		}
		s.timeEval(func() { vs = s.a.engine.EvaluateCoverage(nil, rules, s.ec, vs[:0]) })
		for i := range vs {
			v := &vs[i]
			if !publicPeer(&v.Rule.Peer) && (v.Decision == policy.DecisionRevert || v.Decision == policy.DecisionWouldRevert) {
				v.Decision = policy.DecisionAlert
			}
			s.addViolation(v)
		}
	}
	clear(s.unionOnly) // drop the rules' strings and maps before reuse
	s.unionOnly = s.unionOnly[:0]
	for gid, rs := range s.exposable {
		for i := range rs {
			s.exposing[gid] = append(s.exposing[gid], newExposingRule(&rs[i]))
		}
	}
	clear(s.exposable)
}

// exposingRule is what policy.ExposureOf reads of an ingress rule (its
// group's attributes, tags and description it does not read), so that a
// region's may-be-public rules are held at under half a policy.Rule each.
type exposingRule struct {
	groupID, ruleID  string
	fromPort, toPort int32
	protocol         policy.Protocol
	direction        policy.Direction
	kind             policy.PeerKind
	resolved         bool
	cidr             netip.Prefix
	prefixList       string
	entries          []netip.Prefix
}

// newExposingRule keeps r's exposure; r's peer holds addresses (see
// mayBePublic), so it has no group to lose.
func newExposingRule(r *policy.Rule) exposingRule {
	return exposingRule{
		groupID: r.GroupID, ruleID: r.RuleID, fromPort: r.FromPort, toPort: r.ToPort,
		protocol: r.Protocol, direction: r.Direction, kind: r.Peer.Kind, resolved: r.Peer.PrefixListResolved,
		cidr: r.Peer.CIDR, prefixList: r.Peer.PrefixListID, entries: r.Peer.PrefixListEntries,
	}
}

func (e *exposingRule) rule() policy.Rule {
	return policy.Rule{
		GroupID: e.groupID, RuleID: e.ruleID, FromPort: e.fromPort, ToPort: e.toPort,
		Protocol: e.protocol, Direction: e.direction,
		Peer: policy.Peer{Kind: e.kind, CIDR: e.cidr, PrefixListID: e.prefixList, PrefixListEntries: e.entries, PrefixListResolved: e.resolved},
	}
}

// unionNeeds says which rules the unions of each direction need. Private
// ones are kept whenever a union is judged: a batch's rules are dropped
// once judged, so the rare world union that a private rule completes is
// seen too, not only broaderThan's.
func unionNeeds(e *policy.Engine) (n [2][2]bool) {
	for d := policy.Ingress; d <= policy.Egress; d++ {
		pub, _ := e.UnionNeeds(d)
		n[d][0], n[d][1] = pub, pub
	}
	return n
}

func publicOrPrivate(public bool) int {
	if public {
		return 0
	}
	return 1
}

func hasAddresses(p policy.Peer) bool {
	return p.Kind == policy.PeerIPv4 || p.Kind == policy.PeerIPv6 || p.Kind == policy.PeerPrefixList
}

// publicPeer reports whether a rule's peer holds public addresses.
func publicPeer(p *policy.Peer) bool {
	switch p.Kind {
	case policy.PeerIPv4, policy.PeerIPv6:
		return policy.IsPublic(p.CIDR)
	case policy.PeerPrefixList:
		return slices.ContainsFunc(p.PrefixListEntries, policy.IsPublic)
	}
	return false
}

func (s *scanner) addViolation(v *policy.Violation) {
	// A stack-managed group under stackManaged: alert is reported, not
	// reverted, here as on the event path.
	v.Decision = s.a.engine.StackManagedDecision(v.Decision, policy.IsStackManaged(v.Rule.GroupTags))
	s.res.findings = append(s.res.findings, findingFromViolation(s.region, v))
	if _, ok := s.attached[v.Rule.GroupID]; !ok {
		s.attached[v.Rule.GroupID] = &Attached{Sample: []string{}, Instances: []string{}}
	}
	if v.Decision == policy.DecisionExempt {
		return
	}
	key := ruleKey(&v.Rule)
	if w, ok := s.worstRule[key]; !ok || worse(v.Severity, w) {
		s.worstRule[key] = v.Severity
	}
	if v.Decision != policy.DecisionRevert {
		return
	}
	if idx, ok := s.res.revertRules[key]; ok {
		if idx >= 0 {
			s.res.reverts[idx].vs = append(s.res.reverts[idx].vs, *v)
		}
		return
	}
	s.res.revertCount++
	if len(s.res.reverts) > s.a.maxReverts {
		s.res.revertRules[key] = -1 // bound already exceeded: count only
		return
	}
	s.res.revertRules[key] = len(s.res.reverts)
	s.res.reverts = append(s.res.reverts, revertCandidate{groupID: v.Rule.GroupID, ruleID: v.Rule.RuleID, vs: []policy.Violation{*v}})
}

// ruleKey identifies a rule within a region; rules from a dump may lack an ID.
func ruleKey(r *policy.Rule) string {
	if r.RuleID != "" {
		return r.RuleID
	}
	peer, _ := notify.Peer(&r.Peer)
	return fmt.Sprintf("%s|%d|%d|%d|%d|%s", r.GroupID, r.Direction, r.Protocol, r.FromPort, r.ToPort, peer)
}

// nonPublic are ranges holding no globally routable address. A rule whose
// peer lies inside one of them cannot contribute to public exposure, so it
// need not be kept for ExposureOf. The list is deliberately short: keeping a
// rule too many only costs memory.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("::1/128"),
}

func mayBePublic(p policy.Peer) bool {
	switch p.Kind {
	case policy.PeerPrefixList:
		return true
	case policy.PeerIPv4, policy.PeerIPv6:
		for _, np := range nonPublic {
			if np.Bits() <= p.CIDR.Bits() && np.Contains(p.CIDR.Addr()) {
				return false
			}
		}
		return true
	}
	return false
}

type prefixList struct {
	entries  []netip.Prefix
	resolved bool
}

// resolvePrefixLists reads the entries of the lists that rules reference,
// then evaluates those rules.
func (s *scanner) resolvePrefixLists(ctx context.Context) {
	if len(s.deferred) == 0 {
		return
	}
	lists := s.lists
	var ids []string // referenced for the first time
	for i := range s.deferred {
		id := s.deferred[i].Peer.PrefixListID
		if _, ok := lists[id]; !ok {
			lists[id] = &prefixList{}
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	s.res.report.PrefixLists = len(lists)

	existing := s.describePrefixLists(ctx, ids)
	for _, id := range existing {
		pl := lists[id]
		p := ec2.NewGetManagedPrefixListEntriesPaginator(s.client, &ec2.GetManagedPrefixListEntriesInput{
			PrefixListId: aws.String(id), MaxResults: aws.Int32(prefixListPageSize),
		})
		ok := true
		for p.HasMorePages() {
			s.res.report.Calls[OpGetManagedPrefixListEntries]++
			out, err := p.NextPage(ctx)
			if err != nil {
				s.fail(OpGetManagedPrefixListEntries, id, err)
				ok = false
				break
			}
			for _, e := range out.Entries {
				cidr, err := netip.ParsePrefix(aws.ToString(e.Cidr))
				if err != nil {
					s.fail(OpGetManagedPrefixListEntries, id, fmt.Errorf("entry %q: %w", aws.ToString(e.Cidr), err))
					ok = false
					continue
				}
				pl.entries = append(pl.entries, cidr.Masked())
			}
		}
		pl.resolved = ok
		if ok {
			s.res.report.PrefixListsResolved++
		}
		s.progress("prefix-lists", s.res.report.PrefixListsResolved)
	}
	for i := range s.deferred {
		r := &s.deferred[i]
		if pl := lists[r.Peer.PrefixListID]; pl.resolved {
			r.Peer.PrefixListEntries, r.Peer.PrefixListResolved = pl.entries, true
		}
	}
	s.evaluate(s.deferred)
	s.deferred = nil
}

// describePrefixLists returns the IDs among ids that exist. A list that is
// gone (or not shared with the account) is reported and stays unresolved.
func (s *scanner) describePrefixLists(ctx context.Context, ids []string) []string {
	var found []string
	for start := 0; start < len(ids); start += prefixListPageSize {
		batch := ids[start:min(start+prefixListPageSize, len(ids))]
		got, err := s.describePrefixListBatch(ctx, batch)
		if err != nil && isNotFound(err) && len(batch) > 1 {
			// One missing list fails the whole batch: ask one by one.
			for _, id := range batch {
				one, err := s.describePrefixListBatch(ctx, []string{id})
				if err != nil {
					s.fail(OpDescribeManagedPrefixLists, id, err)
					continue
				}
				found = append(found, one...)
			}
			continue
		}
		if err != nil {
			for _, id := range batch {
				s.fail(OpDescribeManagedPrefixLists, id, err)
			}
			continue
		}
		found = append(found, got...)
	}
	return found
}

func (s *scanner) describePrefixListBatch(ctx context.Context, ids []string) ([]string, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	p := ec2.NewDescribeManagedPrefixListsPaginator(s.client, &ec2.DescribeManagedPrefixListsInput{
		PrefixListIds: ids, MaxResults: aws.Int32(prefixListPageSize),
	})
	var found []string
	for p.HasMorePages() {
		s.res.report.Calls[OpDescribeManagedPrefixLists]++
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, pl := range out.PrefixLists {
			if id := aws.ToString(pl.PrefixListId); want[id] {
				found = append(found, id)
				delete(want, id)
			}
		}
	}
	for _, id := range ids {
		if want[id] {
			s.fail(OpDescribeManagedPrefixLists, id, errors.New("prefix list not found"))
		}
	}
	return found, nil
}

// isNotFound reports an answer such as InvalidPrefixListID.NotFound.
func isNotFound(err error) bool {
	return strings.HasSuffix(remediate.ErrorCode(err), ".NotFound")
}

// listNetworkInterfaces computes each interface's exposure page by page, so
// that interfaces without exposure are never kept.
func (s *scanner) listNetworkInterfaces(ctx context.Context) {
	for _, rs := range s.exposing {
		slices.SortStableFunc(rs, func(a, b exposingRule) int { return cmp.Compare(a.ruleID, b.ruleID) })
	}
	// The rules of the interface's groups, rebuilt per interface.
	rules := map[string][]policy.Rule{}
	var buf []policy.Rule
	p := ec2.NewDescribeNetworkInterfacesPaginator(s.client, &ec2.DescribeNetworkInterfacesInput{
		MaxResults: aws.Int32(pageSize), IncludeManagedResources: aws.Bool(true),
	})
	for p.HasMorePages() {
		s.res.report.Calls[OpDescribeNetworkInterfaces]++
		out, err := p.NextPage(ctx)
		if err != nil {
			s.fail(OpDescribeNetworkInterfaces, "", err)
			return
		}
		for i := range out.NetworkInterfaces {
			eni := convertENI(&out.NetworkInterfaces[i])
			s.share(&eni)
			s.res.report.NetworkInterfaces++
			s.res.report.NetworkInterfacesByOwner[eni.OwnerType]++
			for _, gid := range eni.GroupIDs {
				if at, ok := s.attached[gid]; ok {
					at.Count++
					if len(at.Sample) < sampleSize {
						at.Sample = append(at.Sample, eni.ID)
					}
					if eni.InstanceID != "" && len(at.Instances) < sampleSize && !slices.Contains(at.Instances, eni.InstanceID) {
						at.Instances = append(at.Instances, eni.InstanceID)
					}
				}
			}
			if !s.mayBeExposed(eni.GroupIDs) {
				continue // no group of it has a rule that may open public space
			}
			clear(rules)
			buf = s.rulesOf(eni.GroupIDs, rules, buf[:0])
			var exp policy.Exposure
			s.timeEval(func() { exp = policy.ExposureOf(eni, rules) })
			if len(exp.Open) > 0 {
				er := s.exposureReport(&exp)
				if s.spool != nil {
					s.spool.add(&er)
				} else {
					s.res.exposures = append(s.res.exposures, er)
				}
			}
		}
		s.progress("network-interfaces", s.res.report.NetworkInterfaces)
	}
}

// intern returns the scan's one copy of v, so that the strings thousands of
// exposures repeat (VPC, subnet, type, a grant's peer) are held once.
func (s *scanner) intern(v string) string {
	if c, ok := s.strs[v]; ok {
		return c
	}
	if s.strs == nil {
		s.strs = map[string]string{}
	}
	s.strs[v] = v
	return v
}

// share interns the interface's repeated strings and points its group IDs
// at the groups' own; only exposed interfaces are kept.
func (s *scanner) share(e *policy.ENI) {
	e.VPCID, e.SubnetID, e.InterfaceType = s.intern(e.VPCID), s.intern(e.SubnetID), s.intern(e.InterfaceType)
	for i, gid := range e.GroupIDs {
		if g, ok := s.groups[gid]; ok {
			e.GroupIDs[i] = g.id()
		}
	}
}

// rulesOf fills into the may-be-public rules of groupIDs, held in buf
// (returned for reuse).
func (s *scanner) rulesOf(groupIDs []string, into map[string][]policy.Rule, buf []policy.Rule) []policy.Rule {
	starts := make([]int, len(groupIDs)+1)
	for i, gid := range groupIDs {
		starts[i] = len(buf)
		if slices.Contains(groupIDs[:i], gid) {
			continue
		}
		for k := range s.exposing[gid] {
			buf = append(buf, s.exposing[gid][k].rule())
		}
	}
	starts[len(groupIDs)] = len(buf)
	for i, gid := range groupIDs {
		if starts[i+1] > starts[i] {
			into[gid] = buf[starts[i]:starts[i+1]:starts[i+1]]
		}
	}
	return buf
}

func (s *scanner) mayBeExposed(groupIDs []string) bool {
	for _, gid := range groupIDs {
		if len(s.exposing[gid]) > 0 {
			return true
		}
	}
	return false
}

func (s *scanner) exposureReport(exp *policy.Exposure) ExposureReport {
	er := ExposureReport{Region: s.region, NetworkInterface: eniRef(&exp.ENI), Open: make([]OpenPortRef, 0, len(exp.Open))}
	for _, o := range exp.Open {
		op := OpenPortRef{Protocol: notify.ProtocolName(o.Protocol), FromPort: o.FromPort, ToPort: o.ToPort, From: o.From, Grants: make([]GrantRef, 0, len(o.Grants))}
		for _, g := range o.Grants {
			op.Grants = append(op.Grants, GrantRef{GroupID: g.GroupID, RuleID: g.RuleID, Peer: s.intern(g.Peer)})
			if w, ok := s.worstRule[g.RuleID]; ok && worse(w, er.WorstSeverity) {
				er.WorstSeverity = w
			}
		}
		er.Open = append(er.Open, op)
	}
	return er
}

// finish attaches interface counts to the findings.
func (s *scanner) finish() {
	for i := range s.res.findings {
		f := &s.res.findings[i]
		if at, ok := s.attached[f.Group.ID]; ok {
			f.NetworkInterfaces = *at
		} else {
			f.NetworkInterfaces = Attached{Sample: []string{}, Instances: []string{}}
		}
	}
}
