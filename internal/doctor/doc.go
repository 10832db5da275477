// Package doctor diagnoses a deployed sgwarden on a live account: the
// things whose absence makes remediation silently not happen.
//
// The loop is CloudTrail -> EventBridge rule -> lambda:InvokeFunction ->
// functions/remediate. Each link can break without any error anywhere: a
// trail that stopped logging, a disabled rule, a pattern that misses event
// names, a target pointing elsewhere, a resource policy that does not allow
// the rule (the seed lesson: the only trace is the FailedInvocations
// metric), a DLQ filling up, or a role that cannot revoke. Run checks each
// link and returns a Report with one Check per link, each failure carrying
// the fix.
//
// Every AWS client is a small interface declared here, so tests use
// function-type fakes; the SDK clients satisfy them.
package doctor
