package main

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

// invokePath is the RIE's invoke endpoint.
const invokePath = "/2015-03-31/functions/function/invocations"

// rieProcess is one Runtime Interface Emulator running one bootstrap. The
// RIE execs the bootstrap on the first invoke, not when it starts
// (internal/lambda/rie/handlers.go: InvokeHandler calls InitHandler on the
// first request), so a fresh RIE that is listening has no function process
// yet.
type rieProcess struct {
	cmd    *exec.Cmd
	url    string
	logs   *tailBuffer
	client *http.Client
}

// startRIE starts the RIE for bootstrap with exactly env as the function's
// environment (the RIE forwards its own environment to the function), and
// returns once the RIE accepts connections.
func startRIE(ctx context.Context, rie, bootstrap string, env []string) (*rieProcess, error) {
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
	// Own process group, so that stop ends the RIE and the bootstrap it
	// forked, and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start RIE: %w", err)
	}
	p := &rieProcess{
		cmd:  cmd,
		url:  "http://" + invokeAddr + invokePath,
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
			p.stop()
			return nil, fmt.Errorf("RIE did not listen on %s: %w (log: %s)", invokeAddr, err, p.logs.tail(5))
		}
		time.Sleep(time.Millisecond)
	}
}

// invoke posts payload and returns the response body and the time from
// just before the request is written to just after the whole body is read.
func (p *rieProcess) invoke(ctx context.Context, payload []byte) ([]byte, time.Duration, error) {
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
		return body, elapsed, fmt.Errorf("invoke: status %d: %s (log: %s)", resp.StatusCode, firstLines(string(body), 2), p.logs.tail(5))
	}
	if errorType := functionError(body); errorType != "" {
		return body, elapsed, fmt.Errorf("invoke: function error %s (log: %s)", errorType, p.logs.tail(5))
	}
	return body, elapsed, nil
}

// functionError returns the errorType of a Lambda error payload
// ({"errorMessage": ..., "errorType": ...}), or "".
func functionError(body []byte) string {
	if !bytes.Contains(body, []byte(`"errorType"`)) || !bytes.Contains(body, []byte(`"errorMessage"`)) {
		return ""
	}
	return firstLines(string(body), 1)
}

// bootstrapPID returns the PID of the function process the RIE forked.
func (p *rieProcess) bootstrapPID() (int, error) {
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

// peakRSS returns VmHWM (peak resident set size) of pid in bytes.
func peakRSS(pid int) (uint64, error) {
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

// stop kills the RIE's process group (the RIE and its bootstrap) and waits
// for the RIE.
func (p *rieProcess) stop() {
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
