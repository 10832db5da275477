// Package lambdaenv reads the configuration of sgwarden's Lambda functions
// from their environment, once at cold start. Every bad value is reported
// at once, naming the variable, so a misconfigured deploy fails its init
// with a message that says what to fix instead of panicking later.
//
// The variables are set by the CDK stack (infra/cdk/stack):
//
//	SGWARDEN_POLICY_FILE         policy YAML bundled with the function; unset: embedded default
//	SGWARDEN_MODE                enforce | dry-run; unset: the policy's own mode
//	SGWARDEN_TOPIC_ARN           SNS topic for alerts (required)
//	SGWARDEN_ROLE_ARN            the function's own role, whose changes are ignored
//	SGWARDEN_PREFIX_LIST_ACTION  alert (default) | revert
//	SGWARDEN_REGIONS             comma-separated regions to audit; unset: the function's region
//	SGWARDEN_MAX_REVERTS         bound on reverts per audit run (default 25; 0 = report only)
//	SGWARDEN_REPORT_BUCKET       S3 bucket for audit reports (optional)
//	SGWARDEN_REPORT_PREFIX       key prefix for audit reports (default "reports")
//
// The organization audit (functions/orgaudit, LoadOrg) also reads:
//
//	SGWARDEN_ORG_OUS             comma-separated OU IDs to audit; unset: the whole organization
//	SGWARDEN_READ_ROLE_NAME      role assumed in each member to read (default sgwarden-audit-read)
//	SGWARDEN_REVERT_ROLE_NAME    role assumed in each member to revert (default sgwarden-audit-revert)
//
// and requires SGWARDEN_REPORT_BUCKET, which holds each run's parts and report.
package lambdaenv
