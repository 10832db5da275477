package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// Rule IDs of webFixture.
const (
	ruleHTTPS  = "sgr-0https00000000001" // tcp/443 from the world: compliant
	ruleSSH    = "sgr-0sshworld00000001" // tcp/22 from the world: reverted
	ruleSSHVPN = "sgr-0sshvpn0000000001" // tcp/22 from 10.0.0.0/8: compliant
	webENI     = "eni-0web000000000001"
	webInst    = "i-0web0000000000001"
)

// Event IDs.
const (
	evSSH = "5e1f6d2a-1b2c-4d3e-8f9a-0b1c2d3e4f50"
	evOK  = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
)

func withRuleID(r awslocal.RuleSpec, id string) awslocal.RuleSpec { r.ID = id; return r }

// webFixture is a VPC with a web group whose ingress holds, as after the
// change, the rules the events add; one instance carries the group.
func webFixture() *awslocal.Fixture {
	return &awslocal.Fixture{
		VPCs: []awslocal.VPCSpec{{ID: acctVPC, CIDR: "10.0.0.0/16"}},
		Groups: []awslocal.GroupSpec{{
			ID: acctWebSG, Name: "web", VPC: acctVPC, Tags: map[string]string{"team": "web"},
			Ingress: []awslocal.RuleSpec{
				withRuleID(awslocal.TCP(443, "0.0.0.0/0"), ruleHTTPS),
				withRuleID(awslocal.TCP(22, "0.0.0.0/0"), ruleSSH),
				withRuleID(awslocal.TCP(22, "10.0.0.0/8"), ruleSSHVPN),
			},
		}},
		NetworkInterfaces: []awslocal.ENISpec{{
			ID: webENI, VPC: acctVPC, Subnet: "subnet-0a1b2c3d4e5f60001", Groups: []string{acctWebSG},
			InstanceID: webInst, PrivateIP: "10.0.1.10", PublicIP: "203.0.113.10",
		}},
	}
}

// sshEvent adds tcp/22 from the world to the web group (rule ruleSSH).
func sshEvent(eventID string, opts ...ebOption) []byte {
	return ebEvent("AuthorizeSecurityGroupIngress", eventID,
		authorizeReq(acctWebSG, ipPerm("tcp", 22, 22, "0.0.0.0/0")),
		authorizeResp(ruleItem(acctWebSG, ruleSSH, false, "tcp", 22, 22, "0.0.0.0/0")), opts...)
}

func TestCompliantChangeMakesNoCall(t *testing.T) {
	a := startAccount(t, webFixture())
	ev := ebEvent("AuthorizeSecurityGroupIngress", evOK,
		authorizeReq(acctWebSG, ipPerm("tcp", 443, 443, "0.0.0.0/0"), ipPerm("tcp", 22, 22, "10.0.0.0/8")),
		authorizeResp(ruleItem(acctWebSG, ruleHTTPS, false, "tcp", 443, 443, "0.0.0.0/0"),
			ruleItem(acctWebSG, ruleSSHVPN, false, "tcp", 22, 22, "10.0.0.0/8")))
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Ignored != "compliant" || res.AWSCalls != 0 || res.Published {
		t.Errorf("Handle = %+v, want ignored as compliant with no AWS call", res)
	}
	a.wantCalls()
	if n := len(a.alerts()); n != 0 {
		t.Errorf("published %d alerts, want none", n)
	}
	a.wantRules(acctWebSG, []string{ruleHTTPS, ruleSSH, ruleSSHVPN}, nil)
}

