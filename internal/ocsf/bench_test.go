package ocsf_test

import (
	"encoding/json"
	"testing"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/ocsf"
)

// BenchmarkAlertToOCSF measures turning one alert into its encoded OCSF
// Detection Finding (the PutEvents detail).
func BenchmarkAlertToOCSF(b *testing.B) {
	a := alert(notify.ActionReverted)
	b.ReportAllocs()
	for b.Loop() {
		e := ocsf.FromAlert(a, "REVERTED tcp/22", nil, now)
		if _, err := json.Marshal(&e); err != nil {
			b.Fatal(err)
		}
	}
}
