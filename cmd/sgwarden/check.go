package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/iac"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// checkReport is check's JSON output.
type checkReport struct {
	Policy   string         `json:"policy"`
	Mode     policy.Mode    `json:"mode"`
	Inputs   []checkedInput `json:"inputs"`
	Findings []finding      `json:"findings"`
	// Failed lists the inputs that could not be read or decoded; none of
	// them was judged, and check exits 2.
	Failed []failedInput `json:"failed"`
	Counts checkCounts   `json:"counts"`
}

// failedInput is a file or event check could not judge, and why.
type failedInput struct {
	Source string `json:"source"`
	Error  string `json:"error"`
}

// checkedInput says what one input was and whether it was judged.
type checkedInput struct {
	Source    string `json:"source"`
	Kind      string `json:"kind"` // "rules", "event" or "skipped"
	EventID   string `json:"eventId,omitempty"`
	EventName string `json:"eventName,omitempty"`
	Actor     string `json:"actor,omitempty"`
	Rules     int    `json:"rules"`
	// Note says why an event was not judged (failed call, not a rule
	// change, unsupported).
	Note string `json:"note,omitempty"`
	// Unknown says what an event's judgment could not know: the group's
	// other rules, with which its rules may open a port together.
	Unknown string `json:"unknown,omitempty"`
	// Unreadable is set for an event of a supported API whose content
	// sgwarden cannot read: the deployed function fails closed on it (an
	// error and a FAILED alert), so check counts it as a finding.
	Unreadable bool `json:"unreadable,omitempty"`
}

// finding is one check matching one rule.
type finding struct {
	Source               string          `json:"source"`
	EventID              string          `json:"eventId,omitempty"`
	GroupID              string          `json:"groupId"`
	RuleID               string          `json:"ruleId,omitempty"`
	Direction            string          `json:"direction"`
	Protocol             string          `json:"protocol"`
	Ports                string          `json:"ports"`
	Peer                 string          `json:"peer"`
	Check                string          `json:"check"`
	Severity             policy.Severity `json:"severity"`
	Decision             policy.Decision `json:"decision"`
	Exemption            string          `json:"exemption,omitempty"`
	Reason               string          `json:"reason"`
	PrefixListUnresolved bool            `json:"prefixListUnresolved,omitempty"`
	GroupInfoNeeded      bool            `json:"groupInfoNeeded,omitempty"`
	// Together says what this rule opens with others (rules aggregate),
	// e.g. "together, sgr-a (0.0.0.0/1) and sgr-b (128.0.0.0/1) open
	// tcp/12345 to the whole internet".
	Together string `json:"together,omitempty"`
	*iacFields
}

// checkCounts counts rules: all judged, and the offending ones by their
// most serious decision.
type checkCounts struct {
	Rules       int `json:"rules"`
	Revert      int `json:"revert"`
	WouldRevert int `json:"wouldRevert"`
	Alert       int `json:"alert"`
	Exempt      int `json:"exempt"`
	Unknown     int `json:"unknown"`
	// Unreadable counts the supported events the function would fail on.
	Unreadable int `json:"unreadable"`
}

func (c *checkCounts) add(d policy.Decision) {
	switch d {
	case policy.DecisionRevert:
		c.Revert++
	case policy.DecisionWouldRevert:
		c.WouldRevert++
	case policy.DecisionAlert:
		c.Alert++
	case policy.DecisionExempt:
		c.Exempt++
	case iac.DecisionUnknown:
		c.Unknown++
	}
}

func newFinding(source, eventID string, v *policy.Violation) finding {
	peer, _ := notify.Peer(&v.Rule.Peer)
	return finding{
		Source: source, EventID: eventID,
		GroupID: v.Rule.GroupID, RuleID: v.Rule.RuleID,
		Direction: notify.Direction(v.Rule.Direction), Protocol: notify.ProtocolName(v.Rule.Protocol),
		Ports: notify.Ports(&v.Rule), Peer: peer,
		Check: v.CheckID, Severity: v.Severity, Decision: v.Decision, Exemption: v.Exemption,
		Reason: v.Reason(), PrefixListUnresolved: v.PrefixListUnresolved, GroupInfoNeeded: v.GroupInfoNeeded,
		Together: together(v.Coverage),
	}
}

