package lambdarie

import (
	"strings"
	"testing"
)

func TestParseVmHWM(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    uint64
		wantErr bool
	}{
		{"kB line", "Name:\tbootstrap\nVmPeak:\t  9000 kB\nVmHWM:\t  1234 kB\nVmRSS:\t 1000 kB\n", 1234 * 1024, false},
		{"missing", "Name:\tbootstrap\n", 0, true},
		{"bad unit", "VmHWM:\t 12 MB\n", 0, true},
		{"bad number", "VmHWM:\t 1x kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmHWM(tt.status)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseVmHWM(%q) = %d, %v; want %d, error %v", tt.status, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFunctionError(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{`{"errorMessage":"decode event: bad","errorType":"wrapError"}`, `{"errorMessage":"decode event: bad","errorType":"wrapError"}`},
		{`{"eventId":"x","published":true}`, ""},
		{`{"errorType":"only"}`, ""},
	}
	for _, tt := range tests {
		if got := functionError([]byte(tt.body)); got != tt.want {
			t.Errorf("functionError(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 16}
	for _, s := range []string{"one\n", "two\n", "three\n", "four\n", "five\n"} {
		if _, err := b.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.buf) > 16 {
		t.Errorf("kept %d bytes, want at most 16", len(b.buf))
	}
	if got := b.tail(2); got != "four / five" {
		t.Errorf("tail(2) = %q, want %q", got, "four / five")
	}
	if got := FirstLines("\n a \n\n b \n c", 2); got != "a / b" {
		t.Errorf("firstLines = %q", got)
	}
	if !strings.Contains(b.tail(10), "five") {
		t.Errorf("tail(10) = %q", b.tail(10))
	}
}
