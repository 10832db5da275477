package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/bench"
)

// auditRun is what one audit invoke under the RIE measured.
type auditRun struct {
	wall     time.Duration // harness POST to response read (cold start included)
	calls    int64         // requests the emulated account received
	byOp     map[string]int
	errors   int // calls answered with an AWS error
	rss      uint64
	result   auditResult
	paging   time.Duration // the bare-paging baseline
	pageCall int64
}

// auditResult is functions/audit's response.
type auditResult struct {
	RunID    string `json:"runId"`
	Complete bool   `json:"complete"`
	Counts   struct {
		Violations               int `json:"violations"`
		Exempt                   int `json:"exempt"`
		ExposedNetworkInterfaces int `json:"exposedNetworkInterfaces"`
	} `json:"counts"`
}

func (h *harness) auditGroup(ctx context.Context) groupResult {
	s := h.sizes
	shape := scaleShape{groups: s.auditGroups, rules: s.auditRules, enis: s.auditENIs}
	scale := fmt.Sprintf("%d groups, %d rules, %d ENIs", shape.groups, shape.rules, shape.enis)
	rows := []bench.Row{
		{ID: "5a", Name: "Audit at scale (" + scale + "): wall time, audit function under the RIE, cold start included",
			Value: bench.Ns(0), BaselineName: "bare paging of the same lists", Target: bench.BelowAbs(30e9)},
		{ID: "5b", Name: "Audit at scale: evaluation time", Value: bench.Ns(0), Target: bench.BelowAbs(200e6)},
		{ID: "5c", Name: "Audit at scale: peak heap", Value: bench.Size(0), Target: bench.BelowAbs(64 * mib)},
		{ID: "5d", Name: "Audit at scale: AWS calls made", Value: bench.N(0), BaselineName: "pages of the bare paging"},
	}
	run, err := h.auditUnderRIE(ctx, shape)
	if err != nil {
		return fail(rows, err)
	}
	h.measured.auditWall, h.measured.pagingWall, h.measured.auditRSS = run.wall, run.paging, run.rss
	rows[0].Value, rows[0].Baseline = bench.Ns(float64(run.wall)), bench.Ns(float64(run.paging))
	rows[3].Value, rows[3].Baseline = bench.N(float64(run.calls)), bench.N(float64(run.pageCall))
	inproc := h.auditInProcess(ctx, shape)
	if inproc.err != nil {
		rows[1].Err, rows[2].Err = inproc.err, inproc.err
	} else {
		rows[1].Value, rows[1].Baseline, rows[1].BaselineName = inproc.eval, inproc.evalBase, inproc.evalBaseName
		rows[2].Value, rows[2].Baseline, rows[2].BaselineName = inproc.heap, inproc.heapBase, inproc.heapBaseName
	}
	detail := fmt.Sprintf("**Row 5 detail.** An emulated account seeded with %s (%d VPCs, each with its default group; "+
		"about 4%% of groups carry one violating rule; ENIs carry two groups each). One invoke of the audit function "+
		"(enforce mode, default revert bound) under the RIE: run %s, complete %v, %d violations, %d exposed ENIs; "+
		"AWS calls by operation: %v (%d answered with an error). Baseline: the harness pages DescribeSecurityGroups, DescribeSecurityGroupRules and "+
		"DescribeNetworkInterfaces (1,000 per page) through the SDK against the same account, with no evaluation: %s, %d pages.",
		scale, (shape.groups+groupsPerVPC-1)/groupsPerVPC, run.result.RunID, run.result.Complete,
		run.result.Counts.Violations, run.result.Counts.ExposedNetworkInterfaces, run.byOp, run.errors, dur(float64(run.paging)), run.pageCall)
	details := []string{detail}
	if inproc.detail != "" {
		details = append(details, inproc.detail)
	}
	return groupResult{rows: rows, details: details}
}

