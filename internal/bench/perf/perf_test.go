package perf

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// evalNow is fixed so that exemption expiry does not depend on the day.
var evalNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// sink keeps the baselines' work observable.
var sink int

// Sub-benchmark keys: `go tool benchstat -col /impl` compares sgwarden's
// code against the baseline measured in the same run.
const (
	implBaseline = "impl=baseline"
	implSgwarden = "impl=sgwarden"
)

// BenchmarkPolicy: one op is one rule of a mixed set. The baseline only
// touches the rule, in the same loop shape; sgwarden evaluates it against
// the default policy with a reused result slice (the hot path of both
// functions).
func BenchmarkPolicy(b *testing.B) {
	b.Run(implBaseline, benchPolicyBaseline)
	b.Run(implSgwarden, benchPolicyEvaluate)
}

func benchPolicyEvaluate(b *testing.B) {
	rules := mixedRules()
	eng := policy.Default()
	ec := policy.EvalContext{Now: evalNow}
	dst := make([]policy.Violation, 0, 16)
	found := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst = eng.Evaluate(&rules[i], ec, dst[:0])
		found += len(dst)
		if i++; i == len(rules) {
			i = 0
		}
	}
	sink += found
}

func benchPolicyBaseline(b *testing.B) {
	rules := mixedRules()
	touched := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := &rules[i]
		touched += int(r.FromPort) + int(r.Protocol) + len(r.GroupID)
		if i++; i == len(rules) {
			i = 0
		}
	}
	sink += touched
}

// eventFiles reads every JSON file under the repository's events/.
func eventFiles(b *testing.B) [][]byte {
	b.Helper()
	dir := filepath.Join("..", "..", "..", "events")
	var files [][]byte
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		b.Skipf("no %s directory yet", dir)
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isEventFile(d.Name()) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, data)
		return nil
	})
	if err != nil {
		b.Fatalf("read %s: %v", dir, err)
	}
	if len(files) == 0 {
		b.Skipf("no events under %s", dir)
	}
	return files
}

// BenchmarkDecode: one op is one event of events/. The baseline unmarshals
// it into a map[string]any with encoding/json; sgwarden decodes it with
// internal/cloudtrail and evaluates each of its rules against the default
// policy. Events that do not decode (failed calls, unsupported names) cost
// their failed decode.
func BenchmarkDecode(b *testing.B) {
	b.Run(implBaseline, benchDecodeBaselineJSONMap)
	b.Run(implSgwarden, benchDecodeEvaluate)
}

func benchDecodeEvaluate(b *testing.B) {
	events := eventFiles(b)
	eng := policy.Default()
	dst := make([]policy.Violation, 0, 16)
	decoded, found := 0, 0
	b.ReportAllocs()
	b.SetBytes(int64(meanLen(events)))
	i := 0
	for b.Loop() {
		ev, err := cloudtrail.Decode(events[i])
		if err == nil {
			decoded++
			ec := policy.EvalContext{ActorARN: ev.Actor.ARN, Now: evalNow}
			for k := range ev.Rules {
				dst = eng.Evaluate(&ev.Rules[k], ec, dst[:0])
				found += len(dst)
			}
		}
		if i++; i == len(events) {
			i = 0
		}
	}
	sink += decoded + found
	// The harness reads the corpus size from here, so that it counts
	// exactly the files measured.
	b.ReportMetric(float64(len(events)), "events")
}

func benchDecodeBaselineJSONMap(b *testing.B) {
	events := eventFiles(b)
	keys := 0
	b.ReportAllocs()
	b.SetBytes(int64(meanLen(events)))
	i := 0
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(events[i], &m); err == nil {
			keys += len(m)
		}
		if i++; i == len(events) {
			i = 0
		}
	}
	sink += keys
}

// isEventFile reports whether a file of events/ is an event: a JSON file
// other than the corpus's expected.json.
func isEventFile(name string) bool {
	return filepath.Ext(name) == ".json" && name != "expected.json"
}

func meanLen(files [][]byte) int {
	total := 0
	for _, f := range files {
		total += len(f)
	}
	return total / max(len(files), 1)
}

// TestMixedRulesCoverEveryCheck keeps the policy benchmark honest: its rule
// set must exercise every check of the default policy, an exemption, and
// compliant rules.
func TestMixedRulesCoverEveryCheck(t *testing.T) {
	rules := mixedRules()
	eng := policy.Default()
	if _, err := policy.Load(policy.DefaultYAML(), "default"); err != nil {
		t.Skipf("policy engine not available yet: %v", err)
	}
	seen := map[string]bool{}
	compliant, exempt := 0, 0
	for i := range rules {
		vs := eng.Evaluate(&rules[i], policy.EvalContext{Now: evalNow}, nil)
		if len(vs) == 0 {
			compliant++
		}
		for _, v := range vs {
			seen[v.CheckID] = true
			if v.Decision == policy.DecisionExempt {
				exempt++
			}
		}
	}
	for _, id := range []string{"remote-admin-world", "high-risk-ports-public", "unrestricted-ports-world", "default-group-rules", "ephemeral-range-world"} {
		if !seen[id] {
			t.Errorf("no rule of the benchmark set triggers %s (seen %v)", id, slices.Sorted(maps.Keys(seen)))
		}
	}
	if compliant < len(rules)/3 {
		t.Errorf("only %d of %d rules are compliant, want a realistic share", compliant, len(rules))
	}
	if exempt == 0 {
		t.Error("no rule of the benchmark set is exempt")
	}
}
