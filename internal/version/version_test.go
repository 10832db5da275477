package version

import "testing"

func TestStringNeverEmpty(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = ""
	if got := String(); got == "" {
		t.Error(`String() = "" with no link-time version, want a fallback`)
	}
	Version = " v1.2.3 "
	if got := String(); got != "v1.2.3" {
		t.Errorf("String() = %q, want v1.2.3", got)
	}
}
