// Package perf holds the Go benchmarks that make bench runs for rows 3 and
// 4, each with its baseline as a sibling sub-benchmark, so that one
// `go test -bench` run measures both on the same machine state and
// `go tool benchstat -col /impl` compares them:
//
//   - BenchmarkPolicy/impl=baseline and /impl=sgwarden: one op is one rule
//     of a mixed rule set, only touched, or evaluated against the default
//     policy;
//   - BenchmarkDecode/impl=baseline and /impl=sgwarden: one op is one event
//     of events/, unmarshalled into a map[string]any, or decoded and
//     evaluated.
//
// They use only the exported API of internal/policy and internal/cloudtrail.
package perf
