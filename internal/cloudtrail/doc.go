// Package cloudtrail decodes the security-group-changing CloudTrail events
// that EventBridge delivers ("AWS API Call via CloudTrail", source aws.ec2)
// into a normalized Event: who did it, when, and which rules, prefix list
// entries, tags or group attachments it changed.
//
// Decode accepts a full EventBridge envelope or a bare CloudTrail record. It
// does no I/O, never panics on bad input, and reports every problem as a
// *DecodeError that names the event ID and the JSON field, wrapping
// ErrMalformed or ErrUnsupported.
//
// Rules decoded from an event carry the group ID (and name) but not the
// group's other attributes: policy.Rule.GroupKnown is false. Where the
// response lists the created rules (securityGroupRuleSet), those are the
// rules, with their IDs; otherwise the rules come from the request with an
// empty RuleID, to be matched on the exact tuple against the current state.
package cloudtrail