// auditUnderRIE seeds a fresh emulated account with shape, pages it once
// as the baseline, then invokes the audit function once under the RIE.
func (h *harness) auditUnderRIE(ctx context.Context, shape scaleShape) (*auditRun, error) {
	rie, err := h.buildRIE(ctx)
	if err != nil {
		return nil, err
	}
	bin, err := h.buildLambda(ctx, pkgAudit, hostTarget)
	if err != nil {
		return nil, err
	}
	fx, err := scaleFixture(shape)
	if err != nil {
		return nil, err
	}
	acct, err := startAccount()
	if err != nil {
		return nil, err
	}
	defer acct.close()
	t := time.Now()
	if err := acct.local.Seed(fx); err != nil {
		return nil, fmt.Errorf("seed the scale account: %w", err)
	}
	h.logf("seeded %d groups, %d rules, %d ENIs in %s", len(fx.Groups), ruleCount(fx), len(fx.NetworkInterfaces), since(t))

	run := &auditRun{}
	before := acct.totals()
	run.paging, err = barePaging(ctx, ec2.NewFromConfig(acct.awsConfig()), shape)
	if err != nil {
		return nil, err
	}
	run.pageCall = acct.totals().requests - before.requests

	topic := "arn:aws:sns:" + benchRegion + ":" + acct.local.Account() + ":" + sceneTopic
	env := append(acct.functionEnv(topic), "AWS_LAMBDA_FUNCTION_TIMEOUT=900", "AWS_LAMBDA_FUNCTION_NAME=sgwarden-audit")
	p, err := startRIE(ctx, rie, bin, env)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	acct.local.ResetCalls()
	before = acct.totals()
	body, wall, err := p.invoke(ctx, []byte(scheduledEvent(acct.local.Account(), time.Now())))
	if err != nil {
		return nil, fmt.Errorf("audit invoke: %w", err)
	}
	run.wall = wall
	run.calls = acct.totals().requests - before.requests
	run.byOp = map[string]int{}
	for _, c := range acct.local.Calls() {
		run.byOp[c.Operation]++
		if c.ErrorCode != "" {
			run.errors++
		}
	}
	if err := json.Unmarshal(body, &run.result); err != nil {
		return nil, fmt.Errorf("audit response %s: %w", firstLines(string(body), 1), err)
	}
	if !run.result.Complete {
		return nil, fmt.Errorf("audit run %s was not complete: the figure would not be an audit of the whole account", run.result.RunID)
	}
	if run.result.Counts.Violations == 0 {
		return nil, errors.New("the audit found no violation in an account seeded with some: it did not evaluate the rules")
	}
	if pid, err := p.bootstrapPID(); err == nil {
		run.rss, _ = peakRSS(pid)
	}
	return run, nil
}

// barePaging lists every group, rule and interface as the audit does (same
// operations, 1,000 per page), decoding the pages and nothing more, and
// checks that the counts match shape.
func barePaging(ctx context.Context, client *ec2.Client, shape scaleShape) (time.Duration, error) {
	start := time.Now()
	var groups, rules, enis int
	gp := ec2.NewDescribeSecurityGroupsPaginator(client, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(1000)})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("bare paging: describe security groups: %w", err)
		}
		groups += len(page.SecurityGroups)
	}
	rp := ec2.NewDescribeSecurityGroupRulesPaginator(client, &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(1000)})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("bare paging: describe security group rules: %w", err)
		}
		rules += len(page.SecurityGroupRules)
	}
	np := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)})
	for np.HasMorePages() {
		page, err := np.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("bare paging: describe network interfaces: %w", err)
		}
		enis += len(page.NetworkInterfaces)
	}
	elapsed := time.Since(start)
	if groups != shape.groups || rules != shape.rules || enis != shape.enis {
		return 0, fmt.Errorf("bare paging listed %d groups, %d rules, %d ENIs; the account was seeded with %d, %d, %d",
			groups, rules, enis, shape.groups, shape.rules, shape.enis)
	}
	return elapsed, nil
}

// scheduledEvent is the EventBridge Scheduler event the audit receives.
func scheduledEvent(account string, t time.Time) string {
	return fmt.Sprintf(`{"version":"0","id":"%s","detail-type":"Scheduled Event","source":"aws.events",`+
		`"account":"%s","time":"%s","region":"%s","resources":["arn:aws:events:%s:%s:rule/sgwarden-audit"],"detail":{}}`,
		benchEventID("audit", 0), account, t.UTC().Format(time.RFC3339), benchRegion, benchRegion, account)
}

// inProcessAudit holds rows 5b and 5c, measured by internal/audit's own
// at-scale helper.
type inProcessAudit struct {
	eval, evalBase, heap, heapBase bench.Quantity
	evalBaseName, heapBaseName     string
	detail                         string
	err                            error
}

func (h *harness) auditInProcess(ctx context.Context, shape scaleShape) inProcessAudit {
	return inProcessAudit{err: fmt.Errorf("internal/audit's at-scale helper (evaluation time, peak heap): %w", errNotLanded)}
}
