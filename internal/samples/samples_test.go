package samples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpus = "../../events"

func TestCorpusIsComplete(t *testing.T) {
	files, err := Files(corpus)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := LoadExpected(corpus)
	if err != nil {
		t.Fatal(err)
	}
	byFile := exp.ByFile()
	for _, f := range files {
		e, ok := byFile[filepath.Base(f)]
		if !ok {
			t.Errorf("%s has no expected outcome in %s", filepath.Base(f), ExpectedFile)
			continue
		}
		if e.Decoded.Error == "" && e.Outcome == nil {
			t.Errorf("%s decodes but has no outcome", e.File)
		}
	}
	if len(byFile) != len(files) {
		t.Errorf("%s lists %d events, events/ holds %d", ExpectedFile, len(byFile), len(files))
	}
	if !strings.HasSuffix(exp.FixturePath(corpus), ".yaml") {
		t.Errorf("FixturePath = %q", exp.FixturePath(corpus))
	}
}

func TestOutcomeDiff(t *testing.T) {
	want := &Outcome{Action: "reverted", Revoked: []string{"sgr-1"}, Published: true, AWSCalls: 5, Subject: "S"}
	tests := []struct {
		name string
		got  *Outcome
		diff []string
	}{
		{"same but an empty list", &Outcome{Action: "reverted", Revoked: []string{"sgr-1"}, AlreadyGone: []string{}, Published: true, AWSCalls: 5, Subject: "S"}, nil},
		{"other rule", &Outcome{Action: "reverted", Revoked: []string{"sgr-2"}, Published: true, AWSCalls: 5, Subject: "S"}, []string{"revoked [sgr-2], want [sgr-1]"}},
		{"nothing", &Outcome{}, []string{`action "", want "reverted"`, "revoked [], want [sgr-1]", "published false, want true", "0 AWS calls, want 5", `subject "", want "S"`}},
		{"missing", nil, []string{"no outcome, want one"}},
	}
	for _, tt := range tests {
		if got := want.Diff(tt.got); strings.Join(got, "|") != strings.Join(tt.diff, "|") {
			t.Errorf("Diff(%s) = %q, want %q", tt.name, got, tt.diff)
		}
	}
}

func TestIsExpected(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, ExpectedFile))
	if err != nil {
		t.Fatal(err)
	}
	if !IsExpected(data) {
		t.Errorf("IsExpected(%s) = false, want true", ExpectedFile)
	}
	files, err := Files(corpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		ev, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if IsExpected(ev) {
			t.Errorf("IsExpected(%s) = true, want false", filepath.Base(f))
		}
	}
	if IsExpected([]byte(`{"Events": [], "Constants": {}}`)) {
		t.Error("IsExpected matched keys case-insensitively")
	}
}
