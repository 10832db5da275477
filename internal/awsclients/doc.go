// Package awsclients hands out SDK configurations keyed by the account and
// region they act in, so that an event is always handled with clients of its
// own account and region (DESIGN.md section 5, "fail closed").
//
// A Provider answers Config for the keys it serves and an error wrapping
// ErrNotServed for every other key; a caller treats that as a failure to
// report, never as a reason to use some other account's clients.
//
// Local serves exactly one key: the function's own account and region.
// The subpackage assume serves every account through one role name (the
// organization audit's read role), assuming it once per account and renewing
// the credentials before they expire; it lives apart so that the remediate
// function does not link STS.
// Cache builds one client per key on top of any Provider and keeps it, so a
// Provider's configuration must refresh its own credentials (as
// aws.CredentialsCache does) rather than expect to be asked again.
package awsclients
