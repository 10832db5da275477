package notify

import (
	"time"

	"github.com/sgwarden/sgwarden/internal/actor"
)

// Schema identifies the version of the alert document.
const Schema = "sgwarden.alert/v1"

// Action is what sgwarden did about an event, the document's headline.
type Action string

const (
	ActionReverted    Action = "reverted"
	ActionWouldRevert Action = "would-revert"
	ActionAlert       Action = "alert"
	ActionExempt      Action = "exempt"
	ActionFailed      Action = "failed"
	// ActionGroupGone says the event's group no longer exists in the
	// event's account and region, and so neither do its rules.
	ActionGroupGone Action = "group-gone"
)

// Outcome is what happened to one rule (or prefix-list entry).
type Outcome string

const (
	OutcomeRevoked     Outcome = "revoked"
	OutcomeAlreadyGone Outcome = "already-gone"
	OutcomeKept        Outcome = "kept"
	OutcomeFailed      Outcome = "failed"
	OutcomeGroupGone   Outcome = "group-gone"
)

// Alert is the JSON document published as the "default" message.
type Alert struct {
	Schema string `json:"schema"`
	// Version is the sgwarden build that sent the alert (set by Build).
	Version  string `json:"sgwardenVersion"`
	Action   Action `json:"action"`
	Severity string `json:"severity"`
	// Mode is the policy mode in force: "enforce" or "dry-run".
	Mode    string `json:"mode,omitempty"`
	Summary string `json:"summary"`
	Account string `json:"account"`
	Region  string `json:"region"`

	Group *Group `json:"group,omitempty"`
	// Stack is set when a CloudFormation stack manages the group.
	Stack *Stack `json:"stack,omitempty"`
	Rules []Rule `json:"rules,omitempty"`
	// Checks lists the IDs of the checks that fired, worst first.
	Checks []string `json:"checks"`

	PrefixList      *PrefixList      `json:"prefixList,omitempty"`
	ExemptionChange *ExemptionChange `json:"exemptionChange,omitempty"`

	Actor Actor `json:"actor"`
	Event Event `json:"event"`

	Exposed []ExposedENI `json:"exposed,omitempty"`
	// ExposedOmitted counts ENIs left out of Exposed to bound the size.
	ExposedOmitted int `json:"exposedOmitted,omitempty"`
	// Omitted counts what else was cut to fit SNS's 256 KB limit, by
	// kind ("rules", "characters", "prefix-list entries added", ...).
	Omitted map[string]int `json:"omitted,omitempty"`

	Outcome Result `json:"outcome"`
	// DedupKey is the CloudTrail event ID: subscribers drop repeats of the
	// same key, since delivery and alerts are at least once.
	DedupKey string `json:"dedupKey"`
}

// Group identifies the security group the event changed.
type Group struct {
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	VPC       string            `json:"vpc,omitempty"`
	IsDefault bool              `json:"isDefault,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	// Owner is the value of the policy's ownerTag on the group: the team
	// the alert is routed to (message attribute "owner").
	Owner string `json:"owner,omitempty"`
}

// Stack names the CloudFormation stack that manages a group: from the
// group's aws:cloudformation:* tags, or from an event CloudFormation made.
type Stack struct {
	Name      string `json:"name,omitempty"`
	LogicalID string `json:"logicalId,omitempty"`
	// Action is what the policy does for stack-managed groups (its
	// stackManaged key): "revert" or "alert".
	Action string `json:"action"`
}

// Rule is one security-group rule and what happened to it.
type Rule struct {
	ID        string `json:"id,omitempty"`
	GroupID   string `json:"groupId,omitempty"`
	Direction string `json:"direction"` // ingress | egress
	Protocol  string `json:"protocol"`  // tcp, udp, icmp, icmpv6, all, or a number
	// Ports is "22", "1024-65535", "0-65535", "all" (all traffic, every ICMP
	// type), "8" or "8:0" for an ICMP type and code, "" for other protocols.
	Ports       string            `json:"ports"`
	Peer        string            `json:"peer"`
	PeerKind    string            `json:"peerKind"` // ipv4 | ipv6 | prefix-list | group
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Checks      []Check           `json:"checks,omitempty"`
	// Decision is the rule's overall decision: revert, would-revert,
	// alert or exempt (empty when no check fires any more).
	Decision string  `json:"decision,omitempty"`
	Outcome  Outcome `json:"outcome"`
	// Note explains the outcome, e.g. "changed since the event".
	Note  string `json:"note,omitempty"`
	Error string `json:"error,omitempty"`
}

// Check is one policy check that matched a rule.
type Check struct {
	ID        string `json:"id"`
	Severity  string `json:"severity"`
	Decision  string `json:"decision"`
	Exemption string `json:"exemption,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Uncertain is true when the peer is a prefix list whose entries could
	// not be read.
	Uncertain bool `json:"uncertain,omitempty"`
}

