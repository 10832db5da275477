package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/lambdarie"
)

// e2eBuild holds the real bootstrap (as `make build`, for the host) and the
// RIE, built once, before the tests run.
var e2eBuild = lambdarie.NewTestBuild(map[string]string{"bootstrap": "."})

func TestMain(m *testing.M) { os.Exit(lambdarie.RunTests(m, e2eBuild)) }

// TestEndToEndUnderRIE runs the real audit bootstrap under the Lambda
// Runtime Interface Emulator against the emulated account, as the schedule
// invokes it: the world-open SSH rule is reverted, the HTTPS one kept, one
// summary is published and the response carries the run's counts.
func TestEndToEndUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end under the Lambda RIE: builds the bootstrap and the RIE (skipped with -short)")
	}
	dir, err := e2eBuild.Dir()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	bootstrap, rie := filepath.Join(dir, "bootstrap"), filepath.Join(dir, "aws-lambda-rie")
	// The deadline covers running the function only; TestMain built it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const region, group = "us-east-1", "sg-0e2eaudit0000001"
	ssh, https := awslocal.TCP(22, "0.0.0.0/0"), awslocal.TCP(443, "0.0.0.0/0")
	ssh.ID, https.ID = "sgr-0e2essh00000001", "sgr-0e2ehttps000001"
	srv := awslocal.Start(t, awslocal.WithRegion(region), awslocal.WithFixture(&awslocal.Fixture{
		Region: region,
		Groups: []awslocal.GroupSpec{{ID: group, Name: "web", VPC: "vpc-0e2eaudit000001", Ingress: []awslocal.RuleSpec{ssh, https}}},
	}))
	topic := srv.CreateTopic(region, "sgwarden-alerts")
	env := []string{
		"AWS_ENDPOINT_URL=" + srv.URL(), "AWS_REGION=" + region,
		"AWS_ACCESS_KEY_ID=AKIAAWSLOCAL00000000", "AWS_SECRET_ACCESS_KEY=awslocal-secret",
		"SGWARDEN_TOPIC_ARN=" + topic, "SGWARDEN_MODE=enforce", "SGWARDEN_SECURITY_HUB=true",
	}
	p, err := lambdarie.Start(ctx, rie, bootstrap, env)
	if err != nil {
		t.Fatalf("start RIE: %v", err)
	}
	t.Cleanup(p.Stop)

	body, took, err := p.Invoke(ctx, []byte(`{"version":"0","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`))
	if err != nil {
		t.Fatalf("invoke: %v\n%s\n%s", err, body, p.Logs(20))
	}
	t.Logf("audit invoke (cold start included): %v", took)
	var res result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("response %s: %v", body, err)
	}
	if !res.Complete || res.Counts.Violations == 0 || !strings.HasPrefix(res.RunID, awslocal.DefaultAccount+"-") {
		t.Errorf("response = %s, want a complete run with violations", body)
	}

	out, err := ec2.NewFromConfig(srv.AWSConfig(ctx)).DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{group}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, r := range out.SecurityGroupRules {
		left[aws.ToString(r.SecurityGroupRuleId)] = true
	}
	if left[ssh.ID] || !left[https.ID] {
		t.Errorf("rules after the audit = %v, want %s reverted and %s kept", left, ssh.ID, https.ID)
	}
	if msgs := srv.SNSMessages(); len(msgs) != 1 || msgs[0].TopicARN != topic {
		t.Errorf("published %d messages, want one summary on %s", len(msgs), topic)
	}
	// The findings outlets (docs/findings.md): the run as an OCSF event,
	// and the reverted rule's findings in Security Hub.
	if ev := srv.PutEvents(); len(ev) != 1 || ev[0].DetailType != "OCSF Compliance Finding" || ev[0].Source != "sgwarden" {
		t.Errorf("put events = %+v, want the run as one OCSF Compliance Finding", ev)
	}
	reverted := 0
	for _, f := range srv.SecurityHubFindings() {
		if strings.Contains(f.ID, "/"+ssh.ID+"/") && strings.Contains(string(f.Doc), `"Status":"PASSED"`) {
			reverted++
		}
	}
	if reverted == 0 {
		t.Errorf("no PASSED Security Hub finding for the reverted %s", ssh.ID)
	}
}
