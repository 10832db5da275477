package audit

import (
	"cmp"
	"slices"
	"time"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// SchemaVersion is the version of the report and summary JSON schemas
// (docs/audit.md). It changes only when a field is removed or changes
// meaning; new fields may be added within a version.
const SchemaVersion = 1

// Kinds of JSON documents the audit writes.
const (
	KindReport  = "sgwarden.audit.report"
	KindSummary = "sgwarden.audit.summary"
)

// Region statuses.
const (
	RegionScanned = "scanned" // everything listed and evaluated
	RegionPartial = "partial" // evaluated, but something (ENIs, a prefix list, a rule) is missing
	RegionFailed  = "failed"  // nothing evaluated
)

// Remediation statuses of a finding.
const (
	StatusReverted     = "reverted"
	StatusAlreadyGone  = "already-gone" // counted as reverted
	StatusFailed       = "failed"
	StatusSkippedBound = "skipped-bound"
	StatusNotAttempted = "not-attempted"
)

// Report is the full result of one audit run. Its JSON form is the stable
// schema documented in docs/audit.md.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kind          string `json:"kind"`
	// Version is the sgwarden build that made the report.
	Version    string      `json:"sgwardenVersion"`
	RunID      string      `json:"runId"`
	Account    string      `json:"account"`
	StartedAt  time.Time   `json:"startedAt"`
	FinishedAt time.Time   `json:"finishedAt"`
	Mode       policy.Mode `json:"mode"`
	// Complete is true when every region, list and rule was scanned.
	Complete    bool           `json:"complete"`
	Regions     []RegionReport `json:"regions"`
	Unscanned   []Unscanned    `json:"unscanned"`
	Counts      Counts         `json:"counts"`
	Remediation Remediation    `json:"remediation"`
	Violations  []Finding      `json:"violations"`
	// Exposures are empty when the run spools them (WithExposureSpool);
	// EachExposure reads them either way.
	Exposures []ExposureReport `json:"exposures"`

	spool    *exposureSpool
	reverted map[string]bool // region|rule ID, marked on spooled exposures as read
}

// RegionReport says what was scanned in one region.
type RegionReport struct {
	Region            string `json:"region"`
	Status            string `json:"status"`
	SecurityGroups    int    `json:"securityGroups"`
	Rules             int    `json:"rules"`
	NetworkInterfaces int    `json:"networkInterfaces"`
	// PrefixLists counts the managed prefix lists that rules reference;
	// PrefixListsResolved those whose entries were read.
	PrefixLists         int `json:"prefixLists"`
	PrefixListsResolved int `json:"prefixListsResolved"`
	// Calls is the number of API calls (pages) per operation, retries not
	// included.
	Calls                    map[string]int `json:"calls"`
	NetworkInterfacesByOwner map[string]int `json:"networkInterfacesByOwner"`
	Timings                  Timings        `json:"timings"`
}

// Timings are wall-clock durations measured with the auditor's clock.
type Timings struct {
	ScanMillis     int64 `json:"scanMillis"`
	EvaluateMillis int64 `json:"evaluateMillis"`
}

// Unscanned is something that could not be listed or evaluated.
type Unscanned struct {
	Region    string `json:"region"`
	Operation string `json:"operation"`
	// Resource is the prefix list or rule concerned, empty for a whole
	// operation.
	Resource string `json:"resource,omitempty"`
	Error    string `json:"error"`
}

// Counts aggregates the findings.
type Counts struct {
	// Violations counts findings that are not exempt; Exempt those that are.
	Violations int `json:"violations"`
	Exempt     int `json:"exempt"`
	// RulesInViolation counts the distinct rules with at least one
	// finding that is not exempt.
	RulesInViolation int                     `json:"rulesInViolation"`
	ByCheck          map[string]CheckCount   `json:"byCheck"`
	BySeverity       map[policy.Severity]int `json:"bySeverity"`
	ByDecision       map[policy.Decision]int `json:"byDecision"`
	// ExposedNetworkInterfaces counts interfaces with any port open to
	// public space, by owner type in ExposedByOwner.
	ExposedNetworkInterfaces int            `json:"exposedNetworkInterfaces"`
	ExposedByOwner           map[string]int `json:"exposedByOwner"`
}

// CheckCount counts the findings of one check.
type CheckCount struct {
	Severity   policy.Severity         `json:"severity"`
	Total      int                     `json:"total"`
	ByDecision map[policy.Decision]int `json:"byDecision"`
}

// Remediation says what the run reverted.
type Remediation struct {
	Enforced   bool `json:"enforced"`
	MaxReverts int  `json:"maxReverts"`
	// Candidates is the number of distinct rules whose decision is revert.
	Candidates    int    `json:"candidates"`
	BoundExceeded bool   `json:"boundExceeded"`
	Reverted      int    `json:"reverted"`
	Failed        int    `json:"failed"`
	Note          string `json:"note,omitempty"`
}

