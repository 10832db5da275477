package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/lambdarie"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

const (
	e2eVPC     = "vpc-0e2e0000000000001"
	e2eGroup   = "sg-0e2eweb000000001"
	e2eSSH     = "sgr-0e2essh000000001"
	e2eHTTPS   = "sgr-0e2ehttps0000001"
	e2eOwnRole = "arn:aws:iam::" + awslocal.DefaultAccount + ":role/sgwarden-remediate"
)

// e2eBuild holds the real bootstrap (as `make build`, for the host), the
// cold-start baseline (the smallest aws-lambda-go function) and the RIE,
// built once, before the tests run.
var e2eBuild = lambdarie.NewTestBuild(map[string]string{"bootstrap": ".", "hello": "../../cmd/sgwarden-bench/hello"})

func TestMain(m *testing.M) { os.Exit(lambdarie.RunTests(m, e2eBuild)) }

// startFunction runs the bootstrap under the RIE against srv with the
// SGWARDEN_* settings in extra (which may override the defaults; an empty
// value drops the variable).
func startFunction(t *testing.T, srv *awslocal.Server, topic string, extra map[string]string) *lambdarie.Process {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end under the Lambda RIE: builds the bootstrap and the RIE (skipped with -short)")
	}
	dir, err := e2eBuild.Dir()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	settings := map[string]string{
		"AWS_ENDPOINT_URL":          srv.URL(),
		"AWS_REGION":                srv.Region(),
		"AWS_ACCESS_KEY_ID":         "AKIAAWSLOCAL00000000",
		"AWS_SECRET_ACCESS_KEY":     "awslocal-secret",
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_LAMBDA_FUNCTION_NAME":  "sgwarden-remediate",
		"SGWARDEN_TOPIC_ARN":        topic,
		"SGWARDEN_ROLE_ARN":         e2eOwnRole,
	}
	for k, v := range extra {
		settings[k] = v
	}
	var env []string
	for k, v := range settings {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := lambdarie.Start(ctx, filepath.Join(dir, "aws-lambda-rie"), filepath.Join(dir, "bootstrap"), env)
	if err != nil {
		t.Fatalf("start RIE: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

func e2eAccount(t *testing.T) (*awslocal.Server, string) {
	srv := awslocal.Start(t, awslocal.WithFixture(&awslocal.Fixture{
		VPCs: []awslocal.VPCSpec{{ID: e2eVPC, CIDR: "10.0.0.0/16"}},
		Groups: []awslocal.GroupSpec{{ID: e2eGroup, Name: "web", VPC: e2eVPC, Ingress: []awslocal.RuleSpec{
			{ID: e2eHTTPS, Protocol: "tcp", From: awslocal.Port(443), To: awslocal.Port(443), CIDR: "0.0.0.0/0"},
			{ID: e2eSSH, Protocol: "tcp", From: awslocal.Port(22), To: awslocal.Port(22), CIDR: "0.0.0.0/0"},
		}}},
		NetworkInterfaces: []awslocal.ENISpec{{ID: "eni-0e2e000000000001", VPC: e2eVPC, Groups: []string{e2eGroup}, InstanceID: "i-0e2e00000000000001"}},
	}))
	return srv, srv.CreateTopic("", "sgwarden-alerts")
}

// e2eEvent is an EventBridge event adding one tcp rule from 0.0.0.0/0.
func e2eEvent(eventID, ruleID string, port int) []byte {
	p := strings.NewReplacer("PORT", strconv.Itoa(port), "RULE", ruleID, "EVENT", eventID, "GROUP", e2eGroup, "ACCT", awslocal.DefaultAccount)
	return []byte(p.Replace(`{"version": "0", "id": "1b2c3d4e-0000-4000-8000-000000000001", "detail-type": "AWS API Call via CloudTrail",
 "source": "aws.ec2", "account": "ACCT", "time": "2026-11-26T06:00:01Z", "region": "us-east-1", "resources": [],
 "detail": {"eventVersion": "1.09",
  "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE000000001", "arn": "arn:aws:iam::ACCT:user/alice", "accountId": "ACCT", "userName": "alice"},
  "eventTime": "2026-11-26T06:00:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
  "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.22.0",
  "requestParameters": {"groupId": "GROUP", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": PORT, "toPort": PORT,
    "groups": {}, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}},
  "responseElements": {"requestId": "r-1", "_return": true, "securityGroupRuleSet": {"items": [{"groupOwnerId": "ACCT", "groupId": "GROUP",
    "securityGroupRuleId": "RULE", "isEgress": false, "ipProtocol": "tcp", "fromPort": PORT, "toPort": PORT, "cidrIpv4": "0.0.0.0/0"}]}},
  "requestID": "r-1", "eventID": "EVENT", "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
  "recipientAccountId": "ACCT", "eventCategory": "Management"}}`))
}

// groupRules returns the IDs of the e2e group's current rules.
func groupRules(t *testing.T, srv *awslocal.Server) map[string]bool {
	t.Helper()
	out, err := ec2.NewFromConfig(srv.AWSConfig(context.Background())).DescribeSecurityGroupRules(context.Background(),
		&ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{e2eGroup}}}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroupRules: %v", err)
	}
	ids := map[string]bool{}
	for _, r := range out.SecurityGroupRules {
		ids[aws.ToString(r.SecurityGroupRuleId)] = true
	}
	return ids
}

func TestEndToEndUnderRIE(t *testing.T) {
	srv, topic := e2eAccount(t)
	p := startFunction(t, srv, topic, nil)
	ctx := context.Background()

	// A violating event: the rule is reverted and the alert published.
	body, cold, err := p.Invoke(ctx, e2eEvent("9f8e7d6c-0000-4000-8000-00000000e2e1", e2eSSH, 22))
	if err != nil {
		t.Fatalf("invoke violating event: %v\n%s", err, body)
	}
	t.Logf("first invoke (exec, init, handle, 5 AWS calls): %v", cold)
	var res remediate.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("response %s: %v", body, err)
	}
	if strings.Join(res.Revoked, ",") != e2eSSH || !res.Published || res.Action != notify.ActionReverted {
		t.Errorf("response = %s, want %s revoked and the alert published", body, e2eSSH)
	}
	if rules := groupRules(t, srv); rules[e2eSSH] || !rules[e2eHTTPS] {
		t.Errorf("rules after the revert = %v, want only %s", rules, e2eHTTPS)
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 || msgs[0].TopicARN != topic || msgs[0].Attributes[notify.AttrAction].StringValue != "reverted" ||
		!strings.HasPrefix(msgs[0].Subject, "REVERTED tcp/22 from 0.0.0.0/0 on "+e2eGroup) {
		t.Fatalf("messages = %+v, want one reverted alert on %s", msgs, topic)
	}
	if !strings.Contains(msgs[0].DefaultMessage(), "i-0e2e00000000000001") {
		t.Errorf("alert does not name the exposed instance:\n%s", msgs[0].DefaultMessage())
	}

	// A compliant event: nothing changes, no AWS call.
	before := len(srv.Calls())
	body, warm, err := p.Invoke(ctx, e2eEvent("9f8e7d6c-0000-4000-8000-00000000e2e2", e2eHTTPS, 443))
	if err != nil {
		t.Fatalf("invoke compliant event: %v\n%s", err, body)
	}
	t.Logf("warm compliant invoke: %v", warm)
	if !strings.Contains(string(body), `"ignored":"compliant"`) || !strings.Contains(string(body), `"awsCalls":0`) {
		t.Errorf("response = %s, want ignored as compliant with 0 AWS calls", body)
	}
	if n := len(srv.Calls()) - before; n != 0 {
		t.Errorf("compliant event made %d AWS calls", n)
	}
	if rules := groupRules(t, srv); !rules[e2eHTTPS] || len(srv.SNSMessages()) != 1 {
		t.Errorf("compliant event changed something: rules %v, %d messages", rules, len(srv.SNSMessages()))
	}

	// A malformed event is a function error (Lambda retries, then the DLQ).
	body, _, err = p.Invoke(ctx, []byte(`{"detail-type": "AWS API Call via CloudTrail", "detail": 42}`))
	if !errors.Is(err, lambdarie.ErrFunction) || !strings.Contains(string(body), "decode event") {
		t.Errorf("malformed event: %v, %s; want a function error saying decode event", err, body)
	}

	// The function logs JSON with the fixed keys, and one EMF line per event.
	logs := p.Logs(200)
	for _, want := range []string{`"message":"sgwarden remediate ready"`, `"event_id":"9f8e7d6c-0000-4000-8000-00000000e2e1"`, `"rule_id":"` + e2eSSH + `"`, `"_aws":{`} {
		if !strings.Contains(logs, want) {
			t.Errorf("function output lacks %s:\n%s", want, logs)
		}
	}
}

func TestEndToEndInitFailsClearly(t *testing.T) {
	srv, _ := e2eAccount(t)
	p := startFunction(t, srv, "", map[string]string{"SGWARDEN_MODE": "yolo"})
	body, _, err := p.Invoke(context.Background(), e2eEvent("9f8e7d6c-0000-4000-8000-00000000e2e3", e2eSSH, 22))
	if err == nil {
		t.Fatalf("invoke succeeded with a broken configuration: %s", body)
	}
	logs := p.Logs(50)
	for _, want := range []string{"SGWARDEN_TOPIC_ARN: required", `SGWARDEN_MODE: "yolo"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("init failure does not say %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "panic") || strings.Contains(logs, "goroutine ") {
		t.Errorf("init panicked:\n%s", logs)
	}
	if len(srv.Calls()) != 0 {
		t.Errorf("a misconfigured function made %d AWS calls", len(srv.Calls()))
	}
	if rules := groupRules(t, srv); !rules[e2eSSH] {
		t.Error("a misconfigured function revoked a rule")
	}
}

// BenchmarkColdStart measures exec to first response under the RIE: a
// fresh RIE per iteration gets one compliant event (no AWS call), so the
// span holds the exec, the Go runtime start, init (configuration, SDK
// clients, policy), the Runtime API handshake and the handler. The
// hello-world aws-lambda-go function, built with the same flags, is the
// baseline.
//
//	go test -run '^$' -bench ColdStart -benchtime 20x ./functions/remediate
func BenchmarkColdStart(b *testing.B) {
	if testing.Short() {
		b.Skip("builds the bootstrap and the RIE (skipped with -short)")
	}
	dir, err := e2eBuild.Dir()
	if err != nil {
		b.Fatalf("build: %v", err)
	}
	srv := awslocal.Start(b)
	topic := srv.CreateTopic("", "sgwarden-alerts")
	env := []string{"AWS_ENDPOINT_URL=" + srv.URL(), "AWS_REGION=" + srv.Region(), "AWS_ACCESS_KEY_ID=AKIAAWSLOCAL00000000",
		"AWS_SECRET_ACCESS_KEY=awslocal-secret", "AWS_EC2_METADATA_DISABLED=true", "SGWARDEN_TOPIC_ARN=" + topic, "SGWARDEN_ROLE_ARN=" + e2eOwnRole}
	payload := e2eEvent("9f8e7d6c-0000-4000-8000-00000000c01d", e2eHTTPS, 443)
	for _, fn := range []struct{ impl, bootstrap string }{{"sgwarden", "bootstrap"}, {"hello", "hello"}} {
		b.Run("impl="+fn.impl, func(b *testing.B) {
			ctx := context.Background()
			var firsts []time.Duration
			for b.Loop() {
				b.StopTimer()
				p, err := lambdarie.Start(ctx, filepath.Join(dir, "aws-lambda-rie"), filepath.Join(dir, fn.bootstrap), env)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				body, d, err := p.Invoke(ctx, payload)
				b.StopTimer()
				p.Stop()
				b.StartTimer()
				if err != nil {
					b.Fatalf("invoke: %v %s", err, body)
				}
				firsts = append(firsts, d)
			}
			slices.Sort(firsts)
			b.ReportMetric(float64(firsts[len(firsts)/2].Microseconds())/1e3, "median-ms/first-response")
		})
	}
	if n := srv.CallCount(""); n != 0 {
		b.Errorf("compliant cold starts made %d AWS calls", n)
	}
}

func TestEndToEndPolicyFileDryRun(t *testing.T) {
	srv, topic := e2eAccount(t)
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policyFile, []byte("version: 1\nbase: default\nmode: dry-run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startFunction(t, srv, topic, map[string]string{"SGWARDEN_POLICY_FILE": policyFile})
	body, _, err := p.Invoke(context.Background(), e2eEvent("9f8e7d6c-0000-4000-8000-00000000e2e4", e2eSSH, 22))
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, body)
	}
	if !strings.Contains(string(body), `"action":"would-revert"`) || strings.Contains(string(body), `"revoked"`) {
		t.Errorf("response = %s, want would-revert and nothing revoked", body)
	}
	if rules := groupRules(t, srv); !rules[e2eSSH] {
		t.Error("dry-run revoked the rule")
	}
	if msgs := srv.SNSMessages(); len(msgs) != 1 || msgs[0].Attributes[notify.AttrAction].StringValue != "would-revert" {
		t.Errorf("messages = %+v, want one would-revert alert", msgs)
	}
	if logs := p.Logs(50); !strings.Contains(logs, `"policy":"`+policyFile+`"`) || !strings.Contains(logs, `"mode":"dry-run"`) {
		t.Errorf("init log does not name the policy file and mode:\n%s", logs)
	}
}

// TestEndToEndHangingCallUnderRIE lets the EC2 calls hang past the
// reserve: the real bootstrap, given a 5 s timeout by the RIE (a Lambda
// deadline in its context), must spend the reserve (1.5 s) publishing the
// FAILED alert and return the error before the RIE kills the invocation.
func TestEndToEndHangingCallUnderRIE(t *testing.T) {
	srv, topic := e2eAccount(t)
	p := startFunction(t, srv, topic, map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "5"})
	srv.AddLatency("DescribeSecurityGroupRules", time.Minute)
	srv.AddLatency("DescribeSecurityGroups", time.Minute)
	const eventID = "9f8e7d6c-0000-4000-8000-00000000e2e5"
	body, took, err := p.Invoke(context.Background(), e2eEvent(eventID, e2eSSH, 22))
	srv.ClearFaults()
	if !errors.Is(err, lambdarie.ErrFunction) || !strings.Contains(string(body), "deadline exceeded") {
		t.Fatalf("invoke = %v, %s (after %v); want a function error from the work's deadline", err, body, took)
	}
	if strings.Contains(string(body), "timed out") {
		t.Errorf("the invocation timed out instead of returning its error: %s", body)
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 || msgs[0].Attributes[notify.AttrAction].StringValue != "failed" ||
		msgs[0].Attributes[notify.AttrEventID].StringValue != eventID || !strings.HasPrefix(msgs[0].Subject, "FAILED") {
		t.Fatalf("messages = %+v, want one FAILED alert for %s", msgs, eventID)
	}
	if doc := msgs[0].DefaultMessage(); !strings.Contains(doc, e2eGroup) || !strings.Contains(doc, "deadline exceeded") {
		t.Errorf("FAILED alert does not name the group and why:\n%s", doc)
	}
	if rules := groupRules(t, srv); !rules[e2eSSH] {
		t.Error("the rule is gone although no revoke was seen")
	}
}
