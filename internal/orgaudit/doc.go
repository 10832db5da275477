// Package orgaudit audits every account and region of an AWS Organization
// in three steps, so that AWS's own engine (a Step Functions Distributed
// Map) can run the middle one in parallel:
//
//   - list: the accounts of the organization (or of some OUs) through
//     Organizations, times the configured regions, as items; the plan is
//     stored beside the run so the report knows what was asked for.
//   - audit: one account and region, through the read role assumed in that
//     account (assume.Role), with the same code as the
//     single-account audit (internal/audit). The full result is stored as a
//     part; a denied role, throttling or a timeout is recorded in the part
//     and in the small status returned, never as an error of the step, so
//     one account never stops the others.
//   - report: reads the parts one at a time, keeps only the aggregates
//     (counts per account and per check, the worst exposures, what could not
//     be audited and why), writes report.json and report.md and publishes one
//     summary alert. An item of the plan without a part is reported as not
//     audited: nothing is assumed compliant.
//
// The Lambda function (functions/orgaudit) and the CLI (sgwarden audit
// --org) both drive these steps; the CLI runs the audit step in a bounded
// pool of goroutines and stores the run in a directory.
package orgaudit
