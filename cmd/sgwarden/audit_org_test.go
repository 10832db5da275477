package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/audit/audittest"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
)

func TestAuditOrg(t *testing.T) {
	srv := startAccount(t)
	org := audittest.OrgScale{Accounts: 3, Regions: []string{"us-east-1", "eu-west-1"}, Groups: 10, BadGroups: 2, RulesPerGroup: 2, NetworkInterfaces: 4}
	if err := org.Seed(srv); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	args := []string{"--org", "--regions", "us-east-1, eu-west-1", "--out", out, "--output", "json"}

	code, stdout, stderr := runCmd(t, cmdAudit, args...)
	if code != exitFindings {
		t.Fatalf("audit --org = %d, want %d (findings); stderr %s", code, exitFindings, stderr)
	}
	var rep orgaudit.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output: %v\n%s", err, stdout)
	}
	planned := org.Items() // not the management account: no member stack there
	if rep.Planned != planned || rep.Audited != planned {
		t.Errorf("report: planned %d audited %d; want %d", rep.Planned, rep.Audited, planned)
	}
	for _, a := range rep.Accounts {
		if a.Account == srv.Account() || a.RulesInViolation != org.BadGroups*len(org.Regions) {
			t.Errorf("account %s: %d rules in violation, want %d", a.Account, a.RulesInViolation, org.BadGroups*len(org.Regions))
		}
	}
	for _, f := range []string{"plan.json", "report.json", "report.md", "parts/" + audittest.OrgAccountID(0) + "-eu-west-1.json"} {
		if _, err := os.Stat(filepath.Join(out, "runs", rep.RunID, f)); err != nil {
			t.Errorf("run file %s: %v", f, err)
		}
	}
	for _, c := range srv.Calls() {
		if strings.HasPrefix(c.Operation, "Revoke") {
			t.Errorf("the CLI called %s", c.Operation)
		}
	}

	// A denied role is reported, the rest still audited, and the exit says so.
	if err := srv.DenyRole(audittest.OrgAccountID(1), "reader"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCmd(t, cmdAudit, "--org", "--role-name", "reader", "--regions", "us-east-1", "--out", out)
	if code != exitRuntime || !strings.Contains(stderr, "1 of 3 account-regions not audited") {
		t.Errorf("audit --org with a denied role = %d, stderr %q; want %d", code, stderr, exitRuntime)
	}
	if !strings.Contains(stdout, audittest.OrgAccountID(1)+" us-east-1: access-denied") {
		t.Errorf("table output lacks the denied account:\n%s", stdout)
	}

	if code, _, _ := runCmd(t, cmdAudit, "--org", "--input", "x.json"); code != exitUsage {
		t.Errorf("--org --input = %d, want usage error", code)
	}
}
