package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/audit/audittest"
	"github.com/sgwarden/sgwarden/internal/awsconfig"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// BenchmarkAuditAtScale is a full audit of 10,000 groups, 100,000 rules and
// 20,000 interfaces (3 groups each) in one region of the emulated account,
// through the real SDK. Targets: under 30 s, evaluation under 200 ms, peak
// heap under 64 MB, the fewest paged calls.
//
// The audit runs twice: in this process, next to the emulated account
// (with-emulator-* heap figures include the emulator's response garbage),
// and alone in a child process against it, as in the Lambda function
// (audit-peak-heap-MB, audit-peak-rss-MB).
//
//	go test ./internal/audit -run '^$' -bench AuditAtScale -benchtime 1x
func BenchmarkAuditAtScale(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 100,000 rules")
	}
	ctx := context.Background()
	seed := time.Now()
	srv := awslocal.Start(b, awslocal.WithFixture(audittest.Target.Fixture()))
	b.Logf("seeded %d groups, %d rules, %d interfaces in %v", audittest.Target.Groups, audittest.Target.Rules, audittest.Target.NetworkInterfaces, time.Since(seed).Round(time.Millisecond))
	cfg := fastConfig(ctx, srv, 10)

	bare, bareCalls, err := audittest.BarePaging(ctx, cfg, "us-east-1")
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("baseline, bare paging: %v in %d calls", bare.Round(time.Millisecond), bareCalls)

	var last *audittest.Measurement
	var eval, wall time.Duration
	var peak, live uint64
	b.ResetTimer()
	for b.Loop() {
		m, err := audittest.Measure(ctx, cfg, "us-east-1")
		if err != nil {
			b.Fatal(err)
		}
		last = m
		wall += m.Wall
		eval += m.Evaluate
		peak, live = max(peak, m.PeakHeap), max(live, m.PeakLiveHeap)
	}
	n := float64(b.N)
	b.ReportMetric(float64(eval.Milliseconds())/n, "eval-ms/op")
	b.ReportMetric(float64(peak)/(1<<20), "with-emulator-peak-heap-MB")
	b.ReportMetric(float64(live)/(1<<20), "with-emulator-peak-live-MB")
	b.ReportMetric(float64(last.TotalCalls), "calls/op")

	if child, err := measureInChild(b, srv.URL()); err != nil {
		b.Errorf("audit in a child process: %v", err)
	} else {
		b.ReportMetric(float64(child.PeakHeap)/(1<<20), "audit-peak-heap-MB")
		b.ReportMetric(float64(child.PeakRSS)/(1<<20), "audit-peak-rss-MB")
		b.Logf("audit alone in a child process (as in a Lambda): wall %v, eval %v, peak heap %.1f MB above its start, peak live %.1f MB, peak RSS %.1f MB",
			child.Wall.Round(time.Millisecond), child.Evaluate, float64(child.PeakHeap)/(1<<20), float64(child.PeakLiveHeap)/(1<<20), float64(child.PeakRSS)/(1<<20))
	}

	rr := last.Report.Regions[0]
	b.Logf("audit: wall %v, eval %v, peak heap %.1f MB (live %.1f MB), calls %v, %d findings, %d exposed interfaces",
		(wall / time.Duration(b.N)).Round(time.Millisecond), eval/time.Duration(b.N), float64(peak)/(1<<20), float64(live)/(1<<20),
		rr.Calls, len(last.Report.Violations), len(last.Report.Exposures))
	if rr.SecurityGroups != audittest.Target.Groups || rr.Rules != audittest.Target.Rules || rr.NetworkInterfaces != audittest.Target.NetworkInterfaces {
		b.Errorf("scanned %d groups, %d rules, %d interfaces", rr.SecurityGroups, rr.Rules, rr.NetworkInterfaces)
	}
	for op, want := range audittest.Target.MinimumCalls() {
		if got := rr.Calls[op]; got != want {
			b.Errorf("%d %s calls, want the minimum %d", got, op, want)
		}
	}
}

