package cloudtrail

import (
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// Kind classifies what an event changed.
type Kind string

const (
	KindRuleAdded        Kind = "rule-added"         // Authorize*
	KindRuleModified     Kind = "rule-modified"      // ModifySecurityGroupRules
	KindRuleRevoked      Kind = "rule-revoked"       // Revoke*
	KindGroupCreated     Kind = "group-created"      // CreateSecurityGroup
	KindPrefixListChange Kind = "prefix-list-change" // Create/ModifyManagedPrefixList, RestoreManagedPrefixListVersion
	KindTagsChanged      Kind = "tags-changed"       // CreateTags/DeleteTags on sg-/sgr-
	KindGroupsAttached   Kind = "groups-attached"    // RunInstances, CreateNetworkInterface, Modify{NetworkInterface,Instance}Attribute
)

// Actor is who made the call.
type Actor struct {
	Type        string // IAMUser, AssumedRole, Root, AWSService, ...
	ARN         string
	IssuerARN   string // sessionContext.sessionIssuer.arn for assumed roles
	PrincipalID string
	AccountID   string
	UserName    string
	SourceIP    string
	UserAgent   string
	InvokedBy   string
}

// Event is a normalized security-group-changing CloudTrail event.
type Event struct {
	ID         string // detail.eventID: the deduplication key
	EnvelopeID string // EventBridge envelope id (empty for a bare CloudTrail record)
	Name       string // eventName
	Version    string // eventVersion
	Time       time.Time
	Account    string
	Region     string
	Actor      Actor
	// ErrorCode (without the "Client." prefix) and ErrorMessage are set when
	// the call failed; nothing was changed then.
	ErrorCode    string
	ErrorMessage string

	Kind Kind
	// GroupID of the changed group; GroupName when the request named the
	// group by name. GroupUnresolved is true when neither the request nor
	// the response gave the group ID.
	GroupID         string
	GroupName       string
	GroupUnresolved bool
	// VPCID is the VPC of a group made by CreateSecurityGroup.
	VPCID string
	// DirectionUnknown is true for ModifySecurityGroupRules: its request does
	// not say whether a rule is ingress or egress, so Rules carry Ingress and
	// the current state (DescribeSecurityGroupRules) must confirm it.
	DirectionUnknown bool
	// Rules added, modified or revoked. RuleID is set when the event gives
	// it (securityGroupRuleSet, ModifySecurityGroupRules). Group attributes
	// beyond ID/name are unknown (GroupKnown false).
	Rules []policy.Rule

	PrefixList *PrefixListChange
	Tags       *TagChange
	Attachment *Attachment
}

// Failed reports whether the call failed (errorCode present).
func (e *Event) Failed() bool { return e.ErrorCode != "" }

// PrefixListChange is a managed prefix list created, modified or restored
// to an earlier version.
type PrefixListChange struct {
	ID             string // empty for CreateManagedPrefixList without a response
	Name           string
	AddressFamily  string
	CurrentVersion int64 // 0 when absent
	// RestoredVersion is the version RestoreManagedPrefixListVersion brought
	// back (0 when absent); the entries it restored are not in the event.
	RestoredVersion int64
	Added           []PrefixListEntry
	Removed         []PrefixListEntry
}

// PrefixListEntry is one CIDR of a prefix list.
type PrefixListEntry struct {
	CIDR        string
	Description string
}

// TagChange is CreateTags or DeleteTags on security groups or rules.
type TagChange struct {
	Deleted     bool
	ResourceIDs []string          // only sg- and sgr- IDs are kept
	Tags        map[string]string // value empty for a DeleteTags without value
}

// Attachment is a set of groups attached to network interfaces or instances.
// It is empty for a ModifyNetworkInterfaceAttribute or ModifyInstanceAttribute
// that changed another attribute than the groups.
type Attachment struct {
	GroupIDs            []string
	NetworkInterfaceIDs []string
	InstanceIDs         []string
}
