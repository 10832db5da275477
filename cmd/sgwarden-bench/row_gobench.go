package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sgwarden/sgwarden/internal/bench"
)

// Rows 3 and 4 come from one `go test -bench` run of internal/bench/perf,
// where each figure's benchmark has its baseline as a sibling
// sub-benchmark (/impl=baseline, /impl=sgwarden), summarized and compared
// with benchstat. The owning packages' own benchmarks of the same figures
// run too and are shown in the details as a cross-check, not in the table.
const (
	perfPkg   = "./internal/bench/perf"
	benchExpr = "^Benchmark(Policy|Decode|EvaluateRule|Evaluate100k)$"
	// perfFilter selects perf's benchmarks for benchstat; crossFilter the
	// others.
	perfFilter  = ".name:(Policy OR Decode)"
	crossFilter = "(.name:/^Evaluate/ AND .unit:(sec/op OR allocs/op)) OR .name:Handle"
)

// Benchmark names as benchstat prints them, without the -GOMAXPROCS suffix.
const (
	policyEngine   = "Policy/impl=sgwarden"
	policyBaseline = "Policy/impl=baseline"
	decodeEngine   = "Decode/impl=sgwarden"
	decodeBaseline = "Decode/impl=baseline"
)

// crossCheckPkgs are the owning packages whose benchmarks benchExpr also
// selects when they exist.
var crossCheckPkgs = []string{"./internal/policy", "./internal/cloudtrail"}

// goBenchResult is the parsed benchstat summary of the run.
type goBenchResult struct {
	stats   benchStats
	text    string // benchstat's own table
	command string
	eventsN int
}

type goBenchOnce struct {
	once sync.Once
	res  *goBenchResult
	err  error
}

func (h *harness) goBench(ctx context.Context) (*goBenchResult, error) {
	h.gobench.once.Do(func() { h.gobench.res, h.gobench.err = h.runGoBench(ctx) })
	return h.gobench.res, h.gobench.err
}

// handlerPkg and handlerExpr select internal/remediate's benchmarks of the
// handler's own cost (in-memory AWS answers): the cross-check of row 2.
const (
	handlerPkg       = "./internal/remediate"
	handlerExpr      = "^BenchmarkHandle$/^(violating|compliant)$"
	handlerOverhead  = "Handle/violating/overhead"
	handlerNoCall    = "Handle/compliant"
	handlerViolating = "Handle/violating/awslocal"
)

func (h *harness) runGoBench(ctx context.Context) (*goBenchResult, error) {
	pkgs := []string{perfPkg}
	for _, p := range crossCheckPkgs {
		if hasBenchmarks(filepath.Join(h.root, p)) {
			pkgs = append(pkgs, p)
		}
	}
	common := []string{"test", "-run", "^$", "-benchmem", "-count", strconv.Itoa(h.sizes.benchCount), "-benchtime", h.sizes.benchTime}
	runs := [][]string{append(append(slices.Clone(common), "-bench", benchExpr), pkgs...)}
	if hasBenchmarks(filepath.Join(h.root, handlerPkg)) {
		runs = append(runs, append(slices.Clone(common), "-bench", handlerExpr, handlerPkg))
	}
	raw := filepath.Join(h.work, "gobench.txt")
	var out bytes.Buffer
	var commands []string
	for _, args := range runs {
		cmd := h.goCommand(ctx, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		h.logf("go %s", strings.Join(args, " "))
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go test -bench: %w: %s", err, firstLines(stdout.String()+stderr.String(), 4))
		}
		out.Write(stdout.Bytes())
		commands = append(commands, "go "+shellQuote(args)+" >> gobench.txt")
	}
	if err := os.WriteFile(raw, out.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("save benchmark output: %w", err)
	}
	// A label instead of the temporary path heads benchstat's columns.
	input := "this-run=" + raw
	csv, err := h.benchstat(ctx, "-format", "csv", input)
	if err != nil {
		return nil, err
	}
	stats, err := parseBenchstatCSV(strings.NewReader(csv))
	if err != nil {
		return nil, err
	}
	compare, err := h.benchstat(ctx, "-filter", perfFilter, "-col", "/impl", input)
	if err != nil {
		return nil, err
	}
	text := compare
	if len(pkgs) > 1 || len(runs) > 1 {
		cross, err := h.benchstat(ctx, "-filter", crossFilter, input)
		if err != nil {
			return nil, err
		}
		text += "\n" + cross
	}
	events, _ := stats.get("events", decodeEngine) // 0 when events/ is missing: the benchmark skipped
	return &goBenchResult{
		stats: stats,
		text:  text,
		command: strings.Join(commands, " && ") + " && go tool benchstat -filter '" + perfFilter +
			"' -col /impl gobench.txt",
		eventsN: int(events),
	}, nil
}

// benchstat runs `go tool benchstat args` and returns its output.
func (h *harness) benchstat(ctx context.Context, args ...string) (string, error) {
	cmd := h.goCommand(ctx, append([]string{"tool", "benchstat"}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("benchstat %s: %w: %s", strings.Join(args, " "), err, firstLines(stderr.String(), 3))
	}
	return out.String(), nil
}

// hasBenchmarks reports whether a package directory declares benchmarks.
func hasBenchmarks(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil && bytes.Contains(data, []byte("func Benchmark")) {
			return true
		}
	}
	return false
}

// benchStat is one benchmark's summary in one unit: benchstat's median and
// its confidence interval text.
type benchStat struct {
	median float64
	ci     string
}

