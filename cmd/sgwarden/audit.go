package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("audit", "[flags] [--input FILE...]", `
Scan every security group, rule and network interface of an account against
a policy, with the same code as the scheduled audit function, and report the
findings and the effective public exposure of each network interface.

Without --input it reads the account that the AWS credential chain and
AWS_ENDPOINT_URL point at (read-only: describe calls only). With --input it
reads saved JSON dumps instead, with no AWS call at all:
  aws ec2 describe-security-groups       > groups.json
  aws ec2 describe-security-group-rules  > rules.json
  aws ec2 describe-network-interfaces    > enis.json
  sgwarden audit --input groups.json rules.json enis.json
Arguments after the flags are further input files.

The audit from the CLI never reverts: decisions read "would-revert". Exits 1
when a finding reaches --fail-on (by default: something would be reverted).
Progress goes to stderr when stderr is a terminal.`)
	policyPath := fs.policyFlag()
	output := fs.outputFlag("table", "json", "markdown")
	failOn := fs.failOn()
	var inputs stringList
	fs.Var(&inputs, "input", "saved describe-* JSON dump `file` to audit instead of the account (repeatable)")
	regions := fs.String("regions", "", "comma-separated `regions` to scan (default: --region)")
	account := fs.String("account", "", "account `ID` to report when the dump does not say it")
	awsf := fs.awsFlags()
	pos, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 && len(inputs) == 0 {
		return fs.usageError(stderr, "unexpected argument %q (use --input FILE... to audit saved dumps)", pos[0])
	}
	files := append(inputs, pos...)
	eng, err := loadPolicy(*policyPath)
	if err != nil {
		fmt.Fprintf(stderr, "sgwarden audit: %v\n", err)
		return exitUsage
	}
	// The CLI never reverts, so say so in every decision.
	eng = eng.WithMode(policy.ModeDryRun)

	opts := []audit.Option{audit.WithAccount(*account)}
	if isTerminal(stderr) {
		opts = append(opts, audit.WithProgress(progressPrinter(stderr)))
	}
	var clients audit.ClientFactory
	var scanned []string
	if len(files) > 0 {
		dump, err := loadDumps(files)
		if err != nil {
			fmt.Fprintf(stderr, "sgwarden audit: %v\n", err)
			return exitUsage
		}
		if dump.RulesDerived() {
			fmt.Fprintln(stderr, "sgwarden audit: no describe-security-group-rules output: rules derived from the groups, without rule IDs")
		}
		clients = func(string) (audit.EC2API, error) { return audit.DumpClient{D: dump}, nil }
		region := awsf.region
		if region == "" {
			region = "dump"
		}
		scanned = []string{region}
	} else {
		cfg, err := awsf.load(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "sgwarden audit: %v\n", err)
			return awsExit(err)
		}
		scanned = []string{cfg.Region}
		if *regions != "" {
			scanned = strings.Split(*regions, ",")
		}
		clients = func(region string) (audit.EC2API, error) {
			return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region }), nil
		}
	}
	auditor, err := audit.New(eng, clients, append(opts, audit.WithRegions(scanned...))...)
	if err != nil {
		return fs.usageError(stderr, "%v", err)
	}
	rep, runErr := auditor.Run(ctx)
	if rep == nil {
		fmt.Fprintf(stderr, "sgwarden audit: %v\n", runErr)
		return exitRuntime
	}

	var werr error
	switch output.value {
	case "json":
		werr = writeJSON(stdout, rep)
	case "markdown":
		werr = writeAuditReport(stdout, rep, true)
	default:
		werr = writeAuditReport(stdout, rep, false)
	}
	if werr != nil {
		return writeFailed(stderr, "audit", werr)
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "sgwarden audit: %v\n", runErr)
		return exitRuntime
	}
	for _, f := range rep.Violations {
		if fails(failOn.value, f.Decision) {
			return exitFindings
		}
	}
	return exitOK
}

// loadDumps reads the dump files, keeping their order in error messages.
func loadDumps(files []string) (*audit.Dump, error) {
	readers := make(map[string]io.Reader, len(files))
	for _, name := range files {
		data, err := readInput(name, stdin)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errInput, err)
		}
		readers[name] = bytes.NewReader(data)
	}
	return audit.LoadDump(readers)
}

// progressPrinter rewrites one status line on a terminal.
func progressPrinter(w io.Writer) func(audit.Progress) {
	last := time.Time{}
	return func(p audit.Progress) {
		done := p.Stage == "done" || p.Stage == "failed"
		if !done && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "\r\033[K%s: %s %d", p.Region, p.Stage, p.Items)
		if done {
			fmt.Fprintln(w)
		}
	}
}

