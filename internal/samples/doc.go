// Package samples reads the project's sample-event corpus, events/: the
// EventBridge events in replay order, the emulated account they were
// recorded against (account.yaml) and what each must do (expected.json).
// events/README.md describes the formats.
//
// The corpus test of internal/remediate writes expected.json and checks the
// replay against it; make demo (cmd/sgwarden-demo) replays the same files
// through the real Lambda binary and checks the same outcomes. Both read
// the corpus here, so there is one definition of the format.
package samples
