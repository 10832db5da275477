package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sgwarden/sgwarden/internal/bench"
)

// harness carries what the row groups share: the module root, a work
// directory for binaries and logs, the built binaries, and the durations
// that the cost model reuses.
type harness struct {
	opts  options
	sizes sizes
	root  string
	work  string
	log   io.Writer
	start time.Time

	buildMu sync.Mutex
	built   map[string]buildResult

	// measured holds durations other rows reuse (the cost model).
	measured measurements

	// The emulated account of rows 1 and 2, created on first use.
	smallOnce sync.Once
	small     *emulatedAccount
	scene     *scene
	smallErr  error

	gobench goBenchOnce
}

// measurements are figures shared between row groups. A zero value means
// "not measured".
type measurements struct {
	remediateWarmP50 time.Duration // violating event, end to end through the RIE
	helloWarmP50     time.Duration
	remediateCalls   int // AWS calls of a violating event, at most
	remediateColdP50 time.Duration
	helloColdP50     time.Duration
	auditWall        time.Duration
	pagingWall       time.Duration
	remediateRSS     uint64 // VmHWM bytes
	auditRSS         uint64
	helloRSS         uint64
}

func newHarness(opts options, log io.Writer) (*harness, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "sgwarden-bench-")
	if err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	s := fullSizes
	if opts.quick {
		s = quickSizes
	}
	return &harness{opts: opts, sizes: s, root: root, work: work, log: log, start: time.Now(), built: map[string]buildResult{}}, nil
}

func (h *harness) close() {
	h.small.close()
	if h.opts.keep {
		h.logf("work directory kept: %s", h.work)
		return
	}
	_ = os.RemoveAll(h.work)
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "[%7s] %s\n", since(h.start), fmt.Sprintf(format, args...))
}

// moduleRoot finds the directory holding sgwarden's go.mod, from the
// working directory upwards.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/sgwarden/sgwarden\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no sgwarden go.mod above %s: run from the repository", dir)
		}
	}
}

// group is one numbered group of rows in the table.
type group struct {
	id   string
	name string
	run  func(h *harness, ctx context.Context) groupResult
}

// groupResult is what a group contributes to the report.
type groupResult struct {
	rows []bench.Row
	// details are Markdown paragraphs for the details section (method,
	// raw numbers, benchstat output).
	details []string
}

// fail marks every row that has no error yet as not measured because of
// err; groups fill their rows' values only once everything is measured.
func fail(rows []bench.Row, err error) groupResult {
	for i := range rows {
		if rows[i].Err == nil {
			rows[i].Err = err
		}
	}
	return groupResult{rows: rows}
}

// groups lists the row groups in the order they run. Go benchmarks go first
// while the machine is quietest; the cost model last because it reuses the
// durations measured before it.
var groups = []group{
	{"3", "Policy evaluation", (*harness).policyGroup},
	{"4", "Decode + evaluate", (*harness).decodeGroup},
	{"1", "Cold start", (*harness).coldGroup},
	{"2", "Warm invoke", (*harness).warmGroup},
	{"5", "Audit at scale", (*harness).auditGroup},
	{"6", "Binary size and peak RSS", (*harness).sizeGroup},
	{"8", "Organization audit", (*harness).orgGroup},
	{"7", "Cost model", (*harness).costGroup},
}

// report is the whole run's result.
type report struct {
	results  map[string]groupResult
	order    []string
	duration time.Duration
	quick    bool
	when     time.Time
	host     string
}

func (h *harness) runAll(ctx context.Context) *report {
	rep := &report{results: map[string]groupResult{}, quick: h.opts.quick, when: time.Now().UTC(), host: hostSummary()}
	for _, g := range groups {
		if h.opts.only != nil && !h.opts.only[g.id] {
			continue
		}
		t := time.Now()
		h.logf("row %s (%s): start", g.id, g.name)
		var res groupResult
		if err := ctx.Err(); err != nil {
			res = groupResult{rows: []bench.Row{{ID: g.id, Name: g.name, Err: fmt.Errorf("interrupted: %w", err)}}}
		} else {
			res = g.run(h, ctx)
		}
		h.logf("row %s (%s): done in %s", g.id, g.name, since(t))
		rep.results[g.id] = res
	}
	// The table is ordered by row number, whatever the run order was.
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		if _, ok := rep.results[id]; ok {
			rep.order = append(rep.order, id)
		}
	}
	rep.duration = time.Since(h.start)
	return rep
}

func (r *report) rows() []bench.Row {
	var rows []bench.Row
	for _, id := range r.order {
		rows = append(rows, r.results[id].rows...)
	}
	return rows
}

func (r *report) unmeasured() int {
	n := 0
	for _, row := range r.rows() {
		if row.Err != nil {
			n++
		}
	}
	return n
}

// markdown renders the generated block of docs/benchmarks.md.
func (r *report) markdown() string {
	var b strings.Builder
	mode := "full run"
	if r.quick {
		mode = "**quick run (-quick): small counts, 1/10 audit account; not the reference figures**"
	}
	fmt.Fprintf(&b, "Generated by `make bench` on %s UTC, %s, in %s (%s).\n\n",
		r.when.Format("2006-01-02 15:04"), r.host, r.duration.Round(time.Second), mode)
	rows := r.rows()
	b.WriteString(bench.Markdown(rows))
	b.WriteString("\n")

	var missed, failed []string
	for _, row := range rows {
		switch {
		case row.Err != nil:
			failed = append(failed, fmt.Sprintf("%s (%s): %v", row.ID, row.Name, row.Err))
		case row.Missed():
			missed = append(missed, fmt.Sprintf("%s (%s): %s", row.ID, row.Name, row.Value))
		}
	}
	switch {
	case len(missed) == 0 && len(failed) == 0:
		b.WriteString("**Closing note:** every figure was measured and every target is met.\n")
	default:
		b.WriteString("**Closing note:**")
		if len(missed) == 0 {
			b.WriteString(" every measured figure meets its target.")
		} else {
			b.WriteString(" missed targets: " + strings.Join(missed, "; ") + ".")
		}
		if len(failed) > 0 {
			b.WriteString(" Not measured: " + strings.Join(failed, "; ") + ".")
		}
		b.WriteString("\n")
	}
	for _, id := range r.order {
		for _, d := range r.results[id].details {
			b.WriteString("\n" + strings.TrimRight(d, "\n") + "\n")
		}
	}
	return b.String()
}

// hostSummary describes the machine in one phrase.
func hostSummary() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			load = ", load " + strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s)%s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, load, runtime.Version())
}

// errNotLanded says a component the row needs is not in the tree yet.
var errNotLanded = errors.New("component not in the tree yet")
