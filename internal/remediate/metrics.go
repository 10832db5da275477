package remediate

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Stages timed per invocation, reported as <Stage>Latency in milliseconds.
const (
	stageDecode   = "Decode"
	stageEvaluate = "Evaluate"
	stageDescribe = "Describe"
	stageRevoke   = "Revoke"
	stagePublish  = "Publish"
)

var stageOrder = [...]string{stageDecode, stageEvaluate, stageDescribe, stageRevoke, stagePublish}

// callCounter counts AWS calls made by the handler (retries excluded: those
// are attempts of one call). A nil counter counts nothing.
type callCounter struct{ n atomic.Int64 }

func (c *callCounter) add() {
	if c != nil {
		c.n.Add(1)
	}
}

// metrics of one invocation, written as one CloudWatch Embedded Metric
// Format line in namespace "sgwarden".
type metrics struct {
	evaluated  int
	violations int
	reverted   int
	failed     int
	stages     [len(stageOrder)]time.Duration
	ran        [len(stageOrder)]bool
}

func (m *metrics) time(stage string, start time.Time) { m.add(stage, time.Since(start)) }

func (m *metrics) add(stage string, d time.Duration) {
	for i, s := range stageOrder {
		if s == stage {
			m.stages[i] += d
			m.ran[i] = true
			return
		}
	}
}

// write emits the EMF line. It is built by hand, without reflection or a
// map, since it runs on every invocation. Failures to write are ignored:
// metrics must never fail an invocation.
func (m *metrics) write(w io.Writer, function, eventID string, now time.Time) {
	if w == nil {
		return
	}
	b := make([]byte, 0, 640)
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":"sgwarden","Dimensions":[["Function"]],"Metrics":[`...)
	b = append(b, `{"Name":"Evaluated","Unit":"Count"},{"Name":"Violations","Unit":"Count"},{"Name":"Reverted","Unit":"Count"},{"Name":"Failed","Unit":"Count"}`...)
	for i, s := range stageOrder {
		if m.ran[i] {
			b = append(b, `,{"Name":"`...)
			b = append(b, s...)
			b = append(b, `Latency","Unit":"Milliseconds"}`...)
		}
	}
	b = append(b, `]}]},"Function":`...)
	b = appendJSONString(b, function)
	b = append(b, `,"event_id":`...)
	b = appendJSONString(b, eventID)
	for _, c := range [...]struct {
		name string
		n    int
	}{{"Evaluated", m.evaluated}, {"Violations", m.violations}, {"Reverted", m.reverted}, {"Failed", m.failed}} {
		b = append(b, `,"`...)
		b = append(b, c.name...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(c.n), 10)
	}
	for i, s := range stageOrder {
		if m.ran[i] {
			b = append(b, `,"`...)
			b = append(b, s...)
			b = append(b, `Latency":`...)
			b = strconv.AppendFloat(b, float64(m.stages[i].Microseconds())/1000, 'f', -1, 64)
		}
	}
	b = append(b, "}\n"...)
	_, _ = w.Write(b)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// syncWriter serializes the EMF lines of concurrent invocations: each line
// is one Write, and the writer (a bytes.Buffer in tests, a pipe in Lambda)
// need not be safe for concurrent use.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
