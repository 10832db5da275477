package iac

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// corpusNow pins exemption expiry dates.
var corpusNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// readCase reads one corpus entry: a file, or a cdk.out directory.
func readCase(t *testing.T, path string) []*Template {
	t.Helper()
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		ts, err := ReadCloudAssembly(os.DirFS(path), ".", Options{})
		if err != nil {
			t.Fatalf("ReadCloudAssembly(%s): %v", path, err)
		}
		return ts
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !Recognized(data) {
		t.Errorf("Recognized(%s) = false, want true", path)
	}
	tpl, err := Read(filepath.Base(path), data, Options{})
	if err != nil {
		t.Fatalf("Read(%s): %v", path, err)
	}
	return []*Template{tpl}
}

// render writes findings one per line, in a form meant for review.
func render(ts []*Template, fs []Finding) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "# %s: %s", t.File, t.Format)
		if t.Stack != "" {
			fmt.Fprintf(&b, ", stack %s", t.Stack)
		}
		fmt.Fprintf(&b, ", %d rules\n", len(t.Rules))
	}
	if len(fs) == 0 {
		b.WriteString("no findings\n")
	}
	for _, f := range fs {
		r := f.Rule
		fmt.Fprintf(&b, "%s %s", r.Loc, r.Resource)
		if r.CDKPath != "" {
			fmt.Fprintf(&b, " (%s)", r.CDKPath)
		}
		peer := r.Peer.String()
		if r.PeerUnknown {
			peer = "(unknown)"
		}
		fmt.Fprintf(&b, " group=%s %s %s %s: %s %s", r.GroupID, r.Direction, r.ProtoPorts(), peer, f.Violation.CheckID, f.Violation.Decision)
		if c := f.Violation.Coverage; c != nil {
			fmt.Fprintf(&b, " (%s)", c)
		}
		if len(r.Conditions) > 0 {
			fmt.Fprintf(&b, " when %s", strings.Join(r.Conditions, ","))
		}
		for _, u := range r.Unknown {
			fmt.Fprintf(&b, " [unknown %s: %s]", u.Field, u.Why)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 30 {
		t.Errorf("corpus has %d cases, want at least 30", len(entries))
	}
	for _, e := range entries {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			ts := readCase(t, filepath.Join("testdata/corpus", name))
			got := render(ts, Judge(policy.Default(), ts, policy.EvalContext{Now: corpusNow}))
			golden := filepath.Join("testdata/golden", strings.TrimSuffix(name, filepath.Ext(name))+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("findings of %s differ from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", name, golden, got, want)
			}
		})
	}
}
