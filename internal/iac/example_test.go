package iac_test

import (
	"fmt"
	"time"

	"github.com/sgwarden/sgwarden/internal/iac"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// A template is read once and judged with the same engine as the event
// path: every Fn::If branch is judged, and a value unknown before deploy
// is reported as unknown, with its field.
func Example() {
	template := []byte(`
Parameters:
  AdminCidr: {Type: String}
Conditions:
  IsDev: !Equals [!Ref AWS::AccountId, "111111111111"]
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !If [IsDev, 0.0.0.0/0, 10.0.0.0/8]}
        - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: !Ref AdminCidr}
`)
	t, err := iac.Read("web.yaml", template, iac.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ec := policy.EvalContext{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for _, f := range iac.Judge(policy.Default(), []*iac.Template{t}, ec) {
		if f.Violation.CheckID != "remote-admin-world" {
			continue
		}
		fmt.Println(f.Rule.Loc, f.Rule.Resource, f.Rule.ProtoPorts(), f.Violation.Decision, f.Rule.Conditions, f.Rule.Unknown)
	}
	// Output:
	// web.yaml:13:11 Web tcp/22 revert [IsDev] []
	// web.yaml:14:11 Web tcp/3389 unknown [] [{CidrIp parameter AdminCidr has no default (pass --parameters AdminCidr=...)}]
}
