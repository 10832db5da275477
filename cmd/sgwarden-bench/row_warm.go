package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/bench"
)

// warmSample is one timed warm invoke.
type warmSample struct {
	total  time.Duration // harness POST to response read
	server time.Duration // inside the emulated account's handler
	calls  int64         // AWS requests the invoke made
}

func (h *harness) warmGroup(ctx context.Context) groupResult {
	res := h.warmInvokes(ctx)
	row := bench.Row{ID: "2f", Name: "Handler's own cost in-process, AWS answered from memory (internal/remediate BenchmarkHandle/violating/overhead): p99",
		Value: bench.Ns(0), BaselineName: "same handler, compliant event (no AWS call)", Target: bench.BelowAbs(1e6)}
	detail, err := h.handlerBench(ctx, &row)
	row.Err = err
	res.rows = append(res.rows, row)
	if detail != "" {
		res.details = append(res.details, detail)
	}
	return res
}

// handlerBench fills row from internal/remediate's benchmarks of Handle,
// run with rows 3 and 4.
func (h *harness) handlerBench(ctx context.Context, row *bench.Row) (string, error) {
	res, err := h.goBench(ctx)
	if err != nil {
		return "", err
	}
	get := func(unit, name string) float64 {
		v, e := res.stats.get(unit, name)
		err = errors.Join(err, e)
		return v
	}
	p99, p50, cpu := get("p99-µs", handlerOverhead), get("p50-µs", handlerOverhead), get("cpu-µs/op", handlerOverhead)
	base99 := get("p99-µs", handlerNoCall)
	whole50, whole99 := get("p50-µs", handlerViolating), get("p99-µs", handlerViolating)
	if err != nil {
		return "", fmt.Errorf("internal/remediate BenchmarkHandle: %w", err)
	}
	row.Value, row.Baseline = bench.Ns(p99*1e3), bench.Ns(base99*1e3)
	return fmt.Sprintf("**Row 2f detail.** internal/remediate's BenchmarkHandle (medians over %d runs of the per-run percentiles): "+
		"violating event with AWS answered from memory p50 %s, p99 %s, CPU %s per event; the same event against awslocal over "+
		"loopback, in-process (no RIE): p50 %s, p99 %s.",
		h.sizes.benchCount, dur(p50*1e3), dur(p99*1e3), dur(cpu*1e3), dur(whole50*1e3), dur(whole99*1e3)), nil
}

