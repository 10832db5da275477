package main

import (
	"path/filepath"
	"time"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/remediate"
	"github.com/sgwarden/sgwarden/internal/samples"
)

// corpus is events/: the emulated account, the events in name order and
// what each must do (events/README.md describes the formats).
type corpus struct {
	dir       string
	fixture   *awslocal.Fixture
	constants samples.Constants
	expected  map[string]samples.Entry // by file name
	files     []string                 // event file names, in order
}

// loadCorpus reads dir (events/).
func loadCorpus(dir string) (*corpus, error) {
	exp, err := samples.LoadExpected(dir)
	if err != nil {
		return nil, err
	}
	c := &corpus{dir: dir, constants: exp.Constants, expected: exp.ByFile()}
	if c.fixture, err = awslocal.LoadFixture(exp.FixturePath(dir)); err != nil {
		return nil, err
	}
	paths, err := samples.Files(dir)
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		c.files = append(c.files, filepath.Base(p))
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
