// Package findings writes sgwarden's outcomes to AWS Security Hub CSPM as
// ASFF findings through BatchImportFindings, into the account's default
// product.
//
// There is one finding per (account, region, group, rule, check), with a
// stable Id (ID), so a redelivered event and every audit run update it
// rather than add one. A provider owns Compliance, RecordState, its
// ProductFields and FindingProviderFields; Workflow, Note,
// UserDefinedFields and VerificationState belong to the customer once the
// finding exists, so sgwarden sets them only in the import that creates it:
//
//	open violation (alert, would-revert, failed)  Compliance FAILED,  Workflow NEW
//	reverted, or the rule already gone            Compliance PASSED,  Workflow RESOLVED
//	exempt                                        Compliance FAILED,  Workflow SUPPRESSED, Note = the exemption
//
// RecordState stays ACTIVE; the audit archives (RecordState ARCHIVED,
// Compliance PASSED) the findings whose rule is gone or no longer violates
// (Reconcile). Imports go 100 findings a call, and each finding is kept
// under 240 KB. docs/findings.md maps every field.
package findings
