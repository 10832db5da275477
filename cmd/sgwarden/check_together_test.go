package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckEventTogether: an event whose rule is compliant alone but may
// open a port to the world with the group's other rules (rules aggregate)
// is compliant for check, which says it cannot know those rules.
func TestCheckEventTogether(t *testing.T) {
	code, out, stderr := runCmd(t, cmdCheck, filepath.Join(events, "40-authorize-ingress-second-half-completes-world.json"))
	if code != exitOK {
		t.Errorf("check event 40 = %d, want %d (stderr %s)", code, exitOK, stderr)
	}
	if !strings.Contains(out, "the group's other rules are unknown") {
		t.Errorf("check event 40 does not say the group's other rules are unknown:\n%s", out)
	}
}
