package remediate

// Shared helpers of the tests that run the Remediator against the emulated
// account (internal/awslocal) through the real SDK clients.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/awsconfig"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

const (
	acctID      = awslocal.DefaultAccount
	acctVPC     = "vpc-0a1b2c3d4e5f60001"
	acctWebSG   = "sg-0web00000000000001"
	acctDBSG    = "sg-0db000000000000001"
	acctTopic   = "sgwarden-alerts"
	acctOwnRole = "arn:aws:iam::" + acctID + ":role/sgwarden-remediate"
	// acctActor is the human (an SSO session) who makes the changes.
	acctActor  = "arn:aws:sts::" + acctID + ":assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com"
	acctIssuer = "arn:aws:iam::" + acctID + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
)

// acctNow is the remediator's clock in these tests.
var acctNow = time.Date(2026, 11, 26, 6, 0, 5, 0, time.UTC)

// testAccount is one emulated account with a topic, and a Remediator wired
// to it through real ec2 and sns clients.
type testAccount struct {
	t       testing.TB
	srv     *awslocal.Server
	topic   string
	logs    *bytes.Buffer
	metrics *bytes.Buffer
	r       *Remediator
	// last is the call record of the last handle.
	last []awslocal.Call
}

// acctOption changes the remediator's configuration before New.
type acctOption func(*Config)

func withMode(m policy.Mode) acctOption { return func(c *Config) { c.Mode = m } }

func withPrefixListAction(a policy.Action) acctOption {
	return func(c *Config) { c.PrefixListAction = a }
}

func withEngine(e *policy.Engine) acctOption { return func(c *Config) { c.Engine = e } }

// startAccount seeds fx into a fresh emulated account and builds a
// Remediator on it. The SDK clients use sgwarden's adaptive retryer without
// its client-side rate limit and with a tiny backoff, so that throttling
// tests are fast.
func startAccount(t testing.TB, fx *awslocal.Fixture, opts ...acctOption) *testAccount {
	t.Helper()
	srv := awslocal.Start(t, awslocal.WithFixture(fx))
	a := &testAccount{t: t, srv: srv, topic: srv.CreateTopic("", acctTopic), logs: &bytes.Buffer{}, metrics: &bytes.Buffer{}}
	cfg := srv.AWSConfig(context.Background())
	cfg.Retryer = awsconfig.NewRetryer(awsconfig.RetryOptions{NoClientRateLimit: true, MaxBackoff: 5 * time.Millisecond})
	rc := Config{
		Engine:       policy.Default(),
		Clients:      ClientsFrom(awsclients.Local(cfg, acctID)),
		SNS:          sns.NewFromConfig(cfg),
		TopicARN:     a.topic,
		RoleARN:      acctOwnRole,
		Now:          func() time.Time { return acctNow },
		Logger:       slog.New(slog.NewJSONHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:      a.metrics,
		FunctionName: "sgwarden-remediate",
	}
	for _, o := range opts {
		o(&rc)
	}
	r, err := New(rc)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.r = r
	return a
}

// handle runs one event and records the AWS calls it made (the server's
// own record, so that SDK retries show).
func (a *testAccount) handle(event []byte) (Result, error) {
	a.t.Helper()
	before := len(a.srv.Calls())
	res, err := a.r.Handle(context.Background(), event)
	a.last = a.srv.Calls()[before:]
	return res, err
}

// reset forgets the published messages, logs and metrics.
func (a *testAccount) reset() {
	a.srv.ResetSNSMessages()
	a.logs.Reset()
	a.metrics.Reset()
}

// lastOps lists the operations the last handle made, in arrival order.
func (a *testAccount) lastOps() []string {
	ops := make([]string, 0, len(a.last))
	for _, c := range a.last {
		ops = append(ops, c.Operation)
	}
	return ops
}

// wantCalls checks the last handle made exactly these operations, each
// counted (in any order: some run concurrently).
func (a *testAccount) wantCalls(want ...string) {
	a.t.Helper()
	got := map[string]int{}
	for _, op := range a.lastOps() {
		got[op]++
	}
	wantN := map[string]int{}
	for _, op := range want {
		wantN[op]++
	}
	if fmt.Sprint(got) != fmt.Sprint(wantN) {
		a.t.Errorf("AWS calls = %v, want %v", a.lastOps(), want)
	}
}

// alerts decodes every published message: the JSON document, the e-mail
// text, the subject and the attributes.
type sentAlert struct {
	notify.Alert
	Subject string
	Text    string
	Attrs   map[string]string
}

func (a *testAccount) alerts() []sentAlert {
	a.t.Helper()
	var out []sentAlert
	for _, m := range a.srv.SNSMessages() {
		if m.TopicARN != a.topic {
			a.t.Errorf("published to %s, want %s", m.TopicARN, a.topic)
		}
		if m.MessageStructure != "json" {
			a.t.Errorf("MessageStructure = %q, want json", m.MessageStructure)
		}
		var byProto map[string]string
		if err := json.Unmarshal([]byte(m.Message), &byProto); err != nil {
			a.t.Fatalf("message is not a per-protocol JSON object: %v\n%s", err, m.Message)
		}
		var s sentAlert
		if err := json.Unmarshal([]byte(byProto["default"]), &s.Alert); err != nil {
			a.t.Fatalf("default message is not an alert document: %v\n%s", err, byProto["default"])
		}
		s.Subject, s.Text = m.Subject, byProto["email"]
		s.Attrs = map[string]string{}
		for k, v := range m.Attributes {
			s.Attrs[k] = v.StringValue
		}
		out = append(out, s)
	}
	return out
}

// oneAlert returns the only published alert.
func (a *testAccount) oneAlert() sentAlert {
	a.t.Helper()
	all := a.alerts()
	if len(all) != 1 {
		a.t.Fatalf("published %d alerts, want 1", len(all))
	}
	return all[0]
}

// ruleIDs returns the IDs of the group's current rules (both directions).
func (a *testAccount) ruleIDs(groupID string) map[string]bool {
	a.t.Helper()
	out, err := ec2.NewFromConfig(a.srv.AWSConfig(context.Background())).DescribeSecurityGroupRules(context.Background(),
		&ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}}})
	if err != nil {
		a.t.Fatalf("DescribeSecurityGroupRules: %v", err)
	}
	ids := map[string]bool{}
	for _, r := range out.SecurityGroupRules {
		ids[aws.ToString(r.SecurityGroupRuleId)] = true
	}
	return ids
}

