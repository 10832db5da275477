package policy

// This file fixes the exported API that the rest of sgwarden codes against.
// Bodies marked "stub" are replaced by the real engine.

import "errors"

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
}

// Reason is a one-line human explanation, e.g.
// "tcp/22 open to 0.0.0.0/0 (remote admin port from the world)".
func (v Violation) Reason() string { return "stub" }

// Engine is a compiled policy: safe for concurrent use, built once at cold
// start, evaluated per rule.
type Engine struct{ mode Mode }

// Load parses and compiles a YAML policy. name is used in error messages.
// All problems are reported at once as a *LoadError.
func Load(data []byte, name string) (*Engine, error) { return nil, errors.New("stub") }

// Default returns the engine for the embedded default policy.
func Default() *Engine { return &Engine{mode: ModeEnforce} }

// DefaultYAML returns the embedded default policy file.
func DefaultYAML() []byte { return nil }

// Mode returns the policy's mode.
func (e *Engine) Mode() Mode { return e.mode }

// WithMode returns a copy of the engine with its mode overridden (used by
// configuration that forces dry-run).
func (e *Engine) WithMode(m Mode) *Engine { c := *e; c.mode = m; return &c }

// Evaluate appends to dst the violations of one rule, in a deterministic
// order, and returns the extended slice. A compliant rule appends nothing and
// allocates nothing.
func (e *Engine) Evaluate(r *Rule, ec EvalContext, dst []Violation) []Violation { return dst }

// EvaluateAll evaluates every rule, in order.
func (e *Engine) EvaluateAll(rules []Rule, ec EvalContext) []Violation { return nil }

// Issue is one problem found while loading a policy file.
type Issue struct {
	Line    int
	Column  int
	Field   string // dotted path, e.g. "checks[2].ports"
	Message string
}

// LoadError lists every problem of a policy file.
type LoadError struct {
	Name   string
	Issues []Issue
}

func (e *LoadError) Error() string { return "stub" }

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
func ExposureOf(eni ENI, rulesByGroup map[string][]Rule) Exposure { return Exposure{ENI: eni} }
