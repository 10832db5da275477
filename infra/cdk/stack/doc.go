// Package stack defines the CloudFormation stack that installs sgwarden in
// one account and region: the EventBridge rule built from the decoder's list
// of supported CloudTrail events, the remediate and audit functions with
// least-privilege roles, the encrypted alert topic and dead-letter queues,
// alarms, and optionally a report bucket and a CloudTrail trail.
//
// NewSgwardenStack builds it from Settings, which ParseSettings reads from
// CDK context. Bad settings are returned as errors, never panics, so `cdk
// synth` fails with a clear message. AddNagChecks applies cdk-nag's
// AwsSolutions pack; every suppression in the stack carries its reason.
//
// With deployment=organization (docs/organizations.md), NewOrganizationStack
// builds the central stack instead: the alert topic and alarm bus of the
// organization, the organization audit (a Step Functions Distributed Map
// over the orgaudit function) and a service-managed StackSet whose inline
// template is the member stack (member.go), synthesized and nag-checked in
// an app of its own. NewArtifactStack makes the per-region bucket the
// member stacks load their code from; the app writes that code under
// cdk.out/sgwarden-artifacts for make deploy to copy there.
package stack
