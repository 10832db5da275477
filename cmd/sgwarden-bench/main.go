// Command sgwarden-bench is `make bench`: it measures sgwarden's headline
// figures, each side by side with a baseline taken in the same run, prints
// them as a Markdown table, and with -docs FILE (`make bench
// BENCHFLAGS=-write-docs`) writes that table into the file between the
// generated-block markers. A plain run leaves the tree clean.
//
// It exits non-zero only when a measurement could not be taken; a missed
// target is shown in the table and in the closing note, never as a failure.
//
// Usage:
//
//	sgwarden-bench [-quick] [-write-docs | -docs FILE] [-only 1,3] [-keep]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sgwarden/sgwarden/internal/bench"
)

// defaultDocs is the file -write-docs updates.
const defaultDocs = "docs/benchmarks.md"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line settings.
type options struct {
	quick bool
	docs  string // "" = do not write the docs
	only  map[string]bool
	keep  bool
}

// sizes are the iteration counts of one run; -quick shrinks them (and the
// audit account, see auditScale) for development on the shared machine.
type sizes struct {
	coldStarts  int // per binary; odd, so that the median is a sample
	warmInvokes int
	benchCount  int // go test -count: benchstat wants at least 6
	benchTime   string
}

var (
	fullSizes  = sizes{coldStarts: 41, warmInvokes: 500, benchCount: 6, benchTime: "200ms"}
	quickSizes = sizes{coldStarts: 5, warmInvokes: 40, benchCount: 6, benchTime: "20ms"}
)

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sgwarden-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "small iteration counts and a 1/10 audit account, for development")
	docs := fs.String("docs", "", "Markdown `file` whose generated block receives the table (relative to the module root; default: none)")
	writeDocs := fs.Bool("write-docs", false, "write the table into "+defaultDocs+" (the same as -docs "+defaultDocs+")")
	only := fs.String("only", "", "comma-separated row groups to run (1-8); the others are skipped")
	keep := fs.Bool("keep", false, "keep the work directory (binaries, RIE logs) for inspection")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := options{quick: *quick, docs: *docs, keep: *keep}
	if *writeDocs {
		if opts.docs != "" && opts.docs != defaultDocs {
			fmt.Fprintln(stderr, "sgwarden-bench: -write-docs and -docs name different files")
			return 2
		}
		opts.docs = defaultDocs
	}
	if *only != "" {
		opts.only = map[string]bool{}
		for _, g := range strings.Split(*only, ",") {
			opts.only[strings.TrimSpace(g)] = true
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	h, err := newHarness(opts, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sgwarden-bench: %v\n", err)
		return 1
	}
	defer h.close()

	rep := h.runAll(ctx)
	out := rep.markdown()
	fmt.Fprint(stdout, out)

	if opts.docs != "" {
		path := opts.docs
		if !filepath.IsAbs(path) {
			path = filepath.Join(h.root, path)
		}
		if err := updateDocs(path, out); err != nil {
			fmt.Fprintf(stderr, "sgwarden-bench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "sgwarden-bench: wrote %s\n", path)
	}
	if n := rep.unmeasured(); n > 0 {
		fmt.Fprintf(stderr, "sgwarden-bench: %d figure(s) could not be measured\n", n)
		return 1
	}
	return 0
}

// updateDocs replaces the generated block of the Markdown file at path.
func updateDocs(path, generated string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	doc, err := bench.ReplaceGenerated(string(old), generated)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// since formats the time elapsed since t for progress lines.
func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }
