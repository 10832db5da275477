package cloudtrail

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Shapes added so that no supported event is ignored or lost (issue #14).

func TestUnknownEventVersionIsDecoded(t *testing.T) {
	req := `{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`
	data := strings.Replace(record("AuthorizeSecurityGroupIngress", req, ""), `"1.08"`, `"2.0"`, 1)
	ev, err := Decode([]byte(envelope(data)))
	if err != nil {
		t.Fatalf("Decode(eventVersion 2.0, parsable) error = %v, want the event", err)
	}
	if ev.Version != "2.0" || len(ev.Rules) != 1 || ev.GroupID != "sg-0abc" {
		t.Errorf("Decode = version %q, %d rules, group %q; want 2.0, 1, sg-0abc", ev.Version, len(ev.Rules), ev.GroupID)
	}
	if KnownVersion("2.0") || !KnownVersion("1.11") {
		t.Error("KnownVersion: want 1.x only")
	}
}

func TestUndecodableEventCarriesWhatWasRead(t *testing.T) {
	tests := []struct {
		name, data, field string
	}{
		{"unknown version, new request shape", strings.Replace(record("AuthorizeSecurityGroupIngress",
			`{"groupId":"sg-0abc","permissions":[{"protocol":"tcp","portRange":"22"}]}`, ""), `"1.08"`, `"2.0"`, 1),
			"detail.requestParameters.ipPermissions"},
		{"bad CIDR", record("AuthorizeSecurityGroupIngress",
			`{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/33"}]}}]}}`, ""),
			"detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp"},
		{"wrong JSON type", record("ModifySecurityGroupRules",
			`{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-0abc","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-1","SecurityGroupRule":{"IpProtocol":"tcp","FromPort":{"x":1}}}}}`, ""),
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(envelope(tt.data)))
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error = %v, want a malformed *DecodeError", err)
			}
			if de.EventID != "11111111-2222-3333-4444-555555555555" || de.EventName == "" || de.Account != "123456789012" ||
				de.Region != "us-east-1" || de.GroupID != "sg-0abc" {
				t.Errorf("DecodeError = %+v, want the event ID, name, account, region and group sg-0abc", de)
			}
			if tt.field != "" && de.Field != tt.field {
				t.Errorf("DecodeError field = %q, want %q", de.Field, tt.field)
			}
		})
	}
	_, err := Decode([]byte(envelope(strings.Replace(record("AuthorizeSecurityGroupIngress", `{"groupId":"sg-0abc"}`, ""), `"1.08"`, `"2.0"`, 1))))
	if err == nil || !strings.Contains(err.Error(), `eventVersion "2.0" is not 1.x`) {
		t.Errorf("Decode error = %v, want it to name the unknown version", err)
	}
}

func TestNullRequestParametersJudgedFromResponse(t *testing.T) {
	resp := `{"_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"123456789012","groupId":"sg-0abc","securityGroupRuleId":"sgr-0a1",` +
		`"isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv4":"0.0.0.0/0"}]}}`
	for _, req := range []string{"", "null"} {
		ev, err := Decode([]byte(record("AuthorizeSecurityGroupIngress", req, resp)))
		if err != nil {
			t.Fatalf("Decode(requestParameters %q) error = %v, want the response's rules", req, err)
		}
		if ev.GroupID != "sg-0abc" || len(ev.Rules) != 1 || ev.Rules[0].RuleID != "sgr-0a1" || ev.Rules[0].FromPort != 22 {
			t.Errorf("Decode(requestParameters %q) = group %q rules %+v, want sgr-0a1 tcp/22 on sg-0abc", req, ev.GroupID, ev.Rules)
		}
	}
	// Neither the request nor the response: nothing to judge, malformed.
	if _, err := Decode([]byte(record("AuthorizeSecurityGroupIngress", "null", `{"_return":true}`))); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decode(no request, no rule set) error = %v, want ErrMalformed", err)
	}
}

func TestRestoreManagedPrefixListVersion(t *testing.T) {
	tests := []struct{ name, req, resp string }{
		{"wrapped", `{"RestoreManagedPrefixListVersionRequest":{"PrefixListId":"pl-0abc","PreviousVersion":1,"CurrentVersion":3}}`,
			`{"RestoreManagedPrefixListVersionResponse":{"prefixList":{"prefixListId":"pl-0abc","prefixListName":"ops","version":3}}}`},
		{"flat", `{"prefixListId":"pl-0abc","previousVersion":1,"currentVersion":3}`, `{"prefixList":{"prefixListId":"pl-0abc","prefixListName":"ops"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(record("RestoreManagedPrefixListVersion", tt.req, tt.resp)))
			if err != nil {
				t.Fatal(err)
			}
			pl := ev.PrefixList
			if ev.Kind != KindPrefixListChange || pl == nil || pl.ID != "pl-0abc" || pl.RestoredVersion != 1 || pl.CurrentVersion != 3 || pl.Name != "ops" {
				t.Errorf("Decode = kind %s list %+v, want a prefix-list change of pl-0abc restoring version 1", ev.Kind, pl)
			}
		})
	}
	if _, err := Decode([]byte(record("RestoreManagedPrefixListVersion", `{"RestoreManagedPrefixListVersionRequest":{"PreviousVersion":1}}`, ""))); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decode(restore without a list ID) error = %v, want ErrMalformed", err)
	}
}

func TestModifyInstanceAttribute(t *testing.T) {
	ev, err := Decode([]byte(record("ModifyInstanceAttribute",
		`{"instanceId":"i-0abc","groupSet":{"items":[{"groupId":"sg-01"},{"groupId":"sg-02"}]}}`, `{"_return":true}`)))
	if err != nil {
		t.Fatal(err)
	}
	a := ev.Attachment
	if ev.Kind != KindGroupsAttached || a == nil || !slices.Equal(a.GroupIDs, []string{"sg-01", "sg-02"}) || !slices.Equal(a.InstanceIDs, []string{"i-0abc"}) {
		t.Errorf("Decode(groupSet) = kind %s attachment %+v, want sg-01, sg-02 on i-0abc", ev.Kind, a)
	}
	// Another attribute: no group attached.
	ev, err = Decode([]byte(record("ModifyInstanceAttribute", `{"instanceId":"i-0abc","instanceType":{"value":"t3.micro"}}`, `{"_return":true}`)))
	if err != nil {
		t.Fatal(err)
	}
	if a := ev.Attachment; a == nil || len(a.GroupIDs)+len(a.InstanceIDs)+len(a.NetworkInterfaceIDs) != 0 {
		t.Errorf("Decode(instanceType) attachment = %+v, want empty", ev.Attachment)
	}
}
