package policy

// This file fixes the exported API that the rest of sgwarden codes against.

import (
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Mode is the whole policy's mode.
type Mode string

const (
	ModeEnforce Mode = "enforce"
	ModeDryRun  Mode = "dry-run"
)

// Action is what a check asks for when it matches.
type Action string

const (
	ActionRevert Action = "revert"
	ActionAlert  Action = "alert"
)

// Decision is the action after exemptions and mode are applied.
type Decision string

const (
	DecisionRevert      Decision = "revert"
	DecisionWouldRevert Decision = "would-revert"
	DecisionAlert       Decision = "alert"
	DecisionExempt      Decision = "exempt"
)

// Severity of a check.
type Severity string

const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// Violation is one check matching one rule.
type Violation struct {
	CheckID  string
	Severity Severity
	// Decision is the check's action after exemptions and mode.
	Decision Decision
	// Exemption names the exemption that applied (empty unless Decision is
	// DecisionExempt).
	Exemption string
	// Rule is the offending rule (a copy of the evaluated one).
	Rule Rule
	// PrefixListUnresolved is true when the peer is a prefix list whose
	// entries were unknown, so the match is only possible, not certain.
	PrefixListUnresolved bool
	// GroupInfoNeeded is true when the check selects groups by tag (or
	// non-default groups) and the rule's group attributes were unknown
	// (Rule.GroupKnown false): the match is only possible. Describe the
	// group, set the attributes and evaluate again before acting. Group-tag
	// exemptions likewise apply only once the group is known.
	GroupInfoNeeded bool
	// Coverage is set when the rule matches only together with others:
	// the union of their peers on one protocol and port segment opens it
	// (see Engine.EvaluateCoverage). Rule is then one judged contributor.
	Coverage *Coverage

	desc string // the check's description, for Reason
}

// Reason is a one-line human explanation, e.g.
// "tcp/22 open to 0.0.0.0/0 (remote admin port from the world)".
// It is built on demand, so evaluation does not pay for it.
func (v Violation) Reason() string {
	var b strings.Builder
	if v.Coverage != nil {
		b.WriteString(v.Coverage.String())
		v.writeTail(&b)
		return b.String()
	}
	b.WriteString(v.Rule.ProtoPorts())
	if v.Rule.Direction == Egress {
		b.WriteString(" egress to ")
	} else {
		b.WriteString(" open to ")
	}
	b.WriteString(v.Rule.Peer.String())
	if v.Rule.SelfReference() {
		b.WriteString(" (itself)")
	}
	if v.PrefixListUnresolved {
		b.WriteString(" (entries unknown)")
	}
	v.writeTail(&b)
	return b.String()
}

// writeTail writes the check's description and any exemption.
func (v Violation) writeTail(b *strings.Builder) {
	desc := v.desc
	if desc == "" {
		desc = v.CheckID
	}
	b.WriteString(" (")
	b.WriteString(desc)
	b.WriteString(")")
	if v.Decision == DecisionExempt && v.Exemption != "" {
		b.WriteString(" [exempt: ")
		b.WriteString(v.Exemption)
		b.WriteString("]")
	}
}

// Engine is a compiled policy: safe for concurrent use, built once at cold
// start, evaluated per rule.
type Engine struct {
	mode Mode
	p    *compiled
}

//go:embed default.yaml
var defaultYAML []byte

// ErrInvalidPolicy is what every *LoadError wraps, for errors.Is.
var ErrInvalidPolicy = errors.New("invalid policy")

var defaultSpec = sync.OnceValue(func() *policySpec {
	l := &loader{name: "default.yaml"}
	spec := l.parse(defaultYAML)
	if len(l.issues) > 0 {
		panic(fmt.Sprintf("embedded default policy is invalid: %v", (&LoadError{Name: "default.yaml", Issues: l.issues}).Error()))
	}
	return spec
})

var defaultEngine = sync.OnceValue(func() *Engine {
	e, err := Load(defaultYAML, "default.yaml")
	if err != nil {
		panic("embedded default policy is invalid: " + err.Error())
	}
	return e
})

// Load parses and compiles a YAML policy. name is used in error messages.
// All problems are reported at once as a *LoadError.
func Load(data []byte, name string) (*Engine, error) {
	l := &loader{name: name}
	spec := l.parse(data)
	if spec == nil {
		return nil, l.err()
	}
	// Compile even when parsing found problems, so that every problem
	// (missing fields, conflicting settings, unknown check references) is
	// reported at once.
	if spec.base {
		spec = mergeBase(defaultSpec(), spec)
	}
	cp := l.compile(spec)
	if len(l.issues) > 0 {
		return nil, l.err()
	}
	return &Engine{mode: cp.mode, p: cp}, nil
}

// Default returns the engine for the embedded default policy.
func Default() *Engine { return defaultEngine() }

// DefaultYAML returns the embedded default policy file.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Mode returns the policy's mode.
func (e *Engine) Mode() Mode { return e.mode }

// OwnerTagKey returns the group tag key that names a group's owner or
// team (the policy's ownerTag), or "" when the policy sets none.
func (e *Engine) OwnerTagKey() string { return e.p.ownerTag }

// ExemptionTag returns the tag key that exemption id matches, and whether
// the tag is on the rule (else on the group); ok is false for an unknown
// ID or an exemption that is not by tag. Findings show the tag's value.
func (e *Engine) ExemptionTag(id string) (key string, onRule, ok bool) {
	for _, x := range e.p.exemptions {
		if x.id == id && (x.kind == exGroupTag || x.kind == exRuleTag) {
			return x.key, x.kind == exRuleTag, true
		}
	}
	return "", false, false
}

// The tags CloudFormation puts on the resources of a stack.
const (
	StackNameTag      = "aws:cloudformation:stack-name"
	StackLogicalIDTag = "aws:cloudformation:logical-id"
)

// StackManagedDecision is d after the policy's stackManaged setting: with
// stackManaged: alert, a revert (or would-revert) of a rule of a
// stack-managed group becomes an alert.
func (e *Engine) StackManagedDecision(d Decision, stackManaged bool) Decision {
	if stackManaged && (d == DecisionRevert || d == DecisionWouldRevert) && e.StackManagedAction() == ActionAlert {
		return DecisionAlert
	}
	return d
}

// IsStackManaged reports whether group tags carry CloudFormation's stack
// tag.
func IsStackManaged(groupTags map[string]string) bool { return groupTags[StackNameTag] != "" }

// StackManagedAction is what the policy does about a violating rule of a
// group that a CloudFormation stack manages (policy key stackManaged):
// ActionRevert (the default) reverts it like any other, and the stack then
// shows drift until the template is fixed; ActionAlert only alerts, so
// that the stack stays in sync and the fix goes through the template.
func (e *Engine) StackManagedAction() Action {
	if e == nil || e.p == nil || e.p.stackManaged == "" {
		return ActionRevert
	}
	return e.p.stackManaged
}

// WithMode returns a copy of the engine with its mode overridden (used by
// configuration that forces dry-run).
func (e *Engine) WithMode(m Mode) *Engine { c := *e; c.mode = m; return &c }

// Evaluate appends to dst the violations of one rule, in a deterministic
// order, and returns the extended slice. A compliant rule appends nothing and
// allocates nothing.
func (e *Engine) Evaluate(r *Rule, ec EvalContext, dst []Violation) []Violation {
	if e == nil || e.p == nil || r == nil {
		return dst
	}
	return e.p.evaluate(r, &ec, e.mode, dst)
}

// EvaluateAll evaluates every rule, in order.
func (e *Engine) EvaluateAll(rules []Rule, ec EvalContext) []Violation {
	var out []Violation
	for i := range rules {
		out = e.Evaluate(&rules[i], ec, out)
	}
	return out
}

// CheckInfo describes one check of a compiled policy.
type CheckInfo struct {
	ID          string
	Description string
	Severity    Severity
	Action      Action
	// Ingress and Egress say which rule directions the check judges; the
	// stack grants RevokeSecurityGroupEgress only for a check that reverts
	// egress rules.
	Ingress, Egress bool
}

// Checks lists the policy's enabled checks in evaluation order.
func (e *Engine) Checks() []CheckInfo {
	if e == nil || e.p == nil {
		return nil
	}
	out := make([]CheckInfo, len(e.p.checks))
	for i, c := range e.p.checks {
		out[i] = CheckInfo{ID: c.id, Description: c.desc, Severity: c.severity, Action: c.action,
			Ingress: c.dirs&(1<<Ingress) != 0, Egress: c.dirs&(1<<Egress) != 0}
	}
	return out
}

// ExemptionInfo describes one exemption of a compiled policy.
type ExemptionInfo struct {
	ID     string
	Reason string
	// Matches says what it matches, e.g. "group tag sgwarden:exempt",
	// "groups sg-1, sg-2", "actor arn:aws:sts::*:assumed-role/BreakGlass/*".
	Matches string
	// Checks are the checks it exempts from; empty means every check.
	Checks []string
	// Expires is the last day it applies (UTC); zero means it never expires.
	Expires time.Time
}

// Exemptions lists the policy's exemptions in file order.
func (e *Engine) Exemptions() []ExemptionInfo {
	if e == nil || e.p == nil {
		return nil
	}
	out := make([]ExemptionInfo, 0, len(e.p.exemptions))
	for _, x := range e.p.exemptions {
		info := ExemptionInfo{ID: x.id, Reason: x.reason}
		switch x.kind {
		case exGroupTag, exRuleTag:
			info.Matches = "group tag " + x.key
			if x.kind == exRuleTag {
				info.Matches = "rule tag " + x.key
			}
			if x.hasValue {
				info.Matches += "=" + x.value
			}
		case exGroupIDs:
			info.Matches = "groups " + strings.Join(x.groupIDs, ", ")
		case exActor:
			info.Matches = "actor " + x.actor
		}
		for i, on := range x.checks {
			if on {
				info.Checks = append(info.Checks, e.p.checks[i].id)
			}
		}
		if !x.until.IsZero() {
			info.Expires = x.until.AddDate(0, 0, -1)
		}
		out = append(out, info)
	}
	return out
}

// Trusted returns the policy's trusted CIDRs and prefix list IDs: peers
// that no check flags.
func (e *Engine) Trusted() (cidrs []netip.Prefix, prefixLists []string) {
	if e == nil || e.p == nil {
		return nil, nil
	}
	return slices.Clone(e.p.trusted.cidrs), slices.Clone(e.p.trusted.lists)
}

// Issue is one problem found while loading a policy file.
type Issue struct {
	Line    int
	Column  int
	Field   string // dotted path, e.g. "checks[2].ports"
	Message string
}

// String formats the issue as "line:col: field: message".
func (i Issue) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%d: ", i.Line, i.Column)
	if i.Field != "" {
		b.WriteString(i.Field)
		b.WriteString(": ")
	}
	b.WriteString(i.Message)
	return b.String()
}

