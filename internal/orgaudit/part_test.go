package orgaudit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sgwarden/sgwarden/internal/audit"
)

// TestWritePartIsMarshal: the streamed part is byte for byte what
// json.Marshal gives, with and without a report and its lists.
func TestWritePartIsMarshal(t *testing.T) {
	rep := &audit.Report{SchemaVersion: 1, Kind: audit.KindReport, RunID: "r", Account: "111122223333",
		Regions:   []audit.RegionReport{{Region: "eu-west-1", Calls: map[string]int{"DescribeSecurityGroups": 1}}},
		Unscanned: []audit.Unscanned{}, Violations: []audit.Finding{}, Exposures: []audit.ExposureReport{}}
	full := *rep
	full.Violations = []audit.Finding{{Region: "eu-west-1", Check: "a", Reason: "x \"quoted\""}, {Region: "eu-west-1", Check: "b"}}
	full.Exposures = []audit.ExposureReport{{Region: "eu-west-1", Open: []audit.OpenPortRef{{Protocol: "tcp", FromPort: 22, ToPort: 22}}}}
	for name, p := range map[string]*Part{
		"no report":     {SchemaVersion: 1, Kind: KindPart, RunID: "r", Status: Status{Account: "111122223333", Region: "eu-west-1", Reason: ReasonAccessDenied}},
		"empty lists":   {SchemaVersion: 1, Kind: KindPart, RunID: "r", Status: Status{OK: true}, Report: rep},
		"with findings": {SchemaVersion: 1, Kind: KindPart, RunID: "r", Status: Status{OK: true}, Report: &full},
	} {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writePart(&got, p); err != nil {
			t.Fatalf("%s: writePart: %v", name, err)
		}
		if got.String() != string(want) {
			t.Errorf("%s: writePart =\n%s\nwant\n%s", name, got.String(), want)
		}
	}
}
