package audit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// Output formats of Render.
const (
	FormatJSON     = "json"     // the report itself, indented (the stable schema)
	FormatTable    = "table"    // aligned text for a terminal
	FormatMarkdown = "markdown" // GitHub-flavoured Markdown tables
)

// Formats lists the formats Render accepts.
func Formats() []string { return []string{FormatTable, FormatJSON, FormatMarkdown} }

// ErrFormat is returned by Render for an unknown format.
var ErrFormat = errors.New("unknown report format")

// Render writes the report in format: FormatJSON is the schema of
// docs/audit.md; FormatTable and FormatMarkdown are for people and may
// change between versions. Findings are listed worst first, exposures in
// report order (worst first).
func (r *Report) Render(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		// What json.MarshalIndent gives, spooled exposures included.
		var compact, b bytes.Buffer
		if err := r.WriteJSON(&compact); err != nil {
			return fmt.Errorf("encode report %s: %w", r.RunID, err)
		}
		if err := json.Indent(&b, compact.Bytes(), "", "  "); err != nil {
			return fmt.Errorf("encode report %s: %w", r.RunID, err)
		}
		b.WriteByte('\n')
		_, err := b.WriteTo(w)
		return err
	case FormatTable, FormatMarkdown:
		return r.renderSections(w, format == FormatMarkdown)
	}
	return fmt.Errorf("%w %q (want one of %s)", ErrFormat, format, strings.Join(Formats(), ", "))
}

// section is a heading, optional lines of text and an optional table.
type section struct {
	title  string
	lines  []string
	header []string
	rows   [][]string
}

func (r *Report) renderSections(w io.Writer, markdown bool) error {
	sections, err := r.sections()
	if err != nil {
		return fmt.Errorf("render report %s: %w", r.RunID, err)
	}
	write := func(s string) {
		if err == nil {
			_, err = io.WriteString(w, s)
		}
	}
	for i, s := range sections {
		if markdown {
			level := "## "
			if i == 0 {
				level = "# "
			}
			write(level + s.title + "\n\n")
			for _, l := range s.lines {
				write(l + "  \n")
			}
			if len(s.lines) > 0 {
				write("\n")
			}
			if len(s.rows) > 0 {
				write("| " + strings.Join(mdCells(s.header), " | ") + " |\n")
				write(strings.Repeat("| --- ", len(s.header)) + "|\n")
				for _, row := range s.rows {
					write("| " + strings.Join(mdCells(row), " | ") + " |\n")
				}
				write("\n")
			}
			continue
		}
		if i > 0 {
			write("\n")
		}
		write(s.title + "\n")
		for _, l := range s.lines {
			write("  " + l + "\n")
		}
		if len(s.rows) > 0 {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			if err == nil {
				_, err = fmt.Fprintln(tw, strings.Join(s.header, "\t"))
			}
			for _, row := range s.rows {
				if err == nil {
					_, err = fmt.Fprintln(tw, strings.Join(printable(row), "\t"))
				}
			}
			if err == nil {
				err = tw.Flush()
			}
		}
	}
	if err != nil {
		return fmt.Errorf("render report %s: %w", r.RunID, err)
	}
	return nil
}

// printable escapes the control characters of AWS data (names, tags) so
// that they cannot drive a terminal or break a table's rows.
func printable(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = notify.Printable(c)
	}
	return out
}

func mdCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range printable(cells) {
		c = strings.ReplaceAll(c, "|", `\|`)
		if c == "" {
			c = " "
		}
		out[i] = c
	}
	return out
}

