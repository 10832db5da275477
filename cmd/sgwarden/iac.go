package main

// The IaC side of `sgwarden check`: CloudFormation templates, cdk synth
// output and Terraform plans are recognized by content and judged here;
// everything else goes on to readInputs.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sgwarden/sgwarden/internal/iac"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// iacFields are what a finding read from IaC adds: where the rule is
// written and what is unknown about it.
type iacFields struct {
	Line       int           `json:"line,omitempty"`
	Column     int           `json:"column,omitempty"`
	Resource   string        `json:"resource,omitempty"`
	Stack      string        `json:"stack,omitempty"`
	CDKPath    string        `json:"cdkPath,omitempty"`
	Conditions []string      `json:"conditions,omitempty"`
	Unknown    []iac.Unknown `json:"unknown,omitempty"`
}

// parametersFlag registers --parameters k=v (repeatable).
func (fs *flagSet) parametersFlag() *stringList {
	var l stringList
	fs.Var(&l, "parameters", "CloudFormation parameter `name=value` overriding its default (repeatable)")
	return &l
}

// undeclaredParameters is an error naming the --parameters that no
// template declared: a typo would otherwise leave a value unknown.
func undeclaredParameters(params map[string]string, declared map[string]bool) error {
	var names []string
	for name := range params {
		if !declared[name] {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return fmt.Errorf("--parameters %s: no template declares it", strings.Join(names, ", "))
}

func parseParameters(l stringList) (map[string]string, error) {
	if len(l) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(l))
	for _, kv := range l {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--parameters %q is not name=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// checkIaC judges name when it is IaC: a template, a plan, a cdk.out
// directory or its manifest.json. handled is false for other inputs (which
// stay readable from standard input).
// declared collects the parameter names the templates declare.
func checkIaC(rep *checkReport, name string, opts iac.Options, eng *policy.Engine, ec policy.EvalContext, declared map[string]bool) (handled bool, err error) {
	ts, handled, err := readIaC(name, opts)
	if !handled || err != nil {
		return handled, err
	}
	for _, t := range ts {
		for _, p := range t.Parameters {
			declared[p] = true
		}
		ci := checkedInput{Source: t.File, Kind: string(t.Format), Rules: len(t.Rules)}
		if t.Stack != "" {
			ci.Source = t.File + " (stack " + t.Stack + ")"
		}
		rep.Inputs = append(rep.Inputs, ci)
		rep.Counts.Rules += len(t.Rules)
	}
	for _, f := range iac.Judge(eng, ts, ec) {
		nf := newFinding(f.Template.File, "", &f.Violation)
		r := f.Rule
		nf.iacFields = &iacFields{Line: r.Loc.Line, Column: r.Loc.Column, Resource: r.Resource, Stack: f.Template.Stack,
			CDKPath: r.CDKPath, Conditions: r.Conditions, Unknown: r.Unknown}
		if r.PeerUnknown {
			// The rule was judged from the whole internet; say so rather
			// than print that CIDR as if the template wrote it.
			nf.Reason = strings.Replace(nf.Reason, " "+nf.Peer+" ", " "+unknownPeer+" ", 1)
			nf.Peer = unknownPeer
		}
		rep.Findings = append(rep.Findings, nf)
	}
	return true, nil
}

// unknownPeer is how a finding shows a peer that is unknown before deploy.
const unknownPeer = "(unknown)"

func readIaC(name string, opts iac.Options) ([]*iac.Template, bool, error) {
	if name != "-" {
		st, err := os.Stat(name)
		if err == nil && st.IsDir() {
			return readAssembly(name, opts)
		}
		if err == nil && filepath.Base(name) == "manifest.json" {
			if data, err := os.ReadFile(name); err == nil && iac.Recognized(data) && !bytes.Contains(data, []byte("Resources")) {
				return readAssembly(filepath.Dir(name), opts)
			}
		}
	}
	data, err := readInput(name, stdin)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", errInput, err)
	}
	if name == "-" {
		stdin = bytes.NewReader(data) // for readInputs, when this is not IaC
	}
	if !iac.Recognized(data) {
		return nil, false, nil
	}
	t, err := iac.Read(name, data, opts)
	if errors.Is(err, iac.ErrNotIaC) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", errInput, err)
	}
	return []*iac.Template{t}, true, nil
}

// readAssembly reads a cdk.out directory; file names stay relative to
// where the user pointed.
func readAssembly(dir string, opts iac.Options) ([]*iac.Template, bool, error) {
	ts, err := iac.ReadCloudAssembly(os.DirFS(dir), ".", opts)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s: %w", errInput, dir, err)
	}
	for _, t := range ts {
		t.File = filepath.Join(dir, t.File)
		for i := range t.Rules {
			t.Rules[i].Loc.File = t.File
		}
	}
	return ts, true, nil
}

// checkFails extends fails with the "unknown" level of check's --fail-on:
// it fails on every finding that is not exempt, unknown ones included.
func checkFails(level string, d policy.Decision) bool {
	if level == "unknown" {
		return d != policy.DecisionExempt
	}
	return fails(level, d)
}

// where is a finding's location for the table: "file:line" for IaC.
func (f *finding) where() string {
	if f.iacFields != nil && f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.Source, f.Line)
	}
	return f.Source
}

// ruleCell is the table's RULE column: the rule ID, or the resource that
// declares an IaC rule (with its construct path from cdk synth).
func (f *finding) ruleCell() string {
	if f.RuleID == "" && f.iacFields != nil {
		if f.CDKPath != "" {
			return f.Resource + " (" + f.CDKPath + ")"
		}
		return orDash(f.Resource)
	}
	return orDash(f.RuleID)
}

// iacNote is what the table adds to an IaC finding: its conditions and
// unknown fields.
func (f *finding) iacNote() string {
	if f.iacFields == nil {
		return ""
	}
	var b strings.Builder
	if len(f.Conditions) > 0 {
		b.WriteString(" (when " + strings.Join(f.Conditions, ", ") + ")")
	}
	for _, u := range f.Unknown {
		b.WriteString(" (unknown " + u.Field + ": " + u.Why + ")")
	}
	return b.String()
}
