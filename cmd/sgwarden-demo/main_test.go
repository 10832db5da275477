package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/lambdarie"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// inProcess starts the corpus account and returns an invoker that runs the
// remediate handler in this process, configured as the RIE's function is,
// so that the demo's flow is tested without building binaries.
func inProcess(t *testing.T, c *corpus) (*account, invokeFunc) {
	t.Helper()
	acct, err := startAccount(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(acct.close)
	cfg := acct.srv.AWSConfig(context.Background())
	eng, err := c.engine()
	if err != nil {
		t.Fatal(err)
	}
	rem, err := remediate.New(remediate.Config{
		Engine: eng, Clients: remediate.ClientsFrom(awsclients.Local(cfg, c.constants.Account)), SNS: sns.NewFromConfig(cfg),
		TopicARN: c.constants.TopicARN, RoleARN: c.constants.RoleARN,
		Mode: policy.Mode(c.constants.Mode), PrefixListAction: policy.Action(c.constants.PrefixListAction),
		Logger: slog.New(slog.DiscardHandler),
		// As functions/remediate wires it: the OCSF event on the default bus.
		Outlets: remediate.Outlets{Events: eventbridge.NewFromConfig(cfg), EventBus: "default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return acct, func(ctx context.Context, payload []byte) ([]byte, time.Duration, error) {
		start := time.Now()
		res, err := rem.Handle(ctx, payload)
		if err != nil {
			// As the RIE answers a function error.
			body, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": "errorString"})
			return body, time.Since(start), fmt.Errorf("%w: %v", lambdarie.ErrFunction, err)
		}
		body, err := json.Marshal(res)
		return body, time.Since(start), err
	}
}

func loadTestCorpus(t *testing.T) *corpus {
	t.Helper()
	c, err := loadCorpus("../../events")
	if err != nil {
		t.Fatal(err)
	}
	c.shiftExpiries(time.Now())
	return c
}

func TestShowCorpus(t *testing.T) {
	c := loadTestCorpus(t)
	acct, invoke := inProcess(t, c)
	var out bytes.Buffer
	code, err := show(context.Background(), c, acct, 0, invoke, &out)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if code != 0 {
		t.Fatalf("show = %d, want 0: every scenario as expected\n%s", code, got)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^01  dana \(Developer\) +open tcp/22 from 0\.0\.0\.0/0 on web-tier +REVERTED +revoked sgr-0ae404ccc4e3053b8$`),
		regexp.MustCompile(`(?m)^04  .* ALREADY GONE +sgr-0ae404ccc4e3053b8 was already gone$`),
		regexp.MustCompile(`(?m)^17  .*add 81\.2\.69\.142/32 to prefix list vpn-ranges +ALERT +alert only: kept sgr-089bcb89de5b4e5cc$`),
		regexp.MustCompile(`(?m)^33  .*restore prefix list ops-ranges to version \d+ +REVERTED +removed 0\.0\.0\.0/0 from the list$`),
		regexp.MustCompile(`(?m)^22  sam \(BreakGlass\) .* EXEMPT +exempt: kept sgr-0685766380d6baa18$`),
		regexp.MustCompile(`(?m)^29  .*\(call failed\) +no action +failed call \(UnauthorizedOperation\)$`),
		regexp.MustCompile(`\[event 01\] Subject: REVERTED tcp/22 from 0\.0\.0\.0/0 on sg-07de4ed24192540c9 \(web-tier\)`),
		regexp.MustCompile(`(?m)^ +28 +ALERT eni-0e76b57f99b71fab2`),
		regexp.MustCompile(`(?m)^web-tier +sgr-0ae404ccc4e3053b8 +ingress tcp/22 from 0\.0\.0\.0/0 +critical, revert +REVOKED by sgwarden$`),
		regexp.MustCompile(`(?m)^ops-jump +sgr-0c1d2e3f4a5b60718 .* compliant \(list entry removed\)$`),
		// Fail closed: an unreadable event is FAILED, and its alert is numbered.
		regexp.MustCompile(`(?m)^37  .*unreadable\.json +FAILED +ERROR \(Lambda retries the event\)`),
		regexp.MustCompile(`(?m)^ +37 +FAILED `),
		// Rules aggregate: the standing half is compliant once the event's half is revoked.
		regexp.MustCompile(`(?m)^admin-portal +sgr-0b7c1e5a9d3f46021 .* compliant \(its partner revoked\)$`),
		regexp.MustCompile(fmt.Sprintf(`(?m)^%d of %[1]d scenarios as expected`, len(c.files))),
		regexp.MustCompile(`Time per event, .*: [0-9.]+ ms for the first \(cold start\), then median [0-9.]+ ms, max [0-9.]+ ms\.`),
	} {
		if !want.MatchString(got) {
			t.Errorf("demo output does not match %s:\n%s", want, got)
		}
	}
	// Every line is meant for an 80-column-ish terminal, but the widest
	// table may be longer; no line may be absurd.
	for _, l := range strings.Split(got, "\n") {
		if len(l) > 180 {
			t.Errorf("line of %d characters: %q", len(l), l)
		}
	}
}

func TestShowReportsMismatch(t *testing.T) {
	c := loadTestCorpus(t)
	e := c.expected["01-authorize-ingress-world-ssh.json"]
	e.Outcome.Action = "alert"
	c.expected[e.File] = e
	acct, invoke := inProcess(t, c)
	var out bytes.Buffer
	code, err := show(context.Background(), c, acct, 0, invoke, &out)
	if err != nil {
		t.Fatal(err)
	}
	if code != 1 || !strings.Contains(out.String(), "<< DIFFERS") || !strings.Contains(out.String(), `expected: action "reverted", want "alert"`) ||
		!strings.Contains(out.String(), fmt.Sprintf("%d of %d scenarios as expected", len(c.files)-1, len(c.files))) {
		t.Errorf("show with a wrong expectation = %d, want 1 and the difference named:\n%s", code, out.String())
	}
}

func TestShiftExpiries(t *testing.T) {
	c, err := loadCorpus("../../events")
	if err != nil {
		t.Fatal(err)
	}
	recorded, _ := time.Parse(time.RFC3339, c.constants.Now)
	if n := c.shiftExpiries(recorded.Add(time.Hour)); n != 0 {
		t.Errorf("shiftExpiries(same day) = %d, want 0", n)
	}
	if n := c.shiftExpiries(recorded.AddDate(0, 0, 5)); n != 5 {
		t.Errorf("shiftExpiries(+5 days) = %d, want 5", n)
	}
	for _, g := range c.fixture.Groups {
		if g.Name == "bastion" && g.Tags[remediate.ExemptTagKey] != "2026-12-02" {
			t.Errorf("bastion exemption = %q, want 2026-11-27 moved 5 days to 2026-12-02", g.Tags[remediate.ExemptTagKey])
		}
		for _, r := range g.Ingress {
			if v := r.Tags[remediate.ExemptTagKey]; r.ID == "sgr-095539677b2e2cbe0" && v != "partner SFTP, contract PS-2231" {
				t.Errorf("rule %s exemption = %q: a reason, not a date, must not change", r.ID, v)
			}
		}
	}
}

func TestShortActor(t *testing.T) {
	tests := []struct {
		actor cloudtrail.Actor
		want  string
	}{
		{cloudtrail.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::1:assumed-role/AWSReservedSSO_Developer_3f1c2b9a7d4e5f60/dana@example.com"}, "dana (Developer)"},
		{cloudtrail.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::1:assumed-role/GitHubActions/github-actions-terraform"}, "github-actions-terraform"},
		{cloudtrail.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::1:assumed-role/cfn/x", InvokedBy: "cloudformation.amazonaws.com"}, "cloudformation"},
		{cloudtrail.Actor{Type: "IAMUser", ARN: "arn:aws:iam::1:user/marco.dev", UserName: "marco.dev"}, "marco.dev"},
		{cloudtrail.Actor{Type: "Root", ARN: "arn:aws:iam::1:root"}, "root"},
		{cloudtrail.Actor{}, "unknown"},
	}
	for _, tt := range tests {
		if got := shortActor(&tt.actor); got != tt.want {
			t.Errorf("shortActor(%s) = %q, want %q", tt.actor.ARN, got, tt.want)
		}
	}
}

func TestShowFunctionError(t *testing.T) {
	c := loadTestCorpus(t)
	c.constants.TopicARN = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
	acct, invoke := inProcess(t, c)
	var out bytes.Buffer
	code, err := show(context.Background(), c, acct, 0, invoke, &out)
	if err != nil {
		t.Fatal(err)
	}
	if code != 1 || !regexp.MustCompile(`(?m)^01  .*ERROR \(Lambda retries the event\): .*<< DIFFERS$`).MatchString(out.String()) ||
		!strings.Contains(out.String(), `expected: error "`) {
		t.Errorf("show with an unpublishable topic = %d, want 1 and event 01 failing:\n%s", code, out.String())
	}
}
