package bench

import (
	"fmt"
	"math"
	"strings"
)

// Unit says how a Quantity is printed.
type Unit uint8

const (
	// Count is a plain number (calls, allocations).
	Count Unit = iota
	// Nanoseconds is a duration in nanoseconds, printed as ns, µs, ms or s.
	Nanoseconds
	// Bytes is a size in bytes, printed in KiB or MiB.
	Bytes
	// Dollars is an amount in US dollars.
	Dollars
)

// Quantity is a measured value with its unit. Per is an optional
// denominator printed after the unit, such as "rule" in "150 ns/rule".
type Quantity struct {
	V    float64
	Unit Unit
	Per  string
}

// Ns is a Quantity of nanoseconds.
func Ns(v float64) Quantity { return Quantity{V: v, Unit: Nanoseconds} }

// Size is a Quantity of bytes.
func Size(v float64) Quantity { return Quantity{V: v, Unit: Bytes} }

// USD is a Quantity of dollars.
func USD(v float64) Quantity { return Quantity{V: v, Unit: Dollars} }

// N is a plain count.
func N(v float64) Quantity { return Quantity{V: v, Unit: Count} }

// PerUnit returns q with Per set, e.g. Ns(150).PerUnit("rule").
func (q Quantity) PerUnit(per string) Quantity { q.Per = per; return q }

const (
	kib = 1 << 10
	mib = 1 << 20
)

// String formats q with three significant figures or so, in the unit that
// keeps the number readable.
func (q Quantity) String() string {
	var s string
	v := q.V
	switch {
	case math.IsNaN(v):
		s = "n/a"
	case q.Unit == Nanoseconds:
		switch a := math.Abs(v); {
		case a < 1e3:
			s = trim(v, 1) + " ns"
		case a < 1e6:
			s = trim(v/1e3, 2) + " µs"
		case a < 1e9:
			s = trim(v/1e6, 2) + " ms"
		default:
			s = trim(v/1e9, 2) + " s"
		}
	case q.Unit == Bytes:
		if math.Abs(v) < mib {
			s = trim(v/kib, 1) + " KiB"
		} else {
			s = trim(v/mib, 1) + " MiB"
		}
	case q.Unit == Dollars:
		if math.Abs(v) < 1 {
			s = "$" + trim(v, 4)
		} else {
			s = "$" + trim(v, 2)
		}
	default:
		s = trim(v, 2)
	}
	if q.Per != "" {
		s += "/" + q.Per
	}
	return s
}

// trim formats v with at most prec decimals, dropping trailing zeros.
func trim(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Cmp is the comparison a Target makes.
type Cmp uint8

const (
	// NoTarget marks a row without a target.
	NoTarget Cmp = iota
	// AtMost is "≤".
	AtMost
	// Below is "<".
	Below
)

// Target is what a figure must meet: either an absolute limit in the
// figure's own unit, or (Relative) a limit on the ratio to the baseline.
type Target struct {
	Cmp      Cmp
	Limit    float64
	Relative bool
}

// AtMostAbs, BelowAbs and AtMostRatio build targets.
func AtMostAbs(limit float64) Target   { return Target{Cmp: AtMost, Limit: limit} }
func BelowAbs(limit float64) Target    { return Target{Cmp: Below, Limit: limit} }
func AtMostRatio(limit float64) Target { return Target{Cmp: AtMost, Limit: limit, Relative: true} }

func (t Target) format(unit Quantity) string {
	if t.Cmp == NoTarget {
		return "—"
	}
	op := "≤"
	if t.Cmp == Below {
		op = "<"
	}
	if t.Relative {
		return op + " " + trim(t.Limit, 2) + "× baseline"
	}
	q := unit
	q.V = t.Limit
	return op + " " + q.String()
}

func (t Target) holds(value, ratio float64) bool {
	v := value
	if t.Relative {
		v = ratio
	}
	if math.IsNaN(v) {
		return false
	}
	if t.Cmp == Below {
		return v < t.Limit
	}
	return v <= t.Limit
}

// Row is one line of the results table: a figure, its baseline measured in
// the same run, and its target. Err is set when the figure could not be
// measured; such a row renders its reason instead of numbers.
type Row struct {
	ID           string // "1", "2a", ...
	Name         string // what is measured
	Value        Quantity
	Baseline     Quantity
	BaselineName string // what the baseline is, e.g. "hello-world"
	Target       Target
	Err          error
}

// Ratio is Value/Baseline, NaN when it is undefined (a zero or missing
// baseline).
func (r Row) Ratio() float64 {
	if r.Baseline.V == 0 || math.IsNaN(r.Baseline.V) || math.IsNaN(r.Value.V) {
		return math.NaN()
	}
	return r.Value.V / r.Baseline.V
}

// Met reports whether the row has a target and meets it. A row without a
// target or without a measurement does not meet anything.
func (r Row) Met() bool {
	return r.Err == nil && r.Target.Cmp != NoTarget && r.Target.holds(r.Value.V, r.Ratio())
}

// Missed reports whether the row was measured, has a target and misses it.
func (r Row) Missed() bool {
	return r.Err == nil && r.Target.Cmp != NoTarget && !r.Met()
}

func (r Row) ratioString() string {
	ratio := r.Ratio()
	switch {
	case !math.IsNaN(ratio):
		if ratio >= 100 {
			return trim(ratio, 0) + "×"
		}
		return trim(ratio, 2) + "×"
	case r.Value.V == 0 && r.Baseline.V == 0:
		return "n/a (0 and 0)"
	default:
		return "n/a"
	}
}

// Markdown renders rows as a Markdown table with the columns
// # | measure | figure | baseline | ratio | target | met?
func Markdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| # | measure | figure | baseline | ratio | target | met? |\n")
	b.WriteString("|---|---|--:|--:|--:|---|---|\n")
	for _, r := range rows {
		if r.Err != nil {
			fmt.Fprintf(&b, "| %s | %s | not measured: %s | — | — | %s | — |\n",
				cell(r.ID), cell(r.Name), cell(r.Err.Error()), cell(r.Target.format(r.Value)))
			continue
		}
		met := "—"
		if r.Target.Cmp != NoTarget {
			met = "yes"
			if !r.Met() {
				met = "**no**"
			}
		}
		base := r.Baseline.String()
		if r.BaselineName != "" {
			base += " (" + r.BaselineName + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			cell(r.ID), cell(r.Name), cell(r.Value.String()), cell(base),
			cell(r.ratioString()), cell(r.Target.format(r.Value)), met)
	}
	return b.String()
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