// Finding is one check matching one rule.
type Finding struct {
	Region               string          `json:"region"`
	Check                string          `json:"check"`
	Severity             policy.Severity `json:"severity"`
	Decision             policy.Decision `json:"decision"`
	Exemption            string          `json:"exemption,omitempty"`
	Reason               string          `json:"reason"`
	PrefixListUnresolved bool            `json:"prefixListUnresolved,omitempty"`
	Group                GroupRef        `json:"group"`
	Rule                 RuleRef         `json:"rule"`
	// Together is set when the rule matches only with others (rule 1):
	// what their union opens and every contributing rule.
	Together *TogetherRef `json:"together,omitempty"`
	// NetworkInterfaces are the interfaces that carry the rule's group.
	NetworkInterfaces Attached        `json:"networkInterfaces"`
	Remediation       *FindingOutcome `json:"remediation,omitempty"`
}

// TogetherRef is an opening that several rules make together: on one
// protocol and port range, their peers hold the whole address family
// (world) or more addresses than a /maxBits.
type TogetherRef struct {
	Protocol string           `json:"protocol"`
	FromPort int32            `json:"fromPort"`
	ToPort   int32            `json:"toPort"`
	Family   string           `json:"family"` // ipv4 or ipv6
	World    bool             `json:"world"`
	MaxBits  int              `json:"maxBits,omitempty"`
	Rules    []ContributorRef `json:"rules"`
}

// ContributorRef is one rule of a TogetherRef.
type ContributorRef struct {
	GroupID string `json:"groupId"`
	RuleID  string `json:"ruleId"`
	Peer    string `json:"peer"`
}

func togetherRef(c *policy.Coverage) *TogetherRef {
	if c == nil {
		return nil
	}
	t := &TogetherRef{Protocol: notify.ProtocolName(c.Protocol), FromPort: c.FromPort, ToPort: c.ToPort, Family: "ipv4", World: c.World, MaxBits: c.MaxBits}
	if c.IPv6 {
		t.Family = "ipv6"
	}
	for _, r := range c.Rules {
		t.Rules = append(t.Rules, ContributorRef{GroupID: r.GroupID, RuleID: r.RuleID, Peer: r.Peer})
	}
	return t
}

// GroupRef names a security group.
type GroupRef struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	VPC     string            `json:"vpc"`
	Owner   string            `json:"owner,omitempty"`
	Default bool              `json:"default"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// RuleRef is one rule.
type RuleRef struct {
	ID          string            `json:"id"`
	Direction   string            `json:"direction"`
	Protocol    string            `json:"protocol"`
	FromPort    int32             `json:"fromPort"`
	ToPort      int32             `json:"toPort"`
	Peer        string            `json:"peer"`
	PeerKind    string            `json:"peerKind"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// Attached counts the network interfaces of a group, with a bounded sample.
type Attached struct {
	Count     int      `json:"count"`
	Sample    []string `json:"sample"`
	Instances []string `json:"instances"`
}

// FindingOutcome is what happened to a finding whose decision is revert.
type FindingOutcome struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// ExposureReport is the effective public exposure of one network interface
// across all its groups.
type ExposureReport struct {
	Region           string          `json:"region"`
	NetworkInterface ENIRef          `json:"networkInterface"`
	WorstSeverity    policy.Severity `json:"worstSeverity,omitempty"`
	Open             []OpenPortRef   `json:"open"`
}

// ENIRef describes a network interface.
type ENIRef struct {
	ID            string   `json:"id"`
	VPC           string   `json:"vpc"`
	Subnet        string   `json:"subnet"`
	InterfaceType string   `json:"interfaceType"`
	OwnerType     string   `json:"ownerType"`
	InstanceID    string   `json:"instanceId,omitempty"`
	RequesterID   string   `json:"requesterId,omitempty"`
	Description   string   `json:"description,omitempty"`
	PrivateIP     string   `json:"privateIp,omitempty"`
	PublicIP      string   `json:"publicIp,omitempty"`
	Groups        []string `json:"groups"`
}

// OpenPortRef is a protocol and port range reachable from "world" or
// "public" space, with the rules that grant it.
type OpenPortRef struct {
	Protocol string     `json:"protocol"`
	FromPort int32      `json:"fromPort"`
	ToPort   int32      `json:"toPort"`
	From     string     `json:"from"`
	Grants   []GrantRef `json:"grants"`
}

// GrantRef names a rule that grants an open port.
type GrantRef struct {
	GroupID string `json:"groupId"`
	RuleID  string `json:"ruleId"`
	Peer    string `json:"peer"`
	// Reverted is true when this run reverted the rule: the exposure is
	// the account as read, before the revert.
	Reverted bool `json:"reverted,omitempty"`
}

