package bench

import (
	"math"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd unsorted", []float64{9, 1, 5}, 5},
		{"even takes mean of middle two", []float64{4, 1, 3, 2}, 2.5},
		{"duplicates", []float64{2, 2, 2, 9}, 2},
		{"negative", []float64{-3, -1, -2}, -2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Median(tc.in); got != tc.want {
				t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestMedianEmptyIsNaN(t *testing.T) {
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestMedianDoesNotReorderInput(t *testing.T) {
	in := []float64{3, 1, 2}
	Median(in)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("Median reordered its input: %v", in)
	}
}

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100..1, reversed on purpose
	}
	fiveHundred := make([]float64, 500)
	for i := range fiveHundred {
		fiveHundred[i] = float64(i + 1)
	}
	tests := []struct {
		name string
		in   []float64
		p    float64
		want float64
	}{
		{"p50 of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is max", hundred, 100, 100},
		{"tiny p is min", hundred, 0.001, 1},
		{"p99 of 500 is the 495th", fiveHundred, 99, 495},
		{"p50 of 500 is the 250th", fiveHundred, 50, 250},
		{"single sample", []float64{42}, 99, 42},
		{"p99 of 10 is max", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("Percentile(%s, %v) = %v, want %v", tc.name, tc.p, got, tc.want)
			}
		})
	}
}

func TestPercentileInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		p    float64
	}{
		{"empty", nil, 50},
		{"zero p", []float64{1}, 0},
		{"p above 100", []float64{1}, 101},
		{"NaN p", []float64{1}, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.in, tc.p); !math.IsNaN(got) {
				t.Errorf("Percentile(%v, %v) = %v, want NaN", tc.in, tc.p, got)
			}
		})
	}
}

func TestDurations(t *testing.T) {
	got := Durations([]time.Duration{time.Millisecond, 2 * time.Microsecond})
	if len(got) != 2 || got[0] != 1e6 || got[1] != 2e3 {
		t.Errorf("Durations = %v, want [1e6 2e3]", got)
	}
}
