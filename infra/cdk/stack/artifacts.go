package stack

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ArtifactsDir is the folder of the cloud assembly that holds the Lambda
// packages of the organization shape. StackSet member stacks cannot use CDK
// file assets (those live in the central account's bootstrap bucket, in one
// region), so `make deploy` copies code/ into the artifact bucket of every
// region listed in regions.txt before it deploys the StackSet.
const ArtifactsDir = "sgwarden-artifacts"

// ArtifactBucketName is the artifact bucket of the central account in a
// region; member stacks compute it from the central account ID and their own
// region, so adding a region needs no other change.
func ArtifactBucketName(account, region string) string {
	return artifactBucketPrefix + account + "-" + region
}

const artifactBucketPrefix = "sgwarden-artifacts-"

// lambdaTaskRoot is where Lambda unpacks a function's package.
const lambdaTaskRoot = "/var/task"

// packageFunction writes a deterministic zip of codeDir/bootstrap (and the
// policy file, when given) to outdir/ArtifactsDir/code and returns its key,
// named after its content so that new code is a new key and a StackSet
// update.
func packageFunction(outdir, name, codeDir, policyFile string) (string, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(src, as string, mode os.FileMode) error {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		h := &zip.FileHeader{Name: as, Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if err := add(filepath.Join(codeDir, "bootstrap"), "bootstrap", 0o755); err != nil {
		return "", fmt.Errorf("package %s: %w", name, err)
	}
	if policyFile != "" {
		if err := add(policyFile, filepath.Base(policyFile), 0o644); err != nil {
			return "", fmt.Errorf("package %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("package %s: %w", name, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	key := name + "/" + hex.EncodeToString(sum[:]) + ".zip"
	path := filepath.Join(outdir, ArtifactsDir, "code", filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("package %s: %w", name, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("package %s: %w", name, err)
	}
	return key, nil
}

// writeArtifactRegions records the regions `make deploy` fills; "" stands
// for the region of the CLI's profile.
func writeArtifactRegions(outdir string, regions []string) error {
	path := filepath.Join(outdir, ArtifactsDir, "regions.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strings.Join(regions, "\n")+"\n"), 0o644)
}
