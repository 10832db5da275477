package iac

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// trivyExposureChecks are trivy's checks that report what the corpus
// traps are about: an ingress rule open to the internet, and rules on the
// default group. Its other checks (descriptions, egress to the internet,
// flow logs) judge other things and do not count as catching a trap.
var trivyExposureChecks = map[string]bool{
	"AWS-0107": true, // unrestricted ingress to SSH or RDP from any address
	"AWS-0173": true, // default security group with rules
}

// trivyReport is the part of `trivy config --format json` read here.
type trivyReport struct {
	Results []struct {
		Target            string
		Misconfigurations []struct {
			ID, AVDID, Title, Status string
		}
	}
}

// runTrivy returns the IDs of the checks trivy fails on path.
func runTrivy(t *testing.T, bin, cache, path string) []string {
	t.Helper()
	cmd := exec.Command(bin, "config", "--skip-check-update", "--cache-dir", cache, "--format", "json", "--quiet", path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("trivy config %s: %v\n%s", path, err, errb.String())
	}
	var rep trivyReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("trivy config %s: %v", path, err)
	}
	var ids []string
	for _, r := range rep.Results {
		for _, m := range r.Misconfigurations {
			// v0.74 writes "AWS-0107" in ID; older versions "AVD-AWS-0107" in AVDID.
			id := strings.TrimPrefix(cmp.Or(m.ID, m.AVDID), "AVD-")
			if m.Status == "FAIL" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// TestTrivyCompare runs trivy over the corpus, side by side with
// sgwarden, and writes the table to testdata/trivy-compare.md (and, with
// -update, into docs/iac.md). It needs a trivy binary: TRIVY=path (make
// iac-compare); it is skipped otherwise, so that the suite does not
// depend on trivy. sgwarden must catch every trap trivy catches.
func TestTrivyCompare(t *testing.T) {
	bin := os.Getenv("TRIVY")
	if bin == "" {
		t.Skip("TRIVY (a trivy binary) not set; make iac-compare sets it")
	}
	version, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	cache := os.Getenv("TRIVY_CACHE_DIR")
	if cache == "" {
		cache = t.TempDir()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Corpus: internal/iac/testdata/corpus (%s). Policy: sgwarden's default. trivy: v0.74.0 (go install from the module proxy, which reports its version as `%s`), run offline as `trivy config --skip-check-update --format json FILE`; a trap counts as caught by trivy when it fails one of %s. Reproduce with `make iac-compare TRIVY=/path/to/trivy`.\n\n",
		"what each case is: testdata/traps.tsv", strings.TrimSpace(strings.SplitN(string(version), "\n", 2)[0]), strings.Join(sortedIDs(trivyExposureChecks), ", "))
	b.WriteString("| case | trap | SSH/RDP from anywhere | sgwarden | trivy | trivy's failed checks |\n|---|---|---|---|---|---|\n")
	var both, onlyUs, onlyTrivy, neither, trivyFP, ourFP, inScope, inScopeTrivy int
	for _, tr := range readTraps(t) {
		ids := runTrivy(t, bin, cache, tr.path)
		trivyCaught := false
		for _, id := range ids {
			trivyCaught = trivyCaught || trivyExposureChecks[id]
		}
		checks := caughtBy(t, tr.path)
		us := len(checks) > 0
		// trivy's AWS-0107 is about SSH and RDP: the traps that sgwarden's
		// remote-admin-world check (22, 3389 from the world) reports are
		// in its scope; the other ports are the policy's wider baseline.
		scope := ""
		if checks["remote-admin-world"] {
			scope = "yes"
			inScope++
			if trivyCaught {
				inScopeTrivy++
			}
		}
		mark := func(c bool) string {
			switch {
			case tr.expect == "pass" && c:
				return "false positive"
			case tr.expect == "pass":
				return "pass (right)"
			case c:
				return "caught"
			}
			return "**missed**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", tr.name, tr.what, scope, mark(us), mark(trivyCaught), strings.Join(ids, " "))
		if tr.expect == "pass" {
			if trivyCaught {
				trivyFP++
			}
			if us {
				ourFP++
			}
			continue
		}
		switch {
		case us && trivyCaught:
			both++
		case us:
			onlyUs++
		case trivyCaught:
			onlyTrivy++
			t.Errorf("%s: trivy catches %s (%v) and sgwarden does not", tr.name, tr.what, ids)
		default:
			neither++
			t.Errorf("%s: neither tool catches %s", tr.name, tr.what)
		}
	}
	fmt.Fprintf(&b, "\nTraps caught by both: %d; by sgwarden only: %d; by trivy only: %d; by neither: %d. False positives on the controls: sgwarden %d, trivy %d. Of the %d traps that open SSH or RDP to the world (or may, when a value is unknown), the scope of trivy's AWS-0107, trivy caught %d.\n",
		both, onlyUs, onlyTrivy, neither, ourFP, trivyFP, inScope, inScopeTrivy)
	table := b.String()
	if err := os.WriteFile("testdata/trivy-compare.md", []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + table)
	if *update {
		spliceDoc(t, filepath.Join("..", "..", "docs", "iac.md"), "<!-- iac-compare: generated by `make iac-compare` (TestTrivyCompare) -->\n", "<!-- /iac-compare -->", table)
	}
}

func sortedIDs(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// spliceDoc replaces what lies between two markers of a document.
func spliceDoc(t *testing.T, path, begin, end, body string) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q ... %q", path, begin, end)
	}
	s = s[:i+len(begin)] + body + s[j:]
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
