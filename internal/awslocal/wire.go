package awslocal

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// xmlWriter builds an XML document without reflection; responses are
// large (10,000 groups) and hand-built output keeps element order exact.
type xmlWriter struct {
	buf bytes.Buffer
}

func (x *xmlWriter) open(tag string)  { x.buf.WriteString("<" + tag + ">") }
func (x *xmlWriter) close(tag string) { x.buf.WriteString("</" + tag + ">") }

// elem writes <tag>value</tag>.
func (x *xmlWriter) elem(tag, value string) {
	x.buf.WriteString("<" + tag + ">")
	_ = xml.EscapeText(&x.buf, []byte(value))
	x.buf.WriteString("</" + tag + ">")
}

// opt writes <tag>value</tag> when value is not empty.
func (x *xmlWriter) opt(tag, value string) {
	if value != "" {
		x.elem(tag, value)
	}
}

func (x *xmlWriter) int(tag string, v int64) { x.elem(tag, strconv.FormatInt(v, 10)) }

func (x *xmlWriter) bool(tag string, v bool) { x.elem(tag, strconv.FormatBool(v)) }

// tags writes a tagSet in key order.
func (x *xmlWriter) tags(tag string, t map[string]string) {
	if len(t) == 0 {
		return
	}
	x.open(tag)
	for _, k := range sortedKeys(t) {
		x.open("item")
		x.elem("key", k)
		x.elem("value", t[k])
		x.close("item")
	}
	x.close(tag)
}

func (x *xmlWriter) bytes() []byte { return x.buf.Bytes() }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// form wraps query parameters with the list conventions of the query
// protocols: lists are "Prefix.1", "Prefix.2"... (ec2query) or
// "Prefix.member.1" (awsquery, the caller passes "Prefix.member").
type form url.Values

func (f form) get(key string) string { return url.Values(f).Get(key) }

func (f form) has(key string) bool {
	_, ok := f[key]
	return ok
}

// indexes returns the sorted list indexes present under prefix, so that
// "IpPermissions.2.IpRanges.1.CidrIp" yields 2 for prefix "IpPermissions".
func (f form) indexes(prefix string) []int {
	seen := map[int]bool{}
	p := prefix + "."
	for k := range f {
		if !strings.HasPrefix(k, p) {
			continue
		}
		rest := k[len(p):]
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// list returns the string values of a flat list "Prefix.N".
func (f form) list(prefix string) []string {
	var out []string
	for _, i := range f.indexes(prefix) {
		key := prefix + "." + strconv.Itoa(i)
		if f.has(key) {
			out = append(out, f.get(key))
		}
	}
	return out
}

// int32 parses an optional integer parameter.
func (f form) int32(key string) (v int32, present bool, err *APIError) {
	s := f.get(key)
	if !f.has(key) || s == "" {
		return 0, false, nil
	}
	n, perr := strconv.ParseInt(s, 10, 32)
	if perr != nil {
		return 0, true, clientErr("InvalidParameterValue", "Value (%s) for parameter %s is invalid. It must be an integer.", s, key)
	}
	return int32(n), true, nil
}

func (f form) bool(key string) bool {
	b, _ := strconv.ParseBool(f.get(key))
	return b
}

// sub returns "prefix.N." for building nested keys.
func sub(prefix string, i int) string { return prefix + "." + strconv.Itoa(i) + "." }

// filter is one EC2 Filter.N with its values.
type filter struct {
	name   string
	values []string
}

func (f form) filters() []filter {
	var out []filter
	for _, i := range f.indexes("Filter") {
		p := sub("Filter", i)
		out = append(out, filter{name: f.get(p + "Name"), values: f.list(p + "Value")})
	}
	return out
}

// matchAny reports whether v matches one of the filter values, which may
// hold the * and ? wildcards as EC2 filters do.
func matchAny(values []string, v string) bool {
	for _, p := range values {
		if globMatch(p, v) {
			return true
		}
	}
	return false
}

func globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	// Iterative wildcard matching with backtracking on the last star.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
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

// matchTags applies the tag filters shared by every EC2 resource:
// tag:Key, tag-key and tag-value. handled is false for other names.
func matchTags(fl filter, tags map[string]string) (matched, handled bool) {
	switch {
	case strings.HasPrefix(fl.name, "tag:"):
		v, ok := tags[fl.name[len("tag:"):]]
		return ok && matchAny(fl.values, v), true
	case fl.name == "tag-key":
		for k := range tags {
			if matchAny(fl.values, k) {
				return true, true
			}
		}
		return false, true
	case fl.name == "tag-value":
		for _, v := range tags {
			if matchAny(fl.values, v) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}
