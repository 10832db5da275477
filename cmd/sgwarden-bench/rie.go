package main

import (
	"context"
	"time"

	"github.com/sgwarden/sgwarden/internal/lambdarie"
)

// rieProcess is one Runtime Interface Emulator running one bootstrap; the
// launcher itself is internal/lambdarie, shared with the end-to-end tests.
// The RIE execs the bootstrap on the first invoke, not when it starts, so a
// fresh RIE that is listening has no function process yet.
type rieProcess struct{ p *lambdarie.Process }

// startRIE starts the RIE for bootstrap with exactly env as the function's
// environment, and returns once the RIE accepts connections.
func startRIE(ctx context.Context, rie, bootstrap string, env []string) (*rieProcess, error) {
	p, err := lambdarie.Start(ctx, rie, bootstrap, env)
	if err != nil {
		return nil, err
	}
	return &rieProcess{p}, nil
}

// invoke posts payload and returns the response body and the round-trip
// time; a function error payload is an error.
func (r *rieProcess) invoke(ctx context.Context, payload []byte) ([]byte, time.Duration, error) {
	return r.p.Invoke(ctx, payload)
}

// bootstrapPID returns the PID of the function process the RIE forked.
func (r *rieProcess) bootstrapPID() (int, error) { return r.p.BootstrapPID() }

// stop ends the RIE and its bootstrap.
func (r *rieProcess) stop() { r.p.Stop() }

// peakRSS returns the peak resident set size of pid in bytes.
func peakRSS(pid int) (uint64, error) { return lambdarie.PeakRSS(pid) }
