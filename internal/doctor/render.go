package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

var marks = map[Status]string{StatusPass: "✓", StatusWarn: "!", StatusFail: "✗", StatusSkip: "-"}

// WriteTable prints the checklist for a terminal: one line per check and,
// under each failure or warning, its fix.
func WriteTable(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sgwarden doctor  account %s  region %s  bus %s\n", orDash(r.Account), r.Region, r.EventBus)
	fmt.Fprintf(&b, "rule %s -> function %s\n\n", orDash(r.Rule), orDash(r.Function))
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.ID))
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %s %-*s  %s\n", marks[c.Status], width, c.ID, c.Detail)
		if c.Fix != "" && (c.Status == StatusFail || c.Status == StatusWarn) {
			fmt.Fprintf(&b, "    %-*s  fix: %s\n", width, "", c.Fix)
		}
	}
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d warnings, %d skipped\n",
		r.Count(StatusPass), r.Count(StatusFail), r.Count(StatusWarn), r.Count(StatusSkip))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as one indented JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
