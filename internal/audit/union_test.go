package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// TestRulesAggregate: a group whose standing rules open a port to the world
// only together yields a finding per contributing rule that names them all,
// and enforce mode reverts exactly those (the public ones); rules on other
// ports, a union with a gap and a private sibling stay.
func TestRulesAggregate(t *testing.T) {
	f, err := awslocal.LoadFixture(filepath.Join("testdata", "union-account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := awslocal.Start(t, awslocal.WithRegion("us-east-1"), awslocal.WithFixture(f))
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(nil, audit.WithMode(policy.ModeEnforce), audit.WithMaxReverts(20)).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var got []string
	for _, v := range rep.Violations {
		if v.Check == "default-group-rules" {
			continue // the VPC's default group, made by the emulator
		}
		s := v.Rule.ID + " " + v.Check + "=" + string(v.Decision)
		if v.Together != nil {
			var ids []string
			for _, r := range v.Together.Rules {
				ids = append(ids, r.RuleID)
			}
			s += " together " + audit.PortsText(v.Together.Protocol, v.Together.FromPort, v.Together.ToPort) + " " + v.Together.Family + " [" + strings.Join(ids, ",") + "]"
		}
		if v.Remediation != nil {
			s += " " + v.Remediation.Status
		}
		got = append(got, s)
	}
	fill := " together tcp/7100 ipv4 [sgr-0fill00000000s1,sgr-0fill00000000s2,sgr-0fill00000000s3,sgr-0fill00000000s4,sgr-0fill00000000s5,sgr-0fill00000000s6,sgr-0fill00000000s7,sgr-0fill00000000s8,sgr-0fill0000000p10]"
	var want []string
	for i := 1; i <= 8; i++ {
		want = append(want, fmt.Sprintf("sgr-0fill00000000s%d unrestricted-ports-world=revert%s %s", i, fill, audit.StatusReverted))
	}
	// The private rule that fills the last gap is named, and kept: removing
	// the public ones closes the opening.
	want = append(want, "sgr-0fill0000000p10 unrestricted-ports-world=alert"+fill)
	want = append(want,
		"sgr-0half0000000low unrestricted-ports-world=revert together tcp/12345 ipv4 [sgr-0half0000000low,sgr-0half000000high] "+audit.StatusReverted,
		"sgr-0half000000high unrestricted-ports-world=revert together tcp/12345 ipv4 [sgr-0half0000000low,sgr-0half000000high] "+audit.StatusReverted,
		"sgr-0list0000000001 unrestricted-udp-world=revert together udp/5353 ipv4 [sgr-0list0000000001] "+audit.StatusReverted,
	)
	if !slices.Equal(got, want) {
		t.Errorf("findings =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, v := range rep.Violations {
		if v.Rule.ID == "sgr-0half0000000low" && !strings.Contains(v.Reason, "together, sgr-0half0000000low (0.0.0.0/1) and sgr-0half000000high (128.0.0.0/1) open tcp/12345 to the whole internet") {
			t.Errorf("reason = %q, want the rules named together", v.Reason)
		}
	}
	left := ruleIDs(t, srv)
	for _, id := range []string{"sgr-0fill0000000p10", "sgr-0private0000001", "sgr-0port0000000022", "sgr-0port0000000023", "sgr-0gap00000000low", "sgr-0gap0000000high"} {
		if !slices.Contains(left, id) {
			t.Errorf("%s was revoked; it does not contribute to a world opening", id)
		}
	}
	for _, id := range []string{"sgr-0half0000000low", "sgr-0half000000high", "sgr-0list0000000001"} {
		if slices.Contains(left, id) {
			t.Errorf("%s is still there", id)
		}
	}
	e, ok := exposure(rep, "eni-0halves00000001")
	if !ok {
		t.Fatal("eni-0halves00000001 is not reported as exposed")
	}
	if got := openText(e); len(got) == 0 || !strings.HasPrefix(got[0], "tcp/12345 world [sg-0halves000000001/sgr-0half0000000low (reverted),sg-0halves000000001/sgr-0half000000high (reverted)]") {
		t.Errorf("exposure of eni-0halves00000001 = %v, want the halves as one world part first", got)
	}
}

// TestRulesAggregateBroaderThan: private prefixes alone add up past a
// broaderThan threshold, so the audit keeps private rules for the unions
// when the policy has such a check (and only then).
func TestRulesAggregateBroaderThan(t *testing.T) {
	f, err := awslocal.LoadFixture(filepath.Join("testdata", "union-account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := awslocal.Start(t, awslocal.WithRegion("us-east-1"), awslocal.WithFixture(f))
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	engine, err := policy.Load([]byte("version: 1\nchecks:\n  - {id: db-broad, severity: high, action: alert, ports: [5432], peer: {broaderThan: 16}}\n"), "broad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := acct.auditor(engine, audit.WithMode(policy.ModeEnforce), audit.WithMaxReverts(10)).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var got []string
	for _, v := range rep.Violations {
		if v.Together == nil || v.Together.World || v.Together.MaxBits != 16 {
			t.Errorf("finding %s %s: together %+v, want a union larger than a /16", v.Rule.ID, v.Check, v.Together)
			continue
		}
		got = append(got, v.Rule.ID+"="+string(v.Decision))
	}
	want := []string{"sgr-0broad000000001=alert", "sgr-0broad000000002=alert", "sgr-0broad000000003=alert"}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
}