func TestWorldSSHRevertedByRuleID(t *testing.T) {
	a := startAccount(t, webFixture())
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := strings.Join(res.Revoked, ","); got != ruleSSH || res.Action != notify.ActionReverted || !res.Published {
		t.Errorf("Handle = %+v, want %s revoked and a reverted alert", res, ruleSSH)
	}
	// describe (group and rules, concurrently), revoke, ENIs, publish.
	a.wantCalls("DescribeSecurityGroups", "DescribeSecurityGroupRules", "RevokeSecurityGroupIngress", "DescribeNetworkInterfaces", "Publish")
	if res.AWSCalls != len(a.last) {
		t.Errorf("Result.AWSCalls = %d, server saw %d", res.AWSCalls, len(a.last))
	}
	for _, c := range a.last {
		if c.Operation != "RevokeSecurityGroupIngress" {
			continue
		}
		if got := c.Params.Get("SecurityGroupRuleId.1"); got != ruleSSH || c.Params.Has("SecurityGroupRuleId.2") || c.Params.Has("IpPermissions.1.IpProtocol") {
			t.Errorf("revoke params = %v, want exactly rule ID %s", c.Params, ruleSSH)
		}
	}
	a.wantRules(acctWebSG, []string{ruleHTTPS, ruleSSHVPN}, []string{ruleSSH})

	al := a.oneAlert()
	if al.Action != notify.ActionReverted || al.Severity != "critical" || al.DedupKey != evSSH || al.Event.ID != evSSH {
		t.Errorf("alert action/severity/dedup = %s/%s/%s, want reverted/critical/%s", al.Action, al.Severity, al.DedupKey, evSSH)
	}
	if al.Account != acctID || al.Region != "us-east-1" || al.Actor.ARN != acctActor || al.Actor.SourceIP != "198.51.100.7" {
		t.Errorf("alert account/region/actor = %s/%s/%+v", al.Account, al.Region, al.Actor)
	}
	if al.Group == nil || al.Group.ID != acctWebSG || al.Group.Name != "web" || al.Group.VPC != acctVPC || al.Group.Tags["team"] != "web" {
		t.Errorf("alert group = %+v, want web in %s with its tags", al.Group, acctVPC)
	}
	if len(al.Rules) != 1 || al.Rules[0].ID != ruleSSH || al.Rules[0].Outcome != notify.OutcomeRevoked || al.Rules[0].Peer != "0.0.0.0/0" || al.Rules[0].Ports != "22" {
		t.Errorf("alert rules = %+v, want only %s revoked", al.Rules, ruleSSH)
	}
	if len(al.Checks) == 0 || al.Checks[0] != "remote-admin-world" {
		t.Errorf("alert checks = %v, want remote-admin-world first", al.Checks)
	}
	if len(al.Exposed) != 1 || al.Exposed[0].ID != webENI || al.Exposed[0].InstanceID != webInst || al.Exposed[0].PublicIP != "203.0.113.10" {
		t.Errorf("alert exposed = %+v, want %s of %s", al.Exposed, webENI, webInst)
	} else if got := strings.Join(al.Exposed[0].Open, "|"); !strings.Contains(got, "22") {
		t.Errorf("exposed open = %q, want the reverted tcp/22", got)
	}
	if al.Outcome.Revoked != 1 || al.Outcome.Failed != 0 {
		t.Errorf("alert outcome = %+v", al.Outcome)
	}
	for k, want := range map[string]string{notify.AttrAction: "reverted", notify.AttrSeverity: "critical", notify.AttrCheck: "remote-admin-world", notify.AttrEventID: evSSH} {
		if al.Attrs[k] != want {
			t.Errorf("message attribute %s = %q, want %q", k, al.Attrs[k], want)
		}
	}
	if !strings.HasPrefix(al.Subject, "REVERTED tcp/22 from 0.0.0.0/0 on "+acctWebSG) || len(al.Subject) > notify.MaxSubjectLen {
		t.Errorf("subject = %q", al.Subject)
	}
	if !strings.Contains(al.Text, ruleSSH) || !strings.Contains(al.Text, webInst) {
		t.Errorf("e-mail text does not name the rule and the instance:\n%s", al.Text)
	}

	// The logs carry the fixed keys, each once per record.
	a.logRecords()
	logs := a.logs.String()
	for _, want := range []string{`"event_id":"` + evSSH + `"`, `"group_id":"` + acctWebSG + `"`, `"rule_id":"` + ruleSSH + `"`, `"check":"remote-admin-world"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestMixedCIDRsRevokeOnlyTheViolatingRule(t *testing.T) {
	const sibling = "sgr-0sibling000000001"
	fx := webFixture()
	fx.Groups[0].Ingress = append(fx.Groups[0].Ingress, withRuleID(awslocal.TCP(3389, "10.20.0.0/16"), sibling),
		withRuleID(awslocal.TCP(3389, "0.0.0.0/0"), "sgr-0rdpworld00000001"))
	a := startAccount(t, fx)
	// One permission, two CIDRs: the private one must survive.
	ev := ebEvent("AuthorizeSecurityGroupIngress", evSSH,
		authorizeReq(acctWebSG, ipPerm("tcp", 3389, 3389, "10.20.0.0/16", "0.0.0.0/0")),
		authorizeResp(ruleItem(acctWebSG, sibling, false, "tcp", 3389, 3389, "10.20.0.0/16"),
			ruleItem(acctWebSG, "sgr-0rdpworld00000001", false, "tcp", 3389, 3389, "0.0.0.0/0")))
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.Revoked, ",") != "sgr-0rdpworld00000001" {
		t.Errorf("revoked %v, want only sgr-0rdpworld00000001", res.Revoked)
	}
	a.wantRules(acctWebSG, []string{sibling, ruleHTTPS, ruleSSH, ruleSSHVPN}, []string{"sgr-0rdpworld00000001"})
	al := a.oneAlert()
	for _, r := range al.Rules {
		if r.ID == sibling {
			t.Errorf("alert lists the compliant sibling %s: %+v", sibling, r)
		}
	}
}

func TestGroupNameForm(t *testing.T) {
	fx := webFixture()
	fx.VPCs[0].Default = true
	fx.Groups[0].Name = "launch-wizard-1"
	req := `{"groupName": "launch-wizard-1", "ipPermissions": {"items": [` + ipPerm("tcp", 22, 22, "0.0.0.0/0") + `]}}`
	tests := []struct {
		name string
		resp string
	}{
		{"rule set gives the group and rule IDs", authorizeResp(ruleItem(acctWebSG, ruleSSH, false, "tcp", 22, 22, "0.0.0.0/0"))},
		{"old event: name only, tuple match", `{"requestId": "6c1f2a3b-0000-4000-8000-000000000001", "_return": true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startAccount(t, fx)
			res, err := a.handle(ebEvent("AuthorizeSecurityGroupIngress", evSSH, req, tt.resp))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if strings.Join(res.Revoked, ",") != ruleSSH {
				t.Errorf("Handle = %+v, want %s revoked", res, ruleSSH)
			}
			a.wantRules(acctWebSG, []string{ruleHTTPS, ruleSSHVPN}, []string{ruleSSH})
			if al := a.oneAlert(); al.Group == nil || al.Group.ID != acctWebSG || al.Group.Name != "launch-wizard-1" {
				t.Errorf("alert group = %+v, want %s (launch-wizard-1)", al.Group, acctWebSG)
			}
			for _, rec := range a.logRecords() {
				if rec["msg"] == "rule revoked" && rec["group_id"] != acctWebSG {
					t.Errorf("revoke logged with group_id %v, want %s", rec["group_id"], acctWebSG)
				}
			}
		})
	}
}

