package lambdarie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// InvokePath is the RIE's invoke endpoint.
const InvokePath = "/2015-03-31/functions/function/invocations"

// RIEPackage is the RIE's main package, declared as a tool in go.mod.
const RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// BuildFlags are the go build flags of every Lambda bootstrap (the
// Makefile's LAMBDA_FLAGS).
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// ErrFunction is wrapped by Invoke when the function returned an error
// payload ({"errorMessage": ..., "errorType": ...}).
var ErrFunction = errors.New("function error")

// Process is one RIE running one bootstrap.
type Process struct {
	cmd    *exec.Cmd
	url    string
	logs   *tailBuffer
	client *http.Client
}

// Start starts the RIE at path rie for bootstrap, with env as the
// function's environment (the RIE forwards its own environment to the
// function), and returns once the RIE accepts connections.
func Start(ctx context.Context, rie, bootstrap string, env []string) (*Process, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	invokeAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	apiAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	cmd := exec.Command(rie,
		"--log-level", "error",
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", apiAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + os.TempDir(), "TZ=UTC"}, env...)
	// Own process group, so that Stop ends the RIE and the bootstrap it
	// forked, and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start RIE: %w", err)
	}
	p := &Process{
		cmd:  cmd,
		url:  "http://" + invokeAddr + InvokePath,
		logs: logs,
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true,
		}},
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", invokeAddr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return p, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.Stop()
			return nil, fmt.Errorf("RIE did not listen on %s: %w (log: %s)", invokeAddr, err, p.logs.tail(5))
		}
		time.Sleep(time.Millisecond)
	}
}

// Invoke posts payload and returns the response body and the time from
// just before the request is written to just after the whole body is read.
// A function error payload is returned with an error wrapping ErrFunction.
func (p *Process) Invoke(ctx context.Context, payload []byte) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(payload))
	if err != nil {
		return nil, 0, fmt.Errorf("invoke: %w", err)
	}
	start := time.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("invoke: %w (log: %s)", err, p.logs.tail(5))
	}
	body, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	resp.Body.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("invoke: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, elapsed, fmt.Errorf("invoke: status %d: %s (log: %s)", resp.StatusCode, FirstLines(string(body), 2), p.logs.tail(5))
	}
	if errorType := functionError(body); errorType != "" {
		return body, elapsed, fmt.Errorf("invoke: %w %s (log: %s)", ErrFunction, errorType, p.logs.tail(5))
	}
	return body, elapsed, nil
}

// Logs returns the last n lines the RIE and the function wrote.
func (p *Process) Logs(n int) string { return p.logs.tail(n) }

// functionError returns the errorType of a Lambda error payload
// ({"errorMessage": ..., "errorType": ...}), or "".
func functionError(body []byte) string {
	if !bytes.Contains(body, []byte(`"errorType"`)) || !bytes.Contains(body, []byte(`"errorMessage"`)) {
		return ""
	}
	return FirstLines(string(body), 1)
}

// BootstrapPID returns the PID of the function process the RIE forked.
func (p *Process) BootstrapPID() (int, error) {
	pid := p.cmd.Process.Pid
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, fmt.Errorf("list RIE threads: %w", err)
	}
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			return strconv.Atoi(f[0])
		}
	}
	return 0, errors.New("the RIE has no child process")
}

// PeakRSS returns VmHWM (peak resident set size) of pid in bytes.
func PeakRSS(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read status of %d: %w", pid, err)
	}
	return parseVmHWM(string(data))
}

// parseVmHWM reads the "VmHWM:   1234 kB" line of /proc/<pid>/status.
func parseVmHWM(status string) (uint64, error) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmHWM line %q", line)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM %q: %w", line, err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmHWM line")
}

// Stop kills the RIE's process group (the RIE and its bootstrap) and waits
// for the RIE.
func (p *Process) Stop() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
	p.client.CloseIdleConnections()
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// tail returns the last n lines.
func (t *tailBuffer) tail(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

// firstLines returns the first n non-empty lines of s, joined by " / ".
func FirstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, " / ")
}
