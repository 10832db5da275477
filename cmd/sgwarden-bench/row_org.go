package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sgwarden/sgwarden/internal/audit/audittest"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/bench"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
)

const pkgOrgAudit = "./functions/orgaudit"

// orgScale is the organization of row 8: the issue's 50 accounts x 2
// regions x 200 groups; -quick audits 10 accounts.
func (h *harness) orgScale() audittest.OrgScale {
	o := audittest.IssueOrg
	if h.opts.quick {
		o.Accounts = 10
	}
	return o
}

// orgGroup measures the organization audit: its wall time and AWS calls
// beside a single-account audit of the same total size (8a, 8b), and the
// peak RSS of one worker, the deployed function's audit step on the
// account of row 5 (8c).
func (h *harness) orgGroup(ctx context.Context) groupResult {
	o := h.orgScale()
	flat := o
	flat.Accounts = 1
	flat.Regions = []string{benchRegion}
	flat.Groups, flat.BadGroups, flat.NetworkInterfaces = o.Groups*o.Items(), o.BadGroups*o.Items(), o.NetworkInterfaces*o.Items()
	scale := fmt.Sprintf("%d accounts x %d regions x %d groups", o.Accounts, len(o.Regions), o.Groups)
	flatName := fmt.Sprintf("single-account audit of the same total (%d groups, one region)", flat.Groups)
	rows := []bench.Row{
		{ID: "8a", Name: "Organization audit (" + scale + "), in process, 8 account-regions at once: wall time", Value: bench.Ns(0), BaselineName: flatName},
		{ID: "8b", Name: "Organization audit: AWS calls (STS, Organizations, EC2, S3; retries included)", Value: bench.N(0), BaselineName: flatName},
		{ID: "8c", Name: "Peak RSS (VmHWM), one organization audit worker under the RIE (audit step on row 5's account)", Value: bench.Size(0),
			BaselineName: "the audit function on the same account (row 6d)", Target: bench.BelowAbs(40 * mib)},
	}

	t := time.Now()
	orgAcct, err := startAccount(awslocal.WithCallLimit(1 << 22))
	if err != nil {
		return fail(rows, err)
	}
	defer orgAcct.close()
	if err := o.Seed(orgAcct.local); err != nil {
		return fail(rows, err)
	}
	h.logf("organization of %s seeded in %s", scale, since(t))
	om, err := audittest.MeasureOrg(ctx, orgAcct.local, orgAcct.awsConfig(), o, 8)
	if err != nil {
		return fail(rows, err)
	}
	flatAcct, err := startAccount()
	if err != nil {
		return fail(rows, err)
	}
	defer flatAcct.close()
	if err := flatAcct.local.Seed(flat.Fixture("", benchRegion)); err != nil {
		return fail(rows, err)
	}
	fm, err := audittest.Measure(ctx, flatAcct.awsConfig(), benchRegion)
	if err != nil {
		return fail(rows, err)
	}
	if want := o.BadGroups * o.Items(); om.Report.Totals.RulesInViolation != want || len(om.Report.NotAudited) != 0 {
		return fail(rows, fmt.Errorf("organization audit found %d rules in violation (%d not audited), want %d",
			om.Report.Totals.RulesInViolation, len(om.Report.NotAudited), want))
	}
	rows[0].Value, rows[0].Baseline = bench.Ns(float64(om.Wall)), bench.Ns(float64(fm.Wall))
	rows[1].Value, rows[1].Baseline = bench.N(float64(om.TotalCalls)), bench.N(float64(fm.TotalCalls))

	rss, err := h.orgWorkerRSS(ctx)
	if err != nil {
		rows[2].Err = err
	} else {
		rows[2].Value = bench.Size(float64(rss))
		if h.measured.auditRSS > 0 {
			rows[2].Baseline = bench.Size(float64(h.measured.auditRSS))
		} else {
			rows[2].BaselineName = "the audit function (row 6d): not measured in this run"
		}
	}
	detail := fmt.Sprintf("**Row 8 detail.** 8a-8b: internal/audit/audittest.MeasureOrg runs the organization audit's list, audit "+
		"and report steps in the harness's process (as `sgwarden audit --org` does) against an emulated organization of %s "+
		"(%d account-regions; each region of a member holds %d groups of %d ingress rules, %d interfaces; %d groups "+
		"open tcp/22 to the world): wall %s, %d rules in violation, requests %s. The baseline is one Auditor.Run of one account "+
		"holding the same %d groups and %d interfaces in one region: wall %s, calls %s (pages, as the report counts them). "+
		"The organization pays per account-region: an AssumeRole per account, at least one page of each listing per "+
		"account-region, and a part written and read back through S3.",
		scale, om.Report.Planned, o.Groups, max(o.RulesPerGroup, 2), o.NetworkInterfaces, o.BadGroups, dur(float64(om.Wall)),
		om.Report.Totals.RulesInViolation, opCounts(om.Calls), flat.Groups, flat.NetworkInterfaces, dur(float64(fm.Wall)), opCounts(fm.Calls))
	return groupResult{rows: rows, details: []string{detail}}
}

// orgWorkerRSS runs functions/orgaudit under the RIE for one audit step on
// row 5's account, seeded as a member of an emulated organization, and
// returns the bootstrap's peak RSS.
func (h *harness) orgWorkerRSS(ctx context.Context) (uint64, error) {
	const member, bucket = "210987654321", "sgwarden-org-bench"
	acct, err := startAccount()
	if err != nil {
		return 0, err
	}
	defer acct.close()
	fx := h.auditScale().Fixture()
	fx.Account, fx.Region = member, benchRegion
	if err := acct.local.AddAccount(member, "scale", ""); err != nil {
		return 0, err
	}
	if err := acct.local.Seed(fx); err != nil {
		return 0, err
	}
	if err := acct.local.CreateBucket(bucket, benchRegion); err != nil {
		return 0, err
	}
	rie, err := h.buildRIE(ctx)
	if err != nil {
		return 0, err
	}
	bin, err := h.buildLambda(ctx, pkgOrgAudit, hostTarget)
	if err != nil {
		return 0, err
	}
	topic := "arn:aws:sns:" + benchRegion + ":" + acct.local.Account() + ":" + sceneTopic
	env := append(acct.functionEnv(topic), "AWS_LAMBDA_FUNCTION_TIMEOUT=900", "AWS_LAMBDA_FUNCTION_NAME=sgwarden-orgaudit",
		"SGWARDEN_REPORT_BUCKET="+bucket, "SGWARDEN_REGIONS="+benchRegion)
	p, err := startRIE(ctx, rie, bin, env)
	if err != nil {
		return 0, err
	}
	defer p.stop()
	payload, _ := json.Marshal(orgaudit.Request{Step: orgaudit.StepAudit, RunID: "bench", Account: member, Region: benchRegion})
	body, _, err := p.invoke(ctx, payload)
	if err != nil {
		return 0, fmt.Errorf("orgaudit audit step: %w", err)
	}
	var st orgaudit.Status
	if err := json.Unmarshal(body, &st); err != nil || !st.OK {
		return 0, fmt.Errorf("orgaudit audit step answered %s", firstLines(string(body), 1))
	}
	pid, err := p.bootstrapPID()
	if err != nil {
		return 0, err
	}
	return peakRSS(pid)
}
