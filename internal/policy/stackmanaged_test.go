package policy

import (
	"strings"
	"testing"
)

func TestStackManagedAction(t *testing.T) {
	tests := []struct {
		yaml    string
		want    Action
		wantErr string
	}{
		{"version: 1\nbase: default\n", ActionRevert, ""},
		{"version: 1\nbase: default\nstackManaged: alert\n", ActionAlert, ""},
		{"version: 1\nbase: default\nstackManaged: revert\n", ActionRevert, ""},
		{"version: 1\nbase: default\nstackManaged: ignore\n", "", `3:15: stackManaged: unknown action "ignore" for stack-managed groups (want revert or alert)`},
	}
	for _, tt := range tests {
		e, err := Load([]byte(tt.yaml), "p.yaml")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load(%q) error = %v, want %q", tt.yaml, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Load(%q): %v", tt.yaml, err)
		}
		if got := e.StackManagedAction(); got != tt.want {
			t.Errorf("Load(%q).StackManagedAction() = %s, want %s", tt.yaml, got, tt.want)
		}
	}
	if got := Default().StackManagedAction(); got != ActionRevert {
		t.Errorf("Default().StackManagedAction() = %s, want revert", got)
	}
}