// BenchmarkEvaluateAtScale audits a snapshot of the same account (a Dump,
// no network): ns/op is the audit's own CPU (conversion, evaluation,
// exposure, report), eval-ms/op the evaluation and exposure part.
//
//	go test ./internal/audit -run '^$' -bench EvaluateAtScale -benchtime 3x
func BenchmarkEvaluateAtScale(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 100,000 rules")
	}
	ctx := context.Background()
	srv := awslocal.Start(b, awslocal.WithFixture(audittest.Target.Fixture()))
	d, err := audittest.Snapshot(ctx, fastConfig(ctx, srv, 10), "us-east-1")
	if err != nil {
		b.Fatal(err)
	}
	a, err := audit.New(policy.Default(), func(string) (audit.EC2API, error) { return audit.DumpClient{D: d}, nil },
		audit.WithRegions("us-east-1"), audit.WithMode(policy.ModeDryRun))
	if err != nil {
		b.Fatal(err)
	}
	var eval time.Duration
	b.ResetTimer()
	for b.Loop() {
		rep, err := a.Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		eval += time.Duration(rep.Regions[0].Timings.EvaluateMillis) * time.Millisecond
	}
	b.ReportMetric(float64(eval.Milliseconds())/float64(b.N), "eval-ms/op")
}

// TestScaleFixtureSmall checks the synthetic account on a small scale: the
// counts add up and the audit makes the fewest calls.
func TestScaleFixtureSmall(t *testing.T) {
	s := audittest.Scale{Groups: 1_200, Rules: 12_000, NetworkInterfaces: 2_100, GroupsPerInterface: 3}
	srv := awslocal.Start(t, awslocal.WithFixture(s.Fixture()))
	m, err := audittest.Measure(context.Background(), fastConfig(context.Background(), srv, 10), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	rr := m.Report.Regions[0]
	if rr.SecurityGroups != s.Groups || rr.Rules != s.Rules || rr.NetworkInterfaces != s.NetworkInterfaces {
		t.Errorf("scanned %d groups, %d rules, %d interfaces; want %d, %d, %d", rr.SecurityGroups, rr.Rules, rr.NetworkInterfaces, s.Groups, s.Rules, s.NetworkInterfaces)
	}
	want := s.MinimumCalls()
	for op, n := range want {
		if rr.Calls[op] != n {
			t.Errorf("%d %s calls, want %d", rr.Calls[op], op, n)
		}
	}
	if total := 2 + 12 + 3 + 1 + 5; m.TotalCalls != total {
		t.Errorf("%d calls in all, want %d", m.TotalCalls, total)
	}
	// Every interface carries a 443-from-the-world group.
	if got := m.Report.Counts.ExposedNetworkInterfaces; got != s.NetworkInterfaces {
		t.Errorf("%d exposed interfaces, want %d", got, s.NetworkInterfaces)
	}
	if got := m.Report.Counts.ByCheck["remote-admin-world"].Total; got != s.Groups/100 {
		t.Errorf("remote-admin-world fired %d times, want %d", got, s.Groups/100)
	}
	if m.Report.Remediation.Candidates != 0 {
		t.Errorf("dry-run has %d revert candidates", m.Report.Remediation.Candidates)
	}
}

// TestReportLog: a large report is logged as a head and numbered parts,
// each under CloudWatch Logs' 256 KiB event limit, that together carry every
// finding and exposure; a small one is one record.
func TestReportLog(t *testing.T) {
	s := audittest.Scale{Groups: 200, Rules: 1_000, NetworkInterfaces: 1_500, GroupsPerInterface: 2}
	srv := awslocal.Start(t, awslocal.WithFixture(s.Fixture()))
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	// A spooled run logs the same records.
	for _, spool := range []bool{false, true} {
		buf.Reset()
		opts := []audit.Option{audit.WithLogger(logger)}
		if spool {
			opts = append(opts, audit.WithExposureSpool(t.TempDir()))
		}
		m, err := audittest.Measure(context.Background(), fastConfig(context.Background(), srv, 10), "us-east-1", opts...)
		if err != nil {
			t.Fatal(err)
		}
		checkReportLog(t, buf.Bytes(), s, len(m.Report.Violations), s.NetworkInterfaces)
		_ = m.Report.Close()
	}

	small := startFixture(t)
	buf.Reset()
	acct := newAccount(t, regionServer{"us-east-1": small}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(nil, audit.WithLogger(logger), audit.WithMode("dry-run")).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Msg    string        `json:"msg"`
		Report *audit.Report `json:"report"`
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 1 || json.Unmarshal(lines[0], &rec) != nil || rec.Report == nil || len(rec.Report.Violations) != len(rep.Violations) {
		t.Errorf("small report logged as %d records, want one with the whole report", len(lines))
	}
}

// checkReportLog checks the records of a large report's log.
func checkReportLog(t *testing.T, log []byte, s audittest.Scale, wantViolations, wantExposures int) {
	t.Helper()
	parts, violations, exposures, heads := 0, 0, 0, 0
	wantParts := -1
	for _, line := range bytes.Split(bytes.TrimSpace(log), []byte("\n")) {
		if len(line) > 256<<10 {
			t.Errorf("log record of %d bytes exceeds 256 KiB", len(line))
		}
		var rec struct {
			Msg        string            `json:"msg"`
			Parts      int               `json:"parts"`
			Part       int               `json:"part"`
			Report     *audit.Report     `json:"report"`
			Violations []json.RawMessage `json:"violations"`
			Exposures  []json.RawMessage `json:"exposures"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log record is not JSON: %v", err)
		}
		switch rec.Msg {
		case "audit report":
			heads++
			wantParts = rec.Parts
			if rec.Report == nil || len(rec.Report.Violations)+len(rec.Report.Exposures) != 0 || rec.Report.Counts.ExposedNetworkInterfaces != s.NetworkInterfaces {
				t.Errorf("head record does not hold the report without its lists")
			}
		case "audit report part":
			parts++
			if rec.Part != parts || rec.Parts != wantParts {
				t.Errorf("part %d/%d out of order (expected %d/%d)", rec.Part, rec.Parts, parts, wantParts)
			}
			violations += len(rec.Violations)
			exposures += len(rec.Exposures)
		}
	}
	if heads != 1 || parts < 2 || parts != wantParts {
		t.Errorf("%d heads and %d parts (head says %d), want 1 head and several parts", heads, parts, wantParts)
	}
	if violations != wantViolations || exposures != wantExposures {
		t.Errorf("parts carry %d findings and %d exposures, want %d and %d", violations, exposures, wantViolations, wantExposures)
	}
}

// childEnv points a child test process at the parent's emulated account.
const childEnv = "SGWARDEN_AUDIT_CHILD_ENDPOINT"

// childMeasurement is what the child reports on its stdout.
type childMeasurement struct {
	Wall, Evaluate         time.Duration
	PeakHeap, PeakLiveHeap uint64
	PeakRSS                uint64 // VmHWM of the child process
}

// measureInChild runs one audit in a fresh process of this test binary
// against endpoint, so that its heap and RSS are the audit's alone, as in
// the Lambda function (the emulated account stays in this process).
func measureInChild(tb testing.TB, endpoint string) (*childMeasurement, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestAuditChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+endpoint)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("child: %w: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "MEASUREMENT "); ok {
			var m childMeasurement
			if err := json.Unmarshal([]byte(rest), &m); err != nil {
				return nil, err
			}
			return &m, nil
		}
	}
	return nil, fmt.Errorf("child printed no measurement: %s", out)
}

// TestAuditChildProcess is the child of measureInChild; it does nothing in
// a normal test run.
func TestAuditChildProcess(t *testing.T) {
	endpoint := os.Getenv(childEnv)
	if endpoint == "" {
		t.Skip("only runs as the child of BenchmarkAuditAtScale")
	}
	ctx := context.Background()
	cfg := awslocal.Config(endpoint, "us-east-1")
	cfg.Retryer = awsconfig.NewRetryer(awsconfig.RetryOptions{MaxAttempts: 10, MaxBackoff: 2 * time.Millisecond, NoClientRateLimit: true})
	// As functions/audit runs it: exposures spooled to disk.
	m, err := audittest.Measure(ctx, cfg, "us-east-1", audit.WithExposureSpool(""))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Report.Close()
	cm := childMeasurement{Wall: m.Wall, Evaluate: m.Evaluate, PeakHeap: m.PeakHeap, PeakLiveHeap: m.PeakLiveHeap, PeakRSS: peakRSS()}
	b, _ := json.Marshal(cm)
	fmt.Println("MEASUREMENT " + string(b))
}

// peakRSS reads VmHWM from /proc/self/status (0 where there is none).
func peakRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