// String renders the grant as "sg-1/sgr-2", with " (reverted)" when it was.
func (g GrantRef) String() string {
	if g.Reverted {
		return g.GroupID + "/" + g.RuleID + " (reverted)"
	}
	return g.GroupID + "/" + g.RuleID
}

const sampleSize = 5

// worse reports whether a is more severe than b.
func worse(a, b policy.Severity) bool {
	return notify.SeverityRank(string(a)) < notify.SeverityRank(string(b))
}

func ruleRef(r *policy.Rule) RuleRef {
	peer, kind := notify.Peer(&r.Peer)
	return RuleRef{
		ID: r.RuleID, Direction: notify.Direction(r.Direction), Protocol: notify.ProtocolName(r.Protocol),
		FromPort: r.FromPort, ToPort: r.ToPort, Peer: peer, PeerKind: kind,
		Description: r.Description, Tags: r.RuleTags,
	}
}

func groupRef(r *policy.Rule) GroupRef {
	return GroupRef{ID: r.GroupID, Name: r.GroupName, VPC: r.VPCID, Owner: r.GroupOwner, Default: r.IsDefaultGroup, Tags: r.GroupTags}
}

func eniRef(e *policy.ENI) ENIRef {
	groups := e.GroupIDs
	if groups == nil {
		groups = []string{}
	}
	return ENIRef{
		ID: e.ID, VPC: e.VPCID, Subnet: e.SubnetID, InterfaceType: e.InterfaceType, OwnerType: e.OwnerType,
		InstanceID: e.InstanceID, RequesterID: e.RequesterID, Description: e.Description,
		PrivateIP: e.PrivateIP, PublicIP: e.PublicIP, Groups: groups,
	}
}

func findingFromViolation(region string, v *policy.Violation) Finding {
	return Finding{
		Region: region, Check: v.CheckID, Severity: v.Severity, Decision: v.Decision,
		Exemption: v.Exemption, Reason: v.Reason(), PrefixListUnresolved: v.PrefixListUnresolved,
		Group: groupRef(&v.Rule), Rule: ruleRef(&v.Rule), Together: togetherRef(v.Coverage),
	}
}

// sortReport puts every list in a deterministic order.
func sortReport(r *Report) {
	slices.SortFunc(r.Regions, func(a, b RegionReport) int { return cmp.Compare(a.Region, b.Region) })
	slices.SortFunc(r.Unscanned, func(a, b Unscanned) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.Resource, b.Resource))
	})
	slices.SortFunc(r.Violations, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Group.ID, b.Group.ID),
			cmp.Compare(a.Rule.ID, b.Rule.ID), cmp.Compare(a.Check, b.Check),
			cmp.Compare(a.Rule.Peer, b.Rule.Peer), cmp.Compare(a.Rule.FromPort, b.Rule.FromPort))
	})
	slices.SortFunc(r.Exposures, compareExposure)
}

// compareExposure orders the worst exposures first: by worst severity of the
// violations that open them, then interfaces with a public IP (reachable
// from the internet, not only from peered networks) before the others, then
// world before public, then by the number of ports open, then by region and
// interface ID.
func hasPublicIP(e ExposureReport) int {
	if e.NetworkInterface.PublicIP != "" {
		return 1
	}
	return 0
}

func compareExposure(a, b ExposureReport) int {
	return cmp.Or(
		cmp.Compare(notify.SeverityRank(string(a.WorstSeverity)), notify.SeverityRank(string(b.WorstSeverity))),
		-cmp.Compare(hasPublicIP(a), hasPublicIP(b)),
		-cmp.Compare(worldPorts(a), worldPorts(b)),
		-cmp.Compare(openPorts(a), openPorts(b)),
		cmp.Compare(a.Region, b.Region),
		cmp.Compare(a.NetworkInterface.ID, b.NetworkInterface.ID),
	)
}

func portCount(o OpenPortRef) int64 {
	if o.Protocol != "tcp" && o.Protocol != "udp" {
		return 65536
	}
	if o.ToPort < o.FromPort {
		return 1
	}
	return int64(o.ToPort-o.FromPort) + 1
}

func worldPorts(e ExposureReport) int64 {
	var n int64
	for _, o := range e.Open {
		if o.From == "world" {
			n += portCount(o)
		}
	}
	return n
}

func openPorts(e ExposureReport) int64 {
	var n int64
	for _, o := range e.Open {
		n += portCount(o)
	}
	return n
}

// CompareExposures orders exposures worst first, as the report does; the
// organization audit uses it to rank exposures across accounts.
func CompareExposures(a, b ExposureReport) int { return compareExposure(a, b) }

// NewTopExposure renders an exposure as the summary lists it.
func NewTopExposure(e *ExposureReport) TopExposure { return topExposure(e) }
