// Package awslocal is an emulated AWS account for tests, benchmarks and the
// demo. It is an HTTP server that speaks the real wire protocols of the
// services sgwarden uses (EC2 ec2query, SNS and STS awsquery, Organizations
// awsJson 1.1, S3 restXml), so unmodified
// aws-sdk-go-v2 clients pointed at it with BaseEndpoint or AWS_ENDPOINT_URL
// work against it.
//
// Requests are routed by the service name in the SigV4 credential scope of
// the Authorization header; signatures are not verified. Every region is
// accepted and has its own state. The server's account is the management
// account of an emulated organization (AddAccount, AddOU): a request acts in
// the account its access key names, either a key STS AssumeRole issued for a
// role there or the account ID itself; any other key acts in the server's
// own account, so single-account use is unchanged. DenyRole makes a role
// refuse AssumeRole.
//
// Beyond AWS behaviour the server records every call (Calls, CallCount),
// injects faults per operation (throttling, internal errors, latency,
// denial) and can be seeded from Go or from a YAML/JSON fixture. The same
// features are reachable over HTTP under /_awslocal/ for the standalone
// server (cmd/awslocal).
//
// Tests that only use AWS behaviour take their account from Connect, which
// honours SGWARDEN_TEST_ENDPOINT (LocalStack, moto); tests that need the
// features above use StartLocal and skip against an outside endpoint.
//
// awslocal is test infrastructure: Lambda binaries under functions/ must
// never import it. docs/awslocal.md lists what is and is not emulated.
package awslocal
