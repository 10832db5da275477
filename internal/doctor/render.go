package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sgwarden/sgwarden/internal/notify"
)

var marks = map[Status]string{StatusPass: "✓", StatusWarn: "!", StatusFail: "✗", StatusSkip: "-"}

// WriteTable prints the checklist for a terminal: one line per check and,
// under each failure or warning, its fix. Text from AWS (names, policy
// details) is escaped (notify.Printable), so it cannot drive the terminal.
func WriteTable(w io.Writer, r *Report) error {
	var b strings.Builder
	p := notify.Printable
	fmt.Fprintf(&b, "sgwarden doctor  account %s  region %s  bus %s\n", p(orDash(r.Account)), p(r.Region), p(r.EventBus))
	fmt.Fprintf(&b, "rule %s -> function %s\n\n", p(orDash(r.Rule)), p(orDash(r.Function)))
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.ID))
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %s %-*s  %s\n", marks[c.Status], width, c.ID, p(c.Detail))
		if c.Fix != "" && (c.Status == StatusFail || c.Status == StatusWarn) {
			fmt.Fprintf(&b, "    %-*s  fix: %s\n", width, "", p(c.Fix))
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
