package remediate

import (
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"
	"time"
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

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// write emits the EMF line. Failures to write are ignored: metrics must
// never fail an invocation.
func (m *metrics) write(w io.Writer, function, eventID string, now time.Time) {
	if w == nil {
		return
	}
	doc := map[string]any{
		"Function":   function,
		"event_id":   eventID,
		"Evaluated":  m.evaluated,
		"Violations": m.violations,
		"Reverted":   m.reverted,
		"Failed":     m.failed,
	}
	d := emfDirective{
		Namespace:  "sgwarden",
		Dimensions: [][]string{{"Function"}},
		Metrics: []emfMetric{
			{"Evaluated", "Count"}, {"Violations", "Count"}, {"Reverted", "Count"}, {"Failed", "Count"},
		},
	}
	for i, s := range stageOrder {
		if !m.ran[i] {
			continue
		}
		name := s + "Latency"
		d.Metrics = append(d.Metrics, emfMetric{name, "Milliseconds"})
		doc[name] = float64(m.stages[i].Microseconds()) / 1000
	}
	doc["_aws"] = emfMeta{Timestamp: now.UnixMilli(), CloudWatchMetrics: []emfDirective{d}}
	b, err := json.Marshal(doc)
	if err != nil {
		return
	}
	_, _ = w.Write(append(b, '\n'))
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
