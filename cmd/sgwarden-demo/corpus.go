package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// corpus is events/: the emulated account, the events in name order and
// what each must do (events/README.md describes the formats).
type corpus struct {
	dir       string
	fixture   *awslocal.Fixture
	constants constants
	expected  map[string]expectedEvent // by file name
	files     []string                 // event file names, in order
}

// constants are the settings expected.json was recorded with.
type constants struct {
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

type expectedEvent struct {
	File    string `json:"file"`
	Decoded struct {
		EventID   string `json:"eventId"`
		EventName string `json:"eventName"`
		Kind      string `json:"kind"`
		Failed    bool   `json:"failed"`
	} `json:"decoded"`
	Outcome outcome `json:"outcome"`
}

// outcome is what handling one event did, as expected.json records it.
type outcome struct {
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
	// Error is the error the handler returned (optional).
	Error string `json:"error,omitempty"`
}

// diff lists how got differs from want, one phrase per field.
func (want outcome) diff(got outcome) []string {
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

// loadCorpus reads dir (events/).
func loadCorpus(dir string) (*corpus, error) {
	c := &corpus{dir: dir, expected: map[string]expectedEvent{}}
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		return nil, fmt.Errorf("read the expected outcomes: %w", err)
	}
	var exp struct {
		Constants constants       `json:"constants"`
		Events    []expectedEvent `json:"events"`
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(dir, "expected.json"), err)
	}
	c.constants = exp.Constants
	for _, e := range exp.Events {
		c.expected[e.File] = e
	}
	fixture := c.constants.Fixture
	if fixture == "" {
		fixture = "account.yaml"
	}
	if c.fixture, err = awslocal.LoadFixture(filepath.Join(dir, fixture)); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list the events: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && strings.HasSuffix(name, ".json") && name != "expected.json" {
			c.files = append(c.files, name)
		}
	}
	slices.Sort(c.files)
	if len(c.files) == 0 {
		return nil, fmt.Errorf("no event in %s", dir)
	}
	return c, nil
}

// shiftExpiries moves the expiry dates of the fixture's exemption tags
// (sgwarden:exempt=YYYY-MM-DD) forward by the days between the corpus's
// recording time and now, so that the real function, which reads the real
// clock, judges them as they were recorded. It returns the shift in days.
func (c *corpus) shiftExpiries(now time.Time) int {
	recorded, err := time.Parse(time.RFC3339, c.constants.Now)
	if err != nil {
		return 0
	}
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	days := int(day(now.UTC()).Sub(day(recorded.UTC())).Hours() / 24)
	if days <= 0 {
		return 0
	}
	shift := func(tags map[string]string) {
		if d, err := time.Parse(time.DateOnly, tags[remediate.ExemptTagKey]); err == nil {
			tags[remediate.ExemptTagKey] = d.AddDate(0, 0, days).Format(time.DateOnly)
		}
	}
	for i := range c.fixture.Groups {
		g := &c.fixture.Groups[i]
		shift(g.Tags)
		for j := range g.Ingress {
			shift(g.Ingress[j].Tags)
		}
		for j := range g.Egress {
			shift(g.Egress[j].Tags)
		}
	}
	return days
}

// groupName returns the fixture's name for a group ID, or "".
func (c *corpus) groupName(id string) string {
	for _, g := range c.fixture.Groups {
		if g.ID == id {
			return g.Name
		}
	}
	return ""
}

// prefixListName returns the fixture's name for a prefix list ID, or "".
func (c *corpus) prefixListName(id string) string {
	for _, p := range c.fixture.PrefixLists {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}
