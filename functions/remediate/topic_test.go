package main

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"
)

func TestTopicRegion(t *testing.T) {
	for _, tc := range []struct{ arn, own, want string }{
		{"arn:aws:sns:eu-west-1:210987654321:sgwarden-alerts", "us-east-1", "eu-west-1"}, // central topic of an organization
		{"arn:aws:sns:us-east-1:123456789012:alerts", "us-east-1", "us-east-1"},
		{"not-an-arn", "us-east-1", "us-east-1"}, // lambdaenv refuses it before; keep the function's own
	} {
		o := sns.Options{Region: tc.own}
		topicRegion(tc.arn)(&o)
		if o.Region != tc.want {
			t.Errorf("topicRegion(%s) region = %s, want %s", tc.arn, o.Region, tc.want)
		}
	}
}
