package cliflag

import (
	"flag"
	"io"
	"testing"
)

func TestMessage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "unknown flag --nope"},
		{[]string{"-nope"}, "unknown flag --nope"},
		{[]string{"--name"}, "missing value for --name"},
		{[]string{"--n", "x"}, `invalid value "x" for --n: parse error`},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.String("name", "", "")
		fs.Int("n", 0, "")
		err := fs.Parse(tt.args)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", tt.args)
		}
		if got := Message(err); got != tt.want {
			t.Errorf("Message(Parse(%q)) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
