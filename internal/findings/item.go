package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/actor"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// State is where one (group, rule, check) stands.
type State string

const (
	// StateOpen: the rule is there and violates the check (alert,
	// would-revert, or a revert that failed).
	StateOpen State = "open"
	// StateResolved: the rule was reverted or is already gone.
	StateResolved State = "resolved"
	// StateExempt: the rule violates the check under an exemption.
	StateExempt State = "exempt"
)

// Item is one (account, region, group, rule, check): what one finding says.
type Item struct {
	Account string
	Region  string
	Group   notify.Group
	Rule    notify.Rule
	// Check is the policy check ID; CheckSeverity its severity.
	Check         string
	CheckSeverity string
	// Reason is why the check fired; Exemption the exemption that applies.
	Reason    string
	Exemption string
	State     State
	// Action is the alert's action (reverted, would-revert, alert, exempt,
	// failed), or "audit".
	Action string
	Error  string

	ActorARN  string
	ActorUser *actor.User
	EventID   string
	EventName string
	// Observed is when the rule was seen (the event time or audit time).
	Observed time.Time
}

// ID is the stable finding Id of (account, region, group, rule, check). A
// rule without an ID (never seen in the account) is keyed by its tuple.
func ID(account, region, groupID string, r notify.Rule, check string) string {
	key := r.ID
	if key == "" {
		sum := sha256.Sum256([]byte(strings.Join([]string{r.Direction, r.Protocol, r.Ports, r.Peer}, "|")))
		key = "tuple-" + hex.EncodeToString(sum[:8])
	}
	return notify.Clip("sgwarden/"+account+"/"+region+"/"+groupID+"/"+key+"/"+check, maxID)
}

// ID returns the item's finding Id.
func (it *Item) ID() string { return ID(it.Account, it.Region, it.Group.ID, it.Rule, it.Check) }

// ExemptionTags says which tag an exemption matches; *policy.Engine
// satisfies it.
type ExemptionTags interface {
	ExemptionTag(id string) (key string, onRule, ok bool)
}

// ExemptionText names an exemption with the value of its tag, e.g.
// "rule-tag-exempt: vendor VPN until 2027-01-31". ex may be nil.
func ExemptionText(id string, ex ExemptionTags, ruleTags, groupTags map[string]string) string {
	if id == "" || ex == nil {
		return id
	}
	key, onRule, ok := ex.ExemptionTag(id)
	if !ok {
		return id
	}
	tags := groupTags
	if onRule {
		tags = ruleTags
	}
	if v := tags[key]; v != "" {
		return id + ": " + v
	}
	return id
}

// ItemsFromAlert returns one item per (rule, check) of an event's alert.
// A rule whose group is unknown, and an alert without rules (an exemption
// tag change), give none: there is no rule to keep a finding on. ex (nil
// allowed) adds an exemption's tag value to its name.
func ItemsFromAlert(a *notify.Alert, ex ExemptionTags) []Item {
	var out []Item
	for _, r := range a.Rules {
		// A prefix-list or attachment alert lists rules of several groups.
		var group notify.Group
		switch {
		case a.Group != nil && (r.GroupID == "" || r.GroupID == a.Group.ID):
			group = *a.Group
		case r.GroupID != "":
			group = notify.Group{ID: r.GroupID}
		default:
			continue
		}
		for _, c := range r.Checks {
			it := Item{
				Account: a.Account, Region: a.Region, Group: group, Rule: r,
				Check: c.ID, CheckSeverity: c.Severity, Reason: c.Reason, Exemption: ExemptionText(c.Exemption, ex, r.Tags, group.Tags),
				Action: string(a.Action), Error: r.Error,
				ActorARN: a.Actor.ARN, ActorUser: a.Actor.User,
				EventID: a.Event.ID, EventName: a.Event.Name, Observed: a.Event.Time,
			}
			it.State = stateOf(r, c)
			out = append(out, it)
		}
	}
	return out
}

func stateOf(r notify.Rule, c notify.Check) State {
	switch {
	case r.Outcome == notify.OutcomeRevoked || r.Outcome == notify.OutcomeAlreadyGone:
		return StateResolved
	case c.Exemption != "":
		return StateExempt
	}
	return StateOpen
}

// Descriptions returns a check's description by ID, from the policy's
// checks, for titles and standards controls.
func Descriptions(checks []policy.CheckInfo) func(string) string {
	m := make(map[string]string, len(checks))
	for _, c := range checks {
		m[c.ID] = c.Description
	}
	return func(id string) string { return m[id] }
}
