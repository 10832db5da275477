package bench

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestQuantityString(t *testing.T) {
	tests := []struct {
		name string
		q    Quantity
		want string
	}{
		{"ns", Ns(150), "150 ns"},
		{"ns with decimal", Ns(1.25), "1.2 ns"},
		{"µs", Ns(12_340), "12.34 µs"},
		{"ms", Ns(3_500_000), "3.5 ms"},
		{"s", Ns(12_000_000_000), "12 s"},
		{"per rule", Ns(150).PerUnit("rule"), "150 ns/rule"},
		{"KiB", Size(2048), "2 KiB"},
		{"MiB", Size(15.5 * mib), "15.5 MiB"},
		{"small dollars", USD(0.71234), "$0.7123"},
		{"dollars", USD(12.345), "$12.35"},
		{"count", N(4), "4"},
		{"count per", N(0).PerUnit("rule"), "0/rule"},
		{"NaN", Ns(math.NaN()), "n/a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.String(); got != tc.want {
				t.Errorf("%+v.String() = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

func TestRowMet(t *testing.T) {
	tests := []struct {
		name       string
		row        Row
		met, miss  bool
		ratioValid bool
	}{
		{"relative met", Row{Value: Ns(12), Baseline: Ns(10), Target: AtMostRatio(1.5)}, true, false, true},
		{"relative at limit", Row{Value: Ns(15), Baseline: Ns(10), Target: AtMostRatio(1.5)}, true, false, true},
		{"relative missed", Row{Value: Ns(16), Baseline: Ns(10), Target: AtMostRatio(1.5)}, false, true, true},
		{"absolute at most", Row{Value: Ns(200), Baseline: Ns(1), Target: AtMostAbs(200)}, true, false, true},
		{"absolute below at limit misses", Row{Value: Ns(1e6), Baseline: Ns(1), Target: BelowAbs(1e6)}, false, true, true},
		{"zero allocs met with zero baseline", Row{Value: N(0), Baseline: N(0), Target: AtMostAbs(0)}, true, false, false},
		{"relative with zero baseline misses", Row{Value: N(1), Baseline: N(0), Target: AtMostRatio(2)}, false, true, false},
		{"no target", Row{Value: Ns(1), Baseline: Ns(1)}, false, false, true},
		{"not measured", Row{Err: errors.New("boom"), Target: AtMostAbs(1)}, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.row.Met(); got != tc.met {
				t.Errorf("Met() = %v, want %v", got, tc.met)
			}
			if got := tc.row.Missed(); got != tc.miss {
				t.Errorf("Missed() = %v, want %v", got, tc.miss)
			}
			if got := !math.IsNaN(tc.row.Ratio()); got != tc.ratioValid {
				t.Errorf("Ratio() = %v, want valid=%v", tc.row.Ratio(), tc.ratioValid)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	rows := []Row{
		{ID: "1", Name: "Cold start", Value: Ns(12e6), Baseline: Ns(8e6), BaselineName: "hello-world", Target: AtMostRatio(1.5)},
		{ID: "3b", Name: "allocs", Value: N(0).PerUnit("rule"), Baseline: N(0).PerUnit("rule"), Target: AtMostAbs(0)},
		{ID: "5a", Name: "Audit | wall", Value: Ns(40e9), Baseline: Ns(10e9), Target: BelowAbs(30e9)},
		{ID: "6", Name: "RSS", Value: Size(0), Err: errors.New("no pid\nfound"), Target: BelowAbs(40 * mib)},
		{ID: "7", Name: "cost", Value: USD(0.7), Baseline: USD(0.2)},
	}
	got := Markdown(rows)
	want := strings.Join([]string{
		"| # | measure | figure | baseline | ratio | target | met? |",
		"|---|---|--:|--:|--:|---|---|",
		"| 1 | Cold start | 12 ms | 8 ms (hello-world) | 1.5× | ≤ 1.5× baseline | yes |",
		"| 3b | allocs | 0/rule | 0/rule | n/a (0 and 0) | ≤ 0/rule | yes |",
		`| 5a | Audit \| wall | 40 s | 10 s | 4× | < 30 s | **no** |`,
		"| 6 | RSS | not measured: no pid found | — | — | < 40 MiB | — |",
		"| 7 | cost | $0.7 | $0.2 | 3.5× | — | — |",
		"",
	}, "\n")
	if got != want {
		t.Errorf("Markdown() =\n%s\nwant\n%s", got, want)
	}
}

func TestRatioStringLarge(t *testing.T) {
	r := Row{Value: Ns(150), Baseline: Ns(0.5)}
	if got := r.ratioString(); got != "300×" {
		t.Errorf("ratioString() = %q, want 300×", got)
	}
}
