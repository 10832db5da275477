// Package awsconfig builds the aws.Config shared by sgwarden's Lambda
// functions and CLI: the default credential and region chain, an HTTP client
// that honours AWS_CA_BUNDLE, and the SDK's adaptive retryer with enough
// attempts to ride out short throttling bursts.
//
// Endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2 ...) are read
// by the SDK itself, so the same configuration talks to AWS, LocalStack,
// moto or the in-process emulated account.
package awsconfig
