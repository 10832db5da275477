package awslocal

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// FaultKind is a kind of injected failure.
type FaultKind string

const (
	// FaultThrottle answers with the service's throttling error
	// (EC2: RequestLimitExceeded, HTTP 503; SNS/STS: Throttling, HTTP 400).
	FaultThrottle FaultKind = "throttle"
	// FaultInternal answers with InternalError, HTTP 500.
	FaultInternal FaultKind = "internal"
	// FaultLatency delays the call by Fault.Latency, then serves it.
	FaultLatency FaultKind = "latency"
	// FaultDeny answers with the access-denied error
	// (EC2: UnauthorizedOperation, HTTP 403; SNS: AuthorizationError, 403;
	// STS: AccessDenied, 403).
	FaultDeny FaultKind = "deny"
)

// Fault injects a failure into calls of one operation.
type Fault struct {
	// Service limits the fault to one service ("ec2", "sns", "sts");
	// empty matches every service.
	Service string `json:"service,omitempty"`
	// Operation is the API action, for example "RevokeSecurityGroupIngress";
	// empty or "*" matches every operation.
	Operation string `json:"operation,omitempty"`
	// Account and Region limit the fault to the requests acting in one
	// account (from the credentials) or one region; empty matches all.
	Account string    `json:"account,omitempty"`
	Region  string    `json:"region,omitempty"`
	Kind    FaultKind `json:"kind"`
	// Count is how many matching calls the fault affects; 0 means every
	// call until the fault is cleared.
	Count int `json:"count,omitempty"`
	// Latency is the delay for FaultLatency.
	Latency time.Duration `json:"latency,omitempty"`
	// Code and Status replace the error code and HTTP status of an error
	// fault, for example {Code: "Throttled", Status: 429} for SNS's
	// modelled throttling error instead of the generic Throttling/400.
	Code   string `json:"code,omitempty"`
	Status int    `json:"status,omitempty"`
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultThrottle, FaultInternal, FaultDeny:
	case FaultLatency:
		if f.Latency <= 0 {
			return fmt.Errorf("awslocal: latency fault needs a positive Latency")
		}
	default:
		return fmt.Errorf("awslocal: unknown fault kind %q", f.Kind)
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("awslocal: fault status %d is not an HTTP error status", f.Status)
	}
	if f.Count < 0 {
		return fmt.Errorf("awslocal: fault count %d < 0", f.Count)
	}
	return nil
}

type activeFault struct {
	Fault
	remaining int // < 0: unlimited
}

type faultSet struct {
	mu     sync.Mutex
	faults []*activeFault
}

// apply consumes the first matching error fault (after sleeping for any
// matching latency faults) and returns its error, or nil.
func (fs *faultSet) apply(ctx context.Context, svc service, c *call) *APIError {
	serviceName, op := c.service, c.op
	var delay time.Duration
	var hit *APIError
	fs.mu.Lock()
	live := fs.faults[:0]
	for _, f := range fs.faults {
		matches := (f.Service == "" || f.Service == serviceName) &&
			(f.Operation == "" || f.Operation == "*" || f.Operation == op) &&
			(f.Account == "" || f.Account == c.account) &&
			(f.Region == "" || f.Region == c.region)
		if matches && (f.Kind == FaultLatency || hit == nil) {
			if f.Kind == FaultLatency {
				delay += f.Latency
			} else {
				hit = svc.faultError(f.Kind, op)
				if f.Code != "" {
					hit.Code = f.Code
				}
				if f.Status != 0 {
					hit.Status = f.Status
				}
			}
			if f.remaining > 0 {
				f.remaining--
				if f.remaining == 0 {
					continue // used up
				}
			}
		}
		live = append(live, f)
	}
	fs.faults = live
	fs.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return hit
}

// InjectFault adds a fault. Faults are checked in the order they were
// added; one call consumes at most one error fault, plus every matching
// latency fault.
func (s *Server) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	af := &activeFault{Fault: f, remaining: f.Count}
	if f.Count == 0 {
		af.remaining = -1
	}
	s.faults.mu.Lock()
	s.faults.faults = append(s.faults.faults, af)
	s.faults.mu.Unlock()
	return nil
}

// Throttle makes the next n calls of op fail with the throttling error.
func (s *Server) Throttle(op string, n int) {
	s.mustInject(Fault{Operation: op, Kind: FaultThrottle, Count: n})
}

// FailNext makes the next n calls of op fail with InternalError (HTTP 500).
func (s *Server) FailNext(op string, n int) {
	s.mustInject(Fault{Operation: op, Kind: FaultInternal, Count: n})
}

// Deny makes every call of op fail with the access-denied error until
// ClearFaults.
func (s *Server) Deny(op string) {
	s.mustInject(Fault{Operation: op, Kind: FaultDeny})
}

// AddLatency delays every call of op by d until ClearFaults.
func (s *Server) AddLatency(op string, d time.Duration) {
	s.mustInject(Fault{Operation: op, Kind: FaultLatency, Latency: d})
}

func (s *Server) mustInject(f Fault) {
	if err := s.InjectFault(f); err != nil {
		// The helpers above build valid faults except for caller-supplied
		// negative counts or durations; record nothing in that case.
		if s.logf != nil {
			s.logf("awslocal: %v", err)
		}
	}
}

// Faults returns the faults still active, with their remaining counts.
func (s *Server) Faults() []Fault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make([]Fault, 0, len(s.faults.faults))
	for _, f := range s.faults.faults {
		ff := f.Fault
		if f.remaining > 0 {
			ff.Count = f.remaining
		}
		out = append(out, ff)
	}
	return out
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.faults = nil
	s.faults.mu.Unlock()
}