func TestLegacyEventMatchedOnExactTuple(t *testing.T) {
	a := startAccount(t, webFixture())
	// The flat pre-2021 form: no rule IDs anywhere in the event.
	req := `{"groupId": "` + acctWebSG + `", "ipPermissions": {}, "cidrIp": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22}`
	res, err := a.handle(ebEvent("AuthorizeSecurityGroupIngress", evSSH, req, `{"requestId": "r-1", "_return": true}`))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.Revoked, ",") != ruleSSH {
		t.Errorf("Handle = %+v, want %s (the exact tuple, not the 10.0.0.0/8 sibling) revoked", res, ruleSSH)
	}
	a.wantRules(acctWebSG, []string{ruleHTTPS, ruleSSHVPN}, []string{ruleSSH})
	if a.srv.CallCount("DescribeSecurityGroupRules") == 0 {
		t.Error("no DescribeSecurityGroupRules call: where did the rule ID come from?")
	}
}

func TestModifySecurityGroupRulesToWorld(t *testing.T) {
	const modified = "sgr-0pgmod0000000001"
	fx := webFixture()
	fx.Groups = append(fx.Groups, awslocal.GroupSpec{ID: acctDBSG, Name: "db", VPC: acctVPC,
		Ingress: []awslocal.RuleSpec{
			withRuleID(awslocal.TCP(5432, "0.0.0.0/0"), modified), // was 10.0.0.0/8
			withRuleID(awslocal.TCP(5432, "10.0.0.0/16"), "sgr-0pgapp0000000001"),
		}})
	a := startAccount(t, fx)
	req := `{"ModifySecurityGroupRulesRequest": {"GroupId": "` + acctDBSG + `", "SecurityGroupRule": {"SecurityGroupRuleId": "` + modified + `", "tag": 1,
	  "SecurityGroupRule": {"CidrIpv4": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "Description": "postgres"}}}}`
	resp := `{"ModifySecurityGroupRulesResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "requestId": "r-2", "return": true}}`
	res, err := a.handle(ebEvent("ModifySecurityGroupRules", evSSH, req, resp))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.Revoked, ",") != modified {
		t.Errorf("Handle = %+v, want the modified rule %s revoked", res, modified)
	}
	a.wantRules(acctDBSG, []string{"sgr-0pgapp0000000001"}, []string{modified})
}

func TestModifySecurityGroupRulesChangedBackIsKept(t *testing.T) {
	// The rule was modified to the world and, before the event arrived,
	// back to a private range: the current state wins.
	const modified = "sgr-0pgmod0000000001"
	fx := webFixture()
	fx.Groups = append(fx.Groups, awslocal.GroupSpec{ID: acctDBSG, Name: "db", VPC: acctVPC,
		Ingress: []awslocal.RuleSpec{withRuleID(awslocal.TCP(5432, "10.0.0.0/8"), modified)}})
	a := startAccount(t, fx)
	req := `{"ModifySecurityGroupRulesRequest": {"GroupId": "` + acctDBSG + `", "SecurityGroupRule": {"SecurityGroupRuleId": "` + modified + `",
	  "SecurityGroupRule": {"CidrIpv4": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432}}}}`
	res, err := a.handle(ebEvent("ModifySecurityGroupRules", evSSH, req, `{"ModifySecurityGroupRulesResponse": {"return": true}}`))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(res.Revoked) != 0 || a.srv.CallCount("RevokeSecurityGroupIngress") != 0 {
		t.Errorf("Handle = %+v, want nothing revoked", res)
	}
	a.wantRules(acctDBSG, []string{modified}, nil)
}

func TestExemptGroup(t *testing.T) {
	tests := []struct {
		name       string
		exempt     string
		wantAction notify.Action
		wantGone   bool
	}{
		{"exemption expired", "2026-11-01", notify.ActionReverted, true},
		{"exemption valid", "2026-12-31", notify.ActionExempt, false},
		{"exemption with a reason", "INC-4242 load test", notify.ActionExempt, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := webFixture()
			fx.Groups[0].Tags[ExemptTagKey] = tt.exempt
			a := startAccount(t, fx)
			res, err := a.handle(sshEvent(evSSH))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			al := a.oneAlert()
			if al.Action != tt.wantAction || res.Action != tt.wantAction {
				t.Errorf("action = %s (result %s), want %s", al.Action, res.Action, tt.wantAction)
			}
			if tt.wantGone {
				a.wantRules(acctWebSG, nil, []string{ruleSSH})
				return
			}
			a.wantRules(acctWebSG, []string{ruleSSH}, nil)
			if n := a.srv.CallCount("RevokeSecurityGroupIngress"); n != 0 {
				t.Errorf("%d revoke calls on an exempt group", n)
			}
			if len(al.Rules) != 1 || len(al.Rules[0].Checks) == 0 || al.Rules[0].Checks[0].Exemption != "group-tag-exempt" {
				t.Errorf("alert rules = %+v, want the exemption group-tag-exempt named", al.Rules)
			}
			if !strings.HasPrefix(al.Subject, "EXEMPT") || !strings.Contains(al.Text, "group-tag-exempt") {
				t.Errorf("subject %q / text do not say exempt by group-tag-exempt:\n%s", al.Subject, al.Text)
			}
		})
	}
}

