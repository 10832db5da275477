package remediate

import (
	"testing"
	"time"
)

// A grant whose date had already passed when the tag was set is expired;
// the date is the last day it applies.
func TestExpiredDate(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for value, want := range map[string]bool{
		"2026-11-25":   true,
		"2026-11-26":   false, // today is its last day
		"2026-11-27":   false,
		"partner SFTP": false, // a reason, not a date
		" 2026-01-01 ": true,
		"2026-02-30":   false, // not a date: judged by the policy as a reason
	} {
		if got := expiredDate(value, at); got != want {
			t.Errorf("expiredDate(%q) = %v, want %v", value, got, want)
		}
	}
}
