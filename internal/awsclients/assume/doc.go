// Package assume is the awsclients.Provider of the organization audit: it
// serves every member account by assuming a named role there with STS.
// It is a package of its own so that the remediate function, which acts
// only in its own account, does not link the STS client.
package assume
