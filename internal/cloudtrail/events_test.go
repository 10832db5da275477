package cloudtrail

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// eventsDir is the project's corpus of sample events (events/README.md).
const eventsDir = "../../events"

// rawView is what the tests read from a sample independently of Decode.
type rawView struct {
	Detail struct {
		EventID          string `json:"eventID"`
		EventName        string `json:"eventName"`
		ErrorCode        string `json:"errorCode"`
		ResponseElements struct {
			SecurityGroupRuleSet struct {
				Items []struct {
					ID string `json:"securityGroupRuleId"`
				} `json:"items"`
			} `json:"securityGroupRuleSet"`
		} `json:"responseElements"`
	} `json:"detail"`
}

// TestDecodeEvents decodes every sample of events/. Each must decode (none
// of them is malformed); its ID, name, error code and rule IDs must be the
// ones the JSON holds, and the tricky samples must decode to what they show.
func TestDecodeEvents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []string
	for _, f := range files {
		if base := filepath.Base(f); base[0] >= '0' && base[0] <= '9' {
			samples = append(samples, f)
		}
	}
	if len(samples) < 28 {
		t.Fatalf("events/ holds %d samples, want at least 28", len(samples))
	}
	names := map[string]bool{}
	for _, path := range samples {
		base := filepath.Base(path)
		t.Run(strings.TrimSuffix(base, ".json"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var raw rawView
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatalf("%s is not an EventBridge envelope: %v", base, err)
			}
			ev, err := Decode(data)
			if strings.HasSuffix(base, "-unreadable.json") {
				// A supported event whose shape does not parse: the error
				// carries what could be read, for the FAILED alert.
				var de *DecodeError
				d := raw.Detail
				if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) || de.EventID != d.EventID || de.EventName != d.EventName ||
					de.Account != "123456789012" || de.Region != "us-east-1" || de.GroupID == "" {
					t.Fatalf("Decode(%s) = %+v, want a malformed DecodeError naming the event, account, region and group", base, err)
				}
				return
			}
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("Decode error %T, want *DecodeError", err)
				}
				t.Fatalf("Decode(%s): %v", base, err)
			}
			names[ev.Name] = true
			d := raw.Detail
			if ev.ID != d.EventID || ev.Name != d.EventName || ev.EnvelopeID == "" {
				t.Errorf("Decode(%s) = id %q name %q envelope %q, want %q %q and an envelope", base, ev.ID, ev.Name, ev.EnvelopeID, d.EventID, d.EventName)
			}
			if ev.Account != "123456789012" || ev.Region != "us-east-1" {
				t.Errorf("Decode(%s) account/region = %s/%s", base, ev.Account, ev.Region)
			}
			if ev.Failed() != (d.ErrorCode != "") || ev.ErrorCode != strings.TrimPrefix(d.ErrorCode, "Client.") {
				t.Errorf("Decode(%s) ErrorCode = %q, want %q without its prefix", base, ev.ErrorCode, d.ErrorCode)
			}
			var wantIDs []string
			for _, it := range d.ResponseElements.SecurityGroupRuleSet.Items {
				wantIDs = append(wantIDs, it.ID)
			}
			if len(wantIDs) > 0 {
				var got []string
				for _, r := range ev.Rules {
					got = append(got, r.RuleID)
				}
				if !slices.Equal(got, wantIDs) {
					t.Errorf("Decode(%s) rule IDs %v, want the response's %v", base, got, wantIDs)
				}
			}
			for i := range ev.Rules {
				if msg := ruleProblem(&ev.Rules[i]); msg != "" {
					t.Errorf("Decode(%s) rule %d: %s", base, i, msg)
				}
			}
			if check, ok := eventChecks[base[:2]]; ok {
				check(t, ev)
			}
		})
	}
	for _, n := range SupportedEventNames {
		if !names[n] {
			t.Errorf("no sample in events/ for %s", n)
		}
	}
}