func together(c *policy.Coverage) string {
	if c == nil {
		return ""
	}
	return c.String()
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "[flags] FILE...", `
Judge security-group rules or recorded CloudTrail events against a policy,
offline: no AWS call. A FILE ("-" is standard input) holds one of:
  - the output of 'aws ec2 describe-security-group-rules', optionally with
    the "SecurityGroups" of describe-security-groups (group names and tags)
    and a "PrefixLists" list of {PrefixListId, Entries};
  - an EventBridge event or a bare CloudTrail record, a CloudTrail log file
    ({"Records": [...]}), 'aws cloudtrail lookup-events' output, or a JSON
    array of events;
  - a CloudFormation template (JSON or YAML), cdk synth output (a template,
    or a cdk.out directory: every stack) or Terraform plan JSON
    ('terraform show -json PLAN'); see docs/iac.md.
Rules of one group are also judged together: what their peers open on a
port as a union (0.0.0.0/1 plus 128.0.0.0/1 is the world). Events are
judged by the rules they add or modify; group tags, prefix list entries
and the group's other rules are unknown there, so such findings are marked
and need 'sgwarden replay' or 'sgwarden audit' to be certain. Exits 1 when a finding
reaches --fail-on (by default: something would be reverted), for CI.`)
	policyPath := fs.policyFlag()
	output := fs.outputFlag("table", "json", "sarif")
	failOn := fs.failOn()
	failOn.allowed = append(failOn.allowed, "unknown")
	params := fs.parametersFlag()
	actor := fs.String("actor", "", "actor `ARN` for actor exemptions when judging rules documents")
	at := fs.atFlag()
	pos, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return fs.usageError(stderr, "no FILE given")
	}
	now, code, ok := at.time(fs, stderr, time.Now())
	if !ok {
		return code
	}
	parameters, err := parseParameters(*params)
	if err != nil {
		return fs.usageError(stderr, "%v", err)
	}
	iacOpts := iac.Options{Parameters: parameters}
	declared := map[string]bool{}
	eng, err := loadPolicy(*policyPath)
	if err != nil {
		fmt.Fprintf(stderr, "sgwarden check: %v\n", err)
		return exitUsage
	}

	rep := checkReport{Policy: orDefault(*policyPath), Mode: eng.Mode(), Inputs: []checkedInput{}, Findings: []finding{}, Failed: []failedInput{}}
	for _, name := range pos {
		if handled, err := checkIaC(&rep, name, iacOpts, eng, policy.EvalContext{ActorARN: *actor, Now: now}, declared); handled {
			if err != nil {
				fmt.Fprintf(stderr, "sgwarden check: %v\n", err)
				rep.Failed = append(rep.Failed, failedInput{Source: name, Error: strings.TrimPrefix(err.Error(), errInput.Error()+": ")})
			}
			continue
		}
		ins, err := readInputs(name)
		if err != nil {
			fmt.Fprintf(stderr, "sgwarden check: %v\n", err)
			rep.Failed = append(rep.Failed, failedInput{Source: name, Error: strings.TrimPrefix(err.Error(), errInput.Error()+": ")})
			continue
		}
		for _, in := range ins {
			if in.skip != "" {
				rep.Inputs = append(rep.Inputs, checkedInput{Source: in.source, Kind: "skipped", Note: in.skip})
				continue
			}
			ci, vs, err := judge(eng, in, *actor, now)
			if err != nil {
				fmt.Fprintf(stderr, "sgwarden check: %s: %v\n", in.source, err)
				rep.Failed = append(rep.Failed, failedInput{Source: in.source, Error: err.Error()})
				continue
			}
			rep.Inputs = append(rep.Inputs, ci)
			rep.Counts.Rules += ci.Rules
			if ci.Unreadable {
				rep.Counts.Unreadable++
			}
			for i := range vs {
				rep.Findings = append(rep.Findings, newFinding(in.source, ci.EventID, &vs[i]))
			}
		}
	}
	if err := undeclaredParameters(parameters, declared); err != nil {
		return fs.usageError(stderr, "%v", err)
	}
	for _, r := range groupByRule(rep.Findings) {
		rep.Counts.add(r.decision)
	}

	var werr error
	switch output.value {
	case "json":
		werr = writeJSON(stdout, rep)
	case "sarif":
		werr = writeSARIF(stdout, &rep, eng)
	default:
		werr = writeCheckTable(stdout, &rep)
	}
	if werr != nil {
		return writeFailed(stderr, "check", werr)
	}
	if len(rep.Failed) > 0 {
		return exitUsage
	}
	for _, f := range rep.Findings {
		if checkFails(failOn.value, f.Decision) {
			return exitFindings
		}
	}
	if rep.Counts.Unreadable > 0 && failOn.value != "never" {
		return exitFindings
	}
	return exitOK
}

