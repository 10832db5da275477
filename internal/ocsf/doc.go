// Package ocsf writes every sgwarden outcome as an OCSF 1.x event and puts
// it on an EventBridge bus with source "sgwarden", where Security Lake, a
// SIEM or the user's own rules pick it up.
//
// An event-path outcome (reverted, would-revert, alert, exempt, failed) is a
// Detection Finding (class 2004): a change made by someone, found and acted
// on within seconds. That class carries what such a finding needs:
// evidences with the actor, the API call and its source address, the
// affected resources, and the remediation. An audit run is a Compliance
// Finding (class 2003): the account evaluated against the policy and the
// standards it encodes (FSBP, CIS), with a pass/fail status and no actor.
// docs/findings.md maps every field.
package ocsf
