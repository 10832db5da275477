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
package stack