// eventChecks holds what the tricky samples must decode to, by file number.
var eventChecks = map[string]func(t *testing.T, ev *Event){
	"03": func(t *testing.T, ev *Event) { // sgwarden's own revoke, by rule ID
		if ev.Kind != KindRuleRevoked || ev.Actor.IssuerARN != "arn:aws:iam::123456789012:role/sgwarden-remediate" || len(ev.Rules) != 1 {
			t.Errorf("own revoke = %s issuer %s rules %d", ev.Kind, ev.Actor.IssuerARN, len(ev.Rules))
		}
	},
	"05": func(t *testing.T, ev *Event) { // group reference made by CloudFormation
		if ev.Actor.InvokedBy != "cloudformation.amazonaws.com" || len(ev.Rules) != 1 || ev.Rules[0].Peer.Kind != policy.PeerGroup {
			t.Errorf("CloudFormation group reference = invokedBy %q rules %+v", ev.Actor.InvokedBy, ev.Rules)
		}
	},
	"06": func(t *testing.T, ev *Event) { // one permission, two CIDRs: two rules
		if len(ev.Rules) != 2 || ev.Rules[0].Peer.CIDR.String() != "10.20.0.0/16" || ev.Rules[1].Peer.CIDR.String() != "0.0.0.0/0" {
			t.Errorf("mixed permission rules = %+v", tuples(ev.Rules))
		}
	},
	"07": func(t *testing.T, ev *Event) { // legacy flat form
		if len(ev.Rules) != 1 || ev.Rules[0].FromPort != 5432 || ev.Rules[0].Peer.CIDR.String() != "0.0.0.0/0" {
			t.Errorf("legacy flat rules = %+v", tuples(ev.Rules))
		}
	},
	"08": func(t *testing.T, ev *Event) { // groupName form resolved from the response
		if ev.GroupName != "launch-wizard-1" || ev.GroupID == "" || ev.GroupUnresolved {
			t.Errorf("groupName form = %q/%q unresolved %v", ev.GroupID, ev.GroupName, ev.GroupUnresolved)
		}
	},
	"12": func(t *testing.T, ev *Event) { // protocol -1 without ports
		if len(ev.Rules) != 1 || ev.Rules[0].Protocol != policy.ProtoAll {
			t.Errorf("all-traffic rules = %+v", tuples(ev.Rules))
		}
	},
	"13": func(t *testing.T, ev *Event) {
		if len(ev.Rules) != 1 || ev.Rules[0].Direction != policy.Egress {
			t.Errorf("egress rules = %+v", tuples(ev.Rules))
		}
	},
	"14": func(t *testing.T, ev *Event) {
		if len(ev.Rules) != 1 || !ev.Rules[0].SelfReference() {
			t.Errorf("self reference rules = %+v", tuples(ev.Rules))
		}
	},
	"15": func(t *testing.T, ev *Event) { // wrapped PascalCase request, ports as strings
		if !ev.DirectionUnknown || len(ev.Rules) != 1 || ev.Rules[0].RuleID == "" || ev.Rules[0].FromPort != 8080 || ev.Rules[0].Peer.CIDR.String() != "0.0.0.0/0" {
			t.Errorf("modify rules = %+v", tuples(ev.Rules))
		}
	},
	"16": func(t *testing.T, ev *Event) {
		if ev.PrefixList == nil || ev.PrefixList.ID == "" || ev.PrefixList.Name != "partner-ranges" || len(ev.PrefixList.Added) != 1 {
			t.Errorf("create prefix list = %+v", ev.PrefixList)
		}
	},
	"17": func(t *testing.T, ev *Event) { // AddEntry as one object, tag artefact
		if ev.PrefixList == nil || ev.PrefixList.CurrentVersion != 1 || len(ev.PrefixList.Added) != 1 || ev.PrefixList.Added[0].CIDR != "81.2.69.142/32" {
			t.Errorf("modify prefix list = %+v", ev.PrefixList)
		}
	},
	"20": func(t *testing.T, ev *Event) { // eventVersion 1.05 without rule IDs
		if ev.Version != "1.05" || len(ev.Rules) != 1 || ev.Rules[0].RuleID != "" {
			t.Errorf("1.05 event = version %s rules %+v", ev.Version, tuples(ev.Rules))
		}
	},
	"21": func(t *testing.T, ev *Event) {
		if ev.Tags == nil || ev.Tags.Deleted || ev.Tags.Tags["sgwarden:exempt"] != "2026-11-27" || len(ev.Tags.ResourceIDs) != 1 {
			t.Errorf("CreateTags = %+v", ev.Tags)
		}
	},
	"23": func(t *testing.T, ev *Event) {
		if ev.Tags == nil || len(ev.Tags.ResourceIDs) != 1 || !strings.HasPrefix(ev.Tags.ResourceIDs[0], "sgr-") {
			t.Errorf("CreateTags on a rule = %+v", ev.Tags)
		}
	},
	"24": func(t *testing.T, ev *Event) {
		if ev.Tags == nil || !ev.Tags.Deleted {
			t.Errorf("DeleteTags = %+v", ev.Tags)
		}
	},
	"25": func(t *testing.T, ev *Event) { // the default group by name, flat form
		if ev.GroupName != "default" || len(ev.Rules) != 1 || ev.Rules[0].GroupName != "default" {
			t.Errorf("default group = %q rules %+v", ev.GroupName, ev.Rules)
		}
	},
	"26": func(t *testing.T, ev *Event) { // no group in the request: from the response
		a := ev.Attachment
		if a == nil || len(a.GroupIDs) != 1 || len(a.InstanceIDs) != 1 || len(a.NetworkInterfaceIDs) != 1 {
			t.Errorf("RunInstances = %+v", a)
		}
	},
	"27": func(t *testing.T, ev *Event) {
		a := ev.Attachment
		if a == nil || len(a.GroupIDs) != 1 || len(a.NetworkInterfaceIDs) != 1 {
			t.Errorf("CreateNetworkInterface = %+v", a)
		}
	},
	"28": func(t *testing.T, ev *Event) {
		a := ev.Attachment
		if a == nil || len(a.GroupIDs) != 2 || len(a.NetworkInterfaceIDs) != 1 {
			t.Errorf("ModifyNetworkInterfaceAttribute = %+v", a)
		}
	},
	"29": func(t *testing.T, ev *Event) {
		if ev.ErrorCode != "UnauthorizedOperation" || ev.ErrorMessage == "" {
			t.Errorf("failed call = %q %q", ev.ErrorCode, ev.ErrorMessage)
		}
	},
}

