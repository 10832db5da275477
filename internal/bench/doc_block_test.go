package bench

import (
	"errors"
	"testing"
)

func TestReplaceGenerated(t *testing.T) {
	block := func(s string) string { return BeginMarker + "\n" + s + EndMarker }
	tests := []struct {
		name, doc, gen, want string
	}{
		{
			name: "replaces only the block",
			doc:  "# Bench\nhand\n" + block("old\ntable\n") + "\nafter\n",
			gen:  "new\n",
			want: "# Bench\nhand\n" + block("new\n") + "\nafter\n",
		},
		{
			name: "adds a trailing newline to generated",
			doc:  block("x\n") + "\n",
			gen:  "y",
			want: block("y\n") + "\n",
		},
		{
			name: "appends markers to a document without them",
			doc:  "# Bench\nhand",
			gen:  "t\n",
			want: "# Bench\nhand\n\n" + block("t\n") + "\n",
		},
		{
			name: "empty document",
			doc:  "",
			gen:  "t\n",
			want: block("t\n") + "\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReplaceGenerated(tc.doc, tc.gen)
			if err != nil {
				t.Fatalf("ReplaceGenerated: %v", err)
			}
			if got != tc.want {
				t.Errorf("ReplaceGenerated() =\n%q\nwant\n%q", got, tc.want)
			}
			again, err := ReplaceGenerated(got, tc.gen)
			if err != nil || again != got {
				t.Errorf("rerun changed the document: %q, %v", again, err)
			}
		})
	}
}

func TestReplaceGeneratedBrokenMarkers(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"begin only", "a\n" + BeginMarker + "\nb\n"},
		{"end only", "a\n" + EndMarker + "\n"},
		{"reversed", EndMarker + "\n" + BeginMarker + "\n"},
		{"two blocks", BeginMarker + EndMarker + BeginMarker + EndMarker},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReplaceGenerated(tc.doc, "x"); !errors.Is(err, ErrMarkers) {
				t.Errorf("ReplaceGenerated(%q) error = %v, want ErrMarkers", tc.doc, err)
			}
		})
	}
}
