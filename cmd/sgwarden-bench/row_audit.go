package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/audit/audittest"
	"github.com/sgwarden/sgwarden/internal/bench"
)

// auditScale is the account of row 5; -quick audits a tenth of it.
func (h *harness) auditScale() audittest.Scale {
	s := audittest.Target
	if h.opts.quick {
		s.Groups, s.Rules, s.NetworkInterfaces = s.Groups/10, s.Rules/10, s.NetworkInterfaces/10
	}
	return s
}

// auditResult is functions/audit's response.
type auditResult struct {
	RunID    string `json:"runId"`
	Complete bool   `json:"complete"`
	Counts   struct {
		Violations               int `json:"violations"`
		ExposedNetworkInterfaces int `json:"exposedNetworkInterfaces"`
	} `json:"counts"`
}

// The figures of row 5: internal/audit/audittest measures the audit
// in-process (wall, evaluation, heap, calls by the report), and the audit
// function under the RIE gives the deployed binary's wall time, calls on
// the wire and peak RSS (rows 6d and 7b).
func (h *harness) auditGroup(ctx context.Context) groupResult {
	sc := h.auditScale()
	scale := fmt.Sprintf("%d groups, %d rules, %d ENIs", sc.Groups, sc.Rules, sc.NetworkInterfaces)
	rows := []bench.Row{
		{ID: "5a", Name: "Audit at scale (" + scale + "): wall time of one audit run", Value: bench.Ns(0),
			BaselineName: "bare paging of the same lists", Target: bench.BelowAbs(30e9)},
		{ID: "5b", Name: "Audit at scale: evaluation time (rules and ENI exposure)", Value: bench.Ns(0),
			BaselineName: "engine alone over 100k rules, row 3's Evaluate100k", Target: bench.BelowAbs(200e6)},
		{ID: "5c", Name: "Audit at scale: peak heap above the level before the run", Value: bench.Size(0),
			BaselineName: "peak live heap (found live by a GC)", Target: bench.BelowAbs(64 * mib)},
		{ID: "5d", Name: "Audit at scale: AWS calls made (pages, retries excluded)", Value: bench.N(0),
			BaselineName: "fewest possible at 1,000 a page"},
		{ID: "5e", Name: "Audit at scale: wall time of the audit function under the RIE (cold start, enforce mode)", Value: bench.Ns(0),
			BaselineName: "bare paging", Target: bench.BelowAbs(30e9)},
	}
	fx := sc.Fixture()
	fx.Region = benchRegion
	fx.Topics = append(fx.Topics, sceneTopic)
	t := time.Now()
	acct, err := h.startRemoteAccount(ctx, fx)
	if err != nil {
		return fail(rows, err)
	}
	defer acct.close()
	h.logf("awslocal serves %s at %s (seeded in %s)", scale, acct.url, since(t))
	cfg := acct.config()

	paging, pages, err := audittest.BarePaging(ctx, cfg, benchRegion)
	if err != nil {
		return fail(rows, err)
	}
	h.measured.pagingWall = paging
	m, err := audittest.Measure(ctx, cfg, benchRegion)
	if err != nil {
		return fail(rows, err)
	}
	if err := checkScanned(m, sc); err != nil {
		return fail(rows, err)
	}
	fewest := 0
	for _, n := range sc.MinimumCalls() {
		fewest += n
	}
	rows[0].Value, rows[0].Baseline = bench.Ns(float64(m.Wall)), bench.Ns(float64(paging))
	rows[1].Value = bench.Ns(float64(m.Evaluate))
	if base, err := h.evaluate100k(ctx); err != nil {
		rows[1].BaselineName = "engine alone over 100k rules: not measured (" + err.Error() + ")"
	} else {
		rows[1].Baseline = bench.Ns(base)
	}
	rows[2].Value, rows[2].Baseline = bench.Size(float64(m.PeakHeap)), bench.Size(float64(m.PeakLiveHeap))
	rows[3].Value, rows[3].Baseline = bench.N(float64(m.TotalCalls)), bench.N(float64(fewest))

	fn, err := h.auditFunction(ctx, acct)
	if err != nil {
		rows[4].Err = err
	} else {
		rows[4].Value, rows[4].Baseline = bench.Ns(float64(fn.wall)), bench.Ns(float64(paging))
		h.measured.auditWall, h.measured.auditRSS = fn.wall, fn.rss
	}

	rr := m.Report.Regions[0]
	detail := fmt.Sprintf("**Row 5 detail.** The emulated account is seeded with internal/audit/audittest's synthetic account "+
		"(%s, %d groups per ENI, 5 prefix lists; every 100th group opens tcp/22 to the world). 5a-5d: audittest.Measure, "+
		"one dry-run Auditor.Run in the harness's process through the SDK, against cmd/awslocal in a process of its own "+
		"(heap sampled every millisecond with runtime/metrics): wall %s, evaluation %s, "+
		"peak heap %s (live %s), %d findings, %d exposed ENIs, calls %s. Baseline of 5a: audittest.BarePaging, the same three "+
		"listings through the raw SDK paginators: %s in %d pages.",
		scale, sc.GroupsPerInterface, dur(float64(m.Wall)), m.Evaluate, bench.Size(float64(m.PeakHeap)), bench.Size(float64(m.PeakLiveHeap)),
		len(m.Report.Violations), len(m.Report.Exposures), opCounts(rr.Calls), dur(float64(paging)), pages)
	if fn != nil {
		revokes := fn.byOp["RevokeSecurityGroupIngress"] + fn.byOp["RevokeSecurityGroupEgress"]
		detail += fmt.Sprintf(" 5e: one invoke of the audit function built for the host, under the RIE, in enforce mode "+
			"(%d revoke calls: with more revert candidates than its bound of 25 it reports and reverts nothing): run %s, "+
			"%d violations; the emulated account received %d requests (%s), %d answered with an error.",
			revokes, fn.result.RunID, fn.result.Counts.Violations, fn.calls, opCounts(fn.byOp), fn.errors)
		if extra := fn.calls - m.TotalCalls - fn.byOp["Publish"] - revokes; extra > 0 {
			detail += fmt.Sprintf(" The %d requests beyond 5d's pages are SDK retries: smithy-go closes a request body "+
				"as soon as the response headers arrive, which races a server on loopback (awslocal.HTTPClient avoids it "+
				"for in-process clients; the deployed binary uses the SDK's own client).", extra)
		}
	}
	return groupResult{rows: rows, details: []string{detail}}
}

