// Package perf holds the Go benchmarks that make bench runs for rows 3 and
// 4, each next to its baseline so that one `go test -bench` run measures
// both on the same machine state:
//
//   - BenchmarkPolicyEvaluate and BenchmarkPolicyBaseline: one op is one
//     rule of a mixed rule set, evaluated against the default policy, or
//     only touched;
//   - BenchmarkDecodeEvaluate and BenchmarkDecodeBaselineJSONMap: one op is
//     one event of events/, decoded and evaluated, or unmarshalled into a
//     map[string]any.
//
// They use only the exported API of internal/policy and internal/cloudtrail.
package perf
