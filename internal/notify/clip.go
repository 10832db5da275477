package notify

import "unicode/utf8"

// Clip cuts s to at most n characters, marking a cut with "…". Unlike
// Truncate it keeps line breaks, for multi-line bodies (chat, findings).
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
