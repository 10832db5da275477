// Package remediate is sgwarden's event path: it turns one CloudTrail event
// into at most one precise revert and one SNS alert (DESIGN.md sections 5
// and 6).
//
// A Remediator is built once at cold start (New) and handles one event per
// call (Handle):
//
//   - failed calls, sgwarden's own changes (Config.RoleARN), Revoke* and
//     CreateSecurityGroup are ignored with no AWS call;
//   - added or modified rules are judged from the event first, so a
//     compliant change costs no AWS call; a candidate violation is confirmed
//     against the current state (DescribeSecurityGroups for the group's name,
//     VPC and tags, concurrently with DescribeSecurityGroupRules for the
//     rules and their tags), judged again, and only the rule IDs whose
//     decision is revert are revoked, one call per direction; the ENIs
//     carrying the group are listed concurrently with the revoke; the alert
//     is published last. A violating rule event thus costs 5 calls in 3 round trips: the two
//     describes, the revoke alongside DescribeNetworkInterfaces, the
//     publish (plus GetManagedPrefixListEntries when a rule's peer is a
//     prefix list). Both describes are needed because the group's tags
//     (group-tag exemptions, the default group) and the rules' tags
//     (rule-tag exemptions) come from different calls;
//   - prefix-list changes that add a public entry are judged through every
//     rule referencing the list, and the offending entries are removed
//     (Config.PrefixListAction revert) or only reported;
//   - the exemption tag granted or removed is reported with its author;
//   - groups attached to interfaces are judged by effective exposure.
//
// Every event of a supported API ends in exactly one of (docs/remediate.md):
// the offending rules verified gone in the event's own account and region
// (revoked now, or seen absent from a group that exists) with one true
// alert; a compliant, exempt or dry-run decision; or an error returned to
// Lambda plus a FAILED alert naming the event, the group and why. The EC2
// client comes from Config.Clients keyed by the event's (account, region);
// a key it does not serve fails. A not-found answer of a revoke is checked
// by reading the group again; a group that no longer exists is its own
// outcome (group-gone). Throttling and 5xx are retried by the SDK; a
// context deadline keeps a reserve for the FAILED alert; every alert is
// bounded to fit SNS (package notify). Each handler reads as the steps of
// the contract: judge, confirm, revoke, verify, alert.
//
// Handle is safe for concurrent use; each invocation writes one CloudWatch
// Embedded Metric Format line (Config.Metrics) with the counts evaluated,
// violations, reverted and failed, and the latency of each stage.
//
// The audit reuses the revert path through Reverter:
//
//	rv := &remediate.Reverter{EC2: ec2Client, Reader: ec2Client, Logger: logger}
//	outcomes, err := rv.RevertRules(ctx, groupID, violations)
//
// RevertRules revokes, by rule ID, the rules of one group whose violation
// decision is revert, and reports each as revoked, already-gone, group-gone
// or failed; with a Reader, every not-found answer is confirmed against the
// group (ConfirmGone) before it counts as already gone.
// RuleFromEC2, SetGroup and ENIFromEC2 convert EC2 API shapes to the
// policy model.
package remediate