func TestExemptRuleTag(t *testing.T) {
	fx := webFixture()
	fx.Groups[0].Ingress[1].Tags = map[string]string{ExemptTagKey: "bastion, approved in CHG-7"}
	a := startAccount(t, fx)
	if _, err := a.handle(sshEvent(evSSH)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)
	if al := a.oneAlert(); al.Action != notify.ActionExempt || al.Rules[0].Checks[0].Exemption != "rule-tag-exempt" {
		t.Errorf("alert = %s %+v, want exempt by rule-tag-exempt", al.Action, al.Rules)
	}
}

func TestDryRun(t *testing.T) {
	a := startAccount(t, webFixture(), withMode(policy.ModeDryRun))
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(res.Revoked) != 0 || res.Action != notify.ActionWouldRevert {
		t.Errorf("Handle = %+v, want would-revert and nothing revoked", res)
	}
	a.wantCalls("DescribeSecurityGroups", "DescribeSecurityGroupRules", "DescribeNetworkInterfaces", "Publish")
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)
	al := a.oneAlert()
	if al.Action != notify.ActionWouldRevert || al.Mode != "dry-run" || al.Attrs[notify.AttrAction] != "would-revert" || !strings.HasPrefix(al.Subject, "WOULD REVOKE (dry-run)") {
		t.Errorf("alert = %s mode %s attr %s subject %q, want would-revert in dry-run", al.Action, al.Mode, al.Attrs[notify.AttrAction], al.Subject)
	}
	if len(al.Exposed) != 1 || al.Exposed[0].InstanceID != webInst {
		t.Errorf("dry-run alert exposed = %+v, want %s", al.Exposed, webInst)
	}
}

func TestOwnRoleIgnored(t *testing.T) {
	own := "arn:aws:sts::" + acctID + ":assumed-role/sgwarden-remediate/sgwarden-remediate-fn"
	tests := []struct {
		name  string
		event []byte
	}{
		{"own revoke", ebEvent("RevokeSecurityGroupIngress", evSSH,
			`{"groupId": "`+acctWebSG+`", "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "`+ruleSSH+`"}]}}`,
			`{"requestId": "r-3", "_return": true}`, byActor(own, acctOwnRole))},
		{"own authorize (a test or a rollback)", sshEvent(evSSH, byActor(own, acctOwnRole))},
		{"own role with a path in the configuration left out", sshEvent(evSSH,
			byActor(own, "arn:aws:iam::"+acctID+":role/service/sgwarden-remediate"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startAccount(t, webFixture())
			res, err := a.handle(tt.event)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if res.Ignored == "" || res.AWSCalls != 0 {
				t.Errorf("Handle = %+v, want ignored with no AWS call", res)
			}
			a.wantCalls()
			a.wantRules(acctWebSG, []string{ruleSSH}, nil)
		})
	}
}

func TestDuplicateDeliveryRevokesNothingTwice(t *testing.T) {
	a := startAccount(t, webFixture())
	ev := sshEvent(evSSH)
	if _, err := a.handle(ev); err != nil {
		t.Fatalf("first Handle: %v", err)
	}
	res, err := a.handle(ev)
	if err != nil {
		t.Fatalf("second Handle: %v", err)
	}
	if len(res.Revoked) != 0 || strings.Join(res.AlreadyGone, ",") != ruleSSH {
		t.Errorf("second Handle = %+v, want %s already gone and nothing revoked", res, ruleSSH)
	}
	for _, op := range a.lastOps() {
		if strings.HasPrefix(op, "Revoke") {
			t.Errorf("the redelivery called %s", op)
		}
	}
	all := a.alerts()
	if len(all) != 2 {
		t.Fatalf("published %d alerts, want 2 (at least once)", len(all))
	}
	for i, al := range all {
		if al.DedupKey != evSSH || al.Attrs[notify.AttrEventID] != evSSH {
			t.Errorf("alert %d dedup key %q / attribute %q, want the event ID %s", i, al.DedupKey, al.Attrs[notify.AttrEventID], evSSH)
		}
	}
	second := all[1]
	if second.Outcome.AlreadyGone != 1 || second.Outcome.Revoked != 0 || !strings.HasPrefix(second.Subject, "ALREADY GONE") {
		t.Errorf("second alert outcome %+v subject %q, want already gone", second.Outcome, second.Subject)
	}
	if len(second.Rules) != 1 || second.Rules[0].Outcome != notify.OutcomeAlreadyGone || !strings.Contains(second.Rules[0].Note, "already") {
		t.Errorf("second alert rules = %+v, want already-gone with a note", second.Rules)
	}
}

func TestRuleAlreadyRevokedByAHuman(t *testing.T) {
	fx := webFixture()
	fx.Groups[0].Ingress = fx.Groups[0].Ingress[:1] // a human revoked ruleSSH before the event arrived
	a := startAccount(t, fx)
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.AlreadyGone, ",") != ruleSSH || len(res.Revoked) != 0 {
		t.Errorf("Handle = %+v, want %s already gone", res, ruleSSH)
	}
	a.wantCalls("DescribeSecurityGroups", "DescribeSecurityGroupRules", "Publish")
	if al := a.oneAlert(); al.Outcome.AlreadyGone != 1 || al.Rules[0].Outcome != notify.OutcomeAlreadyGone {
		t.Errorf("alert = %+v, want already gone", al.Outcome)
	}
}