// judge evaluates one input.
func judge(eng *policy.Engine, in input, actor string, now time.Time) (checkedInput, []policy.Violation, error) {
	if in.event == nil {
		ci := checkedInput{Source: in.source, Kind: "rules", Actor: actor, Rules: len(in.rules)}
		return ci, evaluateTogether(eng, in.rules, policy.EvalContext{ActorARN: actor, Now: now}), nil
	}
	ci := checkedInput{Source: in.source, Kind: "event"}
	ev, err := cloudtrail.Decode(in.event)
	if errors.Is(err, cloudtrail.ErrUnsupported) {
		ci.Note = "unsupported event: ignored"
		return ci, nil, nil
	}
	var de *cloudtrail.DecodeError
	if errors.As(err, &de) && de.EventID != "" && errors.Is(err, cloudtrail.ErrMalformed) {
		// An event of a supported API that cannot be read: the deployed
		// function answers it with an error and a FAILED alert.
		ci.EventID, ci.Unreadable = de.EventID, true
		ci.Note = "unreadable (" + de.Field + ": " + de.Err.Error() + "): the function would fail closed (error, FAILED alert)"
		return ci, nil, nil
	}
	if err != nil {
		return ci, nil, err
	}
	ci.EventID, ci.EventName, ci.Actor = ev.ID, ev.Name, ev.Actor.ARN
	switch {
	case ev.Failed():
		ci.Note = "failed call (" + ev.ErrorCode + "): nothing changed"
		return ci, nil, nil
	case ev.Kind != cloudtrail.KindRuleAdded && ev.Kind != cloudtrail.KindRuleModified:
		ci.Note = "no rule added (" + string(ev.Kind) + "): judged against the account by replay or audit"
		return ci, nil, nil
	}
	ci.Rules = len(ev.Rules)
	if eng.MayOpenTogether(ev.Rules) {
		ci.Unknown = "the group's other rules are unknown: together with them these rules may open a port to the world (replay and the event path settle it)"
	}
	return ci, evaluateTogether(eng, ev.Rules, policy.EvalContext{ActorARN: ev.Actor.ARN, Now: now}), nil
}

// evaluateTogether judges each rule alone, then each group's rules
// together (rules aggregate), and keeps every rule's findings together, in
// input order.
func evaluateTogether(eng *policy.Engine, rules []policy.Rule, ec policy.EvalContext) []policy.Violation {
	byRule := make([][]policy.Violation, len(rules))
	byGroup := map[string][]int{}
	var groups []string
	for i := range rules {
		byRule[i] = eng.Evaluate(&rules[i], ec, nil)
		g := rules[i].GroupID
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], i)
	}
	for _, g := range groups {
		idx := byGroup[g]
		sub := make([]policy.Rule, len(idx))
		for k, i := range idx {
			sub[k] = rules[i]
		}
		for _, v := range eng.EvaluateCoverage(nil, sub, ec, nil) {
			for _, i := range idx {
				if sameTuple(&rules[i], &v.Rule) {
					byRule[i] = append(byRule[i], v)
					break
				}
			}
		}
	}
	var out []policy.Violation
	for _, vs := range byRule {
		out = append(out, vs...)
	}
	return out
}

func sameTuple(a, b *policy.Rule) bool {
	return a.RuleID == b.RuleID && a.Direction == b.Direction && a.Protocol == b.Protocol &&
		a.FromPort == b.FromPort && a.ToPort == b.ToPort && a.Peer.String() == b.Peer.String()
}

// ruleRun is a run of findings about one rule, with the most serious
// decision and the worst severity among them, and the checks that matched.
type ruleRun[T any] struct {
	findings []T
	decision policy.Decision
	severity string
	checks   string // "check, check (exempt: id), ..."
}

// verdict is what groupRuns needs of one finding.
type verdict struct {
	decision  policy.Decision
	severity  policy.Severity
	check     string
	exemption string
}

