// Package cliflag words the errors of the standard flag package in the
// --flag style that sgwarden's commands document ("unknown flag --nope"),
// for every command, doctor included.
package cliflag

import "strings"

// Message rewrites an error of the flag package: "flag provided but not
// defined: -x" becomes "unknown flag --x", "flag needs an argument: -x"
// becomes "missing value for --x", and `invalid value "v" for flag -x: ...`
// becomes `invalid value "v" for --x: ...`.
func Message(err error) string {
	msg := err.Error()
	for _, p := range []struct{ from, to string }{
		{"flag provided but not defined: -", "unknown flag --"},
		{"flag needs an argument: -", "missing value for --"},
	} {
		if rest, ok := strings.CutPrefix(msg, p.from); ok {
			return p.to + strings.TrimPrefix(rest, "-")
		}
	}
	if i := strings.Index(msg, " for flag -"); i >= 0 {
		return msg[:i] + " for --" + strings.TrimPrefix(msg[i+len(" for flag -"):], "-")
	}
	return msg
}
