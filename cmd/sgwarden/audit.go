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
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// auditClock is the audit's clock; tests fix it so reports are stable.
var auditClock = time.Now

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

With --org it audits every account of the AWS Organization (or of --ous) in
every --regions region: it lists the accounts through Organizations with the
caller's credentials, assumes --role-name in each, and writes the run (one
part per account and region, report.json, report.md) under --out/runs/<run>/,
with the same code as the organization audit function. An account whose role
is denied, or a region that throttles, is reported and does not stop the rest;
any such gap exits 3 after the report.

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
	orgf := fs.orgFlags()
	pos, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 && len(inputs) == 0 {
		return fs.usageError(stderr, "unexpected argument %q (use --input FILE... to audit saved dumps)", pos[0])
	}
	files := append(inputs, pos...)
	if orgf.org && len(files) > 0 {
		return fs.usageError(stderr, "--org audits live accounts: it takes no --input")
	}
	eng, err := loadPolicy(*policyPath)
	if err != nil {
		fmt.Fprintf(stderr, "sgwarden audit: %v\n", err)
		return exitUsage
	}
	// The CLI never reverts, so say so in every decision.
	eng = eng.WithMode(policy.ModeDryRun)

	opts := []audit.Option{audit.WithAccount(*account), audit.WithClock(auditClock)}
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
		if orgf.org {
			return cmdAuditOrg(ctx, cfg, eng, scanned, orgf, output.value, failOn.value, stdout, stderr)
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
	default: // table, markdown: the same rendering as the audit's own
		werr = rep.Render(stdout, output.value)
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

// table is a list of rows rendered aligned for a terminal or as Markdown.
type table struct {
	header []string
	rows   [][]string
}

// add appends a row. Cells are escaped (notify.Printable): they carry data
// from AWS, which must not drive the terminal or break the layout.
func (t *table) add(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = notify.Printable(c)
	}
	t.rows = append(t.rows, row)
}

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
