package audit

import (
	"slices"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// Among exposures of equal severity, an interface with a public IP (reachable
// from the internet) is listed before one reachable only from peered space.
func TestExposuresWithPublicIPFirst(t *testing.T) {
	mk := func(id, ip string, sev policy.Severity) ExposureReport {
		var e ExposureReport
		e.NetworkInterface.ID, e.NetworkInterface.PublicIP, e.WorstSeverity = id, ip, sev
		return e
	}
	got := []ExposureReport{
		mk("eni-a-private", "", policy.SeverityHigh),
		mk("eni-b-public", "203.0.113.9", policy.SeverityHigh),
		mk("eni-c-critical-private", "", policy.SeverityCritical),
	}
	slices.SortFunc(got, compareExposure)
	var ids []string
	for _, e := range got {
		ids = append(ids, e.NetworkInterface.ID)
	}
	want := []string{"eni-c-critical-private", "eni-b-public", "eni-a-private"}
	if !slices.Equal(ids, want) {
		t.Errorf("exposure order = %v, want %v (severity first, then a public IP)", ids, want)
	}
}
