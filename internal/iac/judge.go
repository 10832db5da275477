package iac

import (
	"strconv"

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
	// Violation.Coverage is set when the rule violates only together with
	// other rules of its group (their peers add up on one port).
	Violation policy.Violation
}

// Judge evaluates the templates with the engine, group by group: every
// rule alone, then what the group's rules open together on each port (seed
// rule 1). Findings come in input order of the groups.
func Judge(eng *policy.Engine, ts []*Template, ec policy.EvalContext) []Finding {
	n := 0
	for _, t := range ts {
		n += len(t.Rules)
	}
	out := make([]Finding, 0, n/2)
	var buf []policy.Violation
	for _, t := range ts {
		for _, g := range groupsOf(t.Rules) {
			for _, ri := range g {
				buf = eng.Evaluate(&t.Rules[ri].Rule, ec, buf[:0])
				out = appendFindings(out, t, &t.Rules[ri], buf)
			}
			out = judgeCoverage(eng, t, g, ec, out)
		}
	}
	return out
}

func appendFindings(out []Finding, t *Template, r *Rule, vs []policy.Violation) []Finding {
	for _, v := range vs {
		if len(r.Unknown) > 0 && v.Decision != policy.DecisionExempt {
			v.Decision = DecisionUnknown
		}
		out = append(out, Finding{Template: t, Rule: r, Violation: v})
	}
	return out
}

// maxScenarioConds bounds the conditions whose combinations are judged one
// by one; past it, a group's rules are judged together whatever their
// conditions (which can only add findings).
const maxScenarioConds = 6

// judgeCoverage judges the union of one group's rules. Rules under
// contradictory conditions never exist together, so each combination of
// the group's conditions is judged apart, and a finding is kept once.
// Each rule goes in with its index as rule ID (the engine names
// contributors by it), which maps a violation back to its rule.
func judgeCoverage(eng *policy.Engine, t *Template, g []int, ec policy.EvalContext, out []Finding) []Finding {
	var names []string
	seen := map[string]bool{}
	for _, ri := range g {
		for _, c := range t.Rules[ri].Conditions {
			name := c
			if name != "" && name[0] == '!' {
				name = name[1:]
			}
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	scenarios := 1 << len(names)
	if len(names) > maxScenarioConds {
		names, scenarios = nil, 1
	}
	type key struct {
		rule  int
		check string
	}
	reported := map[key]bool{}
	rules := make([]policy.Rule, 0, len(g))
	var vs []policy.Violation
	for s := 0; s < scenarios; s++ {
		rules = rules[:0]
		for _, ri := range g {
			if !holds(t.Rules[ri].Conditions, names, s) {
				continue
			}
			r := t.Rules[ri].Rule
			r.RuleID = strconv.Itoa(ri)
			rules = append(rules, r)
		}
		vs = eng.EvaluateCoverage(nil, rules, ec, vs[:0])
		for _, v := range vs {
			ri, err := strconv.Atoi(v.Rule.RuleID)
			if err != nil || ri < 0 || ri >= len(t.Rules) || reported[key{ri, v.CheckID}] {
				continue
			}
			reported[key{ri, v.CheckID}] = true
			v.Rule.RuleID = t.Rules[ri].RuleID
			v.Coverage = describeCoverage(t, v.Coverage)
			out = appendFindings(out, t, &t.Rules[ri], []policy.Violation{v})
		}
	}
	return out
}

// holds reports whether a rule's conditions hold in scenario s, which sets
// names[i] true when bit i is set.
func holds(conds, names []string, s int) bool {
	for _, c := range conds {
		want := true
		if c != "" && c[0] == '!' {
			want, c = false, c[1:]
		}
		for i, n := range names {
			if n == c && (s>>i&1 == 1) != want {
				return false
			}
		}
	}
	return true
}

// describeCoverage renames the contributors from rule indexes to where
// the template writes them ("WebSecurityGroup line 14").
func describeCoverage(t *Template, c *policy.Coverage) *policy.Coverage {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Rules = make([]policy.Contributor, len(c.Rules))
	for i, x := range c.Rules {
		if ri, err := strconv.Atoi(x.RuleID); err == nil && ri >= 0 && ri < len(t.Rules) {
			r := &t.Rules[ri]
			x.RuleID = r.Resource
			if r.Loc.Line > 0 {
				x.RuleID += " line " + strconv.Itoa(r.Loc.Line)
			}
		}
		cp.Rules[i] = x
	}
	return &cp
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
