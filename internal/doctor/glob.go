package doctor

// glob matches s against pattern, where '*' matches any run of characters
// and, when question is true, '?' matches one character (IAM ArnLike);
// EventBridge wildcards know only '*'.
func glob(pattern, s string, question bool) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == s[i] || (question && pattern[p] == '?')):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
