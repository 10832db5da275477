package lambdarie

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// GoCommand returns `go args...` run in dir with the toolchain that built
// the caller (unless GOTOOLCHAIN is already set) and without VCS stamping.
// It runs in its own process group, and cancelling ctx kills the whole
// group, compilers included.
func GoCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if os.Getenv("GOTOOLCHAIN") == "" {
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+runtime.Version())
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// Build runs `go build flags... -o out pkg` in dir, with env added to the
// environment. A failure names the package and the first lines the
// compiler printed.
func Build(ctx context.Context, dir, out, pkg string, flags []string, env ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := GoCommand(ctx, dir, args...)
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w: %s", pkg, err, FirstLines(stderr.String(), 5))
	}
	return nil
}

// BuildBootstrap builds the Lambda function in pkg for the host, as the
// Makefile builds it for Lambda (BuildFlags, CGO_ENABLED=0), so that the
// RIE can run it here.
func BuildBootstrap(ctx context.Context, dir, out, pkg string) error {
	return Build(ctx, dir, out, pkg, BuildFlags, "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
}

// BuildRIE builds the Runtime Interface Emulator (RIEPackage, a tool of
// go.mod) into out, with the bootstraps' -trimpath and CGO_ENABLED=0 so
// that the packages they share (the standard library) compile once.
func BuildRIE(ctx context.Context, dir, out string) error {
	return Build(ctx, dir, out, RIEPackage, []string{"-trimpath"}, "CGO_ENABLED=0")
}
