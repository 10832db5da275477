package iac

import (
	"github.com/sgwarden/sgwarden/internal/policy"
)

// DecisionUnknown is the decision of a finding whose rule has fields that
// are unknown before deploy: the rule, read at its widest, matches a check,
// so it may violate the policy once deployed. `sgwarden check --fail-on`
// decides whether it fails the job.
const DecisionUnknown policy.Decision = "unknown"

// Finding is one check matching one rule of a template.
type Finding struct {
	// Template and Rule point into the judged templates.
	Template *Template
	Rule     *Rule
	// Violation is the engine's verdict; its Decision is DecisionUnknown
	// when the rule has unknown fields (unless an exemption applies).
	Violation policy.Violation
}

// Judge evaluates every rule of the templates with the engine, group by
// group, and returns the findings in input order.
func Judge(eng *policy.Engine, ts []*Template, ec policy.EvalContext) []Finding {
	var out []Finding
	var buf []policy.Violation
	for _, t := range ts {
		for _, g := range groupsOf(t.Rules) {
			for _, ri := range g {
				r := &t.Rules[ri]
				buf = judgeRule(eng, r, ec, buf[:0])
				for _, v := range buf {
					if len(r.Unknown) > 0 && v.Decision != policy.DecisionExempt {
						v.Decision = DecisionUnknown
					}
					out = append(out, Finding{Template: t, Rule: r, Violation: v})
				}
			}
		}
	}
	return out
}

// judgeRule is the one place that asks the engine about a rule of a group.
func judgeRule(eng *policy.Engine, r *Rule, ec policy.EvalContext, dst []policy.Violation) []policy.Violation {
	return eng.Evaluate(&r.Rule, ec, dst)
}

// groupsOf returns the indexes of rules per group, groups in order of
// first appearance.
func groupsOf(rules []Rule) [][]int {
	idx := map[string]int{}
	var out [][]int
	for i := range rules {
		g, ok := idx[rules[i].GroupID]
		if !ok {
			g = len(out)
			idx[rules[i].GroupID] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], i)
	}
	return out
}
