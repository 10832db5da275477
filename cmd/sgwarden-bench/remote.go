package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// pkgAWSLocal is the standalone emulated account.
const pkgAWSLocal = "./cmd/awslocal"

// remoteAccount is the emulated account in a process of its own
// (cmd/awslocal), so that the heap measured in the harness's process is the
// audit's alone: an in-process server's resident state would also raise the
// garbage collector's goal and let more garbage pile up before a collection.
type remoteAccount struct {
	cmd     *exec.Cmd
	url     string
	account string
	client  *http.Client
}

// startRemoteAccount builds and starts cmd/awslocal seeded with f, and
// returns once it serves.
func (h *harness) startRemoteAccount(ctx context.Context, f *awslocal.Fixture) (*remoteAccount, error) {
	bin, err := h.build(ctx, "awslocal", pkgAWSLocal, []string{"build"}, nil)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode the fixture: %w", err)
	}
	path := filepath.Join(h.work, "scale-fixture.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, fmt.Errorf("write the fixture: %w", err)
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--region", benchRegion, "--fixture", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = h.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start awslocal: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start awslocal: %w", err)
	}
	r := &remoteAccount{cmd: cmd, client: awslocal.HTTPClient()}
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case r.url = <-first:
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
	}
	if !strings.HasPrefix(r.url, "http://") {
		r.close()
		return nil, fmt.Errorf("awslocal did not print its URL (got %q)", r.url)
	}
	var health struct {
		Account string `json:"account"`
	}
	if err := r.control(ctx, http.MethodGet, "health", &health); err != nil {
		r.close()
		return nil, err
	}
	r.account = health.Account
	return r, nil
}

// config is an SDK configuration for the harness's calls.
func (r *remoteAccount) config() aws.Config { return awslocal.Config(r.url, benchRegion) }

// calls returns the call record; resetCalls forgets it.
func (r *remoteAccount) calls(ctx context.Context) ([]awslocal.Call, error) {
	var calls []awslocal.Call
	err := r.control(ctx, http.MethodGet, "calls", &calls)
	return calls, err
}

func (r *remoteAccount) resetCalls(ctx context.Context) error {
	return r.control(ctx, http.MethodDelete, "calls", nil)
}

// control calls awslocal's control API and decodes its JSON answer into out.
func (r *remoteAccount) control(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, r.url+"/_awslocal/"+path, nil)
	if err != nil {
		return fmt.Errorf("awslocal %s %s: %w", method, path, err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("awslocal %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("awslocal %s %s: status %d: %s", method, path, resp.StatusCode, body)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("awslocal %s %s: decode: %w", method, path, err)
	}
	return nil
}

// close ends the awslocal process group.
func (r *remoteAccount) close() {
	if r == nil || r.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	if err := r.cmd.Wait(); err != nil && !errors.As(err, new(*exec.ExitError)) {
		fmt.Fprintf(os.Stderr, "sgwarden-bench: awslocal: %v\n", err)
	}
}