// The race: the rule disappears between the describe and the revoke. The
// Reverter gets InvalidSecurityGroupRuleId.NotFound and counts it as done,
// and still revokes the other rule of the batch.
func TestReverterNotFoundCountsAsReverted(t *testing.T) {
	fx := webFixture()
	a := startAccount(t, fx)
	rv := &Reverter{EC2: ec2.NewFromConfig(a.srv.AWSConfig(context.Background()))}
	vs := []policy.Violation{
		{Decision: policy.DecisionRevert, Rule: policy.Rule{GroupID: acctWebSG, RuleID: ruleSSH}},
		{Decision: policy.DecisionRevert, Rule: policy.Rule{GroupID: acctWebSG, RuleID: "sgr-0gonebyhand0000001"}},
		{Decision: policy.DecisionAlert, Rule: policy.Rule{GroupID: acctWebSG, RuleID: ruleHTTPS}},
		{Decision: policy.DecisionRevert, Rule: policy.Rule{GroupID: acctDBSG, RuleID: ruleSSHVPN}},
	}
	outs, err := rv.RevertRules(context.Background(), acctWebSG, vs)
	if err != nil {
		t.Fatalf("RevertRules: %v", err)
	}
	got := map[string]notify.Outcome{}
	for _, o := range outs {
		got[o.RuleID] = o.Outcome
	}
	want := map[string]notify.Outcome{ruleSSH: notify.OutcomeRevoked, "sgr-0gonebyhand0000001": notify.OutcomeAlreadyGone}
	if len(got) != len(want) || got[ruleSSH] != want[ruleSSH] || got["sgr-0gonebyhand0000001"] != want["sgr-0gonebyhand0000001"] {
		t.Errorf("RevertRules = %v, want %v", got, want)
	}
	a.wantRules(acctWebSG, []string{ruleHTTPS, ruleSSHVPN}, []string{ruleSSH})

	// A group that is gone: every rule is already gone, no error.
	outs, err = rv.RevokeRuleIDs(context.Background(), "sg-0deleted0000000001", policy.Ingress, []string{"sgr-0a", "sgr-0b"})
	if err != nil || len(outs) != 2 || outs[0].Outcome != notify.OutcomeAlreadyGone {
		t.Errorf("RevokeRuleIDs on a deleted group = %+v, %v; want already gone", outs, err)
	}
}

func TestThrottledRevokeStillSucceeds(t *testing.T) {
	a := startAccount(t, webFixture())
	a.srv.Throttle("RevokeSecurityGroupIngress", 3)
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.Revoked, ",") != ruleSSH {
		t.Errorf("Handle = %+v, want %s revoked after the throttles", res, ruleSSH)
	}
	if n := a.srv.CallCount("RevokeSecurityGroupIngress"); n != 4 {
		t.Errorf("server saw %d revoke attempts, want 3 throttled + 1", n)
	}
	throttled := 0
	for _, c := range a.last {
		if c.ErrorCode == "RequestLimitExceeded" {
			throttled++
		}
	}
	if throttled != 3 {
		t.Errorf("%d throttled calls, want 3", throttled)
	}
	if res.AWSCalls != 5 {
		t.Errorf("Result.AWSCalls = %d, want 5 (SDK retries are attempts of one call)", res.AWSCalls)
	}
	a.wantRules(acctWebSG, nil, []string{ruleSSH})
	if al := a.oneAlert(); al.Action != notify.ActionReverted {
		t.Errorf("alert action = %s, want reverted", al.Action)
	}
}

func TestRevokeDenied(t *testing.T) {
	a := startAccount(t, webFixture())
	a.srv.Deny("RevokeSecurityGroupIngress")
	res, err := a.handle(sshEvent(evSSH))
	if err == nil {
		t.Fatal("Handle succeeded with the revoke denied")
	}
	if ErrorCode(err) != "UnauthorizedOperation" || !strings.Contains(err.Error(), ruleSSH) || !strings.Contains(err.Error(), acctWebSG) {
		t.Errorf("error = %v, want UnauthorizedOperation naming the rule and group", err)
	}
	if n := a.srv.CallCount("RevokeSecurityGroupIngress"); n != 1 {
		t.Errorf("%d revoke calls, want 1 (access denied is not retried)", n)
	}
	a.srv.ClearFaults()
	if strings.Join(res.Failed, ",") != ruleSSH {
		t.Errorf("Result.Failed = %v, want %s", res.Failed, ruleSSH)
	}
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)
	al := a.oneAlert()
	if al.Action != notify.ActionFailed || al.Attrs[notify.AttrAction] != "failed" || al.Outcome.Failed != 1 || !strings.Contains(al.Outcome.Error, "UnauthorizedOperation") {
		t.Errorf("alert = %s %+v, want a failed alert with the error", al.Action, al.Outcome)
	}
	if !strings.HasPrefix(al.Subject, "FAILED") {
		t.Errorf("subject = %q", al.Subject)
	}
	if !strings.Contains(a.metrics.String(), `"Failed":1`) {
		t.Errorf("EMF line does not count the failure: %s", a.metrics.String())
	}
}

func TestDescribeDeniedFailsWithAlert(t *testing.T) {
	a := startAccount(t, webFixture())
	a.srv.Deny("DescribeSecurityGroupRules")
	_, err := a.handle(sshEvent(evSSH))
	if err == nil || ErrorCode(err) != "UnauthorizedOperation" {
		t.Fatalf("Handle = %v, want the UnauthorizedOperation", err)
	}
	a.srv.ClearFaults()
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)
	if al := a.oneAlert(); al.Action != notify.ActionFailed || len(al.Rules) != 1 || al.Rules[0].ID != ruleSSH {
		t.Errorf("alert = %s %+v, want failed naming %s", al.Action, al.Rules, ruleSSH)
	}
}

