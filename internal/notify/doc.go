// Package notify turns one handled event (or one audit finding) into one SNS
// message: a stable JSON document for machines, a readable text for e-mail,
// a short subject line and filterable message attributes.
//
// The document is described in docs/alerts.md. Its field names are a public
// contract: add fields, never rename or remove them without bumping Schema.
// Build is pure (no I/O); Message.PublishInput converts the result into an
// sns.PublishInput with MessageStructure "json".
//
// Nothing in an Alert ever carries credentials: the actor is described by
// ARN, type, source IP, user agent and invoking service only.
package notify
