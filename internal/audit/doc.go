// Package audit is sgwarden's scheduled full scan.
//
// An [Auditor] is built once (policy engine, a per-region EC2 client factory,
// an optional [Reverter], [Publisher] and [ObjectPutter]) and then [Auditor.Run]
// scans every configured region: it pages through DescribeSecurityGroups,
// DescribeSecurityGroupRules and DescribeNetworkInterfaces, resolves only the
// managed prefix lists that rules reference, evaluates every rule, computes
// the effective exposure of every network interface across all its groups,
// reverts in enforce mode (bounded per run), publishes one summary to SNS and
// writes the full [Report] (a stable, versioned JSON document described in
// docs/audit.md) to the log and, when configured, to S3.
//
// The same code serves the scheduled Lambda (functions/audit) and the CLI
// (sgwarden audit), which can also run on a saved JSON dump through
// [LoadDump] and [DumpClient] without any AWS call.
//
// A region that cannot be scanned does not lose the others: the report lists
// what was not scanned, the rest is still evaluated and published, and Run
// returns a [*PartialError].
package audit
