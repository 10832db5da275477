// Package version says which build of sgwarden is running. The CLI prints
// it (`sgwarden version`), alerts and audit reports carry it, and every AWS
// call names it in its user agent, so a message or a CloudTrail record can
// be traced to the build that made it.
package version
