package iac

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// addCorpusSeeds adds the corpus files whose names match pattern.
func addCorpusSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata/corpus", pattern))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// fuzzRead checks that Read never panics, that every failure is a located
// *SyntaxError or ErrNotIaC, and that what it reads can be judged.
func fuzzRead(t *testing.T, name string, data []byte) {
	tpl, err := Read(name, data, Options{})
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) && !errors.Is(err, ErrNotIaC) {
			t.Fatalf("Read error %v is neither a *SyntaxError nor ErrNotIaC", err)
		}
		if se != nil && se.Loc.File != name {
			t.Fatalf("SyntaxError names file %q, want %q", se.Loc.File, name)
		}
		return
	}
	Judge(policy.Default(), []*Template{tpl}, policy.EvalContext{Now: corpusNow})
}

func FuzzReadTemplate(f *testing.F) {
	addCorpusSeeds(f, "cfn-*")
	addCorpusSeeds(f, "cdk-*.json")
	f.Add([]byte("Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress: !If [C, [{IpProtocol: -1, CidrIp: !Ref P}], !Ref AWS::NoValue]\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, "t.yaml", data) })
}

func FuzzReadPlan(f *testing.F) {
	addCorpusSeeds(f, "tf-*")
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"address":"aws_security_group_rule.x","type":"aws_security_group_rule","change":{"after":{"type":"ingress","protocol":"tcp","from_port":22,"to_port":22},"after_unknown":{"cidr_blocks":true}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, "p.json", data) })
}