func TestSNSDownRevertStandsAndRetryAlerts(t *testing.T) {
	a := startAccount(t, webFixture())
	if err := a.srv.InjectFault(awslocal.Fault{Service: "sns", Operation: "Publish", Kind: awslocal.FaultInternal}); err != nil {
		t.Fatal(err)
	}
	ev := sshEvent(evSSH)
	res, err := a.handle(ev)
	if err == nil {
		t.Fatal("Handle succeeded with SNS down")
	}
	if !strings.Contains(err.Error(), "publish") || !strings.Contains(err.Error(), evSSH) {
		t.Errorf("error = %v, want it to say the publish of %s failed", err, evSSH)
	}
	if strings.Join(res.Revoked, ",") != ruleSSH || res.Published {
		t.Errorf("Handle = %+v, want %s revoked and nothing published", res, ruleSSH)
	}
	a.wantRules(acctWebSG, nil, []string{ruleSSH})
	if n := len(a.srv.SNSMessages()); n != 0 {
		t.Fatalf("%d messages with SNS down", n)
	}

	// Lambda retries the event once SNS is back.
	a.srv.ClearFaults()
	res, err = a.handle(ev)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	for _, op := range a.lastOps() {
		if strings.HasPrefix(op, "Revoke") {
			t.Errorf("the retry called %s", op)
		}
	}
	al := a.oneAlert()
	if al.Action != notify.ActionReverted || al.DedupKey != evSSH || al.Outcome.AlreadyGone != 1 {
		t.Errorf("retry alert = %s %+v dedup %s, want reverted (already gone) for %s", al.Action, al.Outcome, al.DedupKey, evSSH)
	}
	if !res.Published {
		t.Errorf("retry Handle = %+v, want published", res)
	}
}

