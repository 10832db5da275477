package cloudtrail

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// record builds a bare CloudTrail record around requestParameters and
// responseElements (raw JSON, "" for absent). extra is spliced in as more
// top-level members.
func record(name, req, resp string, extra ...string) string {
	var b strings.Builder
	b.WriteString(`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice",` +
		`"arn":"arn:aws:sts::123456789012:assumed-role/Admin/alice","accountId":"123456789012",` +
		`"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/Admin","userName":"Admin"}}},` +
		`"eventTime":"2026-11-26T06:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"` + name + `",` +
		`"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.17.0",` +
		`"eventID":"11111111-2222-3333-4444-555555555555","recipientAccountId":"123456789012"`)
	if req != "" {
		b.WriteString(`,"requestParameters":` + req)
	}
	if resp != "" {
		b.WriteString(`,"responseElements":` + resp)
	}
	for _, e := range extra {
		b.WriteString("," + e)
	}
	b.WriteString("}")
	return b.String()
}

func envelope(detail string) string {
	return `{"version":"0","id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","detail-type":"AWS API Call via CloudTrail",` +
		`"source":"aws.ec2","account":"123456789012","time":"2026-11-26T06:00:01Z","region":"us-east-1","resources":[],"detail":` + detail + `}`
}

func v4(s string) policy.Peer {
	return policy.Peer{Kind: policy.PeerIPv4, CIDR: netip.MustParsePrefix(s)}
}

func v6(s string) policy.Peer {
	return policy.Peer{Kind: policy.PeerIPv6, CIDR: netip.MustParsePrefix(s)}
}

// tuple is the part of a rule the tests compare.
type tuple struct {
	RuleID   string
	GroupID  string
	Dir      policy.Direction
	Proto    policy.Protocol
	From, To int32
	Peer     policy.Peer
}

func tuples(rules []policy.Rule) []tuple {
	out := make([]tuple, len(rules))
	for i, r := range rules {
		out[i] = tuple{r.RuleID, r.GroupID, r.Direction, r.Protocol, r.FromPort, r.ToPort, r.Peer}
	}
	return out
}

const vpcPermissions = `{"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[
 {"ipProtocol":"tcp","fromPort":22,"toPort":22,
  "ipRanges":{"items":[{"cidrIp":"10.0.0.0/8","description":"vpn"},{"cidrIp":"0.0.0.0/0"}]},
  "ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]},
  "prefixListIds":{"items":[{"prefixListId":"pl-0123456789abcdef0"}]},
  "groups":{"items":[{"groupId":"sg-0aaaaaaaaaaaaaaaa","userId":"210987654321"}]}}]}}`

