package remediate

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// stackFixture is webFixture with the web group created by a stack.
func stackFixture() *awslocal.Fixture {
	fx := webFixture()
	fx.Groups[0].Tags[policy.StackNameTag] = "web-prod"
	fx.Groups[0].Tags[policy.StackLogicalIDTag] = "WebSecurityGroup"
	fx.Groups[0].Tags["aws:cloudformation:stack-id"] = "arn:aws:cloudformation:us-east-1:" + acctID + ":stack/web-prod/0f1e2d3c"
	return fx
}

func TestStackManagedGroupRevertedByDefault(t *testing.T) {
	a := startAccount(t, stackFixture())
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Action != notify.ActionReverted {
		t.Fatalf("Handle = %+v, want reverted (stackManaged defaults to revert)", res)
	}
	a.wantRules(acctWebSG, nil, []string{ruleSSH})
	al := a.oneAlert()
	if al.Stack == nil || al.Stack.Name != "web-prod" || al.Stack.LogicalID != "WebSecurityGroup" || al.Stack.Action != "revert" {
		t.Errorf("alert stack = %+v, want web-prod / WebSecurityGroup / revert", al.Stack)
	}
	for _, want := range []string{"Stack:     web-prod, logical ID WebSecurityGroup", "the revert shows as drift", "next deploy of the stack reopens the port", "fix WebSecurityGroup in the template"} {
		if !strings.Contains(al.Text, want) {
			t.Errorf("e-mail text lacks %q:\n%s", want, al.Text)
		}
	}
}

func TestStackManagedGroupAlertOnly(t *testing.T) {
	eng, err := policy.Load([]byte("version: 1\nbase: default\nstackManaged: alert\n"), "stack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := startAccount(t, stackFixture(), withEngine(eng))
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Action != notify.ActionAlert || len(res.Revoked) != 0 {
		t.Errorf("Handle = %+v, want an alert and nothing revoked", res)
	}
	if n := a.srv.CallCount("RevokeSecurityGroupIngress"); n != 0 {
		t.Errorf("%d revoke calls on a stack-managed group with stackManaged: alert", n)
	}
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)
	al := a.oneAlert()
	if al.Stack == nil || al.Stack.Action != "alert" || len(al.Rules) != 1 || !strings.Contains(al.Rules[0].Note, "stack-managed") {
		t.Errorf("alert stack %+v rules %+v, want action alert and the rule's note naming stack-managed", al.Stack, al.Rules)
	}
	if !strings.Contains(al.Text, "stackManaged: alert") {
		t.Errorf("e-mail text does not explain the alert-only policy:\n%s", al.Text)
	}

	// A group no stack manages is still reverted under the same policy.
	b := startAccount(t, webFixture(), withEngine(eng))
	if res, err := b.handle(sshEvent(evSSH)); err != nil || res.Action != notify.ActionReverted {
		t.Errorf("unmanaged group under stackManaged: alert = %+v, %v; want reverted", res, err)
	}
}

func TestStackOf(t *testing.T) {
	tagged := &types.SecurityGroup{Tags: []types.Tag{
		{Key: aws.String(policy.StackNameTag), Value: aws.String("net")}, {Key: aws.String(policy.StackLogicalIDTag), Value: aws.String("Sg")},
	}}
	tests := []struct {
		name      string
		g         *types.SecurityGroup
		invokedBy string
		want      string // "name/logicalID", "" for nil
	}{
		{"tags", tagged, "", "net/Sg"},
		{"event by CloudFormation, untagged group", &types.SecurityGroup{}, cloudFormation, "/"},
		{"tags win over the event", tagged, cloudFormation, "net/Sg"},
		{"not managed", &types.SecurityGroup{Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}}, "ec2.amazonaws.com", ""},
		{"no group", nil, "", ""},
	}
	for _, tt := range tests {
		got := ""
		if s := stackOf(tt.g, tt.invokedBy, policy.ActionRevert); s != nil {
			got = s.Name + "/" + s.LogicalID
		}
		if got != tt.want {
			t.Errorf("stackOf(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
