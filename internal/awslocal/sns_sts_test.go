package awslocal_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func (e *env) topic(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	out, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateTopic(%s): %v", name, err)
	}
	arn := aws.ToString(out.TopicArn)
	t.Cleanup(func() { _, _ = e.sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}) })
	return arn
}

func alertInput(arn string) *sns.PublishInput {
	doc, _ := json.Marshal(map[string]string{
		"default": `{"action":"reverted","group":"sg-0abc"}`,
		"email":   "REVERTED tcp/22 from 0.0.0.0/0 on sg-0abc",
	})
	return &sns.PublishInput{
		TopicArn: aws.String(arn), Subject: aws.String("REVERTED tcp/22 from 0.0.0.0/0 on sg-0abc"),
		Message: aws.String(string(doc)), MessageStructure: aws.String("json"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"action":   {DataType: aws.String("String"), StringValue: aws.String("reverted")},
			"severity": {DataType: aws.String("String"), StringValue: aws.String("high")},
			"count":    {DataType: aws.String("Number"), StringValue: aws.String("2")},
		},
	}
}

func TestSNSTopicsAndPublish(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	name := unique("alerts")
	arn := e.topic(t, name)
	if !strings.HasSuffix(arn, ":"+name) || !strings.HasPrefix(arn, "arn:aws:sns:") {
		t.Errorf("CreateTopic ARN = %q", arn)
	}
	again, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil || aws.ToString(again.TopicArn) != arn {
		t.Errorf("CreateTopic(existing) = %v, %v; want the same ARN", aws.ToString(again.TopicArn), err)
	}
	var arns []string
	drain(t, sns.NewListTopicsPaginator(e.sns, &sns.ListTopicsInput{}), func(out *sns.ListTopicsOutput) {
		for _, tp := range out.Topics {
			arns = append(arns, aws.ToString(tp.TopicArn))
		}
	})
	if !slices.Contains(arns, arn) {
		t.Errorf("ListTopics = %v, want it to include %s", arns, arn)
	}
	out, err := e.sns.Publish(ctx, alertInput(arn))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if aws.ToString(out.MessageId) == "" {
		t.Errorf("Publish returned no MessageId")
	}

	bad := alertInput(arn)
	bad.Message = aws.String(`{"email":"no default"}`)
	_, err = e.sns.Publish(ctx, bad)
	wantErr(t, "Publish(json without default)", err, "InvalidParameter", 400)
	bad = alertInput(arn)
	bad.MessageAttributes["count"] = snstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String("two")}
	_, err = e.sns.Publish(ctx, bad)
	wantErr(t, "Publish(non-numeric Number attribute)", err, "ParameterValueInvalid", 400)
	_, err = e.sns.Publish(ctx, alertInput(strings.TrimSuffix(arn, name)+unique("missing")))
	wantErr(t, "Publish(missing topic)", err, "NotFound", 404)
}

func TestSNSMessagesCanBeReadBack(t *testing.T) {
	ctx := context.Background()
	e, srv := local(t, "message read-back")
	arn := e.topic(t, "alerts")
	if _, err := e.sns.Publish(ctx, alertInput(arn)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 {
		t.Fatalf("SNSMessages = %d, want 1", len(msgs))
	}
	m := msgs[0]
	if m.TopicARN != arn || m.MessageStructure != "json" || !strings.HasPrefix(m.Subject, "REVERTED") {
		t.Errorf("message = %+v", m)
	}
	if got := m.DefaultMessage(); got != `{"action":"reverted","group":"sg-0abc"}` {
		t.Errorf("DefaultMessage = %q", got)
	}
	want := map[string]awslocal.SNSMessageAttribute{
		"action": {DataType: "String", StringValue: "reverted"}, "severity": {DataType: "String", StringValue: "high"},
		"count": {DataType: "Number", StringValue: "2"},
	}
	if len(m.Attributes) != len(want) {
		t.Errorf("attributes = %+v, want %+v", m.Attributes, want)
	}
	for k, v := range want {
		if got := m.Attributes[k]; got.DataType != v.DataType || got.StringValue != v.StringValue {
			t.Errorf("attribute %s = %+v, want %+v", k, got, v)
		}
	}
	srv.ResetSNSMessages()
	if n := len(srv.SNSMessages()); n != 0 {
		t.Errorf("after ResetSNSMessages: %d messages", n)
	}
}

func TestListTopicsPages(t *testing.T) {
	e, srv := local(t, "CreateTopic from Go")
	for i := 0; i < 150; i++ {
		srv.CreateTopic("", unique("t"))
	}
	topics := 0
	pages := drain(t, sns.NewListTopicsPaginator(e.sns, &sns.ListTopicsInput{}), func(out *sns.ListTopicsOutput) { topics += len(out.Topics) })
	if pages != 2 || topics != 150 {
		t.Errorf("ListTopics over 150 topics: %d pages, %d topics; want 2 pages of at most 100", pages, topics)
	}
}

func TestGetCallerIdentity(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	out, err := e.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(aws.ToString(out.Account)) || !strings.HasPrefix(aws.ToString(out.Arn), "arn:aws:") {
		t.Errorf("GetCallerIdentity = account %q arn %q", aws.ToString(out.Account), aws.ToString(out.Arn))
	}
	if e.acct.Server == nil {
		return
	}
	role := "arn:aws:sts::210987654321:assumed-role/sgwarden-remediate/i-1"
	e2, _ := local(t, "WithAccount", awslocal.WithAccount("210987654321"), awslocal.WithCallerARN(role))
	out, err = e2.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Account) != "210987654321" || aws.ToString(out.Arn) != role || !strings.HasSuffix(aws.ToString(out.UserId), ":i-1") {
		t.Errorf("GetCallerIdentity = %s %s %s, want the configured account and role", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
	}
}

func TestPublishSubjectRules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	arn := e.topic(t, unique("subjects"))
	tests := []struct {
		name, subject string
		ok            bool
	}{
		{"ascii", "REVERTED tcp/22 from 0.0.0.0/0 on sg-0abc (web) 123456789012/us-east-1", true},
		{"utf-8", "RÉVERTÉ tcp/22 → sg-0abc", true},
		{"99 characters", strings.Repeat("a", 99), true},
		{"100 characters", strings.Repeat("a", 100), false},
		{"line break", "two\nlines", false},
		{"control character", "bell\x07", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := alertInput(arn)
			in.Subject = aws.String(tc.subject)
			_, err := e.sns.Publish(ctx, in)
			if tc.ok && err != nil {
				t.Errorf("Publish(subject %q) = %v, want success", tc.subject, err)
			}
			if !tc.ok {
				wantErr(t, "Publish(subject "+tc.name+")", err, "InvalidParameter", 400)
			}
		})
	}
}
