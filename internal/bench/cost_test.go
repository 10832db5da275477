package bench

import (
	"errors"
	"math"
	"testing"
	"time"
)

var testPrices = Prices{LambdaGBSecond: 0.0000133334, LambdaPerMillionRequests: 0.20, SNSPerMillionPublishes: 0.50}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestMonthly(t *testing.T) {
	tests := []struct {
		name                               string
		w                                  Workload
		gbs, compute, requests, sns, total float64
	}{
		{
			// 1M × 5 ms × 0.125 GB = 625 GB-s
			name: "one million events of 5 ms at 128 MB with a publish each",
			w:    Workload{Invocations: 1e6, Duration: 5 * time.Millisecond, MemoryMB: 128, Publishes: 1e6},
			gbs:  625, compute: 625 * 0.0000133334, requests: 0.20, sns: 0.50,
			total: 625*0.0000133334 + 0.70,
		},
		{
			name: "duration rounds up to the next millisecond",
			w:    Workload{Invocations: 1000, Duration: 1100 * time.Microsecond, MemoryMB: 1024},
			gbs:  2, compute: 2 * 0.0000133334, requests: 0.0002, total: 2*0.0000133334 + 0.0002,
		},
		{
			// 730 × 12 s × 0.125 GB = 1095 GB-s
			name: "hourly audit of 12 s",
			w:    Workload{Invocations: HoursPerMonth, Duration: 12 * time.Second, MemoryMB: 128, Publishes: HoursPerMonth},
			gbs:  1095, compute: 1095 * 0.0000133334, requests: 730 * 0.2 / 1e6, sns: 730 * 0.5 / 1e6,
			total: 1095*0.0000133334 + 730*0.7/1e6,
		},
		{
			name: "zero invocations cost nothing",
			w:    Workload{Duration: time.Second, MemoryMB: 128},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Monthly(tc.w, testPrices)
			if err != nil {
				t.Fatalf("Monthly: %v", err)
			}
			if !near(c.GBSeconds, tc.gbs) || !near(c.Compute, tc.compute) || !near(c.Requests, tc.requests) ||
				!near(c.SNS, tc.sns) || !near(c.Total(), tc.total) {
				t.Errorf("Monthly(%+v) = %+v total %v, want gbs %v compute %v requests %v sns %v total %v",
					tc.w, c, c.Total(), tc.gbs, tc.compute, tc.requests, tc.sns, tc.total)
			}
		})
	}
}

func TestMonthlyRejectsBadWorkloads(t *testing.T) {
	tests := []struct {
		name string
		w    Workload
	}{
		{"negative invocations", Workload{Invocations: -1, MemoryMB: 128}},
		{"NaN invocations", Workload{Invocations: math.NaN(), MemoryMB: 128}},
		{"negative duration", Workload{Invocations: 1, Duration: -time.Millisecond, MemoryMB: 128}},
		{"no memory", Workload{Invocations: 1}},
		{"negative publishes", Workload{Invocations: 1, MemoryMB: 128, Publishes: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Monthly(tc.w, testPrices); !errors.Is(err, ErrWorkload) {
				t.Errorf("Monthly(%+v) error = %v, want ErrWorkload", tc.w, err)
			}
		})
	}
}
