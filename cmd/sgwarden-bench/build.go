package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sgwarden/sgwarden/internal/lambdarie"
)

// lambdaFlags are the Makefile's LAMBDA_FLAGS (build_test.go checks that
// they stay in step): every function and the hello-world baseline are built
// with them, so that the baseline differs only by its code.
var lambdaFlags = lambdarie.BuildFlags

// Packages measured.
const (
	pkgHello     = "./cmd/sgwarden-bench/hello"
	pkgRemediate = "./functions/remediate"
	pkgAudit     = "./functions/audit"
	pkgRIE       = lambdarie.RIEPackage
)

// target is a platform to build for.
type target struct{ goos, goarch string }

var (
	hostTarget     = target{runtime.GOOS, runtime.GOARCH}
	deployedTarget = target{"linux", "arm64"} // as `make build` and the CDK stack
)

type buildResult struct {
	path string
	err  error
}

// buildLambda builds pkg as a Lambda bootstrap for t, once per run.
func (h *harness) buildLambda(ctx context.Context, pkg string, t target) (string, error) {
	name := strings.ReplaceAll(strings.TrimPrefix(pkg, "./"), "/", "_") + "-" + t.goos + "-" + t.goarch
	args := append([]string{"build"}, lambdaFlags...)
	env := []string{"GOOS=" + t.goos, "GOARCH=" + t.goarch, "CGO_ENABLED=0"}
	return h.build(ctx, name, pkg, args, env)
}

// buildRIE builds the Runtime Interface Emulator from go.mod's tool
// directive, for the host.
func (h *harness) buildRIE(ctx context.Context) (string, error) {
	return h.build(ctx, "aws-lambda-rie", pkgRIE, []string{"build"}, nil)
}

func (h *harness) build(ctx context.Context, name, pkg string, args, env []string) (string, error) {
	h.buildMu.Lock()
	defer h.buildMu.Unlock()
	if r, ok := h.built[name]; ok {
		return r.path, r.err
	}
	if strings.HasPrefix(pkg, "./") {
		if err := hasGoFiles(filepath.Join(h.root, pkg)); err != nil {
			h.built[name] = buildResult{err: err}
			return "", err
		}
	}
	dir := filepath.Join(h.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := h.goCommand(ctx, append(args, "-o", out, pkg)...)
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	h.logf("go build %s (%s)", pkg, name)
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("go build %s: %w: %s", pkg, err, firstLines(stderr.String(), 3))
		out = ""
	}
	h.built[name] = buildResult{path: out, err: err}
	return out, err
}

// goCommand runs the go command of this run's toolchain in the module root.
func (h *harness) goCommand(ctx context.Context, args ...string) *exec.Cmd {
	return lambdarie.GoCommand(ctx, h.root, args...)
}

// hasGoFiles reports errNotLanded when dir holds no Go file yet, which is
// how a component that has not landed looks.
func hasGoFiles(dir string) error {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	if len(matches) == 0 {
		return fmt.Errorf("%s: %w", dir, errNotLanded)
	}
	return nil
}

// firstLines returns the first n non-empty lines of s, joined by " / ".
func firstLines(s string, n int) string { return lambdarie.FirstLines(s, n) }
