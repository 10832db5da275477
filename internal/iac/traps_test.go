package iac

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// trap is one corpus case as testdata/traps.tsv describes it.
type trap struct {
	name   string // corpus entry without its extension
	path   string
	expect string // "catch" or "pass"
	what   string
}

func readTraps(t *testing.T) []trap {
	t.Helper()
	f, err := os.Open("testdata/traps.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for _, e := range entries {
		n := e.Name()
		paths[strings.TrimSuffix(n, filepath.Ext(n))] = filepath.Join("testdata/corpus", n)
	}
	var out []trap
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 || fields[1] != "catch" && fields[1] != "pass" {
			t.Fatalf("traps.tsv: bad line %q", line)
		}
		p, ok := paths[fields[0]]
		if !ok {
			t.Errorf("traps.tsv names %s, which is not in testdata/corpus", fields[0])
			continue
		}
		delete(paths, fields[0])
		out = append(out, trap{name: fields[0], path: p, expect: fields[1], what: fields[2]})
	}
	for name := range paths {
		t.Errorf("corpus case %s has no line in traps.tsv", name)
	}
	return out
}

// caught reports whether sgwarden reports the case: a finding that is
// not exempt (revert, alert or unknown).
func caught(t *testing.T, path string) bool {
	return len(caughtBy(t, path)) > 0
}

// caughtBy returns the checks of the case's findings that are not exempt.
func caughtBy(t *testing.T, path string) map[string]bool {
	ts := readCase(t, path)
	out := map[string]bool{}
	for _, f := range Judge(policy.Default(), ts, policy.EvalContext{Now: corpusNow}) {
		if f.Violation.Decision != policy.DecisionExempt {
			out[f.Violation.CheckID] = true
		}
	}
	return out
}

// TestTraps: sgwarden reports every trap of the corpus and no control.
func TestTraps(t *testing.T) {
	for _, tr := range readTraps(t) {
		if got := caught(t, tr.path); got != (tr.expect == "catch") {
			t.Errorf("%s (%s): reported = %v, want %v", tr.name, tr.what, got, tr.expect == "catch")
		}
	}
}
