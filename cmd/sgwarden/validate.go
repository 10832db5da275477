package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// validateResult is validate's JSON output.
type validateResult struct {
	File   string      `json:"file"`
	Valid  bool        `json:"valid"`
	Mode   policy.Mode `json:"mode,omitempty"`
	Checks []checkJSON `json:"checks,omitempty"`
	Issues []issueJSON `json:"issues,omitempty"`
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
field), and list the checks it enables. "default" validates the embedded
default policy. Exits 1 when the policy is invalid.`)
	output := fs.outputFlag("table", "json")
	pos, code, ok := fs.parse(args, stdout, stderr)
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
