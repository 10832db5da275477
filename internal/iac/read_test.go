package iac

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

func TestReadErrorsHaveLocations(t *testing.T) {
	tests := []struct {
		name, file, data, want string
	}{
		{"json syntax", "t.json", "{\n  \"Resources\": {\n    \"A\": {\"Type\": \"AWS::EC2::SecurityGroup\",}\n  }\n}", "t.json:3:45: want a string key"},
		{"json truncated", "t.json", `{"Resources": {"A": {"Type": "AWS::EC2::Secu`, "t.json:1:45: unterminated string"},
		{"json bad escape", "t.json", `{"Resources": "\q"}`, `t.json:1:16: bad escape \q`},
		{"yaml syntax", "t.yaml", "Resources:\n  A:\n    Type: [unclosed\n", "t.yaml:2: YAML: did not find expected ',' or ']'"},
		{"yaml unknown tag", "t.yaml", "Resources:\n  A:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupName: !Bogus x\n", "t.yaml:5:18: unknown tag !Bogus"},
		{"resource without type", "t.yaml", "Resources:\n  A:\n    Properties: {}\n", "t.yaml:3:5: resource A has no Type"},
		{"plan resource_changes", "p.json", `{"format_version":"1.2","resource_changes":{}}`, "p.json:1:44: resource_changes is not a list"},
		{"yaml alias bomb", "t.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nResources: {}\n", "document too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.file, []byte(tt.data), Options{})
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Read(%s) error = %v, want ErrMalformed", tt.name, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read(%s) error = %q, want it to contain %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestReadNotIaC(t *testing.T) {
	for _, data := range []string{`{"SecurityGroupRules": []}`, `{"detail-type": "AWS API Call via CloudTrail"}`, "[1, 2]", "just: yaml\n"} {
		if _, err := Read("x", []byte(data), Options{}); !errors.Is(err, ErrNotIaC) {
			t.Errorf("Read(%q) error = %v, want ErrNotIaC", data, err)
		}
	}
}

func TestParameters(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus/cfn-parameter-no-default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		params  map[string]string
		want    []policy.Decision // decisions of the 3389 rule's findings
		wantErr string
	}{
		{"no value: unknown", nil, []policy.Decision{DecisionUnknown, DecisionUnknown, DecisionUnknown}, ""},
		{"private: compliant", map[string]string{"AdminCidr": "10.0.0.0/8"}, nil, ""},
		{"world: reverted", map[string]string{"AdminCidr": "0.0.0.0/0"}, []policy.Decision{policy.DecisionRevert, policy.DecisionRevert, policy.DecisionRevert}, ""},
		{"ipv4-mapped world", map[string]string{"AdminCidr": "::ffff:0.0.0.0/96"}, []policy.Decision{policy.DecisionRevert, policy.DecisionRevert, policy.DecisionRevert}, ""},
		{"undeclared name is ignored", map[string]string{"Nope": "x"}, []policy.Decision{DecisionUnknown, DecisionUnknown, DecisionUnknown}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Read("p.yaml", data, Options{Parameters: tt.params})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Read(%v) error = %v, want %q", tt.params, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []policy.Decision
			for _, f := range Judge(policy.Default(), []*Template{tpl}, policy.EvalContext{Now: corpusNow}) {
				if f.Rule.FromPort == 3389 {
					got = append(got, f.Violation.Decision)
				}
			}
			if strings.Join(decisionStrings(got), ",") != strings.Join(decisionStrings(tt.want), ",") {
				t.Errorf("decisions with %v = %v, want %v", tt.params, got, tt.want)
			}
		})
	}
}

func decisionStrings(ds []policy.Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

// TestYAMLAndJSONAgree reads one template written both ways: the same
// rules, each at its own line.
func TestYAMLAndJSONAgree(t *testing.T) {
	y := "Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Select [0, [0.0.0.0/0]]}\n"
	j := "{\"Resources\": {\"G\": {\"Type\": \"AWS::EC2::SecurityGroup\", \"Properties\": {\n\"SecurityGroupIngress\": [\n{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"CidrIp\": {\"Fn::Select\": [0, [\"0.0.0.0/0\"]]}}]}}}}"
	ty, err := Read("g.yaml", []byte(y), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tj, err := Read("g.json", []byte(j), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ty.Rules) != 3 || len(tj.Rules) != 3 {
		t.Fatalf("rules: yaml %d, json %d, want 3 each (one ingress, two implicit egress)", len(ty.Rules), len(tj.Rules))
	}
	if ty.Rules[0].Peer.String() != "0.0.0.0/0" || tj.Rules[0].Peer.String() != "0.0.0.0/0" {
		t.Errorf("peers %v, %v, want 0.0.0.0/0", ty.Rules[0].Peer, tj.Rules[0].Peer)
	}
	if ty.Rules[0].Loc.Line != 6 || tj.Rules[0].Loc.Line != 3 {
		t.Errorf("lines: yaml %d (want 6), json %d (want 3)", ty.Rules[0].Loc.Line, tj.Rules[0].Loc.Line)
	}
}

// TestTooManyVariants: more Fn::If combinations than maxVariants are
// reported as unknown rather than dropped.
func TestTooManyVariants(t *testing.T) {
	var b strings.Builder
	b.WriteString("Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: 10.0.0.0/8\n          Description: !Join ['', [")
	for i := 0; i < 10; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("!If [C" + string(rune('a'+i)) + ", x, y]")
	}
	b.WriteString("]]\n")
	tpl, err := Read("v.yaml", []byte(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range tpl.Rules {
		for _, u := range r.Unknown {
			if u.Field == "Fn::If" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no unknown Fn::If rule among %d rules", len(tpl.Rules))
	}
}
