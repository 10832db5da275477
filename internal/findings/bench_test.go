package findings_test

import (
	"testing"

	"github.com/sgwarden/sgwarden/internal/findings"
	"github.com/sgwarden/sgwarden/internal/notify"
)

// BenchmarkAlertToASFF measures the event path's cost of turning one
// reverted alert into its Security Hub finding (before the import call).
func BenchmarkAlertToASFF(b *testing.B) {
	a := alert(notify.OutcomeRevoked, "")
	b.ReportAllocs()
	for b.Loop() {
		items := findings.ItemsFromAlert(a, nil)
		f := items[0].ASFF(now, describe)
		if findings.Size(&f) > findings.MaxFindingBytes {
			b.Fatal("too big")
		}
	}
}
