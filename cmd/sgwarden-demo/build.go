package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/sgwarden/sgwarden/internal/lambdarie"
)

// pkgRemediate is the real function the demo runs.
const pkgRemediate = "./functions/remediate"

// binaries are the demo's executables.
type binaries struct {
	bootstrap string
	rie       string
}

// buildBinaries builds the remediate bootstrap for the host (as Lambda
// builds it: CGO_ENABLED=0, -tags lambda.norpc, -trimpath) and the RIE into
// dir, both at once. The Go build cache makes every run after the first
// one quick.
func buildBinaries(ctx context.Context, root, dir string) (binaries, error) {
	b := binaries{
		bootstrap: filepath.Join(dir, "remediate", "bootstrap"),
		rie:       filepath.Join(dir, "aws-lambda-rie"),
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs[0] = goBuild(ctx, root, b.bootstrap, pkgRemediate,
			lambdarie.BuildFlags,
			"GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	}()
	go func() {
		defer wg.Done()
		errs[1] = goBuild(ctx, root, b.rie, lambdarie.RIEPackage, nil)
	}()
	wg.Wait()
	return b, errors.Join(errs...)
}

func goBuild(ctx context.Context, root, out, pkg string, flags []string, env ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	// Own process group, so that an interrupt ends the compilers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if os.Getenv("GOTOOLCHAIN") == "" {
		// Build with the toolchain that built the demo (go.mod's).
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+runtime.Version())
	}
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// moduleRoot finds the directory holding go.mod, from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the sgwarden module: run make demo from the repository")
		}
		dir = parent
	}
}
