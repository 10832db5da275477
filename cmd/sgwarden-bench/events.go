package main

import (
	"encoding/json"
	"fmt"
	"time"
)

// ingressChange describes one AuthorizeSecurityGroupIngress call, from
// which authorizeEvent builds the EventBridge event that CloudTrail would
// deliver for it (shape as in shared/reference-events).
type ingressChange struct {
	EventID  string
	Account  string
	Region   string
	GroupID  string
	RuleID   string
	Protocol string // "tcp"
	FromPort int32
	ToPort   int32
	CIDR     string
	Time     time.Time
}

// authorizeEvent returns the event as JSON.
func authorizeEvent(c ingressChange) ([]byte, error) {
	ts := c.Time.UTC().Format(time.RFC3339)
	actor := "arn:aws:sts::" + c.Account + ":assumed-role/Admin/bench@example.com"
	event := map[string]any{
		"version":     "0",
		"id":          "env-" + c.EventID,
		"detail-type": "AWS API Call via CloudTrail",
		"source":      "aws.ec2",
		"account":     c.Account,
		"time":        ts,
		"region":      c.Region,
		"resources":   []any{},
		"detail": map[string]any{
			"eventVersion": "1.08",
			"userIdentity": map[string]any{
				"type":        "AssumedRole",
				"principalId": "AROAEXAMPLEBENCH:bench@example.com",
				"arn":         actor,
				"accountId":   c.Account,
				"sessionContext": map[string]any{
					"sessionIssuer": map[string]any{
						"type":        "Role",
						"principalId": "AROAEXAMPLEBENCH",
						"arn":         "arn:aws:iam::" + c.Account + ":role/Admin",
						"accountId":   c.Account,
						"userName":    "Admin",
					},
				},
			},
			"eventTime":       ts,
			"eventSource":     "ec2.amazonaws.com",
			"eventName":       "AuthorizeSecurityGroupIngress",
			"awsRegion":       c.Region,
			"sourceIPAddress": "198.51.100.7",
			"userAgent":       "aws-cli/2.15.0",
			"requestParameters": map[string]any{
				"groupId": c.GroupID,
				"ipPermissions": map[string]any{"items": []any{map[string]any{
					"ipProtocol":    c.Protocol,
					"fromPort":      c.FromPort,
					"toPort":        c.ToPort,
					"groups":        map[string]any{},
					"ipRanges":      map[string]any{"items": []any{map[string]any{"cidrIp": c.CIDR}}},
					"ipv6Ranges":    map[string]any{},
					"prefixListIds": map[string]any{},
				}}},
			},
			"responseElements": map[string]any{
				"requestId": "req-" + c.EventID,
				"_return":   true,
				"securityGroupRuleSet": map[string]any{"items": []any{map[string]any{
					"groupOwnerId":        c.Account,
					"groupId":             c.GroupID,
					"securityGroupRuleId": c.RuleID,
					"isEgress":            false,
					"ipProtocol":          c.Protocol,
					"fromPort":            c.FromPort,
					"toPort":              c.ToPort,
					"cidrIpv4":            c.CIDR,
				}}},
			},
			"requestID":          "req-" + c.EventID,
			"eventID":            c.EventID,
			"readOnly":           false,
			"eventType":          "AwsApiCall",
			"managementEvent":    true,
			"recipientAccountId": c.Account,
			"eventCategory":      "Management",
		},
	}
	data, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", c.EventID, err)
	}
	return data, nil
}

// benchEventID returns a UUID-shaped, unique event ID for invoke i.
func benchEventID(kind string, i int) string {
	k := 0
	for _, c := range kind {
		k = k*31 + int(c)
	}
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(k), i)
}
