// Package awsenv builds the aws.Config of sgwarden's Lambda functions from
// the process environment alone, the way Lambda provides it: AWS_REGION,
// the execution role's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, and the optional AWS_ENDPOINT_URL(_<SERVICE>),
// AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT and AWS_CA_BUNDLE.
//
// It does not import the SDK's config package. That package carries the
// shared-config, SSO, STS and sign-in credential providers, whose package
// initialisation alone costs about 1.8 ms of every cold start and which a
// Lambda function never uses. The CLI, which does need profiles and SSO,
// uses internal/awsconfig instead; both share the retryer defined here.
package awsenv
