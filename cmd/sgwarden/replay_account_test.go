package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// replay acts only in its own account, as the function does: an event of
// another fails closed (docs/remediate.md) and nothing is revoked.
func TestReplayOtherAccountFailsClosed(t *testing.T) {
	world := filepath.Join(events, "01-authorize-ingress-world-ssh.json")
	srv := startAccount(t)
	code, out, stderr := runCmd(t, cmdReplay, "--mode", "enforce", "--account", "210987654321", "--topic-arn", topicARN, "--output", "json", world)
	if code == exitOK || !strings.Contains(out+stderr, "not served") {
		t.Errorf("replay --account 210987654321 = %d; want a failure naming the unserved account\nstdout %s\nstderr %s", code, out, stderr)
	}
	if !ruleExists(t, srv, "sgr-0ae404ccc4e3053b8") {
		t.Error("replay revoked a rule with the clients of another account")
	}
}
