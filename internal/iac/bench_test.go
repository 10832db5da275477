package iac

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// bigTemplate builds a CloudFormation template of at least size bytes:
// groups with inline and separate rules (some world-open, some behind
// Fn::If and parameters) among unrelated resources, as large stacks are.
func bigTemplate(size int, yaml bool) []byte {
	var b strings.Builder
	if yaml {
		b.WriteString("AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  AdminCidr:\n    Type: String\n    Default: 10.0.0.0/8\nConditions:\n  IsProd: !Equals [!Ref AWS::AccountId, \"123456789012\"]\nResources:\n")
	} else {
		b.WriteString(`{"AWSTemplateFormatVersion": "2010-09-09", "Parameters": {"AdminCidr": {"Type": "String", "Default": "10.0.0.0/8"}}, "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "123456789012"]}}, "Resources": {` + "\n")
	}
	for i := 0; b.Len() < size; i++ {
		if yaml {
			fmt.Fprintf(&b, `  Group%[1]d:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: group %[1]d
      VpcId: vpc-0a1b2c3d4e5f60789
      Tags: [{Key: team, Value: t%[1]d}]
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !If [IsProd, !Ref AdminCidr, 0.0.0.0/0]}
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 10.%[2]d.0.0/16}
  Group%[1]dIngress:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !GetAtt Group%[1]d.GroupId, IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !Ref Group%[1]d}
  Bucket%[1]d:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "bucket-%[1]d-${AWS::Region}"
      VersioningConfiguration: {Status: Enabled}
      Tags: [{Key: team, Value: t%[1]d}, {Key: cost-center, Value: cc-%[1]d}]
  Function%[1]d:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Code: {S3Bucket: !Ref Bucket%[1]d, S3Key: code/%[1]d.zip}
      Environment: {Variables: {TABLE: table-%[1]d, MODE: enforce, LEVEL: info}}
`, i, i%256)
			continue
		}
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `"Group%[1]d": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "group %[1]d", "VpcId": "vpc-0a1b2c3d4e5f60789", "Tags": [{"Key": "team", "Value": "t%[1]d"}],
  "SecurityGroupIngress": [
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Fn::If": ["IsProd", {"Ref": "AdminCidr"}, "0.0.0.0/0"]}},
    {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.%[2]d.0.0/16"}]}},
"Group%[1]dIngress": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["Group%[1]d", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "SourceSecurityGroupId": {"Ref": "Group%[1]d"}}},
"Bucket%[1]d": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "bucket-%[1]d-${AWS::Region}"}, "VersioningConfiguration": {"Status": "Enabled"}, "Tags": [{"Key": "team", "Value": "t%[1]d"}, {"Key": "cost-center", "Value": "cc-%[1]d"}]}},
"Function%[1]d": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "provided.al2023", "Handler": "bootstrap", "Code": {"S3Bucket": {"Ref": "Bucket%[1]d"}, "S3Key": "code/%[1]d.zip"}, "Environment": {"Variables": {"TABLE": "table-%[1]d", "MODE": "enforce", "LEVEL": "info"}}}}`, i, i%256)
	}
	if !yaml {
		b.WriteString("\n}}\n")
	}
	return []byte(b.String())
}

// BenchmarkCheck5MB reads and judges a 5 MB template (the target: under
// 200 ms), JSON and YAML, and a 1 MB YAML one (a larger YAML template is
// beyond what CloudFormation deploys).
// go test -run '^$' -bench Check5MB -benchmem -cpu 1 ./internal/iac
func BenchmarkCheck5MB(b *testing.B) {
	for _, c := range []struct {
		format string
		size   int
	}{{"json", 5 << 20}, {"yaml", 5 << 20}, {"yaml", 1 << 20}} {
		format := c.format
		data := bigTemplate(c.size, format == "yaml")
		b.Run(fmt.Sprintf("%s-%dMB", format, c.size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			eng := policy.Default()
			var findings int
			cpu0 := cpuTime()
			for b.Loop() {
				tpl, err := Read("big."+format, data, Options{})
				if err != nil {
					b.Fatal(err)
				}
				findings = len(Judge(eng, []*Template{tpl}, policy.EvalContext{Now: corpusNow}))
			}
			b.ReportMetric(float64(findings), "findings")
			// CPU time (user+system, GC included) per check: on a shared
			// machine the wall time also measures the neighbours.
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// TestBigTemplate checks that the benchmark's template reads as intended.
func TestBigTemplate(t *testing.T) {
	for _, yaml := range []bool{false, true} {
		data := bigTemplate(64<<10, yaml)
		tpl, err := Read("big", data, Options{})
		if err != nil {
			t.Fatalf("Read(big, yaml=%v): %v", yaml, err)
		}
		fs := Judge(policy.Default(), []*Template{tpl}, policy.EvalContext{Now: corpusNow})
		if len(tpl.Rules) == 0 || len(fs) == 0 {
			t.Errorf("big template (yaml=%v): %d rules, %d findings; want some of each", yaml, len(tpl.Rules), len(fs))
		}
	}
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
