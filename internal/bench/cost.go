package bench

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Prices are the published prices the cost model uses, with the date of
// the page they were read from.
type Prices struct {
	// LambdaGBSecond is the arm64 price per GB-second of duration.
	LambdaGBSecond float64
	// LambdaPerMillionRequests is the price per million invocations.
	LambdaPerMillionRequests float64
	// SNSPerMillionPublishes is the price per million SNS publish requests.
	SNSPerMillionPublishes float64
	// Source names the region and the price pages with their dates.
	Source string
}

// Workload is one Lambda function's monthly use.
type Workload struct {
	Invocations float64
	// Duration is the time billed per invocation before rounding. Lambda
	// bills duration rounded up to the next millisecond.
	Duration time.Duration
	MemoryMB int
	// Publishes is the number of SNS publish requests the workload makes.
	Publishes float64
}

// Cost is a monthly cost, broken down.
type Cost struct {
	GBSeconds float64
	Compute   float64
	Requests  float64
	SNS       float64
}

// Total is the sum of the parts.
func (c Cost) Total() float64 { return c.Compute + c.Requests + c.SNS }

// ErrWorkload is wrapped by Monthly for a workload that cannot be priced.
var ErrWorkload = errors.New("invalid workload")

// Monthly prices w. The free tier is not subtracted.
func Monthly(w Workload, p Prices) (Cost, error) {
	switch {
	case w.Invocations < 0 || math.IsNaN(w.Invocations) || math.IsInf(w.Invocations, 0):
		return Cost{}, fmt.Errorf("%w: %v invocations", ErrWorkload, w.Invocations)
	case w.Duration < 0:
		return Cost{}, fmt.Errorf("%w: negative duration %v", ErrWorkload, w.Duration)
	case w.MemoryMB <= 0:
		return Cost{}, fmt.Errorf("%w: memory %d MB", ErrWorkload, w.MemoryMB)
	case w.Publishes < 0:
		return Cost{}, fmt.Errorf("%w: %v publishes", ErrWorkload, w.Publishes)
	}
	billedMs := math.Ceil(float64(w.Duration) / float64(time.Millisecond))
	gbs := w.Invocations * billedMs / 1000 * float64(w.MemoryMB) / 1024
	return Cost{
		GBSeconds: gbs,
		Compute:   gbs * p.LambdaGBSecond,
		Requests:  w.Invocations / 1e6 * p.LambdaPerMillionRequests,
		SNS:       w.Publishes / 1e6 * p.SNSPerMillionPublishes,
	}, nil
}

// HoursPerMonth is the average month (365 × 24 / 12), the figure AWS
// pricing examples use.
const HoursPerMonth = 730
