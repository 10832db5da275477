package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/sgwarden/sgwarden/internal/awsclients/assume"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// orgFlags are the flags of `sgwarden audit --org`.
type orgFlags struct {
	org         bool
	roleName    string
	ous         string
	out         string
	concurrency int
}

func (fs *flagSet) orgFlags() *orgFlags {
	o := &orgFlags{}
	fs.BoolVar(&o.org, "org", false, "audit every account of the AWS Organization (list through Organizations, assume --role-name in each)")
	fs.StringVar(&o.roleName, "role-name", lambdaenv.DefaultReadRoleName, "with --org: the read `role` to assume in each account")
	fs.StringVar(&o.ous, "ous", "", "with --org: comma-separated OU `IDs` to audit (default: the whole organization)")
	fs.StringVar(&o.out, "out", ".", "with --org: `directory` that receives runs/<run>/ (plan, one part per account and region, report.json, report.md)")
	fs.IntVar(&o.concurrency, "concurrency", 8, "with --org: account-regions audited at once")
	return o
}

// cmdAuditOrg is `sgwarden audit --org`: the organization audit's list,
// audit and report steps run here with the caller's credentials, the same
// code as the state machine's function, with the run stored under --out.
func cmdAuditOrg(ctx context.Context, cfg aws.Config, eng *policy.Engine, regions []string, o *orgFlags, output, failOn string, stdout, stderr io.Writer) int {
	ous, regions := splitList(o.ous), splitList(strings.Join(regions, ","))
	store := orgaudit.DirStore{Dir: o.out}
	steps := &orgaudit.Steps{
		Org: organizations.NewFromConfig(cfg), OUs: ous, Regions: regions,
		// The CLI never reverts: no revert role, dry-run decisions.
		Worker:   &orgaudit.Worker{Engine: eng, Read: assume.Role(cfg, o.roleName), Store: store},
		Reporter: &orgaudit.Reporter{Store: store},
	}
	var progress func(orgaudit.Status)
	if isTerminal(stderr) {
		done := 0
		progress = func(st orgaudit.Status) {
			done++
			state := "ok"
			if !st.OK {
				state = st.Reason
			}
			fmt.Fprintf(stderr, "\r\033[K%d audited, last %s/%s: %s", done, st.Account, st.Region, state)
		}
	}
	rep, runErr := steps.Run(ctx, o.concurrency, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if rep == nil {
		fmt.Fprintf(stderr, "sgwarden audit --org: %v\n", runErr)
		return awsExit(runErr)
	}
	var werr error
	switch output {
	case "json":
		werr = writeJSON(stdout, rep)
	case "markdown":
		_, werr = io.WriteString(stdout, rep.Markdown())
	default:
		_, werr = io.WriteString(stdout, orgaudit.NewSummary(rep, store.Where(orgaudit.ReportKey(rep.RunID))).Text())
	}
	if werr != nil {
		return writeFailed(stderr, "audit", werr)
	}
	if runErr != nil || len(rep.NotAudited) > 0 {
		fmt.Fprintf(stderr, "sgwarden audit --org: %d of %d account-regions not audited (see the report)\n", len(rep.NotAudited), rep.Planned)
		if runErr != nil {
			fmt.Fprintf(stderr, "sgwarden audit --org: %v\n", runErr)
		}
		return exitRuntime
	}
	for _, cc := range rep.ByCheck {
		for d, n := range cc.ByDecision {
			if n > 0 && fails(failOn, d) {
				return exitFindings
			}
		}
	}
	return exitOK
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