// PrefixList describes a managed prefix list change.
type PrefixList struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Version int64  `json:"version,omitempty"`
	// Added are the entries the event added; Offending the public entries
	// that make a referencing rule violate; Removed what sgwarden removed.
	Added     []string `json:"added,omitempty"`
	Offending []string `json:"offending,omitempty"`
	Removed   []string `json:"removed,omitempty"`
	// ReferencedBy counts the rules that reference the list.
	ReferencedBy int `json:"referencedBy"`
}

// ExemptionChange is an exemption tag granted or removed.
type ExemptionChange struct {
	Change    string   `json:"change"` // granted | removed
	Key       string   `json:"key"`
	Value     string   `json:"value,omitempty"`
	Resources []string `json:"resources"`
	// Expired is true when the value is a date that had already passed
	// when the tag was set: the exemption exempts nothing.
	Expired bool `json:"expired,omitempty"`
}

// Actor is who made the change. It never holds credentials.
type Actor struct {
	ARN       string `json:"arn,omitempty"`
	Type      string `json:"type,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	UserName  string `json:"userName,omitempty"`
	IssuerARN string `json:"issuerArn,omitempty"`
	SourceIP  string `json:"sourceIp,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	InvokedBy string `json:"invokedBy,omitempty"`
	// User is the person or pipeline behind the principal, where the
	// event allows (package actor).
	User *actor.User `json:"user,omitempty"`
}

// Event identifies the CloudTrail event.
type Event struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	Time time.Time `json:"time"`
}

// ExposedENI is a network interface that a rule exposed.
type ExposedENI struct {
	ID         string `json:"eni"`
	InstanceID string `json:"instance,omitempty"`
	OwnerType  string `json:"ownerType,omitempty"`
	PublicIP   string `json:"publicIp,omitempty"`
	PrivateIP  string `json:"privateIp,omitempty"`
	VPC        string `json:"vpc,omitempty"`
	Subnet     string `json:"subnet,omitempty"`
	// ElasticIP is true when PublicIP is an Elastic IP; IPv6 when the
	// interface has an IPv6 address.
	ElasticIP bool `json:"elasticIp,omitempty"`
	IPv6      bool `json:"ipv6,omitempty"`
	// Reachable says whether the interface can be reached from the
	// internet, and how (set by Build; see Reachability).
	Reachable string `json:"reachable,omitempty"`
	// Open lists what the ENI is reachable on from public space, e.g.
	// "tcp/22 from world", when it was computed.
	Open []string `json:"open,omitempty"`
}

// Result summarises the remediation.
type Result struct {
	Revoked     int    `json:"revoked"`
	AlreadyGone int    `json:"alreadyGone"`
	Kept        int    `json:"kept"`
	Failed      int    `json:"failed"`
	GroupGone   int    `json:"groupGone,omitempty"`
	Error       string `json:"error,omitempty"`
}