func (h *harness) warmInvokes(ctx context.Context) groupResult {
	n := h.sizes.warmInvokes
	name := func(s string) string {
		return fmt.Sprintf("Warm invoke, violating event end to end: %s (%d invokes)", s, n)
	}
	rows := []bench.Row{
		{ID: "2a", Name: name("p50"), Value: bench.Ns(0), BaselineName: "hello-world p50"},
		{ID: "2b", Name: name("p99"), Value: bench.Ns(0), BaselineName: "hello-world p99"},
		{ID: "2c", Name: "Handler's own share (total − time inside the emulated account): p50", Value: bench.Ns(0), BaselineName: "hello-world p50"},
		{ID: "2d", Name: "Handler's own share: p99", Value: bench.Ns(0), BaselineName: "hello-world p99", Target: bench.BelowAbs(1e6)},
		{ID: "2e", Name: "AWS calls per violating event (max over the invokes; issue 5)", Value: bench.N(0), BaselineName: "hello-world", Target: bench.AtMostAbs(4)},
	}
	st, err := h.remediateStage(ctx)
	if err != nil {
		return fail(rows, err)
	}
	rie, hello, remediate, acct, sc, env := st.rie, st.hello, st.remediate, st.acct, st.scene, st.env
	rem, err := startRIE(ctx, rie, remediate, env)
	if err != nil {
		return fail(rows, err)
	}
	defer rem.stop()
	hel, err := startRIE(ctx, rie, hello, env)
	if err != nil {
		return fail(rows, err)
	}
	defer hel.stop()

	// violating returns a fresh violation and its event, outside any timing.
	violating := func(i int) ([]byte, error) {
		ruleID, err := sc.openSSH(ctx)
		if err != nil {
			return nil, err
		}
		return authorizeEvent(ingressChange{
			EventID: benchEventID("warm", i), Account: sc.account, Region: benchRegion, GroupID: sc.groupID,
			RuleID: ruleID, Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0", Time: time.Now(),
		})
	}
	invokeRemediate := func(i int) (warmSample, error) {
		payload, err := violating(i)
		if err != nil {
			return warmSample{}, err
		}
		before := acct.totals()
		_, d, err := rem.invoke(ctx, payload)
		after := acct.totals()
		if err != nil {
			return warmSample{}, fmt.Errorf("remediate invoke %d: %w", i, err)
		}
		return warmSample{total: d, server: after.time - before.time, calls: after.requests - before.requests}, nil
	}

	// hello-world gets an event of the same shape and size; nothing is
	// opened for it, since nothing would revert it.
	helloPayload, err := authorizeEvent(ingressChange{
		EventID: benchEventID("hello", 0), Account: sc.account, Region: benchRegion, GroupID: sc.groupID,
		RuleID: "sgr-0123456789abcdef0", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0", Time: time.Now(),
	})
	if err != nil {
		return fail(rows, err)
	}
	// Untimed: the cold invoke of each, then a few warm ones.
	const warmups = 5
	for i := range warmups {
		if _, err := invokeRemediate(-1 - i); err != nil {
			return fail(rows, fmt.Errorf("warm-up: %w", err))
		}
		if _, _, err := hel.invoke(ctx, helloPayload); err != nil {
			return fail(rows, fmt.Errorf("hello warm-up: %w", err))
		}
	}
	if err := sc.expectNoIngress(ctx, "after the warm-up"); err != nil {
		return fail(rows, err)
	}

	var rs []warmSample
	var hs []time.Duration
	for i := range n {
		s, err := invokeRemediate(i)
		if err != nil {
			return fail(rows, err)
		}
		rs = append(rs, s)
		_, d, err := hel.invoke(ctx, helloPayload)
		if err != nil {
			return fail(rows, fmt.Errorf("hello invoke %d: %w", i, err))
		}
		hs = append(hs, d)
	}
	if err := sc.expectNoIngress(ctx, fmt.Sprintf("after %d invokes", n)); err != nil {
		return fail(rows, err)
	}

	// One more, untimed, to name the calls a violating event makes.
	payload, err := violating(n)
	if err != nil {
		return fail(rows, err)
	}
	seq, err := acct.callSequence(func() error { _, _, err := rem.invoke(ctx, payload); return err })
	if err != nil {
		return fail(rows, fmt.Errorf("remediate invoke %d: %w", n, err))
	}

	// Peak RSS after the warm invokes (row 6).
	if pid, err := rem.bootstrapPID(); err == nil {
		h.measured.remediateRSS, _ = peakRSS(pid)
	}
	if pid, err := hel.bootstrapPID(); err == nil {
		h.measured.helloRSS, _ = peakRSS(pid)
	}

	totals, own, server := make([]float64, n), make([]float64, n), make([]float64, n)
	var maxCalls, sumCalls int64
	for i, s := range rs {
		totals[i] = float64(s.total)
		server[i] = float64(s.server)
		own[i] = float64(s.total - s.server)
		maxCalls = max(maxCalls, s.calls)
		sumCalls += s.calls
	}
	hf := bench.Durations(hs)
	hp50, hp99 := bench.Median(hf), bench.Percentile(hf, 99)
	h.measured.remediateWarmP50 = time.Duration(bench.Median(totals))
	h.measured.remediateCalls = int(maxCalls)
	h.measured.helloWarmP50 = time.Duration(hp50)

	rows[0].Value, rows[0].Baseline = bench.Ns(bench.Median(totals)), bench.Ns(hp50)
	rows[1].Value, rows[1].Baseline = bench.Ns(bench.Percentile(totals, 99)), bench.Ns(hp99)
	rows[2].Value, rows[2].Baseline = bench.Ns(bench.Median(own)), bench.Ns(hp50)
	rows[3].Value, rows[3].Baseline = bench.Ns(bench.Percentile(own, 99)), bench.Ns(hp99)
	rows[4].Value, rows[4].Baseline = bench.N(float64(maxCalls)), bench.N(0)

	detail := fmt.Sprintf("**Row 2 detail.** %d violating events (tcp/22 from 0.0.0.0/0, rule ID in the event), "+
		"each preceded by an untimed AuthorizeSecurityGroupIngress that reopens the rule; remediate and hello-world "+
		"invokes interleaved on two RIEs. Time inside the emulated account: p50 %s, p99 %s. "+
		"AWS calls: %.2f per event on average, %d at most (%s). Own share net of the RIE round trip "+
		"(own share minus hello-world's p50): p50 %s, p99 %s.",
		n, dur(bench.Median(server)), dur(bench.Percentile(server, 99)),
		float64(sumCalls)/float64(n), maxCalls, seq,
		dur(bench.Median(own)-hp50), dur(bench.Percentile(own, 99)-hp50))
	return groupResult{rows: rows, details: []string{detail}}
}

// callSequence runs invoke and returns the operations the emulated account
// received meanwhile, in order, as "Op1, Op2, ...".
func (a *emulatedAccount) callSequence(invoke func() error) (string, error) {
	before := len(a.local.Calls())
	if err := invoke(); err != nil {
		return "", err
	}
	calls := a.local.Calls()[before:]
	ops := make([]string, len(calls))
	for i, c := range calls {
		ops[i] = c.Operation
	}
	return strings.Join(ops, ", "), nil
}
