package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// printer renders the demo's report.
type printer struct {
	w        io.Writer
	c        *corpus
	reverted map[string]bool   // rule IDs sgwarden revoked
	numbers  map[string]string // SNS message ID -> scenario number
	byEvent  map[string]string // CloudTrail event ID -> scenario number
}

// fullAlerts is how many alerts are printed in full; the rest are subject
// lines.
const fullAlerts = 1

func (p *printer) heading(s string) { fmt.Fprintf(p.w, "\n%s\n%s\n", s, strings.Repeat("=", len(s))) }

// scenarios prints one aligned line per scenario, and under a line whose
// outcome differs from its expectation, how.
func (p *printer) scenarios(ss []scenario) {
	p.reverted = map[string]bool{}
	p.numbers, p.byEvent = map[string]string{}, map[string]string{}
	p.heading(fmt.Sprintf("%d CloudTrail events delivered to the function through the RIE, as EventBridge would", len(ss)))
	rows := [][]string{{"#", "WHO", "ATTEMPTED", "DECISION", "WHAT SGWARDEN DID"}}
	var notes []int
	for _, s := range ss {
		who, what := "?", s.file
		if s.event != nil {
			who, what = shortActor(&s.event.Actor), p.c.attempted(s.event)
		}
		num, _, _ := strings.Cut(s.file, "-")
		did := changed(&s.result, s.err)
		if len(s.diffs) > 0 {
			did += "  << DIFFERS"
			notes = append(notes, len(rows))
		}
		verdict := decision(&s.result)
		if s.err != "" {
			// The function fails closed: an error comes with a FAILED alert.
			verdict = "FAILED"
		}
		rows = append(rows, []string{num, who, what, verdict, did})
		for _, id := range append(s.result.Revoked, s.result.AlreadyGone...) {
			p.reverted[id] = true
		}
		if s.result.MessageID != "" {
			p.numbers[s.result.MessageID] = num
		}
		if s.eventID != "" {
			p.byEvent[s.eventID] = num
		}
	}
	lines := aligned(rows, map[int]int{1: 24, 2: 66})
	for i, l := range lines {
		fmt.Fprintln(p.w, l)
		if slices.Contains(notes, i) {
			for _, d := range ss[i-1].diffs {
				fmt.Fprintf(p.w, "      expected: %s\n", d)
			}
		}
	}
}

// latency prints how long the function took per event, from the invoke
// request to the whole response (its AWS calls and the alert included).
func (p *printer) latency(ss []scenario) {
	if len(ss) < 2 {
		return
	}
	warm := make([]time.Duration, 0, len(ss)-1)
	for _, s := range ss[1:] {
		warm = append(warm, s.elapsed)
	}
	slices.Sort(warm)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	fmt.Fprintf(p.w, "\nTime per event, invoke to response, AWS calls and alert included: %s for the first (cold start), then median %s, max %s.\n",
		ms(ss[0].elapsed), ms(warm[len(warm)/2]), ms(warm[len(warm)-1]))
}

// number is the scenario number of an alert: by its message ID, or, for
// the FAILED alert of an invocation that returned an error (Lambda sees no
// result), by the event ID the alert carries.
func (p *printer) number(m awslocal.SNSMessage) string {
	if n, ok := p.numbers[m.MessageID]; ok {
		return n
	}
	return p.byEvent[m.Attributes[notify.AttrEventID].StringValue]
}

// alerts prints, as an e-mail subscriber of the topic gets them, the first
// alert of the first kinds in full and the others by subject.
func (p *printer) alerts(msgs []awslocal.SNSMessage) {
	p.heading(fmt.Sprintf("%d alerts published to SNS, as an e-mail subscriber reads them", len(msgs)))
	full := map[int]bool{}
	seen := map[string]bool{}
	for i, m := range msgs {
		kind := m.Attributes["action"].StringValue
		if len(full) < fullAlerts && !seen[kind] {
			full[i], seen[kind] = true, true
		}
	}
	for i, m := range msgs {
		if !full[i] {
			continue
		}
		fmt.Fprintf(p.w, "\n  [event %s] Subject: %s\n\n", p.number(m), m.Subject)
		for _, line := range strings.Split(strings.TrimRight(m.MessageFor("email"), "\n"), "\n") {
			fmt.Fprintln(p.w, strings.TrimRight("    "+line, " "))
		}
	}
	if len(msgs) > len(full) {
		fmt.Fprintln(p.w, "\n  The others, by subject:")
		for i, m := range msgs {
			if !full[i] {
				fmt.Fprintf(p.w, "    %-3s %s\n", p.number(m), m.Subject)
			}
		}
	}
}

