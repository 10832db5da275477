package doctor

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PatternCoverage is what an EventBridge pattern lets through, as far as
// sgwarden cares.
type PatternCoverage struct {
	// Missing lists the wanted event names the pattern does not match.
	Missing []string
	// WrongSource is set when the pattern does not match source aws.ec2,
	// detail-type "AWS API Call via CloudTrail" or eventSource
	// ec2.amazonaws.com; it names the field.
	WrongSource string
	// ExcludesErrors is true when the pattern drops failed calls
	// (detail.errorCode [{"exists": false}]).
	ExcludesErrors bool
}

// AnalyzePattern parses an EventBridge event pattern and reports whether
// CloudTrail events for each of names would match. It understands exact
// values, prefix, suffix, equals-ignore-case, wildcard, anything-but and
// exists; $or and other forms make it return an error.
func AnalyzePattern(pattern string, names []string) (PatternCoverage, error) {
	var cov PatternCoverage
	var p map[string]any
	if err := json.Unmarshal([]byte(pattern), &p); err != nil {
		return cov, fmt.Errorf("parse event pattern: %w", err)
	}
	if _, ok := p["$or"]; ok {
		return cov, fmt.Errorf("parse event pattern: $or is not analysed")
	}
	detail, _ := p["detail"].(map[string]any)
	if _, ok := p["detail"]; ok && detail == nil {
		return cov, fmt.Errorf("parse event pattern: detail is not an object")
	}
	for _, f := range []struct {
		field string
		m     map[string]any
		key   string
		value string
	}{
		{"source", p, "source", "aws.ec2"},
		{"detail-type", p, "detail-type", "AWS API Call via CloudTrail"},
		{"detail.eventSource", detail, "eventSource", "ec2.amazonaws.com"},
	} {
		ok, err := fieldMatches(f.m, f.key, f.value)
		if err != nil {
			return cov, fmt.Errorf("parse event pattern: %s: %w", f.field, err)
		}
		if !ok {
			cov.WrongSource = f.field
			break
		}
	}
	for _, n := range names {
		ok, err := fieldMatches(detail, "eventName", n)
		if err != nil {
			return cov, fmt.Errorf("parse event pattern: detail.eventName: %w", err)
		}
		if !ok {
			cov.Missing = append(cov.Missing, n)
		}
	}
	// A successful call has no errorCode: the pattern excludes errors when
	// it requires the field to be absent.
	if spec, ok := detail["errorCode"]; ok {
		present, err := matchesAbsent(spec)
		if err != nil {
			return cov, fmt.Errorf("parse event pattern: detail.errorCode: %w", err)
		}
		cov.ExcludesErrors = present
	}
	return cov, nil
}

// fieldMatches reports whether the pattern m lets value through at key. An
// absent key matches anything.
func fieldMatches(m map[string]any, key, value string) (bool, error) {
	spec, ok := m[key]
	if !ok {
		return true, nil
	}
	list, ok := spec.([]any)
	if !ok {
		return false, fmt.Errorf("want a list, got %T", spec)
	}
	for _, item := range list {
		ok, err := matchOne(item, value)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// matchesAbsent reports whether a pattern list matches a missing field.
func matchesAbsent(spec any) (bool, error) {
	list, ok := spec.([]any)
	if !ok {
		return false, fmt.Errorf("want a list, got %T", spec)
	}
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			if ex, ok := m["exists"].(bool); ok && !ex {
				return true, nil
			}
		}
	}
	return false, nil
}

func matchOne(item any, value string) (bool, error) {
	switch it := item.(type) {
	case string:
		return it == value, nil
	case map[string]any:
		if len(it) != 1 {
			return false, fmt.Errorf("matcher with %d keys", len(it))
		}
		for op, arg := range it {
			return matchOp(op, arg, value)
		}
	case nil, float64, bool:
		return false, nil
	}
	return false, fmt.Errorf("unsupported matcher %T", item)
}

func matchOp(op string, arg any, value string) (bool, error) {
	switch op {
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return false, fmt.Errorf("exists wants a boolean")
		}
		return b, nil
	case "prefix", "suffix", "equals-ignore-case", "wildcard":
		if m, ok := arg.(map[string]any); ok && op == "prefix" {
			// {"prefix": {"equals-ignore-case": "x"}}
			s, _ := m["equals-ignore-case"].(string)
			return strings.HasPrefix(strings.ToLower(value), strings.ToLower(s)), nil
		}
		s, ok := arg.(string)
		if !ok {
			return false, fmt.Errorf("%s wants a string", op)
		}
		switch op {
		case "prefix":
			return strings.HasPrefix(value, s), nil
		case "suffix":
			return strings.HasSuffix(value, s), nil
		case "equals-ignore-case":
			return strings.EqualFold(value, s), nil
		default:
			return glob(s, value, false), nil
		}
	case "anything-but":
		switch a := arg.(type) {
		case string:
			return value != a, nil
		case []any:
			for _, x := range a {
				if s, ok := x.(string); ok && s == value {
					return false, nil
				}
			}
			return true, nil
		case map[string]any:
			for sub, subArg := range a {
				ok, err := matchOp(sub, subArg, value)
				if err != nil {
					return false, err
				}
				return !ok, nil
			}
			return true, nil
		default:
			return true, nil
		}
	case "numeric", "cidr":
		return false, nil
	}
	return false, fmt.Errorf("unsupported matcher %q", op)
}
