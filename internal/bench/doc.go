// Package bench holds the pure parts of make bench (cmd/sgwarden-bench):
// sample statistics, the result table and its Markdown rendering, the
// replacement of the generated block in docs/benchmarks.md, and the Lambda
// cost model. It does no I/O and starts no process, so it is unit-tested
// on its own.
package bench
