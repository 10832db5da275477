package doctor

import (
	"encoding/json"
	"testing"
)

const testFnARN = "arn:aws:lambda:us-east-1:123456789012:function:sgwarden-remediate"

// invokePolicy is a resource policy with one statement letting
// EventBridge invoke the function, scoped to sourceARN when not empty.
func invokePolicy(sourceARN string) string {
	st := map[string]any{
		"Sid": "AllowEventBridge", "Effect": "Allow",
		"Principal": map[string]any{"Service": "events.amazonaws.com"},
		"Action":    "lambda:InvokeFunction", "Resource": testFnARN,
	}
	if sourceARN != "" {
		st["Condition"] = map[string]any{"ArnLike": map[string]any{"AWS:SourceArn": sourceARN}}
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": []any{st}})
	return string(b)
}

func TestAnalyzePermission(t *testing.T) {
	const rule = "arn:aws:events:us-east-1:123456789012:rule/sgwarden-RemediateRule"
	stmt := func(body string) string { return `{"Version":"2012-10-17","Statement":[` + body + `]}` }
	tests := []struct {
		name    string
		policy  string
		want    Grant
		wantErr bool
	}{
		{name: "exact SourceArn", policy: invokePolicy(rule), want: GrantRule},
		{name: "ArnEquals and SourceAccount", policy: stmt(`{"Sid":"a","Effect":"Allow","Principal":{"Service":["events.amazonaws.com"]},"Action":["lambda:InvokeFunction"],"Condition":{"ArnEquals":{"aws:SourceArn":"` + rule + `"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}}`), want: GrantRule},
		{name: "wildcard SourceArn", policy: invokePolicy("arn:aws:events:us-east-1:123456789012:rule/sgwarden-*"), want: GrantRule},
		{name: "wrong SourceArn", policy: invokePolicy("arn:aws:events:us-east-1:123456789012:rule/old"), want: GrantOtherSource},
		{name: "wrong SourceAccount", policy: stmt(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"AWS:SourceAccount":"999999999999"}}}`), want: GrantOtherSource},
		{name: "no condition", policy: invokePolicy(""), want: GrantUnscoped},
		{name: "lambda:* action", policy: stmt(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"lambda:*","Condition":{"ArnLike":{"AWS:SourceArn":"` + rule + `"}}}`), want: GrantRule},
		{name: "other principal", policy: stmt(`{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction"}`), want: GrantNone},
		{name: "other action", policy: stmt(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"lambda:GetFunction"}`), want: GrantNone},
		{name: "single statement object", policy: `{"Statement":{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"` + rule + `"}}}}`, want: GrantRule},
		{name: "deny wins", policy: stmt(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"lambda:InvokeFunction"},{"Sid":"no","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction"}`), want: GrantDenied},
		{name: "not json", policy: `{`, wantErr: true},
		{name: "bad statement", policy: `{"Statement":42}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AnalyzePermission(tc.policy, rule, "123456789012")
			if (err != nil) != tc.wantErr {
				t.Fatalf("AnalyzePermission error = %v, want error %v", err, tc.wantErr)
			}
			if got.Grant != tc.want {
				t.Errorf("AnalyzePermission = %v, want %v", got.Grant, tc.want)
			}
		})
	}
}