// groupFindings groups the audit report's findings by rule.
func groupFindings(fs []audit.Finding) []ruleRun[audit.Finding] {
	same := func(a, b *audit.Finding) bool {
		return a.Region == b.Region && a.Group.ID == b.Group.ID && a.Rule.ID == b.Rule.ID && audit.RuleText(a.Rule) == audit.RuleText(b.Rule)
	}
	return groupRuns(fs, same, func(f *audit.Finding) verdict { return verdict{f.Decision, f.Severity, f.Check, f.Exemption} })
}

// table is a list of rows rendered aligned for a terminal or as Markdown.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, markdown bool) error {
	if markdown {
		return t.writeMarkdown(w)
	}
	widths := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			fmt.Fprintf(&b, "%-*s  ", widths[i], c)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *table) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + esc.Replace(c) + " |")
		}
		b.WriteString("\n")
	}
	row(t.header)
	b.WriteString("|" + strings.Repeat(" --- |", len(t.header)) + "\n")
	for _, r := range t.rows {
		row(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAuditReport renders the report for a terminal or as Markdown (for a
// CI job summary or a ticket).
func writeAuditReport(w io.Writer, rep *audit.Report, markdown bool) error {
	var b bytes.Buffer
	heading := func(s string) {
		if markdown {
			fmt.Fprintf(&b, "\n## %s\n\n", s)
		} else {
			fmt.Fprintf(&b, "\n%s\n", strings.ToUpper(s))
		}
	}
	groups, rules, enis := 0, 0, 0
	var names []string
	for _, r := range rep.Regions {
		groups, rules, enis = groups+r.SecurityGroups, rules+r.Rules, enis+r.NetworkInterfaces
		names = append(names, r.Region+" ("+r.Status+")")
	}
	if markdown {
		fmt.Fprintf(&b, "# sgwarden audit of %s\n\n", rep.Account)
	} else {
		fmt.Fprintf(&b, "sgwarden audit of %s\n", rep.Account)
	}
	fmt.Fprintf(&b, "Scanned %d security groups, %d rules, %d network interfaces in %s.\n", groups, rules, enis, strings.Join(names, ", "))

	rows := groupFindings(rep.Violations)
	var revert, alert, exempt int
	for _, r := range rows {
		switch r.decision {
		case policy.DecisionRevert, policy.DecisionWouldRevert:
			revert++
		case policy.DecisionAlert:
			alert++
		default:
			exempt++
		}
	}
	fmt.Fprintf(&b, "Rules in breach: %d would be reverted, %d to alert on, %d exempt; %d network interfaces exposed to public space.\n",
		revert, alert, exempt, rep.Counts.ExposedNetworkInterfaces)

	if len(rows) > 0 {
		heading("Rules in breach")
		t := &table{header: []string{"REGION", "GROUP", "RULE", "DECISION", "SEVERITY", "WHAT", "ENIS", "CHECKS"}}
		for _, r := range rows {
			f := r.findings[0]
			group := f.Group.ID
			if f.Group.Name != "" {
				group += " (" + f.Group.Name + ")"
			}
			t.add(f.Region, group, orDash(f.Rule.ID), string(r.decision), r.severity, audit.RuleText(f.Rule), fmt.Sprint(f.NetworkInterfaces.Count), r.checks)
		}
		if err := t.write(&b, markdown); err != nil {
			return err
		}
	}
	if len(rep.Exposures) > 0 {
		heading("Exposed network interfaces")
		t := &table{header: []string{"REGION", "INTERFACE", "OWNER", "PUBLIC IP", "SEVERITY", "OPEN TO PUBLIC SPACE"}}
		for _, e := range rep.Exposures {
			owner := e.NetworkInterface.OwnerType
			if e.NetworkInterface.InstanceID != "" {
				owner += " " + e.NetworkInterface.InstanceID
			}
			var open []string
			for _, o := range e.Open {
				open = append(open, audit.PortsText(o.Protocol, o.FromPort, o.ToPort)+" from "+o.From)
			}
			t.add(e.Region, e.NetworkInterface.ID, owner, orDash(e.NetworkInterface.PublicIP), orDash(string(e.WorstSeverity)), strings.Join(open, ", "))
		}
		if err := t.write(&b, markdown); err != nil {
			return err
		}
	}
	if len(rep.Unscanned) > 0 {
		heading("Not scanned")
		t := &table{header: []string{"REGION", "OPERATION", "RESOURCE", "ERROR"}}
		for _, u := range rep.Unscanned {
			t.add(u.Region, u.Operation, orDash(u.Resource), u.Error)
		}
		if err := t.write(&b, markdown); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
