package audit_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// TestStackManagedAlertOnly: with stackManaged: alert, the audit reports
// a stack-managed group's violating rule as an alert and reverts only the
// group no stack manages.
func TestStackManagedAlertOnly(t *testing.T) {
	const vpc = "vpc-0a1b2c3d4e5f60789"
	ssh := func(id string) awslocal.RuleSpec { r := awslocal.TCP(22, "0.0.0.0/0"); r.ID = id; return r }
	fx := &awslocal.Fixture{
		VPCs: []awslocal.VPCSpec{{ID: vpc, CIDR: "10.0.0.0/16"}},
		Groups: []awslocal.GroupSpec{
			{ID: "sg-0stack0000000001", Name: "stack-web", VPC: vpc, Ingress: []awslocal.RuleSpec{ssh("sgr-0stackssh0000001")},
				Tags: map[string]string{policy.StackNameTag: "web-prod", policy.StackLogicalIDTag: "WebSecurityGroup"}},
			{ID: "sg-0plain0000000001", Name: "plain-web", VPC: vpc, Ingress: []awslocal.RuleSpec{ssh("sgr-0plainssh0000001")}},
		},
	}
	srv := awslocal.Start(t, awslocal.WithFixture(fx))
	eng, err := policy.Load([]byte("version: 1\nbase: default\nstackManaged: alert\n"), "stack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
	rep, err := acct.auditor(eng).Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	seen := 0
	for _, f := range rep.Violations {
		var want policy.Decision
		switch f.Rule.ID {
		case "sgr-0stackssh0000001":
			want = policy.DecisionAlert
		case "sgr-0plainssh0000001":
			want = policy.DecisionRevert
		default:
			continue // the VPC's default group
		}
		seen++
		if f.Decision != want {
			t.Errorf("finding %s/%s decision %s, want %s", f.Rule.ID, f.Check, f.Decision, want)
		}
	}
	if seen == 0 {
		t.Fatalf("no finding on the two ssh rules among %d", len(rep.Violations))
	}
	left := ruleIDs(t, srv)
	if !slices.Contains(left, "sgr-0stackssh0000001") || slices.Contains(left, "sgr-0plainssh0000001") {
		t.Errorf("rules left %v: want the stack-managed rule kept and the other reverted", left)
	}
}
