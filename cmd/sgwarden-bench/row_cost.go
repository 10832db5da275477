package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/bench"
)

// prices are the us-east-1 list prices the cost model uses (free tier not
// subtracted); priceSources says where each was read and as of when.
var prices = bench.Prices{
	LambdaGBSecond:           0.0000133334, // arm64, first 7.5 billion GB-s/month
	LambdaPerMillionRequests: 0.20,
	SNSPerMillionPublishes:   0.50, // standard topic publishes
	Source:                   "us-east-1 list prices, see the price table",
}

// priceSource is one published price with its date. AWS's pricing pages
// render their rate tables in the browser, so each price is taken from a
// dated transcription of the page, looked up on priceCheckedOn.
type priceSource struct {
	item, price, source, asOf string
}

const priceCheckedOn = "2026-12-01"

var priceSources = []priceSource{
	{"Lambda duration, arm64 (first 7.5 billion GB-s a month)", "$0.0000133334 per GB-second",
		"aws.amazon.com/lambda/pricing, Arm price tab, as transcribed in a Lambda cost guide (lambda_local_runner docs, lambda-13-cost.md)", "2026-05-11"},
	{"Lambda requests (x86 and arm64)", "$0.20 per million requests",
		"aws.amazon.com/lambda/pricing, as harvested verbatim by API Evangelist (aws-lambda-plans-pricing.yml, page read)", "2026-09-20"},
	{"SNS standard topic publish", "$0.50 per million publishes",
		"aws.amazon.com/sns/pricing, as quoted in FactualMinds' \"Amazon SNS Pricing\" article", "2026-06-13"},
}

// priceTable renders priceSources as Markdown.
func priceTable() string {
	var b strings.Builder
	b.WriteString("| price (us-east-1) | value | source | as of |\n|---|---|---|---|\n")
	for _, p := range priceSources {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", p.item, p.price, p.source, p.asOf)
	}
	return b.String()
}

const (
	functionMemoryMB  = 128
	monthlyEvents     = 1_000_000
	lambdaFullCPUMB   = 1769 // Lambda gives one full vCPU at 1,769 MB
	auditRunsPerMonth = bench.HoursPerMonth
	// realCallLatency is a pessimistic round trip of an EC2 or SNS call
	// from Lambda in the same region.
	realCallLatency = 30 * time.Millisecond
)

func (h *harness) costGroup(ctx context.Context) groupResult {
	rows := []bench.Row{
		{ID: "7a", Name: "Monthly cost, 1 million security-group change events (remediate, 128 MB arm64, every event violating: 1 SNS publish each)",
			Value: bench.USD(0), BaselineName: "hello-world: same requests, no publish"},
		{ID: "7b", Name: "Monthly cost, hourly audit of 10,000 groups (730 runs, 128 MB arm64, 1 summary publish per run)",
			Value: bench.USD(0), BaselineName: "bare paging duration"},
	}
	m := h.measured
	var details []string
	if m.remediateWarmP50 == 0 || m.helloWarmP50 == 0 {
		rows[0].Err = errors.New("needs row 2's warm invoke durations")
	} else {
		rem, err1 := bench.Monthly(bench.Workload{Invocations: monthlyEvents, Duration: m.remediateWarmP50, MemoryMB: functionMemoryMB, Publishes: monthlyEvents}, prices)
		base, err2 := bench.Monthly(bench.Workload{Invocations: monthlyEvents, Duration: m.helloWarmP50, MemoryMB: functionMemoryMB}, prices)
		cold, err3 := bench.Monthly(bench.Workload{Invocations: monthlyEvents, Duration: max(m.remediateColdP50, m.remediateWarmP50), MemoryMB: functionMemoryMB, Publishes: monthlyEvents}, prices)
		slow, err4 := bench.Monthly(bench.Workload{Invocations: monthlyEvents, Duration: cpuScaled(m.remediateWarmP50) + time.Duration(m.remediateCalls)*realCallLatency, MemoryMB: functionMemoryMB, Publishes: monthlyEvents}, prices)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			rows[0].Err = err
		} else {
			rows[0].Value.V, rows[0].Baseline = rem.Total(), bench.USD(base.Total())
			details = append(details, fmt.Sprintf("**Row 7a.** %d events × %s (row 2 p50, end to end, billed rounded up to 1 ms) × 0.125 GB = %.1f GB-s → $%.4f compute + $%.4f requests + $%.4f SNS = $%.4f. "+
				"If every event were a cold start (row 1 median, init billed): $%.4f. "+
				"Pessimistic: the duration × %d/%d (128 MB gets that share of a vCPU) plus row 2e's %d AWS calls at %s each: $%.4f.",
				monthlyEvents, time.Duration(m.remediateWarmP50).Round(time.Microsecond), rem.GBSeconds, rem.Compute, rem.Requests, rem.SNS, rem.Total(),
				cold.Total(), lambdaFullCPUMB, functionMemoryMB, m.remediateCalls, realCallLatency, slow.Total()))
		}
	}
	if m.auditWall == 0 || m.pagingWall == 0 {
		rows[1].Err = errors.New("needs row 5's audit and paging durations")
	} else {
		aud, err1 := bench.Monthly(bench.Workload{Invocations: auditRunsPerMonth, Duration: m.auditWall, MemoryMB: functionMemoryMB, Publishes: auditRunsPerMonth}, prices)
		base, err2 := bench.Monthly(bench.Workload{Invocations: auditRunsPerMonth, Duration: m.pagingWall, MemoryMB: functionMemoryMB}, prices)
		slow, err3 := bench.Monthly(bench.Workload{Invocations: auditRunsPerMonth, Duration: cpuScaled(m.auditWall), MemoryMB: functionMemoryMB, Publishes: auditRunsPerMonth}, prices)
		if err := errors.Join(err1, err2, err3); err != nil {
			rows[1].Err = err
		} else {
			rows[1].Value.V, rows[1].Baseline = aud.Total(), bench.USD(base.Total())
			details = append(details, fmt.Sprintf("**Row 7b.** %d runs × %s (row 5 wall time under the RIE) × 0.125 GB = %.1f GB-s → $%.4f compute + $%.6f requests + $%.6f SNS = $%.4f. "+
				"Pessimistic (the whole run CPU-bound, × %d/%d): $%.4f.",
				auditRunsPerMonth, m.auditWall.Round(time.Millisecond), aud.GBSeconds, aud.Compute, aud.Requests, aud.SNS, aud.Total(),
				lambdaFullCPUMB, functionMemoryMB, slow.Total()))
		}
	}
	details = append(details, "**Row 7 assumptions.** Free tier not subtracted; SNS deliveries (e-mail, HTTP) not counted, "+
		"since they depend on the subscribers. Durations come from this machine under the RIE, against an emulated account on loopback: "+
		"real Lambda at 128 MB has about 1/14 of a vCPU and real EC2/SNS calls take tens of milliseconds, "+
		"so the pessimistic lines bound the real cost from above. Prices (looked up "+priceCheckedOn+"):\n\n"+priceTable())
	return groupResult{rows: rows, details: details}
}

// cpuScaled scales a duration measured with a full core to 128 MB's share.
func cpuScaled(d time.Duration) time.Duration {
	return d * lambdaFullCPUMB / functionMemoryMB
}