// riskyRow is one rule with findings, before or after.
type riskyRow struct {
	group, groupID string
	rule, what     string
	decision       policy.Decision
	severity       policy.Severity
	exemption      string
}

func riskyRows(fs []audit.Finding) (map[string]*riskyRow, []string) {
	rows := map[string]*riskyRow{}
	var order []string
	for _, f := range fs {
		key := f.Group.ID + "|" + f.Rule.ID + "|" + audit.RuleText(f.Rule)
		r, ok := rows[key]
		if !ok {
			group := f.Group.Name
			if group == "" {
				group = f.Group.ID
			}
			r = &riskyRow{group: group, groupID: f.Group.ID, rule: f.Rule.ID, what: audit.RuleText(f.Rule), decision: f.Decision, severity: f.Severity}
			rows[key] = r
			order = append(order, key)
		}
		if remediate.DecisionRank(f.Decision) > remediate.DecisionRank(r.decision) {
			r.decision = f.Decision
		}
		r.severity = policy.Severity(notify.Worst(string(r.severity), string(f.Severity)))
		if f.Exemption != "" {
			r.exemption = f.Exemption
		}
	}
	return rows, order
}

// state words a row's status for the before/after table.
func state(r *riskyRow) string {
	switch r.decision {
	case policy.DecisionRevert, policy.DecisionWouldRevert:
		return string(r.severity) + ", revert"
	case policy.DecisionAlert:
		return string(r.severity) + ", alert only"
	case policy.DecisionExempt:
		return "exempt (" + r.exemption + ")"
	}
	return string(r.decision)
}

// beforeAfter prints the account's risky rules before and after the
// scenarios, as the audit sees them.
func (p *printer) beforeAfter(before, after []audit.Finding) {
	b, order := riskyRows(before)
	a, afterOrder := riskyRows(after)
	for _, k := range afterOrder {
		if b[k] == nil {
			order = append(order, k)
			b[k] = nil
		}
	}
	row := func(k string) *riskyRow {
		if r := b[k]; r != nil {
			return r
		}
		return a[k]
	}
	slices.SortStableFunc(order, func(x, y string) int {
		rx, ry := row(x), row(y)
		return cmp.Or(cmp.Compare(rx.group, ry.group), cmp.Compare(rx.groupID, ry.groupID), cmp.Compare(rx.what, ry.what))
	})
	p.heading("The account's risky rules, audited before and after the events")
	rows := [][]string{{"GROUP", "RULE", "WHAT", "BEFORE", "AFTER"}}
	var nBefore, nReverted, nCleared, nClosed, nLeft, nAlert int
	for _, k := range order {
		r := row(k)
		bs, as := "-", ""
		if br := b[k]; br != nil {
			bs = state(br)
			if br.decision != policy.DecisionExempt {
				nBefore++
			}
		}
		ar := a[k]
		switch {
		case ar == nil && p.reverted[r.rule]:
			as, nReverted = "REVOKED by sgwarden", nReverted+1
		case ar == nil && strings.Contains(r.what, " pl-"):
			as, nCleared = "compliant (list entry removed)", nCleared+1
		case ar == nil:
			// Rules aggregate: its partner in a union was revoked.
			as, nClosed = "compliant (its partner revoked)", nClosed+1
		case ar.decision == policy.DecisionRevert || ar.decision == policy.DecisionWouldRevert:
			as, nLeft = state(ar)+" (next audit)", nLeft+1
		default:
			as = state(ar)
			if ar.decision == policy.DecisionAlert {
				nAlert++
			}
		}
		rows = append(rows, []string{r.group, r.rule, r.what, bs, as})
	}
	for _, l := range aligned(rows, nil) {
		fmt.Fprintln(p.w, l)
	}
	fmt.Fprintf(p.w, "\nRisky rules: %d before, %d after. As the events arrived, sgwarden revoked %d, made %d compliant by\n"+
		"cleaning their prefix list and %d by revoking the rule they added up with; %d predate every event and\n"+
		"are left to the scheduled audit; %d are alert-only by policy.\n",
		nBefore, nLeft+nAlert, nReverted, nCleared, nClosed, nLeft, nAlert)
}

// aligned renders rows in columns two spaces apart; limits cut a column
// to a width.
func aligned(rows [][]string, limits map[int]int) []string {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			if l, ok := limits[i]; ok && len(c) > l {
				r[i] = c[:l-3] + "..."
			}
			widths[i] = max(widths[i], len(r[i]))
		}
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			fmt.Fprintf(&b, "%-*s  ", widths[i], c)
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	return out
}