// TestDecodeNormalization covers the forms issue 3 lists that the table
// tests above leave out.
func TestDecodeNormalization(t *testing.T) {
	const g = "sg-0123456789abcdef0"
	perm := func(p string) string {
		return `{"groupId":"` + g + `","ipPermissions":{"items":[` + p + `]}}`
	}
	for _, v := range []string{"1.05", "1.06", "1.07", "1.08", "1.09", "1.10", "1.11"} {
		data := strings.Replace(record("AuthorizeSecurityGroupIngress", perm(`{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}`), `{"_return":true}`), `"1.08"`, `"`+v+`"`, 1)
		if ev, err := Decode([]byte(data)); err != nil || ev.Version != v {
			t.Errorf("eventVersion %s: Decode = %v, %v", v, ev, err)
		}
	}
	tests := []struct {
		name string
		data string
		want []tuple
		code string
	}{
		{
			name: "tcp with ports missing is every port",
			data: record("AuthorizeSecurityGroupIngress", perm(`{"ipProtocol":"tcp","ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}`), `{"_return":true}`),
			want: []tuple{{"", g, policy.Ingress, policy.ProtoTCP, 0, 65535, v4("0.0.0.0/0")}},
		},
		{
			name: "numeric protocol 6 as a JSON number, ports as strings with -1",
			data: record("AuthorizeSecurityGroupIngress", perm(`{"ipProtocol":6,"fromPort":"-1","toPort":"-1","ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}`), `{"_return":true}`),
			want: []tuple{{"", g, policy.Ingress, policy.ProtoTCP, 0, 65535, v4("0.0.0.0/0")}},
		},
		{
			name: "all with 0-65535 in the response",
			data: record("AuthorizeSecurityGroupIngress", perm(`{"ipProtocol":"all","ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}`),
				`{"_return":true,"securityGroupRuleSet":{"items":[{"groupId":"`+g+`","securityGroupRuleId":"sgr-0a","isEgress":"false","ipProtocol":"-1","fromPort":"0","toPort":"65535","cidrIpv4":"0.0.0.0/0"}]}}`),
			want: []tuple{{"sgr-0a", g, policy.Ingress, policy.ProtoAll, -1, -1, v4("0.0.0.0/0")}},
		},
		{
			name: "Server. prefix is trimmed too",
			data: record("AuthorizeSecurityGroupIngress", perm(`{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}`), "null",
				`"errorCode":"Server.InternalError"`),
			want: []tuple{{"", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0")}},
			code: "InternalError",
		},
		{
			name: "failed call keeps only the response rules that decoded",
			data: record("AuthorizeSecurityGroupIngress", perm(`{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}`),
				`{"securityGroupRuleSet":{"items":[{"groupId":"`+g+`","securityGroupRuleId":"sgr-0a","ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv4":"0.0.0.0/0"},{"securityGroupRuleId":"sgr-0b","ipProtocol":"tcp"}]}}`,
				`"errorCode":"Client.InvalidParameterValue"`),
			want: []tuple{{"sgr-0a", g, policy.Ingress, policy.ProtoTCP, 22, 22, v4("0.0.0.0/0")}},
			code: "InvalidParameterValue",
		},
		{
			name: "ModifyNetworkInterfaceAttribute of another attribute attaches nothing",
			data: record("ModifyNetworkInterfaceAttribute", `{"networkInterfaceId":"eni-0a","sourceDestCheck":{"value":false}}`, `{"_return":true}`),
			want: []tuple{},
		},
		{
			name: "SecurityGroupRule list of one, _return in the response",
			data: record("ModifySecurityGroupRules", `{"ModifySecurityGroupRulesRequest":{"GroupId":"`+g+`","SecurityGroupRule":[{"SecurityGroupRuleId":"sgr-0m","SecurityGroupRule":{"CidrIpv4":"10.0.0.0/8","IpProtocol":"6","FromPort":443,"ToPort":443}}]}}`,
				`{"ModifySecurityGroupRulesResponse":{"_return":true}}`),
			want: []tuple{{"sgr-0m", g, policy.Ingress, policy.ProtoTCP, 443, 443, v4("10.0.0.0/8")}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Decode([]byte(tc.data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Attachment != nil && (len(ev.Attachment.GroupIDs) > 0 || len(ev.Attachment.NetworkInterfaceIDs) > 0) {
				t.Errorf("Attachment = %+v, want none", ev.Attachment)
			}
			if got := tuples(ev.Rules); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rules:\n got %+v\nwant %+v", got, tc.want)
			}
			if ev.ErrorCode != tc.code {
				t.Errorf("ErrorCode = %q, want %q", ev.ErrorCode, tc.code)
			}
		})
	}
}
