package doctor

import (
	"slices"
	"testing"
)

func TestAnalyzePattern(t *testing.T) {
	names := []string{"AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules", "CreateTags"}
	tests := []struct {
		name        string
		pattern     string
		missing     []string
		wrongSource string
		excludes    bool
		wantErr     bool
	}{
		{name: "exact list", pattern: `{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["ec2.amazonaws.com"],"eventName":["AuthorizeSecurityGroupIngress","ModifySecurityGroupRules","CreateTags"],"errorCode":[{"exists":false}]}}`, excludes: true},
		{name: "one missing", pattern: `{"source":["aws.ec2"],"detail":{"eventName":["AuthorizeSecurityGroupIngress","CreateTags"]}}`, missing: []string{"ModifySecurityGroupRules"}},
		{name: "no eventName means all", pattern: `{"source":["aws.ec2"]}`},
		{name: "prefix", pattern: `{"detail":{"eventName":[{"prefix":"Authorize"},{"prefix":"Modify"}]}}`, missing: []string{"CreateTags"}},
		{name: "suffix", pattern: `{"detail":{"eventName":[{"suffix":"Rules"}]}}`, missing: []string{"AuthorizeSecurityGroupIngress", "CreateTags"}},
		{name: "wildcard", pattern: `{"detail":{"eventName":[{"wildcard":"*SecurityGroup*"}]}}`, missing: []string{"CreateTags"}},
		{name: "equals-ignore-case", pattern: `{"detail":{"eventName":[{"equals-ignore-case":"createtags"}]}}`, missing: []string{"AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"}},
		{name: "anything-but list", pattern: `{"detail":{"eventName":[{"anything-but":["CreateTags"]}]}}`, missing: []string{"CreateTags"}},
		{name: "anything-but prefix", pattern: `{"detail":{"eventName":[{"anything-but":{"prefix":"Create"}}]}}`, missing: []string{"CreateTags"}},
		{name: "wrong source", pattern: `{"source":["aws.s3"]}`, wrongSource: "source"},
		{name: "wrong detail-type", pattern: `{"detail-type":["Scheduled Event"]}`, wrongSource: "detail-type"},
		{name: "wrong eventSource", pattern: `{"detail":{"eventSource":["s3.amazonaws.com"]}}`, wrongSource: "detail.eventSource"},
		{name: "errors only", pattern: `{"detail":{"errorCode":[{"exists":true}]}}`},
		{name: "not json", pattern: `{`, wantErr: true},
		{name: "$or", pattern: `{"$or":[{"source":["aws.ec2"]}]}`, wantErr: true},
		{name: "scalar instead of list", pattern: `{"source":"aws.ec2"}`, wantErr: true},
		{name: "unknown operator", pattern: `{"detail":{"eventName":[{"regex":".*"}]}}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cov, err := AnalyzePattern(tc.pattern, names)
			if (err != nil) != tc.wantErr {
				t.Fatalf("AnalyzePattern error = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if !slices.Equal(cov.Missing, tc.missing) {
				t.Errorf("Missing = %v, want %v", cov.Missing, tc.missing)
			}
			if cov.WrongSource != tc.wrongSource {
				t.Errorf("WrongSource = %q, want %q", cov.WrongSource, tc.wrongSource)
			}
			if cov.ExcludesErrors != tc.excludes {
				t.Errorf("ExcludesErrors = %v, want %v", cov.ExcludesErrors, tc.excludes)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		question   bool
		want       bool
	}{
		{"*", "", false, true},
		{"arn:aws:events:*:123456789012:rule/*", "arn:aws:events:us-east-1:123456789012:rule/x", false, true},
		{"arn:aws:events:*:123456789012:rule/*", "arn:aws:events:us-east-1:999999999999:rule/x", false, false},
		{"a?c", "abc", true, true},
		{"a?c", "abc", false, false},
		{"*Rules", "ModifySecurityGroupRules", false, true},
		{"*a*b", "xaxxb", false, true},
		{"*a*b", "xaxxbc", false, false},
	}
	for _, tc := range tests {
		if got := glob(tc.pattern, tc.s, tc.question); got != tc.want {
			t.Errorf("glob(%q, %q, %v) = %v, want %v", tc.pattern, tc.s, tc.question, got, tc.want)
		}
	}
}