func (r *Report) sections() ([]section, error) {
	state := "complete"
	if !r.Complete {
		state = "INCOMPLETE"
	}
	out := []section{{
		title: "sgwarden audit of " + r.Account,
		lines: []string{
			fmt.Sprintf("run %s, %s mode, %s", r.RunID, r.Mode, state),
			fmt.Sprintf("started %s, finished %s", r.StartedAt.Format("2006-01-02T15:04:05Z07:00"), r.FinishedAt.Format("2006-01-02T15:04:05Z07:00")),
		},
	}}

	regions := section{title: "Regions", header: []string{"REGION", "STATUS", "GROUPS", "RULES", "INTERFACES", "PREFIX LISTS", "CALLS", "SCAN MS", "EVAL MS"}}
	for _, rr := range r.Regions {
		calls := 0
		for _, n := range rr.Calls {
			calls += n
		}
		regions.rows = append(regions.rows, []string{
			rr.Region, rr.Status, strconv.Itoa(rr.SecurityGroups), strconv.Itoa(rr.Rules), strconv.Itoa(rr.NetworkInterfaces),
			fmt.Sprintf("%d/%d", rr.PrefixListsResolved, rr.PrefixLists), strconv.Itoa(calls),
			strconv.FormatInt(rr.Timings.ScanMillis, 10), strconv.FormatInt(rr.Timings.EvaluateMillis, 10),
		})
	}
	out = append(out, regions)

	if len(r.Unscanned) > 0 {
		un := section{title: "Not scanned", header: []string{"REGION", "OPERATION", "RESOURCE", "ERROR"}}
		for _, u := range r.Unscanned {
			un.rows = append(un.rows, []string{u.Region, u.Operation, u.Resource, u.Error})
		}
		out = append(out, un)
	}

	rules := byRule(r.Violations)
	fs := section{
		title:  fmt.Sprintf("Findings: %d (worst %s), %d exempt, on %d rules", r.Counts.Violations, r.WorstSeverity(), r.Counts.Exempt, len(rules)),
		header: []string{"SEVERITY", "DECISION", "OUTCOME", "REGION", "GROUP", "RULE", "WHAT", "CHECKS"},
	}
	for _, rf := range rules {
		f := rf.first
		outcome := ""
		if f.Remediation != nil {
			outcome = f.Remediation.Status
		}
		group := f.Group.ID
		if f.Group.Name != "" {
			group += " (" + f.Group.Name + ")"
		}
		fs.rows = append(fs.rows, []string{rf.severity, string(rf.decision), outcome, f.Region, group, f.Rule.ID, RuleText(f.Rule), strings.Join(rf.checks, ", ")})
	}
	out = append(out, fs)

	rem := r.Remediation
	enforced := "dry-run: nothing reverted"
	if rem.Enforced {
		enforced = "enforced"
	}
	rs := section{
		title: fmt.Sprintf("Remediation: %d reverted, %d failed, %d candidates (bound %d per run)", rem.Reverted, rem.Failed, rem.Candidates, rem.MaxReverts),
		lines: []string{enforced},
	}
	if rem.Note != "" {
		rs.lines = append(rs.lines, rem.Note)
	}
	out = append(out, rs)

	ex := section{
		title:  fmt.Sprintf("Exposed network interfaces: %d", r.Counts.ExposedNetworkInterfaces),
		header: []string{"REGION", "INTERFACE", "OWNER", "INSTANCE", "PUBLIC IP", "WORST", "OPEN", "FROM", "VIA"},
	}
	err := r.EachExposure(func(e *ExposureReport) error {
		for j, o := range e.Open {
			var via []string
			for _, g := range o.Grants {
				via = append(via, g.String())
			}
			row := []string{"", "", "", "", "", "", PortsText(o.Protocol, o.FromPort, o.ToPort), o.From, strings.Join(via, ",")}
			if j == 0 {
				n := &e.NetworkInterface
				copy(row, []string{e.Region, n.ID, n.OwnerType, n.InstanceID, n.PublicIP, string(e.WorstSeverity)})
			}
			ex.rows = append(ex.rows, row)
		}
		return nil
	})
	out = append(out, ex)
	return out, err
}

// ruleFindings are the findings about one rule: one row of the table, with
// the strongest decision, the worst severity and every check that fired.
type ruleFindings struct {
	first    *Finding
	decision policy.Decision
	severity string
	checks   []string
}

// byRule groups findings by rule, worst severity first, then in report
// order.
func byRule(vs []Finding) []*ruleFindings {
	index := map[string]*ruleFindings{}
	var out []*ruleFindings
	for i := range vs {
		f := &vs[i]
		key := f.Region + "|" + f.Group.ID + "|" + f.Rule.ID + "|" + RuleText(f.Rule)
		rf := index[key]
		if rf == nil {
			rf = &ruleFindings{first: f}
			index[key] = rf
			out = append(out, rf)
		}
		if remediate.DecisionRank(f.Decision) > remediate.DecisionRank(rf.decision) {
			rf.decision = f.Decision
		}
		rf.severity = notify.Worst(rf.severity, string(f.Severity))
		c := f.Check
		if f.Decision == policy.DecisionExempt && f.Exemption != "" {
			c += " (exempt: " + f.Exemption + ")"
		}
		rf.checks = append(rf.checks, c)
	}
	slices.SortStableFunc(out, func(a, b *ruleFindings) int {
		return cmp.Compare(notify.SeverityRank(a.severity), notify.SeverityRank(b.severity))
	})
	return out
}
