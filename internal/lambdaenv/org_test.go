package lambdaenv

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadOrg(t *testing.T) {
	base := map[string]string{
		EnvTopicARN:     "arn:aws:sns:us-east-1:111122223333:alerts",
		EnvReportBucket: "reports",
	}
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	s, err := LoadOrg(env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ReadRoleName != DefaultReadRoleName || s.RevertRoleName != DefaultRevertRoleName || len(s.OUs) != 0 || s.TopicARN == "" {
		t.Errorf("defaults = %+v", s)
	}
	s, err = LoadOrg(env(map[string]string{EnvOrgOUs: " ou-ab12-11111111, ou-ab12-22222222 ", EnvReadRoleName: "reader"}), nil)
	if err != nil || !slices.Equal(s.OUs, []string{"ou-ab12-11111111", "ou-ab12-22222222"}) || s.ReadRoleName != "reader" {
		t.Errorf("LoadOrg = %+v, %v", s, err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no bucket", map[string]string{EnvReportBucket: ""}, []string{EnvReportBucket}},
		{"bad OU", map[string]string{EnvOrgOUs: "r-abcd"}, []string{EnvOrgOUs}},
		{"bad role and topic", map[string]string{EnvRevertRoleName: "a b", EnvTopicARN: ""}, []string{EnvRevertRoleName, EnvTopicARN}},
	}
	for _, tt := range tests {
		_, err := LoadOrg(env(tt.env), nil)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: LoadOrg error = %v, want it to name %s", tt.name, err, w)
			}
		}
	}
}