func TestBadEvents(t *testing.T) {
	tests := []struct {
		name        string
		event       []byte
		wantErr     bool
		wantIgnored string
	}{
		{name: "not JSON", event: []byte(`{"detail-type": "AWS API Call via CloudTrail", "detail": {`), wantErr: true},
		{name: "empty", event: nil, wantErr: true},
		{name: "JSON null", event: []byte(`null`), wantErr: true},
		{name: "detail is a string", event: []byte(`{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":"nope"}`), wantErr: true},
		{name: "ipPermissions of the wrong type", wantErr: true, event: ebEvent("AuthorizeSecurityGroupIngress", evSSH,
			`{"groupId": "`+acctWebSG+`", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": "twenty-two", "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}`, "")},
		{name: "bad CIDR", wantErr: true, event: ebEvent("AuthorizeSecurityGroupIngress", evSSH,
			authorizeReq(acctWebSG, ipPerm("tcp", 22, 22, "0.0.0.0/33")), "")},
		{name: "unknown eventName", wantIgnored: "unsupported event", event: ebEvent("DescribeInstances", evSSH, `{"instancesSet": {}}`, "")},
		{name: "other detail-type", wantIgnored: "unsupported event", event: []byte(`{"version": "0", "id": "7f1e2d3c-0000-4000-8000-000000000001", "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "account": "` + acctID + `", "time": "2026-11-26T06:00:01Z", "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1:` + acctID + `:instance/i-0abc"], "detail": {"instance-id": "i-0abc", "state": "running"}}`)},
		{name: "other service", wantIgnored: "unsupported event", event: []byte(strings.Replace(string(ebEvent("PutBucketPolicy", evSSH, `{"bucketName": "b"}`, "")), `"eventSource": "ec2.amazonaws.com"`, `"eventSource": "s3.amazonaws.com"`, 1))},
		{name: "failed call", wantIgnored: "failed call (UnauthorizedOperation)", event: sshEvent(evSSH, failedWith("UnauthorizedOperation"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startAccount(t, webFixture())
			res, err := a.handle(tt.event)
			if tt.wantErr {
				if err == nil {
					t.Errorf("Handle = %+v, want an error", res)
				}
			} else if err != nil || res.Ignored != tt.wantIgnored {
				t.Errorf("Handle = %+v, %v; want ignored %q", res, err, tt.wantIgnored)
			}
			if tt.wantErr {
				// Fail closed: a FAILED alert with what could be read, and
				// no other AWS call.
				a.wantCalls("Publish")
				if al := a.oneAlert(); al.Action != notify.ActionFailed || al.Outcome.Error == "" {
					t.Errorf("alert = %s (error %q), want failed with the reason", al.Action, al.Outcome.Error)
				}
			} else {
				a.wantCalls()
				if res.AWSCalls != 0 || len(a.alerts()) != 0 {
					t.Errorf("AWS calls %d, alerts %d; want none", res.AWSCalls, len(a.alerts()))
				}
			}
			a.wantRules(acctWebSG, []string{ruleSSH}, nil)
			if !strings.Contains(a.logs.String(), `"level":`) {
				t.Errorf("nothing logged for a %s event", tt.name)
			}
		})
	}
}

func TestUnresolvableGroupFails(t *testing.T) {
	// An event that names no group at all (neither ID nor name) cannot be
	// judged against the current state: it must fail, not pass.
	a := startAccount(t, webFixture())
	ev := ebEvent("AuthorizeSecurityGroupIngress", evSSH, `{"ipPermissions": {"items": [`+ipPerm("tcp", 22, 22, "0.0.0.0/0")+`]}}`, `{"_return": true}`)
	_, err := a.handle(ev)
	if err == nil {
		t.Fatal("Handle succeeded for an event naming no group")
	}
	a.wantRules(acctWebSG, []string{ruleSSH}, nil)
}

func TestMetricsAreEMF(t *testing.T) {
	a := startAccount(t, webFixture())
	if _, err := a.handle(sshEvent(evSSH)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	lines := a.metricLines()
	if len(lines) != 1 {
		t.Fatalf("%d EMF lines, want 1 per invocation", len(lines))
	}
	m := lines[0]
	for k, want := range map[string]float64{"Evaluated": 1, "Violations": 1, "Reverted": 1, "Failed": 0} {
		if got, _ := m[k].(float64); got != want {
			t.Errorf("EMF %s = %v, want %v", k, m[k], want)
		}
	}
	if m["Function"] != "sgwarden-remediate" || m["event_id"] != evSSH {
		t.Errorf("EMF dimension/event = %v/%v", m["Function"], m["event_id"])
	}
	checkEMFDirective(t, m, []string{"Evaluated", "Violations", "Reverted", "Failed",
		"DecodeLatency", "EvaluateLatency", "DescribeLatency", "RevokeLatency", "PublishLatency"})

	// A compliant event still reports, with only the stages it ran.
	a.reset()
	if _, err := a.handle(ebEvent("AuthorizeSecurityGroupIngress", evOK, authorizeReq(acctWebSG, ipPerm("tcp", 443, 443, "0.0.0.0/0")), authorizeResp(ruleItem(acctWebSG, ruleHTTPS, false, "tcp", 443, 443, "0.0.0.0/0")))); err != nil {
		t.Fatal(err)
	}
	lines = a.metricLines()
	if len(lines) != 1 {
		t.Fatalf("%d EMF lines for a compliant event, want 1", len(lines))
	}
	checkEMFDirective(t, lines[0], []string{"Evaluated", "Violations", "Reverted", "Failed", "DecodeLatency", "EvaluateLatency"})
	if _, ok := lines[0]["RevokeLatency"]; ok {
		t.Error("compliant event reports a revoke latency")
	}
}

// checkEMFDirective checks the _aws directive of one EMF line: the
// namespace, the Function dimension, and that every listed metric is
// declared and present as a number.
func checkEMFDirective(t *testing.T, m map[string]any, metrics []string) {
	t.Helper()
	meta, ok := m["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("EMF line has no _aws object: %v", m)
	}
	if ts, ok := meta["Timestamp"].(float64); !ok || int64(ts) != acctNow.UnixMilli() {
		t.Errorf("_aws.Timestamp = %v, want %d", meta["Timestamp"], acctNow.UnixMilli())
	}
	dirs, _ := meta["CloudWatchMetrics"].([]any)
	if len(dirs) != 1 {
		t.Fatalf("_aws.CloudWatchMetrics = %v, want one directive", meta["CloudWatchMetrics"])
	}
	d, _ := dirs[0].(map[string]any)
	if d["Namespace"] != "sgwarden" {
		t.Errorf("namespace = %v", d["Namespace"])
	}
	dims, _ := d["Dimensions"].([]any)
	if len(dims) != 1 {
		t.Errorf("dimensions = %v", d["Dimensions"])
	} else if set, _ := dims[0].([]any); len(set) != 1 || set[0] != "Function" {
		t.Errorf("dimension set = %v, want [Function]", dims[0])
	}
	declared := map[string]string{}
	list, _ := d["Metrics"].([]any)
	for _, x := range list {
		md, _ := x.(map[string]any)
		name, _ := md["Name"].(string)
		unit, _ := md["Unit"].(string)
		declared[name] = unit
	}
	for _, name := range metrics {
		unit, ok := declared[name]
		if !ok {
			t.Errorf("metric %s not declared in %v", name, list)
			continue
		}
		wantUnit := "Count"
		if strings.HasSuffix(name, "Latency") {
			wantUnit = "Milliseconds"
		}
		if unit != wantUnit {
			t.Errorf("metric %s unit %q, want %q", name, unit, wantUnit)
		}
		if _, ok := m[name].(float64); !ok {
			t.Errorf("metric %s value %v is not a number", name, m[name])
		}
	}
	for name := range declared {
		if _, ok := m[name]; !ok {
			t.Errorf("declared metric %s has no value", name)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	a := startAccount(t, webFixture())
	good := a.r.cfg
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr []string
	}{
		{"no engine", func(c *Config) { c.Engine = nil }, []string{"policy engine"}},
		{"no clients", func(c *Config) { c.Clients, c.SNS = nil, nil }, []string{"EC2 clients", "SNS client"}},
		{"bad topic", func(c *Config) { c.TopicARN = "alerts" }, []string{`"alerts" is not an SNS topic ARN`}},
		{"bad mode and action", func(c *Config) { c.Mode, c.PrefixListAction = "yolo", "delete" }, []string{`mode "yolo"`, `prefix list action "delete"`}},
		{"bad role", func(c *Config) { c.RoleARN = "arn:aws:iam::123456789012:user/bob" }, []string{"not an IAM role ARN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			_, err := New(c)
			if err == nil {
				t.Fatal("New accepted a bad configuration")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("New error %q lacks %q", err, want)
				}
			}
		})
	}
}

// errorsAsAPI guards the error contract: the AWS error stays reachable
// through the wrapping.
func TestErrorCodeThroughWrapping(t *testing.T) {
	a := startAccount(t, webFixture())
	_, err := ec2.NewFromConfig(a.srv.AWSConfig(context.Background())).RevokeSecurityGroupIngress(context.Background(),
		&ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(acctWebSG), SecurityGroupRuleIds: []string{"sgr-0nope00000000001"}})
	if err == nil {
		t.Fatal("revoking a missing rule succeeded")
	}
	wrapped := errors.Join(errors.New("context"), err)
	if !IsNotFound(wrapped) || ErrorCode(wrapped) != "InvalidSecurityGroupRuleId.NotFound" {
		t.Errorf("IsNotFound/ErrorCode(%v) = %v/%q", wrapped, IsNotFound(wrapped), ErrorCode(wrapped))
	}
	var _ = ec2types.Filter{}
}

func TestInternalErrorsRetried(t *testing.T) {
	a := startAccount(t, webFixture())
	a.srv.FailNext("DescribeSecurityGroupRules", 2)
	if err := a.srv.InjectFault(awslocal.Fault{Service: "sns", Operation: "Publish", Kind: awslocal.FaultThrottle, Count: 2}); err != nil {
		t.Fatal(err)
	}
	res, err := a.handle(sshEvent(evSSH))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.Revoked, ",") != ruleSSH || !res.Published {
		t.Errorf("Handle = %+v, want %s revoked and published after the retries", res, ruleSSH)
	}
	if d, p := a.srv.CallCount("DescribeSecurityGroupRules"), a.srv.CallCount("Publish"); d != 3 || p != 3 {
		t.Errorf("describe-rules attempts %d, publish attempts %d; want 3 each", d, p)
	}
}

