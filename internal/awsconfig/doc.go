// Package awsconfig builds the aws.Config of sgwarden's CLI (sgwarden
// audit, replay, doctor): the SDK's full credential and region chain
// (profiles, SSO, assumed roles), an HTTP client that honours
// AWS_CA_BUNDLE, and the adaptive retryer the Lambda functions use too
// (internal/awsenv, which builds the functions' configuration from the
// Lambda environment alone).
//
// Endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2 ...) are read
// by the SDK itself, so the same configuration talks to AWS, LocalStack,
// moto or the in-process emulated account.
package awsconfig