// wantRules checks which of the group's rules exist.
func (a *testAccount) wantRules(groupID string, present, absent []string) {
	a.t.Helper()
	ids := a.ruleIDs(groupID)
	for _, id := range present {
		if !ids[id] {
			a.t.Errorf("rule %s of %s is gone, want it kept", id, groupID)
		}
	}
	for _, id := range absent {
		if ids[id] {
			a.t.Errorf("rule %s of %s still exists, want it revoked", id, groupID)
		}
	}
}

// metricLines returns the EMF lines written so far, decoded.
func (a *testAccount) metricLines() []map[string]any {
	a.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(a.metrics.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			a.t.Fatalf("EMF line is not JSON: %v\n%s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// ebSpec is one EventBridge "AWS API Call via CloudTrail" event.
type ebSpec struct {
	name, eventID string
	req, resp     string // raw JSON; "" for null
	actorARN      string
	issuerARN     string
	errorCode     string
}

// ebOption changes an event before it is rendered.
type ebOption func(*ebSpec)

// byActor makes the event come from another principal (an assumed-role
// session of issuer).
func byActor(arn, issuer string) ebOption {
	return func(s *ebSpec) { s.actorARN, s.issuerARN = arn, issuer }
}

// failedWith makes the event a failed call: errorCode set, no response.
func failedWith(code string) ebOption {
	return func(s *ebSpec) { s.errorCode, s.resp = code, "" }
}

// ebEvent renders an EventBridge event as EventBridge delivers it to Lambda
// (see /work/shared/reference-events/*.eventbridge.*.json).
func ebEvent(name, eventID, req, resp string, opts ...ebOption) []byte {
	s := ebSpec{name: name, eventID: eventID, req: req, resp: resp, actorARN: acctActor, issuerARN: acctIssuer}
	for _, o := range opts {
		o(&s)
	}
	orNull := func(v string) string {
		if v == "" {
			return "null"
		}
		return v
	}
	errPart := ""
	if s.errorCode != "" {
		errPart = `"errorCode": "Client.` + s.errorCode + `", "errorMessage": "You are not authorized to perform this operation.",`
	}
	issuerName := s.issuerARN[strings.LastIndexByte(s.issuerARN, '/')+1:]
	doc := `{
  "version": "0",
  "id": "0d4a8c2e-` + s.eventID[:4] + `-4b7f-9d1e-2c3b4a5d6e7f",
  "detail-type": "AWS API Call via CloudTrail",
  "source": "aws.ec2",
  "account": "` + acctID + `",
  "time": "2026-11-26T06:00:01Z",
  "region": "us-east-1",
  "resources": [],
  "detail": {
    "eventVersion": "1.09",
    "userIdentity": {
      "type": "AssumedRole",
      "principalId": "AROAEXAMPLE0000000001:session",
      "arn": "` + s.actorARN + `",
      "accountId": "` + acctID + `",
      "accessKeyId": "ASIAEXAMPLE000000001",
      "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE0000000001", "arn": "` + s.issuerARN + `",
          "accountId": "` + acctID + `", "userName": "` + issuerName + `"},
        "attributes": {"creationDate": "2026-11-26T05:50:00Z", "mfaAuthenticated": "false"}
      }
    },
    "eventTime": "2026-11-26T06:00:00Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "` + s.name + `",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.7",
    "userAgent": "aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0",
    ` + errPart + `
    "requestParameters": ` + orNull(s.req) + `,
    "responseElements": ` + orNull(s.resp) + `,
    "requestID": "6c1f2a3b-0000-4000-8000-` + s.eventID[:12] + `",
    "eventID": "` + s.eventID + `",
    "readOnly": false,
    "eventType": "AwsApiCall",
    "managementEvent": true,
    "recipientAccountId": "` + acctID + `",
    "eventCategory": "Management",
    "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "ec2.us-east-1.amazonaws.com"}
  }
}`
	return []byte(doc)
}

// ipPerm renders one ipPermissions item with IPv4 ranges.
func ipPerm(proto string, from, to int, cidrs ...string) string {
	var ranges []string
	for _, c := range cidrs {
		ranges = append(ranges, `{"cidrIp": "`+c+`"}`)
	}
	return fmt.Sprintf(`{"ipProtocol": %q, "fromPort": %d, "toPort": %d, "groups": {}, "ipRanges": {"items": [%s]}, "ipv6Ranges": {}, "prefixListIds": {}}`,
		proto, from, to, strings.Join(ranges, ", "))
}

// authorizeReq is the VPC form of AuthorizeSecurityGroupIngress/Egress.
func authorizeReq(groupID string, perms ...string) string {
	return `{"groupId": "` + groupID + `", "ipPermissions": {"items": [` + strings.Join(perms, ", ") + `]}}`
}

// ruleItem renders one securityGroupRuleSet item with an IPv4 peer.
func ruleItem(groupID, ruleID string, egress bool, proto string, from, to int, cidr string) string {
	return fmt.Sprintf(`{"groupOwnerId": %q, "groupId": %q, "securityGroupRuleId": %q, "isEgress": %t, "ipProtocol": %q, "fromPort": %d, "toPort": %d, "cidrIpv4": %q, "securityGroupRuleArn": "arn:aws:ec2:us-east-1:%s:security-group-rule/%s"}`,
		acctID, groupID, ruleID, egress, proto, from, to, cidr, acctID, ruleID)
}

// authorizeResp is the response with the created rules.
func authorizeResp(items ...string) string {
	return `{"requestId": "6c1f2a3b-0000-4000-8000-000000000001", "_return": true, "securityGroupRuleSet": {"items": [` + strings.Join(items, ", ") + `]}}`
}

// logRecords decodes the JSON log lines and fails on a key that appears
// twice in one record (slog's With does not deduplicate).
func (a *testAccount) logRecords() []map[string]any {
	a.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(a.logs.String()), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		if _, err := dec.Token(); err != nil {
			a.t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				a.t.Fatalf("log line: %v\n%s", err, line)
			}
			key, _ := k.(string)
			if seen[key] {
				a.t.Errorf("log key %q twice in one record: %s", key, line)
			}
			seen[key] = true
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				a.t.Fatalf("log line: %v\n%s", err, line)
			}
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			a.t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		out = append(out, m)
	}
	return out
}
