package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// ErrNotBuilt is wrapped when a function's bootstrap binary is missing.
var ErrNotBuilt = errors.New("lambda bootstrap not built (run make build first)")

// DefaultBuildDir is the repository's build/ directory, where `make build`
// writes remediate/bootstrap and audit/bootstrap. It is found from this
// source file, not the working directory, so tests and `cdk synth` agree.
func DefaultBuildDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		// file is <repo>/infra/cdk/stack/assets.go
		return filepath.Join(filepath.Dir(file), "..", "..", "..", "build"), nil
	}
	// Built with -trimpath: walk up from the working directory instead.
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find build directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "infra", "cdk", "cdk.json")); err == nil {
			return filepath.Join(dir, "build"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find build directory: no infra/cdk/cdk.json above the working directory")
		}
		dir = parent
	}
}

// functionCodeDir returns buildDir/name after checking that it holds an
// executable bootstrap file.
func functionCodeDir(buildDir, name string) (string, error) {
	dir := filepath.Join(buildDir, name)
	info, err := os.Stat(filepath.Join(dir, "bootstrap"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s function: %s: %w", name, filepath.Join(dir, "bootstrap"), ErrNotBuilt)
		}
		return "", fmt.Errorf("%s function: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s function: %s is not a regular file: %w", name, filepath.Join(dir, "bootstrap"), ErrNotBuilt)
	}
	return dir, nil
}
