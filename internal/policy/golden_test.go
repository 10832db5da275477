package policy

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestDecisionsGolden evaluates every case under testdata/decisions: its
// input.json (describe-security-group-rules output, optionally with groups
// and prefix lists), an optional policy.yaml (default: the embedded policy)
// and an optional actor.txt, and compares the decisions with want.txt.
// Refresh with: go test ./internal/policy -run DecisionsGolden -update
func TestDecisionsGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "decisions", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no decision cases under testdata/decisions (%v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := goldenDecisions(t, dir)
			wantFile := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(wantFile, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decisions of %s differ from want.txt (run -update after checking):\n--- got\n%s--- want\n%s", dir, got, want)
			}
		})
	}
}

func goldenDecisions(t *testing.T, dir string) []byte {
	t.Helper()
	input, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := DecodeRulesJSON(input)
	if err != nil {
		t.Fatalf("DecodeRulesJSON: %v", err)
	}
	engine := Default()
	if src, err := os.ReadFile(filepath.Join(dir, "policy.yaml")); err == nil {
		if engine, err = Load(src, "policy.yaml"); err != nil {
			t.Fatalf("Load: %v", err)
		}
	}
	ec := EvalContext{Now: testNow}
	if actor, err := os.ReadFile(filepath.Join(dir, "actor.txt")); err == nil {
		ec.ActorARN = strings.TrimSpace(string(actor))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# mode %s\n", engine.Mode())
	var vs []Violation
	for i := range rules {
		r := &rules[i]
		vs = engine.Evaluate(r, ec, vs[:0])
		if len(vs) == 0 {
			fmt.Fprintf(&b, "%s %s %s %s: compliant\n", r.RuleID, r.Direction, r.ProtoPorts(), r.Peer)
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "%s %s=%s %s", r.RuleID, v.CheckID, v.Decision, v.Severity)
			if v.PrefixListUnresolved {
				b.WriteString(" ?prefix-list")
			}
			if v.GroupInfoNeeded {
				b.WriteString(" ?group")
			}
			fmt.Fprintf(&b, ": %s\n", v.Reason())
		}
	}
	// Rules aggregate: each group's rules judged together.
	var groups []string
	byGroup := map[string][]Rule{}
	for _, r := range rules {
		if byGroup[r.GroupID] == nil {
			groups = append(groups, r.GroupID)
		}
		byGroup[r.GroupID] = append(byGroup[r.GroupID], r)
	}
	for _, g := range groups {
		for _, v := range engine.EvaluateCoverage(nil, byGroup[g], ec, nil) {
			fmt.Fprintf(&b, "%s %s=%s %s together: %s\n", v.Rule.RuleID, v.CheckID, v.Decision, v.Severity, v.Reason())
		}
	}
	return b.Bytes()
}
