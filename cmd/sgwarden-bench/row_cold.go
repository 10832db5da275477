package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sgwarden/sgwarden/internal/bench"
)

// coldStart measures one start: a fresh RIE that is already listening gets
// its first invoke; the time runs from just before the request is sent
// until the whole response is read. The RIE forks and execs the bootstrap
// on that first request, so the span holds the exec, the Go runtime start,
// the function's init (configuration, SDK clients, policy compile), the
// Runtime API handshake, the handler and the RIE's relay of the answer.
func coldStart(ctx context.Context, rie, bootstrap string, env []string, payload []byte) (time.Duration, error) {
	p, err := startRIE(ctx, rie, bootstrap, env)
	if err != nil {
		return 0, err
	}
	defer p.stop()
	_, d, err := p.invoke(ctx, payload)
	return d, err
}

func (h *harness) coldGroup(ctx context.Context) groupResult {
	n := h.sizes.coldStarts
	rows := []bench.Row{
		{ID: "1", Name: fmt.Sprintf("Cold start, remediate: exec to first response, compliant event (median of %d)", n),
			Value: bench.Ns(0), BaselineName: "hello-world", Target: bench.AtMostRatio(1.5)},
		{ID: "1b", Name: "Cold start, remediate: same median against issue 5's absolute target",
			Value: bench.Ns(0), BaselineName: "hello-world", Target: bench.BelowAbs(30e6)},
	}
	st, err := h.remediateStage(ctx)
	if err != nil {
		return fail(rows, err)
	}
	rie, hello, remediate, acct, sc, env := st.rie, st.hello, st.remediate, st.acct, st.scene, st.env
	payload, err := authorizeEvent(ingressChange{
		EventID: benchEventID("cold", 0), Account: sc.account, Region: benchRegion, GroupID: sc.groupID,
		RuleID: "sgr-0bench0compliant", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "10.0.0.0/8", Time: time.Now(),
	})
	if err != nil {
		return fail(rows, err)
	}

	// One untimed start of each warms the page cache and the RIE binary.
	for _, bin := range []string{hello, remediate} {
		if _, err := coldStart(ctx, rie, bin, env, payload); err != nil {
			return fail(rows, fmt.Errorf("warm-up start of %s: %w", bin, err))
		}
	}
	before := acct.totals()
	var helloTimes, remTimes []time.Duration
	for i := range n {
		// Interleaved, alternating which goes first: A B, B A, A B, ...
		order := []string{hello, remediate}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, bin := range order {
			d, err := coldStart(ctx, rie, bin, env, payload)
			if err != nil {
				return fail(rows, fmt.Errorf("cold start %d of %s: %w", i, bin, err))
			}
			if bin == hello {
				helloTimes = append(helloTimes, d)
			} else {
				remTimes = append(remTimes, d)
			}
		}
	}
	calls := acct.totals().requests - before.requests

	hs, rs := bench.Durations(helloTimes), bench.Durations(remTimes)
	helloMed, remMed := bench.Median(hs), bench.Median(rs)
	h.measured.helloColdP50 = time.Duration(helloMed)
	h.measured.remediateColdP50 = time.Duration(remMed)
	for i := range rows {
		rows[i].Value = bench.Ns(remMed)
		rows[i].Baseline = bench.Ns(helloMed)
	}
	detail := fmt.Sprintf("**Row 1 detail.** %d starts each, interleaved. remediate: min %s, median %s, p90 %s, max %s; "+
		"hello-world: min %s, median %s, p90 %s, max %s. AWS calls made by the %d remediate cold invokes of a compliant event: %d (want 0).",
		n, dur(minOf(rs)), dur(remMed), dur(bench.Percentile(rs, 90)), dur(maxOf(rs)),
		dur(minOf(hs)), dur(helloMed), dur(bench.Percentile(hs, 90)), dur(maxOf(hs)), n, calls)
	return groupResult{rows: rows, details: []string{detail}}
}

// dur formats nanoseconds.
func dur(ns float64) string { return bench.Ns(ns).String() }

func minOf(xs []float64) float64 { return bench.Percentile(xs, 1e-9) }
func maxOf(xs []float64) float64 { return bench.Percentile(xs, 100) }