func TestConcurrentHandle(t *testing.T) {
	fx := webFixture()
	var events [][]byte
	for i, port := range []int32{21, 23, 25, 3306, 5432, 6379} {
		id := fmt.Sprintf("sgr-0conc%013d", i)
		fx.Groups[0].Ingress = append(fx.Groups[0].Ingress, withRuleID(awslocal.TCP(port, "0.0.0.0/0"), id))
		events = append(events, ebEvent("AuthorizeSecurityGroupIngress", fmt.Sprintf("0c0c0c0c-0000-4000-8000-%012d", i),
			authorizeReq(acctWebSG, ipPerm("tcp", int(port), int(port), "0.0.0.0/0")),
			authorizeResp(ruleItem(acctWebSG, id, false, "tcp", int(port), int(port), "0.0.0.0/0"))))
	}
	events = append(events, ebEvent("AuthorizeSecurityGroupIngress", evOK, authorizeReq(acctWebSG, ipPerm("tcp", 443, 443, "0.0.0.0/0")),
		authorizeResp(ruleItem(acctWebSG, ruleHTTPS, false, "tcp", 443, 443, "0.0.0.0/0"))))
	a := startAccount(t, fx)
	var wg sync.WaitGroup
	errs := make([]error, len(events))
	for i, ev := range events {
		wg.Go(func() { _, errs[i] = a.r.Handle(context.Background(), ev) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
	ids := a.ruleIDs(acctWebSG)
	for i := range 6 {
		if id := fmt.Sprintf("sgr-0conc%013d", i); ids[id] {
			t.Errorf("%s survived", id)
		}
	}
	if !ids[ruleHTTPS] || len(a.alerts()) != 6 || len(a.metricLines()) != len(events) {
		t.Errorf("rules %v, %d alerts, %d EMF lines; want https kept, 6 alerts, %d lines", ids, len(a.alerts()), len(a.metricLines()), len(events))
	}
}

func TestEMFLineEscapes(t *testing.T) {
	var b strings.Builder
	m := metrics{evaluated: 3, violations: 2, reverted: 1}
	m.add(stageRevoke, 1500*time.Microsecond)
	m.write(&b, "fn \"quoted\"\\\n\x01", "id-\xff-é", acctNow)
	var doc map[string]any
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("EMF line is not JSON: %v\n%s", err, b.String())
	}
	if doc["Function"] != "fn \"quoted\"\\\n\x01" || doc["event_id"] != "id-\uFFFD-é" || doc["RevokeLatency"] != 1.5 || doc["Evaluated"] != 3.0 {
		t.Errorf("EMF line decoded to %v", doc)
	}
	checkEMFDirective(t, doc, []string{"Evaluated", "Violations", "Reverted", "Failed", "RevokeLatency"})
	if !strings.HasSuffix(b.String(), "}\n") || strings.Count(b.String(), "\n") != 1 {
		t.Errorf("EMF output %q is not one line", b.String())
	}
}

func TestModifyEgressRuleJudgedAsEgress(t *testing.T) {
	// ModifySecurityGroupRules does not say the direction. With a policy
	// that checks only egress, an egress rule modified to the world must
	// not pass as a compliant ingress rule.
	engine, err := policy.Load([]byte(`version: 1
checks:
  - id: egress-smtp-world
    description: outbound SMTP to the world
    severity: high
    action: revert
    direction: egress
    ports: [25]
    peer: world
`), "egress.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const modified = "sgr-0smtpout00000001"
	fx := webFixture()
	fx.Groups[0].Egress = []awslocal.RuleSpec{withRuleID(awslocal.TCP(25, "0.0.0.0/0"), modified), withRuleID(awslocal.TCP(443, "0.0.0.0/0"), "sgr-0httpsout0000001")}
	a := startAccount(t, fx, withEngine(engine))
	req := `{"ModifySecurityGroupRulesRequest": {"GroupId": "` + acctWebSG + `", "SecurityGroupRule": {"SecurityGroupRuleId": "` + modified + `",
	  "SecurityGroupRule": {"CidrIpv4": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 25, "ToPort": 25}}}}`
	res, err := a.handle(ebEvent("ModifySecurityGroupRules", evSSH, req, `{"ModifySecurityGroupRulesResponse": {"return": true}}`))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if strings.Join(res.Revoked, ",") != modified || a.srv.CallCount("RevokeSecurityGroupEgress") != 1 {
		t.Errorf("Handle = %+v, want egress rule %s revoked by RevokeSecurityGroupEgress", res, modified)
	}
	a.wantRules(acctWebSG, []string{"sgr-0httpsout0000001", ruleSSH}, []string{modified})
}
