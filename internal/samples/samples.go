package samples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ExpectedFile is the name of the golden file in the corpus directory.
const ExpectedFile = "expected.json"

// DefaultFixture is the account fixture used when Constants.Fixture is empty.
const DefaultFixture = "account.yaml"

// Expected is expected.json.
type Expected struct {
	Comment   string    `json:"comment"`
	Constants Constants `json:"constants"`
	Events    []Entry   `json:"events"`
}

// Constants are the settings the outcomes were recorded with.
type Constants struct {
	Account          string `json:"account"`
	Region           string `json:"region"`
	TopicARN         string `json:"topicArn"`
	RoleARN          string `json:"roleArn"`
	Now              string `json:"now"`
	Policy           string `json:"policy"`
	Mode             string `json:"mode"`
	PrefixListAction string `json:"prefixListAction"`
	Fixture          string `json:"fixture"`
}

// Entry is what one event file must decode to and do.
type Entry struct {
	File    string   `json:"file"`
	Decoded Decoded  `json:"decoded"`
	Outcome *Outcome `json:"outcome"`
}

// Decoded is the decoder's view of the event.
type Decoded struct {
	EventID   string `json:"eventId,omitempty"`
	EventName string `json:"eventName,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Failed    bool   `json:"failed"`
	ErrorCode string `json:"errorCode,omitempty"`
	// Error is the *cloudtrail.DecodeError text when the file does not decode.
	Error string `json:"error,omitempty"`
}

// Outcome is what handling the event did (the fields of remediate.Result
// plus the alert's subject).
type Outcome struct {
	Action         string   `json:"action"`
	Ignored        string   `json:"ignored"`
	Revoked        []string `json:"revoked"`
	AlreadyGone    []string `json:"alreadyGone"`
	Kept           []string `json:"kept"`
	Failed         []string `json:"failed"`
	RemovedEntries []string `json:"removedEntries"`
	Published      bool     `json:"published"`
	AWSCalls       int      `json:"awsCalls"`
	Subject        string   `json:"subject"`
	// Error is the error the handler returned, if any.
	Error string `json:"error,omitempty"`
}

// Diff lists how got differs from want, one phrase per field; nil when
// they agree. Empty and nil lists are equal.
func (want *Outcome) Diff(got *Outcome) []string {
	switch {
	case want == nil && got == nil:
		return nil
	case got == nil:
		return []string{"no outcome, want one"}
	case want == nil:
		return []string{"an outcome, want none"}
	}
	var d []string
	str := func(name, w, g string) {
		if w != g {
			d = append(d, fmt.Sprintf("%s %q, want %q", name, g, w))
		}
	}
	list := func(name string, w, g []string) {
		if !slices.Equal(w, g) && (len(w) > 0 || len(g) > 0) {
			d = append(d, fmt.Sprintf("%s %v, want %v", name, g, w))
		}
	}
	str("action", want.Action, got.Action)
	str("ignored", want.Ignored, got.Ignored)
	list("revoked", want.Revoked, got.Revoked)
	list("already gone", want.AlreadyGone, got.AlreadyGone)
	list("kept", want.Kept, got.Kept)
	list("failed", want.Failed, got.Failed)
	list("removed entries", want.RemovedEntries, got.RemovedEntries)
	if want.Published != got.Published {
		d = append(d, fmt.Sprintf("published %v, want %v", got.Published, want.Published))
	}
	if want.AWSCalls != got.AWSCalls {
		d = append(d, fmt.Sprintf("%d AWS calls, want %d", got.AWSCalls, want.AWSCalls))
	}
	str("subject", want.Subject, got.Subject)
	str("error", want.Error, got.Error)
	return d
}

// Files lists the event files of dir (NN-scenario.json) in replay order.
func Files(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.json"))
	if err != nil {
		return nil, fmt.Errorf("list the events of %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no event (NN-*.json) in %s", dir)
	}
	slices.Sort(files)
	return files, nil
}

// LoadExpected reads dir/expected.json.
func LoadExpected(dir string) (*Expected, error) {
	path := filepath.Join(dir, ExpectedFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the expected outcomes: %w", err)
	}
	var exp Expected
	if err := json.Unmarshal(data, &exp); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return &exp, nil
}

// IsExpected reports whether data is an expected-outcomes file like
// expected.json, so that a tool given a glob of the corpus can tell it from
// an event. Keys are matched exactly (encoding/json would also take
// lookup-events output's "Events" for "events").
func IsExpected(data []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, c := top["constants"]
	_, e := top["events"]
	return c && e
}

// FixturePath is the account fixture the outcomes were recorded against.
func (e *Expected) FixturePath(dir string) string {
	name := strings.TrimSpace(e.Constants.Fixture)
	if name == "" {
		name = DefaultFixture
	}
	return filepath.Join(dir, name)
}

// ByFile indexes the entries by file name.
func (e *Expected) ByFile() map[string]Entry {
	m := make(map[string]Entry, len(e.Events))
	for _, ev := range e.Events {
		m[ev.File] = ev
	}
	return m
}
