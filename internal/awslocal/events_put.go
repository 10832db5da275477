package awslocal

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PutEvents (awsJson 1.1, X-Amz-Target AWSEvents.PutEvents) joins the
// EventBridge reads of doctor_events.go. Entries are kept in order so that
// tests can read back what was put (PutEvents on the Server, or GET
// /_awslocal/events).

// putEventsMaxEntries is the most entries one PutEvents takes.
const putEventsMaxEntries = 10

// putEventsMaxBytes bounds the size of one request's entries.
const putEventsMaxBytes = 256 << 10

// PutEvent is one event accepted by PutEvents.
type PutEvent struct {
	ID         string          `json:"id"`
	Region     string          `json:"region"`
	EventBus   string          `json:"eventBus"`
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Detail     json.RawMessage `json:"detail"`
	Resources  []string        `json:"resources,omitempty"`
	Time       time.Time       `json:"time"`
}

type busState struct {
	mu     sync.Mutex
	seq    uint64
	events []PutEvent
}

type eventsPut struct {
	s  *Server
	st *busState
}

type putEntryResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (p eventsPut) putEvents(c *call) (any, *APIError) {
	var in struct {
		Entries []struct {
			Source       string
			DetailType   string
			Detail       string
			EventBusName string
			Resources    []string
			Time         *float64
		}
	}
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if len(in.Entries) == 0 || len(in.Entries) > putEventsMaxEntries {
		return nil, clientErr("ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	size := 0
	for _, e := range in.Entries {
		size += len(e.Source) + len(e.DetailType) + len(e.Detail) + len(e.EventBusName)
		for _, r := range e.Resources {
			size += len(r)
		}
	}
	if size > putEventsMaxBytes {
		return nil, clientErr("ValidationException", "Total size of the entries in the request is over the limit.")
	}
	results := make([]putEntryResult, 0, len(in.Entries))
	failed := 0
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	for _, e := range in.Entries {
		var code, msg string
		var detail map[string]any
		switch {
		case e.Source == "":
			code, msg = "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."
		case e.DetailType == "":
			code, msg = "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."
		case e.Detail == "":
			code, msg = "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."
		case strings.HasPrefix(e.Source, "aws."):
			code, msg = "NotAuthorizedForSourceException", "Not authorized for the source."
		case json.Unmarshal([]byte(e.Detail), &detail) != nil || detail == nil:
			code, msg = "MalformedDetail", "Detail is malformed."
		}
		if code != "" {
			failed++
			results = append(results, putEntryResult{ErrorCode: code, ErrorMessage: msg})
			continue
		}
		p.st.seq++
		id := "awslocal-" + strconv.FormatUint(p.st.seq, 10)
		t := time.Now().UTC()
		if e.Time != nil {
			t = time.Unix(0, int64(*e.Time*1e9)).UTC()
		}
		p.st.events = append(p.st.events, PutEvent{ID: id, Region: c.region, EventBus: busName(e.EventBusName),
			Source: e.Source, DetailType: e.DetailType, Detail: json.RawMessage(e.Detail), Resources: e.Resources, Time: t})
		results = append(results, putEntryResult{EventID: id})
	}
	return map[string]any{"FailedEntryCount": failed, "Entries": results}, nil
}

// addPutEvents adds PutEvents to the EventBridge service doctor reads.
func (s *Server) addPutEvents() {
	js, ok := s.services["events"].(jsonService)
	if !ok {
		return
	}
	s.puts = &busState{}
	js.ops["PutEvents"] = eventsPut{s: s, st: s.puts}.putEvents
}

// PutEvents returns every event accepted by PutEvents, in order.
func (s *Server) PutEvents() []PutEvent {
	if s.puts == nil {
		return nil
	}
	s.puts.mu.Lock()
	defer s.puts.mu.Unlock()
	return append([]PutEvent(nil), s.puts.events...)
}

// ResetPutEvents forgets the events put so far.
func (s *Server) ResetPutEvents() {
	if s.puts == nil {
		return
	}
	s.puts.mu.Lock()
	s.puts.events = nil
	s.puts.mu.Unlock()
}
