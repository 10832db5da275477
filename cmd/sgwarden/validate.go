package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// validateResult is validate's JSON output.
type validateResult struct {
	File   string      `json:"file"`
	Valid  bool        `json:"valid"`
	Mode   policy.Mode `json:"mode,omitempty"`
	Checks []checkJSON `json:"checks,omitempty"`
	// Trusted lists the trusted CIDRs and prefix lists, which no check flags.
	Trusted    []string        `json:"trusted,omitempty"`
	Exemptions []exemptionJSON `json:"exemptions,omitempty"`
	Issues     []issueJSON     `json:"issues,omitempty"`
}

// exemptionJSON is one exemption and its expiry status on the day judged.
type exemptionJSON struct {
	ID      string   `json:"id"`
	Reason  string   `json:"reason"`
	Matches string   `json:"matches"`
	Checks  []string `json:"checks,omitempty"`
	Expires string   `json:"expires,omitempty"` // YYYY-MM-DD, the last day it applies
	// Status is "active", "expiring" (within 7 days), "expired" or
	// "no-expiry".
	Status string `json:"status"`
	// Note says it in words: "expires in 3 days", "expired since 2026-11-20".
	Note string `json:"note"`
}

// expiringWithin is how close an expiry date must be to be called out.
const expiringWithin = 7

// expiryStatus judges an exemption's last day against the day now falls on.
func expiryStatus(last, now time.Time) (status, note string) {
	if last.IsZero() {
		return "no-expiry", "never expires"
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	days := int(last.Sub(today).Hours() / 24)
	switch {
	case days < 0:
		return "expired", "expired: its last day was " + last.Format(time.DateOnly) + "; it exempts nothing"
	case days == 0:
		return "expiring", "expires today (" + last.Format(time.DateOnly) + " is its last day)"
	case days <= expiringWithin:
		return "expiring", fmt.Sprintf("expires in %s (last day %s)", plural(days, "day"), last.Format(time.DateOnly))
	}
	return "active", "active through " + last.Format(time.DateOnly)
}

type checkJSON struct {
	ID          string          `json:"id"`
	Severity    policy.Severity `json:"severity"`
	Action      policy.Action   `json:"action"`
	Description string          `json:"description"`
}

type issueJSON struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	text    string
}

func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "[flags] POLICY", `
Load a policy file, report every problem at once (with its line, column and
field), and list the checks it enables, the peers it trusts and its
exemptions with their expiry status (active, expiring within 7 days,
expired). "default" validates the embedded default policy. Exits 1 when
the policy is invalid.`)
	output := fs.outputFlag("table", "json")
	at := fs.atFlag()
	pos, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	now, code, ok := at.time(fs, stderr, time.Now().UTC())
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fs.usageError(stderr, "want exactly one POLICY file, got %d arguments", len(pos))
	}
	name := pos[0]
	var data []byte
	if name == "default" {
		data = policy.DefaultYAML()
	} else {
		var err error
		if data, err = os.ReadFile(name); err != nil {
			fmt.Fprintf(stderr, "sgwarden validate: %v\n", err)
			return exitUsage
		}
	}
	res := validateResult{File: name}
	eng, err := policy.Load(data, name)
	var le *policy.LoadError
	switch {
	case err == nil:
		res.Valid, res.Mode = true, eng.Mode()
		for _, c := range eng.Checks() {
			res.Checks = append(res.Checks, checkJSON{ID: c.ID, Severity: c.Severity, Action: c.Action, Description: c.Description})
		}
		cidrs, lists := eng.Trusted()
		for _, c := range cidrs {
			res.Trusted = append(res.Trusted, c.String())
		}
		res.Trusted = append(res.Trusted, lists...)
		for _, x := range eng.Exemptions() {
			ej := exemptionJSON{ID: x.ID, Reason: x.Reason, Matches: x.Matches, Checks: x.Checks}
			if !x.Expires.IsZero() {
				ej.Expires = x.Expires.Format(time.DateOnly)
			}
			ej.Status, ej.Note = expiryStatus(x.Expires, now)
			if x.Expires.IsZero() && strings.Contains(x.Matches, " tag ") {
				ej.Note = "no date here; a tag value YYYY-MM-DD ends it"
			}
			res.Exemptions = append(res.Exemptions, ej)
		}
	case errors.As(err, &le):
		for _, is := range le.Issues {
			res.Issues = append(res.Issues, issueJSON{Line: is.Line, Column: is.Column, Field: is.Field, Message: is.Message, text: is.String()})
		}
	default:
		fmt.Fprintf(stderr, "sgwarden validate: %v\n", err)
		return exitUsage
	}

	if output.value == "json" {
		if err := writeJSON(stdout, res); err != nil {
			return writeFailed(stderr, "validate", err)
		}
	} else if res.Valid {
		fmt.Fprintf(stdout, "%s: valid, mode %s, %d checks\n\n", name, res.Mode, len(res.Checks))
		t := &table{header: []string{"CHECK", "SEVERITY", "ACTION", "DESCRIPTION"}}
		for _, c := range res.Checks {
			t.add(c.ID, string(c.Severity), string(c.Action), c.Description)
		}
		if err := t.write(stdout, false); err != nil {
			return writeFailed(stderr, "validate", err)
		}
		if err := writeValidateExtras(stdout, &res); err != nil {
			return writeFailed(stderr, "validate", err)
		}
	} else {
		fmt.Fprintf(stdout, "%s: invalid, %d problem(s)\n", name, len(res.Issues))
		for _, is := range res.Issues {
			fmt.Fprintf(stdout, "%s:%s\n", name, is.text)
		}
	}
	if !res.Valid {
		return exitFindings
	}
	return exitOK
}

// writeValidateExtras prints the trusted peers and the exemptions.
func writeValidateExtras(w io.Writer, res *validateResult) error {
	var b strings.Builder
	if len(res.Trusted) > 0 {
		fmt.Fprintf(&b, "\nTrusted (no check flags them): %s\n", strings.Join(res.Trusted, ", "))
	}
	if len(res.Exemptions) > 0 {
		b.WriteString("\n")
		t := &table{header: []string{"EXEMPTION", "STATUS", "MATCHES", "CHECKS", "REASON"}}
		for _, x := range res.Exemptions {
			checks := "all"
			if len(x.Checks) > 0 {
				checks = strings.Join(x.Checks, ", ")
			}
			t.add(x.ID, x.Note, x.Matches, checks, x.Reason)
		}
		if err := t.write(&b, false); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFailed reports an output error (a closed pipe, a full disk).
func writeFailed(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "sgwarden %s: write output: %v\n", cmd, err)
	return exitRuntime
}
