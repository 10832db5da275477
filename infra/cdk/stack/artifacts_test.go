package stack

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageFunctionIsContentAddressed: the same inputs give the same key
// (a re-synth is no StackSet update), other code or another policy a new
// one, and the zip holds an executable bootstrap and the policy file.
func TestPackageFunctionIsContentAddressed(t *testing.T) {
	code := t.TempDir()
	if err := os.WriteFile(filepath.Join(code, "bootstrap"), []byte("v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte(customPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	k1, err := packageFunction(out, "remediate", code, pol)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := packageFunction(t.TempDir(), "remediate", code, pol)
	if k1 != k2 || !strings.HasPrefix(k1, "remediate/") || !strings.HasSuffix(k1, ".zip") {
		t.Errorf("keys %s and %s, want one remediate/<sha256>.zip for the same inputs", k1, k2)
	}
	if k3, _ := packageFunction(out, "remediate", code, ""); k3 == k1 {
		t.Errorf("without the policy the key stays %s", k3)
	}
	zr, err := zip.OpenReader(filepath.Join(out, ArtifactsDir, "code", k1))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "bootstrap" && f.Mode()&0o111 == 0 {
			t.Error("bootstrap is not executable in the zip")
		}
	}
	if strings.Join(names, ",") != "bootstrap,policy.yaml" {
		t.Errorf("zip holds %v, want bootstrap and policy.yaml", names)
	}
	if _, err := packageFunction(out, "remediate", t.TempDir(), ""); err == nil {
		t.Error("packageFunction without a bootstrap succeeded")
	}
}
