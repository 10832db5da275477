package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// iacCorpus is internal/iac's trap corpus.
const iacCorpus = "../../internal/iac/testdata/corpus"

func TestCheckIaCTable(t *testing.T) {
	goldenPath, err := filepath.Abs(filepath.Join("testdata", "check-iac.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(iacCorpus) // so that the table shows short file names
	code, out, stderr := runCmd(t, cmdCheck, "cfn-if-branches.yaml", "cfn-parameter-no-default.yaml", "tf-vpc-ingress-rule.json", "cdk-small-app.out")
	if code != exitFindings {
		t.Fatalf("check = %d, want %d (stderr %s)", code, exitFindings, stderr)
	}
	golden(t, goldenPath, out)
}

func TestCheckIaCSARIF(t *testing.T) {
	code, out, stderr := runCmd(t, cmdCheck, "--output", "sarif",
		filepath.Join(iacCorpus, "cfn-parameter-no-default.yaml"),
		filepath.Join(iacCorpus, "cdk-small-app.out"))
	if code != exitFindings {
		t.Fatalf("check --output sarif = %d, want %d (stderr %s)", code, exitFindings, stderr)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID   string `json:"id"`
						Help struct {
							Text string `json:"text"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
					LogicalLocations []struct {
						Name               string `json:"name"`
						FullyQualifiedName string `json:"fullyQualifiedName"`
					} `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Fatalf("SARIF version %q with %d runs; want 2.1.0, one run with results", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	levels := map[string]bool{}
	paths := map[string]bool{}
	for _, r := range run.Results {
		if r.RuleIndex >= len(rules) || rules[r.RuleIndex].ID != r.RuleID || rules[r.RuleIndex].Help.Text == "" {
			t.Errorf("result %s: ruleIndex %d does not name a rule with help", r.RuleID, r.RuleIndex)
		}
		loc := r.Locations[0]
		if loc.PhysicalLocation.Region.StartLine == 0 || !strings.HasPrefix(loc.PhysicalLocation.ArtifactLocation.URI, "../../internal/iac/testdata/corpus/") {
			t.Errorf("result %s: location %+v lacks a file and line", r.RuleID, loc.PhysicalLocation)
		}
		levels[r.Level] = true
		for _, l := range loc.LogicalLocations {
			paths[l.FullyQualifiedName] = true
		}
	}
	if !levels["error"] || !levels["warning"] {
		t.Errorf("levels %v, want error (revert) and warning (unknown, alert)", levels)
	}
	if !paths["WebStack/AdminSecurityGroup/Resource"] {
		t.Errorf("no result names the construct path WebStack/AdminSecurityGroup/Resource: %v", paths)
	}
}

func TestCheckIaCFailOnAndParameters(t *testing.T) {
	tpl := filepath.Join(iacCorpus, "cfn-parameter-no-default.yaml")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown passes by default", []string{tpl}, exitOK},
		{"--fail-on unknown", []string{"--fail-on", "unknown", tpl}, exitFindings},
		{"--parameters world", []string{"--parameters", "AdminCidr=0.0.0.0/0", tpl}, exitFindings},
		{"--parameters private", []string{"--fail-on", "unknown", "--parameters", "AdminCidr=10.1.0.0/16", tpl}, exitOK},
		{"--parameters undeclared", []string{"--parameters", "Nope=1", tpl}, exitUsage},
		{"--parameters not k=v", []string{"--parameters", "AdminCidr", tpl}, exitUsage},
		{"--parameters for one template of several", []string{"--parameters", "AdminCidr=0.0.0.0/0", tpl, filepath.Join(iacCorpus, "tf-compliant.json")}, exitFindings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, cmdCheck, tt.args...)
			if code != tt.want {
				t.Errorf("check %q = %d, want %d (stderr %s)", tt.args, code, tt.want, stderr)
			}
		})
	}
}

func TestCheckIaCStdinAndErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(iacCorpus, "tf-self-and-world.json"))
	if err != nil {
		t.Fatal(err)
	}
	stdin = strings.NewReader(string(data))
	t.Cleanup(func() { stdin = os.Stdin })
	code, out, stderr := runCmd(t, cmdCheck, "--output", "json", "-")
	if code != exitFindings || !strings.Contains(out, `"resource": "aws_security_group.cluster"`) {
		t.Errorf("check - (plan on stdin) = %d, %s %s; want 1 naming aws_security_group.cluster", code, out, stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("AWSTemplateFormatVersion: 2010-09-09\nResources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, cmdCheck, bad)
	if code != exitUsage || !strings.Contains(stderr, "bad.yaml:") {
		t.Errorf("check bad.yaml = %d, %q; want 2 and a located error", code, stderr)
	}
}
