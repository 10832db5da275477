package awslocal

import (
	"fmt"
	"net/url"
	"sync"
	"time"
)

// Call is one recorded request.
type Call struct {
	Service   string     `json:"service"`
	Region    string     `json:"region"`
	Operation string     `json:"operation"`
	Params    url.Values `json:"params,omitempty"`
	// ErrorCode is the AWS error code returned, empty on success.
	ErrorCode string    `json:"errorCode,omitempty"`
	Status    int       `json:"status"`
	RequestID string    `json:"requestId"`
	Time      time.Time `json:"time"`
}

type recorder struct {
	mu    sync.Mutex
	calls []Call
	limit int // 0: keep every call
}

func (r *recorder) add(c *call, aerr *APIError) {
	rec := Call{
		Service: c.service, Region: c.region, Operation: c.op, Params: c.params,
		Status: 200, RequestID: c.requestID, Time: time.Now().UTC(),
	}
	if aerr != nil {
		rec.ErrorCode, rec.Status = aerr.Code, aerr.Status
	}
	r.mu.Lock()
	if r.limit > 0 && len(r.calls) >= r.limit {
		// Drop the oldest half at once, so trimming stays amortized O(1).
		r.calls = append(r.calls[:0], r.calls[len(r.calls)-r.limit/2:]...)
	}
	r.calls = append(r.calls, rec)
	r.mu.Unlock()
}

// WithCallLimit bounds the call record of a long-running server (the
// standalone server, benchmarks): once n calls are recorded the oldest
// half is forgotten. Calls and CallCount then see only what is kept.
func WithCallLimit(n int) Option {
	return func(s *Server) error {
		if n < 2 {
			return fmt.Errorf("awslocal: call limit %d < 2", n)
		}
		s.rec.limit = n
		return nil
	}
}

// Calls returns every call received since the start or the last
// ResetCalls, in arrival order, including calls that failed (injected
// faults count: a call retried twice appears three times).
func (s *Server) Calls() []Call {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return append([]Call(nil), s.rec.calls...)
}

// CallCount returns how many calls of the operation were received (every
// service). An empty op counts all calls.
func (s *Server) CallCount(op string) int {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	if op == "" {
		return len(s.rec.calls)
	}
	n := 0
	for _, c := range s.rec.calls {
		if c.Operation == op {
			n++
		}
	}
	return n
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.rec.mu.Lock()
	s.rec.calls = nil
	s.rec.mu.Unlock()
}