// LoadError lists every problem of a policy file.
type LoadError struct {
	Name   string
	Issues []Issue
}

// Error lists every issue, one per line, as "name:line:col: field: message".
func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy %s: %d problem(s)", e.Name, len(e.Issues))
	for _, is := range e.Issues {
		b.WriteString("\n")
		b.WriteString(e.Name)
		b.WriteString(":")
		b.WriteString(is.String())
	}
	return b.String()
}

// Unwrap returns ErrInvalidPolicy.
func (e *LoadError) Unwrap() error { return ErrInvalidPolicy }

// OpenPort is one part of an ENI's effective exposure: a protocol and port
// range reachable from a peer class, with the rules that grant it.
type OpenPort struct {
	Protocol Protocol
	FromPort int32
	ToPort   int32
	// From is "world" (0.0.0.0/0 or ::/0) or "public" (other globally
	// routable space).
	From   string
	Grants []Grant
}

// Grant names a rule that contributes to an OpenPort.
type Grant struct {
	GroupID string
	RuleID  string
	Peer    string // the rule's own peer, e.g. "0.0.0.0/0" or "pl-0abc"
}

// Exposure is the effective inbound exposure of one ENI across all its
// groups (seed rule 1): the union of what its rules open to public space.
type Exposure struct {
	ENI  ENI
	Open []OpenPort
}

// ExposureOf computes the exposure of eni, given the rules of its groups
// keyed by group ID. It is pure and never mixes one rule's ports with
// another rule's peer (seed rule 2).
func ExposureOf(eni ENI, rulesByGroup map[string][]Rule) Exposure {
	return exposureOf(eni, rulesByGroup)
}
