package doctor_test

import (
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/doctor"
)

// Names from the account are escaped, so a rule or function name cannot
// clear the terminal or forge a "passed" line.
func TestWriteTableEscapesAWSText(t *testing.T) {
	r := &doctor.Report{Account: "123456789012", Region: "us-east-1", EventBus: "default",
		Rule: "evil\x1b[2J", Function: "fn\n  ✓ permission  ok",
		Checks: []doctor.Check{{ID: "rule", Status: doctor.StatusFail, Detail: "rule evil\x1b[2J is disabled", Fix: "enable\rit"}}}
	var b strings.Builder
	if err := doctor.WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "\n  ✓ permission") {
		t.Errorf("WriteTable output carries raw control characters:\n%q", out)
	}
}