func TestDecodeRules(t *testing.T) {
	const g = "sg-0123456789abcdef0"
	tests := []struct {
		name         string
		data         string
		wantGroup    string
		wantName     string
		unresolved   bool
		wantRules    []tuple
		wantDirUnk   bool
		wantFailed   string
		wantKind     Kind
		wantEnvelope bool
	}{
		{
			name:      "vpc form without response: one rule per peer, no IDs",
			data:      record("AuthorizeSecurityGroupIngress", vpcPermissions, `{"requestId":"r","_return":true}`),
			wantGroup: g, wantKind: KindRuleAdded,
			wantRules: []tuple{
				{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("10.0.0.0/8")},
				{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0")},
				{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, v6("::/0")},
				{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: "pl-0123456789abcdef0"}},
				{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, policy.Peer{Kind: policy.PeerGroup, GroupID: "sg-0aaaaaaaaaaaaaaaa", GroupOwner: "210987654321"}},
			},
		},
		{
			name: "vpc form with securityGroupRuleSet: the response is the truth",
			data: envelope(record("AuthorizeSecurityGroupIngress", vpcPermissions, `{"requestId":"r","_return":true,"securityGroupRuleSet":{"items":[
				{"groupOwnerId":"123456789012","groupId":"`+g+`","securityGroupRuleId":"sgr-01","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv4":"10.0.0.0/8"},
				{"groupOwnerId":"123456789012","groupId":"`+g+`","securityGroupRuleId":"sgr-02","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv4":"0.0.0.0/0"},
				{"groupOwnerId":"123456789012","groupId":"`+g+`","securityGroupRuleId":"sgr-03","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv6":"::/0"},
				{"groupOwnerId":"123456789012","groupId":"`+g+`","securityGroupRuleId":"sgr-04","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"prefixListId":"pl-0123456789abcdef0"},
				{"groupOwnerId":"123456789012","groupId":"`+g+`","securityGroupRuleId":"sgr-05","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,
				 "referencedGroupInfo":{"groupId":"sg-0aaaaaaaaaaaaaaaa","userId":"210987654321"},"securityGroupRuleArn":"arn:aws:ec2:us-east-1:123456789012:security-group-rule/sgr-05"}]}}`)),
			wantGroup: g, wantKind: KindRuleAdded, wantEnvelope: true,
			wantRules: []tuple{
				{"sgr-01", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("10.0.0.0/8")},
				{"sgr-02", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0")},
				{"sgr-03", g, policy.Ingress, policy.ProtoTCP, 22, 22, v6("::/0")},
				{"sgr-04", g, policy.Ingress, policy.ProtoTCP, 22, 22, policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: "pl-0123456789abcdef0"}},
				{"sgr-05", g, policy.Ingress, policy.ProtoTCP, 22, 22, policy.Peer{Kind: policy.PeerGroup, GroupID: "sg-0aaaaaaaaaaaaaaaa", GroupOwner: "210987654321"}},
			},
		},
		{
			name:      "legacy flat cidrIp form, numbers as strings, masked CIDR",
			data:      record("AuthorizeSecurityGroupIngress", `{"groupId":"`+g+`","ipPermissions":{},"cidrIp":"208.236.235.254/0","ipProtocol":"tcp","fromPort":"22","toPort":"22"}`, `{"_return":true}`),
			wantGroup: g, wantKind: KindRuleAdded,
			wantRules: []tuple{{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0")}},
		},
		{
			name: "groupName form resolved from the response",
			data: record("AuthorizeSecurityGroupIngress", `{"groupName":"launch-wizard-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`,
				`{"_return":true,"securityGroupRuleSet":{"items":[{"groupId":"`+g+`","securityGroupRuleId":"sgr-0rdp","isEgress":false,"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"cidrIpv4":"0.0.0.0/0"}]}}`),
			wantGroup: g, wantName: "launch-wizard-1", wantKind: KindRuleAdded,
			wantRules: []tuple{{"sgr-0rdp", g, policy.Ingress, policy.ProtoTCP, 3389, 3389, v4("0.0.0.0/0")}},
		},
		{
			name:     "groupName form without rule set is unresolved",
			data:     record("AuthorizeSecurityGroupIngress", `{"groupName":"launch-wizard-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`, `{"_return":true}`),
			wantName: "launch-wizard-1", unresolved: true, wantKind: KindRuleAdded,
			wantRules: []tuple{{"", "", policy.Ingress, policy.ProtoTCP, 3389, 3389, v4("0.0.0.0/0")}},
		},
		{
			name: "protocol forms and port normalization",
			data: record("AuthorizeSecurityGroupEgress", `{"groupId":"`+g+`","ipPermissions":{"items":[
				{"ipProtocol":"-1","groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}},
				{"ipProtocol":"all","fromPort":0,"toPort":65535,"ipRanges":{"items":[{"cidrIp":"10.1.0.0/16"}]}},
				{"ipProtocol":"6","fromPort":-1,"toPort":-1,"ipRanges":{"items":[{"cidrIp":"10.2.0.0/16"}]}},
				{"ipProtocol":17,"ipRanges":{"items":[{"cidrIp":"10.3.0.0/16"}]}},
				{"ipProtocol":"TCP","fromPort":"1024","toPort":"65535","ipRanges":{"items":[{"cidrIp":"10.4.0.0/16"}]}},
				{"ipProtocol":"icmp","fromPort":8,"toPort":-1,"ipRanges":{"items":[{"cidrIp":"10.5.0.0/16"}]}},
				{"ipProtocol":"50","ipRanges":{"items":[{"cidrIp":"10.6.0.0/16"}]}}]}}`, `{"_return":true}`),
			wantGroup: g, wantKind: KindRuleAdded,
			wantRules: []tuple{
				{"", g, policy.Egress, policy.ProtoAll, -1, -1, v4("0.0.0.0/0")},
				{"", g, policy.Egress, policy.ProtoAll, -1, -1, v4("10.1.0.0/16")},
				{"", g, policy.Egress, policy.ProtoTCP, 0, 65535, v4("10.2.0.0/16")},
				{"", g, policy.Egress, policy.ProtoUDP, 0, 65535, v4("10.3.0.0/16")},
				{"", g, policy.Egress, policy.ProtoTCP, 1024, 65535, v4("10.4.0.0/16")},
				{"", g, policy.Egress, policy.ProtoICMP, 8, -1, v4("10.5.0.0/16")},
				{"", g, policy.Egress, 50, -1, -1, v4("10.6.0.0/16")},
			},
		},
		{
			name: "response rule with -1/-1 ports and isEgress",
			data: record("AuthorizeSecurityGroupEgress", `{"groupId":"`+g+`","ipPermissions":{"items":[{"ipProtocol":"-1","ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`,
				`{"_return":true,"securityGroupRuleSet":{"items":[{"groupId":"`+g+`","securityGroupRuleId":"sgr-0eg","isEgress":true,"ipProtocol":"-1","fromPort":-1,"toPort":-1,"cidrIpv4":"0.0.0.0/0"}]}}`),
			wantGroup: g, wantKind: KindRuleAdded,
			wantRules: []tuple{{"sgr-0eg", g, policy.Egress, policy.ProtoAll, -1, -1, v4("0.0.0.0/0")}},
		},
		{
			name: "revoke by ipPermissions and securityGroupRuleIds",
			data: record("RevokeSecurityGroupIngress", `{"groupId":"`+g+`","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":0,"toPort":65535,"ipRanges":{"items":[{"cidrIp":"127.0.0.1/32"}]}}]},
				"securityGroupRuleIds":{"items":[{"securityGroupRuleId":"sgr-0aa"},"sgr-0bb"]}}`, `{"_return":true}`),
			wantGroup: g, wantKind: KindRuleRevoked,
			wantRules: []tuple{
				{"", g, policy.Ingress, policy.ProtoTCP, 0, 65535, v4("127.0.0.1/32")},
				{"sgr-0aa", g, policy.Ingress, 0, 0, 0, policy.Peer{}},
				{"sgr-0bb", g, policy.Ingress, 0, 0, 0, policy.Peer{}},
			},
		},
		{
			name: "ModifySecurityGroupRules, one object, return without underscore",
			data: envelope(record("ModifySecurityGroupRules", `{"ModifySecurityGroupRulesRequest":{"GroupId":"`+g+`","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-0mod","tag":1,
				"SecurityGroupRule":{"CidrIpv4":"0.0.0.0/0","IpProtocol":"tcp","FromPort":"5432","ToPort":"5432","Description":"db"}}}}`,
				`{"ModifySecurityGroupRulesResponse":{"requestId":"r","return":true}}`)),
			wantGroup: g, wantKind: KindRuleModified, wantDirUnk: true, wantEnvelope: true,
			wantRules: []tuple{{"sgr-0mod", g, policy.Ingress, policy.ProtoTCP, 5432, 5432, v4("0.0.0.0/0")}},
		},
		{
			name: "ModifySecurityGroupRules, a list, _return",
			data: record("ModifySecurityGroupRules", `{"ModifySecurityGroupRulesRequest":{"GroupId":"`+g+`","SecurityGroupRule":[
				{"SecurityGroupRuleId":"sgr-0m1","SecurityGroupRule":{"CidrIpv6":"::/0","IpProtocol":"-1"}},
				{"SecurityGroupRuleId":"sgr-0m2","SecurityGroupRule":{"PrefixListId":"pl-0abc","IpProtocol":"udp","FromPort":53,"ToPort":53}},
				{"SecurityGroupRuleId":"sgr-0m3","SecurityGroupRule":{"ReferencedGroupId":"`+g+`","IpProtocol":"tcp","FromPort":0,"ToPort":65535}}]}}`,
				`{"ModifySecurityGroupRulesResponse":{"_return":true}}`),
			wantGroup: g, wantKind: KindRuleModified, wantDirUnk: true,
			wantRules: []tuple{
				{"sgr-0m1", g, policy.Ingress, policy.ProtoAll, -1, -1, v6("::/0")},
				{"sgr-0m2", g, policy.Ingress, policy.ProtoUDP, 53, 53, policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: "pl-0abc"}},
				{"sgr-0m3", g, policy.Ingress, policy.ProtoTCP, 0, 65535, policy.Peer{Kind: policy.PeerGroup, GroupID: g}},
			},
		},
		{
			name: "failed call with Client. prefix still decodes",
			data: record("AuthorizeSecurityGroupIngress", `{"groupId":"`+g+`","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`,
				"null", `"errorCode":"Client.UnauthorizedOperation"`, `"errorMessage":"You are not authorized to perform this operation."`),
			wantGroup: g, wantKind: KindRuleAdded, wantFailed: "UnauthorizedOperation",
			wantRules: []tuple{{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0")}},
		},
		{
			name: "failed call with unreadable request still decodes",
			data: record("AuthorizeSecurityGroupIngress", `{"groupId":"`+g+`","ipPermissions":"redacted"}`,
				"", `"errorCode":"InvalidPermission.Duplicate"`),
			wantGroup: g, wantKind: KindRuleAdded, wantFailed: "InvalidPermission.Duplicate",
			wantRules: []tuple{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Decode([]byte(tc.data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.GroupID != tc.wantGroup || ev.GroupName != tc.wantName || ev.GroupUnresolved != tc.unresolved {
				t.Errorf("group = %q/%q unresolved=%v, want %q/%q unresolved=%v", ev.GroupID, ev.GroupName, ev.GroupUnresolved, tc.wantGroup, tc.wantName, tc.unresolved)
			}
			if ev.Kind != tc.wantKind {
				t.Errorf("Kind = %s, want %s", ev.Kind, tc.wantKind)
			}
			if ev.DirectionUnknown != tc.wantDirUnk {
				t.Errorf("DirectionUnknown = %v, want %v", ev.DirectionUnknown, tc.wantDirUnk)
			}
			if ev.ErrorCode != tc.wantFailed || ev.Failed() != (tc.wantFailed != "") {
				t.Errorf("ErrorCode = %q Failed=%v, want %q", ev.ErrorCode, ev.Failed(), tc.wantFailed)
			}
			if got := tuples(ev.Rules); !reflect.DeepEqual(got, tc.wantRules) {
				t.Errorf("rules:\n got %+v\nwant %+v", got, tc.wantRules)
			}
			for _, r := range ev.Rules {
				if r.GroupKnown {
					t.Errorf("rule %s: GroupKnown = true, want false for a decoded event", r.RuleID)
				}
				if r.GroupName != tc.wantName {
					t.Errorf("rule %s: GroupName = %q, want %q", r.RuleID, r.GroupName, tc.wantName)
				}
			}
			if (ev.EnvelopeID != "") != tc.wantEnvelope {
				t.Errorf("EnvelopeID = %q, want envelope %v", ev.EnvelopeID, tc.wantEnvelope)
			}
		})
	}
}

func TestDecodeActorAndTime(t *testing.T) {
	ev, err := Decode([]byte(envelope(record("CreateSecurityGroup", `{"groupName":"web","groupDescription":"web tier","vpcId":"vpc-0a"}`,
		`{"_return":true,"groupId":"sg-0new"}`, `"eventTime":"2024-04-02 16:46:24.500000000"`))))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := Actor{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/Admin/alice", IssuerARN: "arn:aws:iam::123456789012:role/Admin",
		PrincipalID: "AROAEXAMPLE:alice", AccountID: "123456789012", UserName: "Admin", SourceIP: "198.51.100.7", UserAgent: "aws-cli/2.17.0"}
	if ev.Actor != want {
		t.Errorf("Actor = %+v, want %+v", ev.Actor, want)
	}
	// The later duplicate key wins in encoding/json, which is what the record says here.
	if wantT := time.Date(2024, 4, 2, 16, 46, 24, 500000000, time.UTC); !ev.Time.Equal(wantT) {
		t.Errorf("Time = %v, want %v", ev.Time, wantT)
	}
	if ev.GroupID != "sg-0new" || ev.GroupName != "web" || ev.VPCID != "vpc-0a" || ev.Kind != KindGroupCreated || len(ev.Rules) != 0 {
		t.Errorf("CreateSecurityGroup = %+v", ev)
	}
	if ev.Account != "123456789012" || ev.Region != "us-east-1" || ev.EnvelopeID != "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
		t.Errorf("account/region/envelope = %s/%s/%s", ev.Account, ev.Region, ev.EnvelopeID)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2020-04-30T23:51:08Z", time.Date(2020, 4, 30, 23, 51, 8, 0, time.UTC), true},
		{"2024-04-02 16:46:24.000000000", time.Date(2024, 4, 2, 16, 46, 24, 0, time.UTC), true},
		{"2024-04-02T16:46:24.123Z", time.Date(2024, 4, 2, 16, 46, 24, 123000000, time.UTC), true},
		{"2024-04-02T18:46:24+02:00", time.Date(2024, 4, 2, 16, 46, 24, 0, time.UTC), true},
		{"2021-02-30T00:00:00Z", time.Time{}, false},
		{"2024-13-02T16:46:24Z", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"2024-04-02T16:46:24.Z", time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok := parseTime([]byte(tc.in))
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseTime(%q) = %v, %v, want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDecodePrefixList(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    PrefixListChange
		wantErr string // field
	}{
		{
			name: "modify, AddEntry one object with tag artefact, RemoveEntry a list",
			data: record("ModifyManagedPrefixList", `{"ModifyManagedPrefixListRequest":{"PrefixListId":"pl-0abc","CurrentVersion":"3",
				"AddEntry":{"Description":"My IP Range","cidr":"71.131.0.0/16","tag":"1"},
				"RemoveEntry":[{"cidr":"203.0.113.0/24","tag":"1"},{"cidr":"2001:db8::/32","tag":"2"}]}}`, ""),
			want: PrefixListChange{ID: "pl-0abc", CurrentVersion: 3,
				Added:   []PrefixListEntry{{CIDR: "71.131.0.0/16", Description: "My IP Range"}},
				Removed: []PrefixListEntry{{CIDR: "203.0.113.0/24"}, {CIDR: "2001:db8::/32"}}},
		},
		{
			name: "modify without CurrentVersion, non-canonical CIDR is masked",
			data: record("ModifyManagedPrefixList", `{"ModifyManagedPrefixListRequest":{"PrefixListId":"pl-0abc","AddEntry":[{"cidr":"8.8.8.8/7"}]}}`,
				`{"ModifyManagedPrefixListResponse":{"prefixList":{"prefixListId":"pl-0abc","prefixListName":"office","version":4}}}`),
			want: PrefixListChange{ID: "pl-0abc", Name: "office", Added: []PrefixListEntry{{CIDR: "8.0.0.0/7"}}},
		},
		{
			name: "create, Entry list, ID from the response",
			data: record("CreateManagedPrefixList", `{"CreateManagedPrefixListRequest":{"PrefixListName":"office","AddressFamily":"IPv4","MaxEntries":"10",
				"Entry":[{"cidr":"203.0.113.0/24","Description":"hq"},{"cidr":"198.51.100.0/24"}]}}`,
				`{"prefixList":{"prefixListId":"pl-0new","prefixListName":"office","addressFamily":"IPv4","version":1}}`),
			want: PrefixListChange{ID: "pl-0new", Name: "office", AddressFamily: "IPv4",
				Added: []PrefixListEntry{{CIDR: "203.0.113.0/24", Description: "hq"}, {CIDR: "198.51.100.0/24"}}},
		},
		{
			name:    "bad CIDR names the entry",
			data:    record("ModifyManagedPrefixList", `{"ModifyManagedPrefixListRequest":{"PrefixListId":"pl-0abc","AddEntry":[{"cidr":"1.2.3.4/33"},{"cidr":"x"}]}}`, ""),
			wantErr: "requestParameters.ModifyManagedPrefixListRequest.AddEntry[0].cidr",
		},
		{
			name:    "AddEntry neither object nor list",
			data:    record("ModifyManagedPrefixList", `{"ModifyManagedPrefixListRequest":{"PrefixListId":"pl-0abc","AddEntry":"71.131.0.0/16"}}`, ""),
			wantErr: "requestParameters.ModifyManagedPrefixListRequest.AddEntry",
		},
		{
			name:    "bad CurrentVersion",
			data:    record("ModifyManagedPrefixList", `{"ModifyManagedPrefixListRequest":{"PrefixListId":"pl-0abc","CurrentVersion":"three"}}`, ""),
			wantErr: "requestParameters.ModifyManagedPrefixListRequest.CurrentVersion",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Decode([]byte(tc.data))
			if tc.wantErr != "" {
				var de *DecodeError
				if !errors.As(err, &de) || de.Field != tc.wantErr || !errors.Is(err, ErrMalformed) {
					t.Fatalf("Decode error = %v, want malformed %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Kind != KindPrefixListChange || ev.PrefixList == nil || !reflect.DeepEqual(*ev.PrefixList, tc.want) {
				t.Errorf("PrefixList = %+v, want %+v", ev.PrefixList, tc.want)
			}
		})
	}
}

func TestDecodeTagsAndAttachments(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantTags *TagChange
		wantAtt  *Attachment
	}{
		{
			name: "CreateTags keeps only sg- and sgr- resources",
			data: record("CreateTags", `{"resourcesSet":{"items":[{"resourceId":"sg-0web"},{"resourceId":"i-0abc"},{"resourceId":"sgr-0ssh"}]},
				"tagSet":{"items":[{"key":"sgwarden:exempt","value":"2026-12-31"},{"key":"team","value":"web"}]}}`, `{"_return":true}`),
			wantTags: &TagChange{ResourceIDs: []string{"sg-0web", "sgr-0ssh"}, Tags: map[string]string{"sgwarden:exempt": "2026-12-31", "team": "web"}},
		},
		{
			name:     "DeleteTags without value, touching no group",
			data:     record("DeleteTags", `{"resourcesSet":{"items":[{"resourceId":"vpc-0a"}]},"tagSet":{"items":[{"key":"sgwarden:exempt"}]}}`, `{"_return":true}`),
			wantTags: &TagChange{Deleted: true, Tags: map[string]string{"sgwarden:exempt": ""}},
		},
		{
			name: "RunInstances names groups in networkInterfaceSet; instances from the response",
			data: record("RunInstances", `{"instanceType":"t3.micro","networkInterfaceSet":{"items":[{"deviceIndex":0,"subnetId":"subnet-0a","groupSet":{"items":[{"groupId":"sg-0a"},{"groupId":"sg-0b"}]}}]}}`,
				`{"instancesSet":{"items":[{"instanceId":"i-01","groupSet":{"items":[{"groupId":"sg-0a"},{"groupId":"sg-0b"}]},"networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-01","groupSet":{"items":[{"groupId":"sg-0a"}]}}]}},
				{"instanceId":"i-02","networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-02"}]}}]}}`),
			wantAtt: &Attachment{GroupIDs: []string{"sg-0a", "sg-0b"}, NetworkInterfaceIDs: []string{"eni-01", "eni-02"}, InstanceIDs: []string{"i-01", "i-02"}},
		},
		{
			name: "RunInstances naming no group takes them from instancesSet",
			data: record("RunInstances", `{"instancesSet":{"items":[{"imageId":"ami-0a","minCount":1,"maxCount":1}]}}`,
				`{"groupSet":{},"instancesSet":{"items":[{"instanceId":"i-03","groupSet":{"items":[{"groupId":"sg-0default","groupName":"default"}]}}]}}`),
			wantAtt: &Attachment{GroupIDs: []string{"sg-0default"}, InstanceIDs: []string{"i-03"}},
		},
		{
			name:    "RunInstances top-level groupSet and securityGroupIdSet",
			data:    record("RunInstances", `{"groupSet":{"items":[{"groupId":"sg-0a"}]},"securityGroupIdSet":{"items":[{"securityGroupId":"sg-0c"},"sg-0a"]}}`, ""),
			wantAtt: &Attachment{GroupIDs: []string{"sg-0a", "sg-0c"}},
		},
		{
			name:    "CreateNetworkInterface",
			data:    record("CreateNetworkInterface", `{"subnetId":"subnet-0a","groupSet":{"items":[{"groupId":"sg-0a"}]}}`, `{"networkInterface":{"networkInterfaceId":"eni-0new","groupSet":{"items":[{"groupId":"sg-0a","groupName":"web"}]}}}`),
			wantAtt: &Attachment{GroupIDs: []string{"sg-0a"}, NetworkInterfaceIDs: []string{"eni-0new"}},
		},
		{
			name:    "ModifyNetworkInterfaceAttribute",
			data:    record("ModifyNetworkInterfaceAttribute", `{"networkInterfaceId":"eni-0a","groupSet":{"items":[{"groupId":"sg-0a"},{"groupId":"sg-0d"}]}}`, `{"_return":true}`),
			wantAtt: &Attachment{GroupIDs: []string{"sg-0a", "sg-0d"}, NetworkInterfaceIDs: []string{"eni-0a"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Decode([]byte(tc.data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tc.wantTags != nil && (ev.Kind != KindTagsChanged || !reflect.DeepEqual(ev.Tags, tc.wantTags)) {
				t.Errorf("Tags = %+v, want %+v", ev.Tags, tc.wantTags)
			}
			if tc.wantAtt != nil && (ev.Kind != KindGroupsAttached || !reflect.DeepEqual(ev.Attachment, tc.wantAtt)) {
				t.Errorf("Attachment = %+v, want %+v", ev.Attachment, tc.wantAtt)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	okReq := `{"groupId":"sg-0a","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`
	tests := []struct {
		name      string
		data      string
		sentinel  error
		field     string
		wantEvent string
	}{
		{"not JSON", `{"detail":`, ErrMalformed, "json", ""},
		{"JSON but not an object", `[1,2]`, ErrMalformed, "json", ""},
		{"unknown eventName", record("DeleteSecurityGroup", `{"groupId":"sg-0a"}`, ""), ErrUnsupported, "eventName", "11111111-2222-3333-4444-555555555555"},
		{"wrong source", strings.Replace(envelope(record("CreateTags", `{}`, "")), `"aws.ec2"`, `"aws.s3"`, 1), ErrUnsupported, "source", "11111111-2222-3333-4444-555555555555"},
		{"wrong detail-type", strings.Replace(envelope(record("CreateTags", `{}`, "")), "AWS API Call via CloudTrail", "EC2 Instance State-change Notification", 1), ErrUnsupported, "detail-type", "11111111-2222-3333-4444-555555555555"},
		{"wrong eventSource", strings.Replace(record("CreateTags", `{}`, ""), "ec2.amazonaws.com", "s3.amazonaws.com", 1), ErrUnsupported, "eventSource", "11111111-2222-3333-4444-555555555555"},
		{"envelope with null detail", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","id":"x","detail":null}`, ErrMalformed, "detail", "x"},
		{"missing eventID", strings.Replace(record("CreateTags", `{}`, ""), "eventID", "eventId_", 1), ErrMalformed, "eventID", ""},
		{"bad eventTime", strings.Replace(record("CreateTags", `{}`, ""), "2026-11-26T06:00:00Z", "yesterday", 1), ErrMalformed, "eventTime", "11111111-2222-3333-4444-555555555555"},
		{"bad CIDR", envelope(record("AuthorizeSecurityGroupIngress", strings.Replace(okReq, "0.0.0.0/0", "0.0.0.0/33", 1), "")), ErrMalformed,
			"detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp", "11111111-2222-3333-4444-555555555555"},
		{"IPv6 CIDR in ipRanges", record("AuthorizeSecurityGroupIngress", strings.Replace(okReq, "0.0.0.0/0", "::/0", 1), ""), ErrMalformed,
			"requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp", "11111111-2222-3333-4444-555555555555"},
		{"huge port", record("AuthorizeSecurityGroupIngress", strings.Replace(okReq, `"toPort":22`, `"toPort":99999999999999999999999`, 1), ""), ErrMalformed,
			"requestParameters.ipPermissions.items[0].toPort", "11111111-2222-3333-4444-555555555555"},
		{"port out of range", record("AuthorizeSecurityGroupIngress", strings.Replace(okReq, `"fromPort":22`, `"fromPort":70000`, 1), ""), ErrMalformed,
			"requestParameters.ipPermissions.items[0].fromPort", "11111111-2222-3333-4444-555555555555"},
		{"from greater than to", record("AuthorizeSecurityGroupIngress", strings.Replace(okReq, `"fromPort":22`, `"fromPort":80`, 1), ""), ErrMalformed,
			"requestParameters.ipPermissions.items[0].fromPort", "11111111-2222-3333-4444-555555555555"},
		{"unknown protocol", record("AuthorizeSecurityGroupIngress", strings.Replace(okReq, `"tcp"`, `"sctp"`, 1), ""), ErrMalformed,
			"requestParameters.ipPermissions.items[0].ipProtocol", "11111111-2222-3333-4444-555555555555"},
		{"protocol as object", record("AuthorizeSecurityGroupIngress", strings.Replace(okReq, `"tcp"`, `{"x":1}`, 1), ""), ErrMalformed,
			"requestParameters.ipPermissions.items[0].ipProtocol", "11111111-2222-3333-4444-555555555555"},
		{"wrong JSON type for ipPermissions", record("AuthorizeSecurityGroupIngress", `{"groupId":"sg-0a","ipPermissions":"all"}`, ""), ErrMalformed,
			"requestParameters.ipPermissions", "11111111-2222-3333-4444-555555555555"},
		{"wrong JSON type for eventName", strings.Replace(record("CreateTags", `{}`, ""), `"eventName":"CreateTags"`, `"eventName":7`, 1), ErrMalformed,
			"eventName", "11111111-2222-3333-4444-555555555555"},
		{"no rule in the request", record("AuthorizeSecurityGroupIngress", `{"groupId":"sg-0a","ipPermissions":{}}`, ""), ErrMalformed,
			"requestParameters.ipPermissions", "11111111-2222-3333-4444-555555555555"},
		{"null requestParameters", record("AuthorizeSecurityGroupIngress", `null`, ""), ErrMalformed,
			"requestParameters", "11111111-2222-3333-4444-555555555555"},
		{"response rule without a peer", record("AuthorizeSecurityGroupIngress", okReq, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-0","ipProtocol":"tcp","fromPort":22,"toPort":22}]}}`), ErrMalformed,
			"responseElements.securityGroupRuleSet.items[0]", "11111111-2222-3333-4444-555555555555"},
		{"modify without rule ID", record("ModifySecurityGroupRules", `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-0a","SecurityGroupRule":{"SecurityGroupRule":{"CidrIpv4":"0.0.0.0/0","IpProtocol":"tcp","FromPort":1,"ToPort":0}}}}`, ""), ErrMalformed,
			"requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRuleId", "11111111-2222-3333-4444-555555555555"},
		{"modify with bad ports", record("ModifySecurityGroupRules", `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-0a","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-0","SecurityGroupRule":{"CidrIpv4":"0.0.0.0/0","IpProtocol":"tcp","FromPort":1,"ToPort":0}}}}`, ""), ErrMalformed,
			"requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule.FromPort", "11111111-2222-3333-4444-555555555555"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Decode([]byte(tc.data))
			if err == nil {
				t.Fatalf("Decode = %+v, want error", ev)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error %T %v, want *DecodeError", err, err)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("Decode error %v, want it to wrap %v", err, tc.sentinel)
			}
			if de.Field != tc.field || de.EventID != tc.wantEvent {
				t.Errorf("DecodeError field %q event %q, want %q %q (%v)", de.Field, de.EventID, tc.field, tc.wantEvent, err)
			}
		})
	}
}

// TestDecodeReference decodes the published reference shapes (copied into
// testdata/reference for the tests and the fuzzer).
func TestDecodeReference(t *testing.T) {
	files, err := filepath.Glob("testdata/reference/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference events: %v", err)
	}
	want := map[string]string{
		"AuthorizeSecurityGroupEgress.all-traffic-minus1-ipv4.json":         "rule-added egress all 0.0.0.0/0 ",
		"AuthorizeSecurityGroupIngress.eventbridge.port-range-0-65535.json": "rule-added ingress tcp 0.0.0.0/0 sgr-0c609e6f9cdaf10ea",
		"AuthorizeSecurityGroupIngress.eventbridge.sg-reference-1.json":     "rule-added ingress tcp sg-000537769a1c2d858 sgr-02e2ca7d55820dc26",
		"AuthorizeSecurityGroupIngress.legacy-cidrIp-toplevel.json":         "rule-added ingress tcp 0.0.0.0/0 sgr-09b3e3d2ca1edf2a2",
		"CreateSecurityGroup.vpc.json":                                      "group-created",
		"RevokeSecurityGroupIngress.eventbridge.console-ipPermissions.json": "rule-revoked ingress tcp 127.0.0.1/32 ",
		"RunInstances.networkInterfaceSet-groupSet.json":                    "groups-attached",
		// The partial record has no eventID: no deduplication key, so it is refused.
		"ModifyManagedPrefixList.addEntry.partial.json": "error eventID",
	}
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Decode(data)
			var got string
			switch {
			case err != nil:
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("Decode error %T", err)
				}
				got = "error " + de.Field
			case len(ev.Rules) == 1:
				r := ev.Rules[0]
				peer := r.Peer.CIDR.String()
				if r.Peer.Kind == policy.PeerGroup {
					peer = r.Peer.GroupID
				}
				dir := "ingress"
				if r.Direction == policy.Egress {
					dir = "egress"
				}
				proto := map[policy.Protocol]string{policy.ProtoAll: "all", policy.ProtoTCP: "tcp"}[r.Protocol]
				got = strings.Join([]string{string(ev.Kind), dir, proto, peer, r.RuleID}, " ")
			default:
				got = string(ev.Kind)
			}
			if w, ok := want[base]; !ok || got != w {
				t.Errorf("Decode(%s) = %q, want %q", base, got, w)
			}
		})
	}
}

func TestSupportedEventNames(t *testing.T) {
	for _, n := range SupportedEventNames {
		if _, ok := kindOf(n); !ok {
			t.Errorf("SupportedEventNames has %s, which kindOf does not know", n)
		}
	}
	// Every name kindOf accepts is listed: probe with the known EC2 names.
	for _, n := range []string{"DeleteSecurityGroup", "UpdateSecurityGroupRuleDescriptionsIngress", "DescribeSecurityGroups"} {
		if _, ok := kindOf(n); ok || slices.Contains(SupportedEventNames, n) {
			t.Errorf("%s is supported but was not meant to be", n)
		}
	}
}
