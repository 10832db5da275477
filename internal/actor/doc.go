// Package actor resolves the principal of a CloudTrail event to the person
// (or pipeline) behind it: an IAM Identity Center user from the session
// name of its AWSReservedSSO_ role, an IAM user, a federated session, or a
// role assumed by a CI system, named by its pipeline role.
//
// It does no I/O: the CloudTrail userIdentity is all it reads, so a result
// is only as good as what the event says. The session name of an assumed
// role is chosen by whoever assumed it; Kind says how much to trust Name.
package actor
