package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/bench"
	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/lambdarie"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// benchstatCSV is `go tool benchstat -format csv this-run=gobench.txt` of a
// real run of internal/bench/perf and internal/policy.
const benchstatCSV = `goos: linux
goarch: amd64
pkg: github.com/sgwarden/sgwarden/internal/bench/perf
cpu: AMD EPYC
,this-run,
,sec/op,CI
Policy/impl=baseline-2,1.971e-09,± 3%
Policy/impl=sgwarden-2,1.9855000000000001e-07,± 13%
Decode/impl=baseline-2,6.986150000000001e-05,∞
Decode/impl=sgwarden-2,1.5176000000000002e-05,∞
geomean,8.02579264229295e-07,

,this-run,
,allocs/op,CI
Policy/impl=baseline-2,0,∞
Policy/impl=sgwarden-2,0,∞
Decode/impl=baseline-2,239.5,∞
Decode/impl=sgwarden-2,25,∞
geomean,,

,this-run,
,events,CI
Decode/impl=sgwarden-2,30,∞
geomean,30.000000000000004,
pkg: github.com/sgwarden/sgwarden/internal/policy
,this-run,
,sec/op,CI
EvaluateRule/compliant-private-2,8.92e-08,± 2%
Policy/impl=sgwarden-2,9e-07,± 1%
`

func TestParseBenchstatCSV(t *testing.T) {
	stats, err := parseBenchstatCSV(strings.NewReader(benchstatCSV))
	if err != nil {
		t.Fatalf("parseBenchstatCSV: %v", err)
	}
	tests := []struct {
		unit, name string
		want       float64
	}{
		{"sec/op", policyBaseline, 1.971e-09},
		{"sec/op", policyEngine, 1.9855000000000001e-07}, // the first package's, not the later duplicate
		{"sec/op", decodeEngine, 1.5176000000000002e-05},
		{"allocs/op", decodeBaseline, 239.5},
		{"allocs/op", policyEngine, 0},
		{"events", decodeEngine, 30},
		{"sec/op", "EvaluateRule/compliant-private", 8.92e-08},
	}
	for _, tc := range tests {
		got, err := stats.get(tc.unit, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("get(%s, %s) = %v, %v; want %v", tc.unit, tc.name, got, err, tc.want)
		}
	}
	if got := stats["sec/op"][policyBaseline].ci; got != "± 3%" {
		t.Errorf("confidence interval of %s = %q, want %q", policyBaseline, got, "± 3%")
	}
	if _, err := stats.get("sec/op", "geomean"); err == nil {
		t.Error("geomean was parsed as a benchmark")
	}
	if _, err := stats.get("events", policyEngine); err == nil {
		t.Error("get of a benchmark that did not report the unit succeeded")
	}
}

func TestParseBenchstatCSVEmpty(t *testing.T) {
	if _, err := parseBenchstatCSV(strings.NewReader("goos: linux\n")); err == nil {
		t.Error("parseBenchstatCSV of output without a summary succeeded")
	}
}

// TestBuildFlagsMatchMakefile keeps the bench's builds identical to
// `make build`, so that the size row reports the deployed binary.
func TestBuildFlagsMatchMakefile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "LAMBDA_FLAGS :="); ok {
			// The version stamp is the one difference: a few bytes.
			line = strings.TrimSpace(strings.Replace(v, " $(VERSION_FLAG)", "", 1))
		}
	}
	if line == "" {
		t.Fatal("no LAMBDA_FLAGS in the Makefile")
	}
	if got := shellWords(line); !slices.Equal(got, lambdarie.BuildFlags) {
		t.Errorf("Makefile LAMBDA_FLAGS = %q, bench builds with %q", got, lambdarie.BuildFlags)
	}
}

// shellWords splits s as a POSIX shell would, for words with single quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestAuthorizeEventDecodes checks that the events rows 1 and 2 send are
// what sgwarden's decoder reads as the rule they describe.
func TestAuthorizeEventDecodes(t *testing.T) {
	c := ingressChange{
		EventID: benchEventID("warm", 7), Account: "123456789012", Region: benchRegion, GroupID: sceneGroup,
		RuleID: "sgr-0123456789abcdef0", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0",
		Time: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
	}
	data, err := authorizeEvent(c)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := cloudtrail.Decode(data)
	if err != nil {
		t.Fatalf("Decode(bench event) = %v", err)
	}
	if len(ev.Rules) != 1 {
		t.Fatalf("Decode(bench event) gave %d rules, want 1", len(ev.Rules))
	}
	r := ev.Rules[0]
	if r.RuleID != c.RuleID || r.GroupID != c.GroupID || r.FromPort != 22 || r.ToPort != 22 ||
		r.Protocol != policy.ProtoTCP || r.Peer.CIDR.String() != c.CIDR {
		t.Errorf("Decode(bench event) rule = %+v, want tcp/22 from %s, %s on %s", r, c.CIDR, c.RuleID, c.GroupID)
	}
	vs := policy.Default().Evaluate(&r, policy.EvalContext{ActorARN: ev.Actor.ARN, Now: c.Time}, nil)
	if len(vs) == 0 {
		t.Error("the default policy finds no violation in the bench's violating event")
	}
	if a, b := benchEventID("warm", 1), benchEventID("warm", 2); a == b || len(a) != 36 {
		t.Errorf("benchEventID gives %q and %q, want distinct UUID-shaped IDs", a, b)
	}
}

func TestReportExitRules(t *testing.T) {
	missed := bench.Row{ID: "1", Name: "cold", Value: bench.Ns(20), Baseline: bench.Ns(10), Target: bench.AtMostRatio(1.5)}
	met := bench.Row{ID: "3a", Name: "eval", Value: bench.Ns(150), Baseline: bench.Ns(2), Target: bench.AtMostAbs(200)}
	failed := bench.Row{ID: "5b", Name: "eval time", Target: bench.BelowAbs(200e6), Err: errors.New("helper missing")}

	rep := &report{results: map[string]groupResult{"1": {rows: []bench.Row{missed}}, "3": {rows: []bench.Row{met}}}, order: []string{"1", "3"}}
	if n := rep.unmeasured(); n != 0 {
		t.Errorf("unmeasured() = %d with a missed target only, want 0 (a missed target must not fail the run)", n)
	}
	md := rep.markdown()
	if !strings.Contains(md, "missed targets: 1 (cold)") || !strings.Contains(md, "| **no** |") {
		t.Errorf("markdown() does not name the missed target:\n%s", md)
	}

	rep.results["5"] = groupResult{rows: []bench.Row{failed}}
	rep.order = append(rep.order, "5")
	if n := rep.unmeasured(); n != 1 {
		t.Errorf("unmeasured() = %d with one failed row, want 1", n)
	}
	if md := rep.markdown(); !strings.Contains(md, "not measured: helper missing") || !strings.Contains(md, "Not measured: 5b") {
		t.Errorf("markdown() does not give the reason a figure was not measured:\n%s", md)
	}
}

// TestRunExitsNonZeroWhenUnmeasured runs the cost row alone: with nothing
// measured before it, its figures cannot be computed, so the run must
// print the table and exit 1.
func TestRunExitsNonZeroWhenUnmeasured(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-only", "7"}, &stdout, &stderr); code != 1 {
		t.Errorf("run(-only 7) = %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "| 7a |") || !strings.Contains(stdout.String(), "not measured") {
		t.Errorf("run(-only 7) printed no table with the unmeasured row:\n%s", stdout.String())
	}
}