// groupRuns groups consecutive findings about the same rule (evaluation
// and the audit report keep them together).
func groupRuns[T any](fs []T, same func(a, b *T) bool, judge func(*T) verdict) []ruleRun[T] {
	var runs []ruleRun[T]
	for i := 0; i < len(fs); {
		j := i + 1
		for j < len(fs) && same(&fs[j], &fs[i]) {
			j++
		}
		first := judge(&fs[i])
		r := ruleRun[T]{findings: fs[i:j], decision: first.decision, severity: string(first.severity)}
		var checks []string
		for k := i; k < j; k++ {
			v := judge(&fs[k])
			if remediate.DecisionRank(v.decision) > remediate.DecisionRank(r.decision) {
				r.decision = v.decision
			}
			r.severity = notify.Worst(r.severity, string(v.severity))
			c := v.check
			if v.exemption != "" {
				c += " (exempt: " + v.exemption + ")"
			}
			checks = append(checks, c)
		}
		r.checks = strings.Join(checks, ", ")
		runs = append(runs, r)
		i = j
	}
	return runs
}

// groupByRule groups check's findings by rule.
func groupByRule(fs []finding) []ruleRun[finding] {
	return groupRuns(fs, sameRule, func(f *finding) verdict { return verdict{f.Decision, f.Severity, f.Check, f.Exemption} })
}

// writeCheckTable prints one line per offending rule (its most serious
// decision, its worst severity and every check it matched), the inputs
// that were not judged, and a verdict.
func writeCheckTable(w io.Writer, rep *checkReport) error {
	t := &table{header: []string{"SOURCE", "GROUP", "RULE", "DECISION", "SEVERITY", "WHAT", "CHECKS"}}
	for _, r := range groupByRule(rep.Findings) {
		f := r.findings[0]
		what := f.Protocol
		if f.Protocol != "all" && f.Ports != "" {
			what += "/" + f.Ports
		}
		if f.Direction == "egress" {
			what = "egress " + what + " to " + f.Peer
		} else {
			what += " from " + f.Peer
		}
		if f.Together != "" {
			what += " (" + f.Together + ")"
		}
		switch {
		case f.GroupInfoNeeded:
			what += " (group tags unknown)"
		case f.PrefixListUnresolved:
			what += " (list entries unknown)"
		}
		t.add(f.where(), f.GroupID, f.ruleCell(), string(r.decision), r.severity, what+f.iacNote(), r.checks)
	}
	var b strings.Builder
	if len(t.rows) > 0 {
		if err := t.write(&b, false); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	skipped := 0
	for _, in := range rep.Inputs {
		switch {
		case in.Kind == "skipped":
			skipped++
			fmt.Fprintf(&b, "%s: %s\n", in.Source, in.Note)
		case in.Note != "":
			fmt.Fprintf(&b, "%s: %s %s\n", in.Source, orDash(in.EventName), in.Note)
		}
		if in.Unknown != "" {
			fmt.Fprintf(&b, "%s: %s %s\n", in.Source, orDash(in.EventName), in.Unknown)
		}
	}
	c := rep.Counts
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{c.Revert, "to revert"}, {c.WouldRevert, "would be reverted (dry-run)"}, {c.Alert, "to alert on"}, {c.Exempt, "exempt"}, {c.Unknown, "unknown before deploy"}, {c.Unreadable, "unreadable (the function would fail closed)"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	// An input that failed was not judged: the verdict must not read
	// "compliant" above an exit code that says otherwise.
	if n := len(rep.Failed); n > 0 {
		parts = append(parts, plural(n, "input")+" not judged (unreadable, see the errors above)")
	}
	verdict := "compliant"
	if len(parts) > 0 {
		verdict = strings.Join(parts, ", ")
	}
	fmt.Fprintf(&b, "%s in %s, policy %s (%s): %s\n", plural(c.Rules, "rule"), plural(len(rep.Inputs)-skipped, "input"), rep.Policy, rep.Mode, verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

// sameRule reports whether two findings are about the same rule of the same
// input (an event's new rules may have no ID yet).
func sameRule(a, b *finding) bool {
	return a.Source == b.Source && a.GroupID == b.GroupID && a.RuleID == b.RuleID &&
		a.Direction == b.Direction && a.Protocol == b.Protocol && a.Ports == b.Ports && a.Peer == b.Peer
}

// plural writes "1 rule", "2 rules".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orDefault(path string) string {
	if path == "" {
		return "default"
	}
	return path
}