// checkScanned fails unless the audit listed the whole account.
func checkScanned(m *audittest.Measurement, sc audittest.Scale) error {
	if len(m.Report.Regions) != 1 {
		return fmt.Errorf("audit report has %d regions, want 1", len(m.Report.Regions))
	}
	rr := m.Report.Regions[0]
	if !m.Report.Complete || rr.SecurityGroups != sc.Groups || rr.Rules != sc.Rules || rr.NetworkInterfaces != sc.NetworkInterfaces {
		return fmt.Errorf("audit scanned %d groups, %d rules, %d ENIs (complete %v) of %d, %d, %d",
			rr.SecurityGroups, rr.Rules, rr.NetworkInterfaces, m.Report.Complete, sc.Groups, sc.Rules, sc.NetworkInterfaces)
	}
	if len(m.Report.Violations) == 0 {
		return errors.New("the audit found no violation in an account seeded with some")
	}
	return nil
}

// evaluate100k returns row 3's median of the engine over 100,000 rules.
func (h *harness) evaluate100k(ctx context.Context) (float64, error) {
	res, err := h.goBench(ctx)
	if err != nil {
		return 0, err
	}
	sec, err := res.stats.get("sec/op", "Evaluate100k")
	return sec * 1e9, err
}

// functionRun is one invoke of the audit function under the RIE.
type functionRun struct {
	wall   time.Duration
	calls  int
	errors int
	byOp   map[string]int
	rss    uint64
	result auditResult
}

// auditFunction invokes the audit function once under the RIE against acct.
func (h *harness) auditFunction(ctx context.Context, acct *remoteAccount) (*functionRun, error) {
	rie, err := h.buildRIE(ctx)
	if err != nil {
		return nil, err
	}
	bin, err := h.buildLambda(ctx, pkgAudit, hostTarget)
	if err != nil {
		return nil, err
	}
	topic := "arn:aws:sns:" + benchRegion + ":" + acct.account + ":" + sceneTopic
	env := append(functionEnv(acct.url, acct.account, topic), "AWS_LAMBDA_FUNCTION_TIMEOUT=900", "AWS_LAMBDA_FUNCTION_NAME=sgwarden-audit")
	p, err := startRIE(ctx, rie, bin, env)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if err := acct.resetCalls(ctx); err != nil {
		return nil, err
	}
	body, wall, err := p.invoke(ctx, []byte(scheduledEvent(acct.account, time.Now())))
	if err != nil {
		return nil, fmt.Errorf("audit function invoke: %w", err)
	}
	calls, err := acct.calls(ctx)
	if err != nil {
		return nil, err
	}
	run := &functionRun{wall: wall, byOp: map[string]int{}}
	for _, c := range calls {
		run.calls++
		run.byOp[c.Operation]++
		if c.ErrorCode != "" {
			run.errors++
		}
	}
	if err := json.Unmarshal(body, &run.result); err != nil {
		return nil, fmt.Errorf("audit function response %s: %w", firstLines(string(body), 1), err)
	}
	if !run.result.Complete || run.result.Counts.Violations == 0 {
		return nil, fmt.Errorf("audit function run %s: complete %v, %d violations: not an audit of the whole account",
			run.result.RunID, run.result.Complete, run.result.Counts.Violations)
	}
	if pid, err := p.bootstrapPID(); err == nil {
		run.rss, _ = peakRSS(pid)
	}
	return run, nil
}

// opCounts formats calls per operation, sorted by name.
func opCounts(byOp map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, byOp[op]))
	}
	return strings.Join(parts, ", ")
}

// scheduledEvent is the EventBridge schedule event the audit receives.
func scheduledEvent(account string, t time.Time) string {
	return fmt.Sprintf(`{"version":"0","id":"%s","detail-type":"Scheduled Event","source":"aws.events",`+
		`"account":"%s","time":"%s","region":"%s","resources":["arn:aws:events:%s:%s:rule/sgwarden-audit"],"detail":{}}`,
		benchEventID("audit", 0), account, t.UTC().Format(time.RFC3339), benchRegion, benchRegion, account)
}
