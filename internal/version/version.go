package version

import (
	"runtime/debug"
	"strings"
)

// Version is set at link time by the Makefile:
//
//	-ldflags "-X github.com/sgwarden/sgwarden/internal/version.Version=v1.2.3"
//
// Unset, String falls back to the module version in the build information
// (set by `go install module@version`), and then to "devel".
var Version string

// String returns the version of this build, never empty.
func String() string {
	if v := strings.TrimSpace(Version); v != "" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// UserAgent is the product token AWS calls carry: "sgwarden/VERSION".
func UserAgent() (name, ver string) { return "sgwarden", String() }