// benchStats maps unit ("sec/op", "allocs/op", "B/op") to benchmark name
// (without the -GOMAXPROCS suffix) to its summary. A name that appears in
// several packages keeps its first summary.
type benchStats map[string]map[string]benchStat

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBenchstatCSV reads `benchstat -format csv` output of one input file.
// The output is a series of blocks: a ",file," line, a ",unit,CI" line,
// then "name,value,ci" lines ending with "geomean". Header lines from the
// benchmark run (goos:, pkg: ...) may precede the blocks.
func parseBenchstatCSV(r io.Reader) (benchStats, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	stats := benchStats{}
	unit := ""
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse benchstat CSV: %w", err)
		}
		switch {
		case len(rec) < 2:
			continue
		case rec[0] == "" && len(rec) >= 3 && rec[2] == "CI":
			unit = rec[1]
		case rec[0] == "" || rec[0] == "geomean" || unit == "":
			continue
		default:
			v, err := strconv.ParseFloat(rec[1], 64)
			if err != nil {
				continue // a summary benchstat could not compute
			}
			name := procsSuffix.ReplaceAllString(rec[0], "")
			if stats[unit] == nil {
				stats[unit] = map[string]benchStat{}
			}
			if _, dup := stats[unit][name]; !dup {
				ci := ""
				if len(rec) >= 3 {
					ci = rec[2]
				}
				stats[unit][name] = benchStat{median: v, ci: ci}
			}
		}
	}
	if len(stats) == 0 {
		return nil, errors.New("benchstat printed no summary")
	}
	return stats, nil
}

// get returns the median of name in unit.
func (s benchStats) get(unit, name string) (float64, error) {
	st, ok := s[unit][name]
	if !ok {
		return 0, fmt.Errorf("benchmark %s (%s) did not run", name, unit)
	}
	return st.median, nil
}

func (h *harness) policyGroup(ctx context.Context) groupResult {
	rows := []bench.Row{
		{ID: "3a", Name: "Policy evaluation, default policy: time per rule (mixed rule set)",
			Value: bench.Ns(0).PerUnit("rule"), BaselineName: "loop touching each rule", Target: bench.AtMostAbs(200)},
		{ID: "3b", Name: "Policy evaluation: allocations per rule",
			Value: bench.N(0).PerUnit("rule"), BaselineName: "same loop", Target: bench.AtMostAbs(0)},
	}
	res, err := h.goBench(ctx)
	if err != nil {
		return fail(rows, err)
	}
	ev, err1 := res.stats.get("sec/op", policyEngine)
	base, err2 := res.stats.get("sec/op", policyBaseline)
	if err := errors.Join(err1, err2); err != nil {
		return fail(rows, err)
	}
	rows[0].Value.V, rows[0].Baseline = ev*1e9, bench.Ns(base*1e9).PerUnit("rule")
	allocs, err1 := res.stats.get("allocs/op", policyEngine)
	baseAllocs, err2 := res.stats.get("allocs/op", policyBaseline)
	if err := errors.Join(err1, err2); err != nil {
		rows[1].Err = err
	} else {
		rows[1].Value.V, rows[1].Baseline = allocs, bench.N(baseAllocs).PerUnit("rule")
	}
	detail := "**Rows 3 and 4 detail.** `" + res.command + "` (medians of " + strconv.Itoa(h.sizes.benchCount) +
		" runs; the ± column is benchstat's 95% confidence interval). The owning packages' own benchmarks follow " +
		"as a cross-check: internal/policy's EvaluateRule and Evaluate100k, and internal/remediate's Handle (row 2f).\n\n```\n" +
		strings.TrimSpace(res.text) + "\n```"
	return groupResult{rows: rows, details: []string{detail}}
}

func (h *harness) decodeGroup(ctx context.Context) groupResult {
	rows := []bench.Row{
		{ID: "4a", Name: "Decode + evaluate per event, over all of events/", Value: bench.Ns(0).PerUnit("event"),
			BaselineName: "encoding/json into map[string]any", Target: bench.AtMostAbs(20e3)},
		{ID: "4b", Name: "Decode + evaluate: allocations per event", Value: bench.N(0).PerUnit("event"),
			BaselineName: "encoding/json into map[string]any"},
	}
	res, err := h.goBench(ctx)
	if err != nil {
		return fail(rows, err)
	}
	if res.eventsN == 0 {
		return fail(rows, fmt.Errorf("events/ holds no JSON file: %w", errNotLanded))
	}
	rows[0].Name += fmt.Sprintf(" (%d files)", res.eventsN)
	ev, err1 := res.stats.get("sec/op", decodeEngine)
	base, err2 := res.stats.get("sec/op", decodeBaseline)
	if err := errors.Join(err1, err2); err != nil {
		return fail(rows, err)
	}
	rows[0].Value.V, rows[0].Baseline = ev*1e9, bench.Ns(base*1e9).PerUnit("event")
	allocs, err1 := res.stats.get("allocs/op", decodeEngine)
	baseAllocs, err2 := res.stats.get("allocs/op", decodeBaseline)
	if err := errors.Join(err1, err2); err != nil {
		rows[1].Err = err
	} else {
		rows[1].Value.V, rows[1].Baseline = allocs, bench.N(baseAllocs).PerUnit("event")
	}
	return groupResult{rows: rows}
}

// shellQuote joins args for a shell, quoting those with special characters.
func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$|()*/ ") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
