package stack

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPublishArtifacts runs publish-artifacts.sh (what make deploy runs
// between the artifact stacks and the central stack) against a fake aws
// CLI, and checks that it copies the code to the bucket of every region,
// with the CLI's region standing for an empty line.
func TestPublishArtifacts(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "publish-artifacts.sh")
	for _, tc := range []struct {
		name, regions string
		want          []string
	}{
		{"listed regions", "eu-west-1\nus-east-1\n", []string{
			"s3 cp --recursive --only-show-errors --region eu-west-1 cdk.out/sgwarden-artifacts/code/ s3://sgwarden-artifacts-123456789012-eu-west-1/",
			"s3 cp --recursive --only-show-errors --region us-east-1 cdk.out/sgwarden-artifacts/code/ s3://sgwarden-artifacts-123456789012-us-east-1/",
		}},
		{"the CLI's region", "\n", []string{
			"s3 cp --recursive --only-show-errors --region ap-south-2 cdk.out/sgwarden-artifacts/code/ s3://sgwarden-artifacts-123456789012-ap-south-2/",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			art := filepath.Join(dir, "cdk.out", ArtifactsDir)
			if err := os.MkdirAll(filepath.Join(art, "code", "remediate"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(art, "regions.txt"), []byte(tc.regions), 0o644); err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(dir, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(dir, "aws.log")
			fake := "#!/bin/sh\ncase \"$1 $2\" in\n" +
				"\"sts get-caller-identity\") echo 123456789012;;\n" +
				"\"configure get\") echo ap-south-2;;\n" +
				"*) echo \"$*\" >> " + log + ";;\nesac\n"
			if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "AWS_REGION=", "AWS_DEFAULT_REGION=")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("publish-artifacts.sh: %v\n%s", err, out)
			}
			data, _ := os.ReadFile(log)
			if got := strings.Split(strings.TrimSpace(string(data)), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("aws calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
