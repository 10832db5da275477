package eventpattern

import (
	"errors"
	"strings"
	"testing"
)

const ruleLike = `{
  "source": ["aws.ec2"],
  "detail-type": ["AWS API Call via CloudTrail"],
  "detail": {
    "eventSource": ["ec2.amazonaws.com"],
    "eventName": ["AuthorizeSecurityGroupIngress", "CreateTags"],
    "errorCode": [{"exists": false}]
  }
}`

func TestMatches(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		{"rule accepts a supported call", ruleLike,
			`{"source":"aws.ec2","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"ec2.amazonaws.com","eventName":"CreateTags"}}`, true},
		{"rule refuses a failed call", ruleLike,
			`{"source":"aws.ec2","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"ec2.amazonaws.com","eventName":"CreateTags","errorCode":"Client.UnauthorizedOperation"}}`, false},
		{"rule refuses a null errorCode", ruleLike,
			`{"source":"aws.ec2","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"ec2.amazonaws.com","eventName":"CreateTags","errorCode":null}}`, false},
		{"rule refuses another event name", ruleLike,
			`{"source":"aws.ec2","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"ec2.amazonaws.com","eventName":"DescribeSecurityGroups"}}`, false},
		{"rule refuses another source", ruleLike,
			`{"source":"aws.s3","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"ec2.amazonaws.com","eventName":"CreateTags"}}`, false},
		{"rule refuses a missing detail", ruleLike,
			`{"source":"aws.ec2","detail-type":"AWS API Call via CloudTrail"}`, false},
		{"exact match is case sensitive", `{"a":["X"]}`, `{"a":"x"}`, false},
		{"string does not equal number", `{"a":["5"]}`, `{"a":5}`, false},
		{"numbers compare by value", `{"a":[5]}`, `{"a":5.0}`, true},
		{"boolean", `{"a":[true]}`, `{"a":true}`, true},
		{"boolean mismatch", `{"a":[true]}`, `{"a":"true"}`, false},
		{"null matches null", `{"a":[null]}`, `{"a":null}`, true},
		{"null does not match missing", `{"a":[null]}`, `{}`, false},
		{"event array matches any element", `{"a":["y"]}`, `{"a":["x","y"]}`, true},
		{"event array with no match", `{"a":["z"]}`, `{"a":["x","y"]}`, false},
		{"prefix", `{"a":[{"prefix":"sg-"}]}`, `{"a":"sg-123"}`, true},
		{"prefix mismatch", `{"a":[{"prefix":"sg-"}]}`, `{"a":"sgr-123"}`, false},
		{"prefix on number", `{"a":[{"prefix":"1"}]}`, `{"a":12}`, false},
		{"suffix", `{"a":[{"suffix":".json"}]}`, `{"a":"x.json"}`, true},
		{"equals-ignore-case", `{"a":[{"equals-ignore-case":"ABC"}]}`, `{"a":"aBc"}`, true},
		{"exists true present", `{"a":[{"exists":true}]}`, `{"a":"v"}`, true},
		{"exists true missing", `{"a":[{"exists":true}]}`, `{}`, false},
		{"exists true on object is false", `{"a":[{"exists":true}]}`, `{"a":{"b":1}}`, false},
		{"exists false missing", `{"a":[{"exists":false}]}`, `{"b":1}`, true},
		{"exists false present", `{"a":[{"exists":false}]}`, `{"a":""}`, false},
		{"exists false under a missing parent", `{"p":{"a":[{"exists":false}]}}`, `{}`, true},
		{"anything-but value", `{"a":[{"anything-but":"x"}]}`, `{"a":"y"}`, true},
		{"anything-but value hit", `{"a":[{"anything-but":"x"}]}`, `{"a":"x"}`, false},
		{"anything-but needs the field", `{"a":[{"anything-but":"x"}]}`, `{}`, false},
		{"anything-but list", `{"a":[{"anything-but":["x","y"]}]}`, `{"a":"y"}`, false},
		{"anything-but list miss", `{"a":[{"anything-but":["x","y"]}]}`, `{"a":"z"}`, true},
		{"anything-but number", `{"a":[{"anything-but":[0]}]}`, `{"a":1}`, true},
		{"anything-but prefix", `{"a":[{"anything-but":{"prefix":"Client."}}]}`, `{"a":"Client.X"}`, false},
		{"anything-but prefix miss", `{"a":[{"anything-but":{"prefix":"Client."}}]}`, `{"a":"Server.X"}`, true},
		{"alternatives mix", `{"a":["x",{"prefix":"y"}]}`, `{"a":"yes"}`, true},
		{"nested object needs an object", `{"p":{"a":["x"]}}`, `{"p":"x"}`, false},
		{"every field must match", `{"a":["x"],"b":["y"]}`, `{"a":"x","b":"z"}`, false},
		{"extra event fields are ignored", `{"a":["x"]}`, `{"a":"x","b":"z"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			got, err := p.Matches([]byte(tc.event))
			if err != nil {
				t.Fatalf("Matches(%s): %v", tc.event, err)
			}
			if got != tc.want {
				t.Errorf("Matches(%s) with %s = %v, want %v", tc.event, tc.pattern, got, tc.want)
			}
		})
	}
}

func TestCompileRefusesBadPatterns(t *testing.T) {
	bad := []struct {
		name, pattern, mention string
	}{
		{"not json", `{`, ""},
		{"top level list", `["a"]`, "top level"},
		{"empty pattern", `{}`, "empty"},
		{"scalar value", `{"a":"x"}`, "a: value must be a list"},
		{"empty list", `{"a":[]}`, "a: empty list"},
		{"empty object", `{"a":{}}`, "a: empty object"},
		{"unknown operator", `{"a":[{"wildcard":"x*"}]}`, `unsupported operator "wildcard"`},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`, "exactly one key"},
		{"prefix needs string", `{"a":[{"prefix":1}]}`, "prefix needs a string"},
		{"exists needs bool", `{"a":[{"exists":"false"}]}`, "exists needs true or false"},
		{"anything-but empty list", `{"a":[{"anything-but":[]}]}`, "non-empty"},
		{"anything-but nested object", `{"a":[{"anything-but":{"exists":true}}]}`, "prefix or suffix"},
		{"nested list alternative", `{"a":[["x"]]}`, "a[0]"},
		{"problem path is dotted", `{"p":{"q":{"r":[]}}}`, "p.q.r: empty list"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.pattern))
			if err == nil {
				t.Fatalf("Compile(%s) = nil error, want one", tc.pattern)
			}
			if !errors.Is(err, ErrInvalidPattern) {
				t.Errorf("Compile(%s) error %v does not wrap ErrInvalidPattern", tc.pattern, err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("Compile(%s) error %q does not mention %q", tc.pattern, err, tc.mention)
			}
		})
	}
}

func TestCompileReportsEveryProblem(t *testing.T) {
	_, err := Compile([]byte(`{"a":[],"b":"x","c":[{"nope":1}]}`))
	if err == nil {
		t.Fatal("Compile = nil error, want one")
	}
	for _, want := range []string{"a: empty list", "b: value must be a list", `c[0]: unsupported operator "nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestMatchesRefusesNonObjectEvent(t *testing.T) {
	p := MustCompile(`{"a":["x"]}`)
	for _, ev := range []string{`[]`, `"x"`, `{`} {
		if _, err := p.Matches([]byte(ev)); err == nil {
			t.Errorf("Matches(%s) = nil error, want one", ev)
		}
	}
}
