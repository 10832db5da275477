package remediate

import (
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// The alert lists interfaces with a public IP first, then by ID, whatever
// order DescribeNetworkInterfaces returned them in.
func TestExposedDocsOrder(t *testing.T) {
	enis := []policy.ENI{
		{ID: "eni-3"}, {ID: "eni-2", PublicIP: "203.0.113.2"}, {ID: "eni-1"}, {ID: "eni-4", PublicIP: "203.0.113.4"},
	}
	var got []string
	for _, d := range exposedDocs(enis, nil) {
		got = append(got, d.ID)
	}
	want := "eni-2 eni-4 eni-1 eni-3"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("exposedDocs order = %s, want %s", s, want)
	}
}
