package awslocal_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func TestCallRecord(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "the call record")
	vpc := e.vpc(t)
	srv.ResetCalls()
	web := e.group(t, vpc, "web")
	_, err := e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), SecurityGroupRuleIds: []string{"sgr-0000000000000dead"}})
	wantErr(t, "Revoke(missing)", err, "InvalidSecurityGroupRuleId.NotFound", 400)
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("Calls() = %+v, want CreateSecurityGroup and RevokeSecurityGroupIngress", calls)
	}
	c0, c1 := calls[0], calls[1]
	if c0.Service != "ec2" || c0.Operation != "CreateSecurityGroup" || c0.Params.Get("VpcId") != vpc || c0.Status != 200 || c0.ErrorCode != "" || c0.RequestID == "" {
		t.Errorf("call 0 = %+v", c0)
	}
	if c1.Operation != "RevokeSecurityGroupIngress" || c1.Params.Get("SecurityGroupRuleId.1") != "sgr-0000000000000dead" ||
		c1.Status != 400 || c1.ErrorCode != "InvalidSecurityGroupRuleId.NotFound" || c1.Region != "us-east-1" {
		t.Errorf("call 1 = %+v", c1)
	}
	if n := srv.CallCount("RevokeSecurityGroupIngress"); n != 1 {
		t.Errorf("CallCount(Revoke) = %d, want 1", n)
	}
	if n := srv.CallCount(""); n != 2 {
		t.Errorf("CallCount(all) = %d, want 2", n)
	}
	srv.ResetCalls()
	if n := srv.CallCount(""); n != 0 {
		t.Errorf("CallCount after ResetCalls = %d", n)
	}
}

// control sends one request to the control API and decodes its JSON answer.
func control(t *testing.T, srv *awslocal.Server, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+"/_awslocal/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

func TestControlAPI(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "the control API")
	var health map[string]string
	if st := control(t, srv, "GET", "health", "", &health); st != 200 || health["account"] != awslocal.DefaultAccount {
		t.Errorf("GET health = %d %v", st, health)
	}
	fixture, err := io.ReadAll(must(t, "testdata/account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if st := control(t, srv, "POST", "seed", string(fixture), nil); st != 204 {
		t.Fatalf("POST seed = %d, want 204", st)
	}
	if st := control(t, srv, "POST", "seed", "groups: [{name: x}]", nil); st != 400 {
		t.Errorf("POST seed (bad fixture) = %d, want 400", st)
	}
	checkAccount(t, e)
	srv.ResetCalls()

	if st := control(t, srv, "POST", "faults", `{"service":"ec2","operation":"DescribeSecurityGroups","kind":"throttle","count":1}`, nil); st != 201 {
		t.Fatalf("POST faults = %d, want 201", st)
	}
	if st := control(t, srv, "POST", "faults", `{"operation":"DescribeVpcs","kind":"latency","latency":"1ms"}`, nil); st != 201 {
		t.Fatalf("POST faults (latency) = %d, want 201", st)
	}
	if st := control(t, srv, "POST", "faults", `{"kind":"latency","latency":"soon"}`, nil); st != 400 {
		t.Errorf("POST faults (bad latency) = %d, want 400", st)
	}
	var faults []awslocal.Fault
	if st := control(t, srv, "GET", "faults", "", &faults); st != 200 || len(faults) != 2 {
		t.Errorf("GET faults = %d %+v, want the two faults", st, faults)
	}
	_, err = e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}, noRetry)
	wantErr(t, "DescribeSecurityGroups after POST faults", err, "RequestLimitExceeded", 503)
	if st := control(t, srv, "DELETE", "faults", "", nil); st != 204 {
		t.Errorf("DELETE faults = %d", st)
	}
	if _, err := e.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}, noRetry); err != nil {
		t.Errorf("DescribeSecurityGroups after DELETE faults: %v", err)
	}

	var calls []awslocal.Call
	if st := control(t, srv, "GET", "calls?operation=DescribeSecurityGroups", "", &calls); st != 200 || len(calls) != 2 || calls[0].ErrorCode != "RequestLimitExceeded" {
		t.Errorf("GET calls?operation= = %d %+v, want the throttled and the good call", st, calls)
	}
	if st := control(t, srv, "DELETE", "calls", "", nil); st != 204 || srv.CallCount("") != 0 {
		t.Errorf("DELETE calls = %d, %d calls left", st, srv.CallCount(""))
	}

	arn := "arn:aws:sns:us-east-1:" + awslocal.DefaultAccount + ":sgwarden-alerts"
	if _, err := e.sns.Publish(ctx, alertInput(arn)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	var msgs []awslocal.SNSMessage
	if st := control(t, srv, "GET", "sns/messages", "", &msgs); st != 200 || len(msgs) != 1 || msgs[0].TopicARN != arn || msgs[0].Attributes["action"].StringValue != "reverted" {
		t.Errorf("GET sns/messages = %d %+v", st, msgs)
	}
	if st := control(t, srv, "DELETE", "sns/messages", "", nil); st != 204 || len(srv.SNSMessages()) != 0 {
		t.Errorf("DELETE sns/messages = %d", st)
	}
	if st := control(t, srv, "GET", "nothing", "", nil); st != 404 {
		t.Errorf("GET nothing = %d, want 404", st)
	}
}

func TestCallLimitKeepsTheNewestCalls(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "the call record", awslocal.WithCallLimit(10))
	for i := 0; i < 25; i++ {
		if _, err := e.sts.GetCallerIdentity(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	if len(calls) > 10 || len(calls) < 5 || calls[len(calls)-1].Operation != "DescribeVpcs" {
		t.Errorf("with a limit of 10: %d calls kept, last %s; want 5 to 10 ending with DescribeVpcs", len(calls), calls[len(calls)-1].Operation)
	}
	if _, err := awslocal.New(awslocal.WithCallLimit(1)); err == nil {
		t.Errorf("WithCallLimit(1) = nil error, want one")
	}
}
