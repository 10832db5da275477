package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalidPattern is wrapped by every error Compile returns.
var ErrInvalidPattern = errors.New("invalid event pattern")

// Pattern is a compiled event pattern, safe for concurrent use.
type Pattern struct {
	root *object
}

// object is one level of a pattern: every field must match.
type object struct {
	fields []field
}

type field struct {
	name   string
	nested *object   // set when the pattern value is an object
	any    []matcher // set when the pattern value is a list of alternatives
}

// matcher is one alternative of a leaf list.
type matcher interface {
	// match reports whether the event value v (present says whether the
	// field exists at all) satisfies this alternative.
	match(v any, present bool) bool
}

// Compile parses an EventBridge pattern. All problems in the pattern are
// reported in the returned error, each with its dotted field path.
func Compile(pattern []byte) (*Pattern, error) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(pattern))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPattern, err)
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: top level must be an object", ErrInvalidPattern)
	}
	var problems []string
	root := compileObject(top, "", &problems)
	if len(top) == 0 {
		problems = append(problems, "pattern is empty")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidPattern, strings.Join(problems, "; "))
	}
	return &Pattern{root: root}, nil
}

// MustCompile is Compile for patterns written in test code; it panics on a
// bad pattern, so never use it on input.
func MustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic(err)
	}
	return p
}

func compileObject(m map[string]any, path string, problems *[]string) *object {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names) // deterministic problem order
	o := &object{}
	for _, name := range names {
		p := join(path, name)
		switch v := m[name].(type) {
		case map[string]any:
			if len(v) == 0 {
				*problems = append(*problems, p+": empty object")
				continue
			}
			o.fields = append(o.fields, field{name: name, nested: compileObject(v, p, problems)})
		case []any:
			if len(v) == 0 {
				*problems = append(*problems, p+": empty list")
				continue
			}
			f := field{name: name}
			for i, alt := range v {
				mt, err := compileMatcher(alt)
				if err != nil {
					*problems = append(*problems, fmt.Sprintf("%s[%d]: %v", p, i, err))
					continue
				}
				f.any = append(f.any, mt)
			}
			o.fields = append(o.fields, f)
		default:
			*problems = append(*problems, fmt.Sprintf("%s: value must be a list or an object, got %s", p, describe(v)))
		}
	}
	return o
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func compileMatcher(v any) (matcher, error) {
	switch x := v.(type) {
	case string, json.Number, bool, nil:
		return exact{want: x}, nil
	case map[string]any:
		if len(x) != 1 {
			return nil, fmt.Errorf("an operator object needs exactly one key, got %d", len(x))
		}
		for op, arg := range x {
			return compileOperator(op, arg)
		}
	}
	return nil, fmt.Errorf("unsupported value %s", describe(v))
}

func compileOperator(op string, arg any) (matcher, error) {
	switch op {
	case "prefix", "suffix":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s needs a string, got %s", op, describe(arg))
		}
		return affix{suffix: op == "suffix", s: s}, nil
	case "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s needs a string, got %s", op, describe(arg))
		}
		return foldEqual{s: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, fmt.Errorf("exists needs true or false, got %s", describe(arg))
		}
		return exists{want: b}, nil
	case "anything-but":
		return compileAnythingBut(arg)
	default:
		return nil, fmt.Errorf("unsupported operator %q", op)
	}
}

func compileAnythingBut(arg any) (matcher, error) {
	switch x := arg.(type) {
	case string, json.Number, bool:
		return anythingBut{not: []exact{{want: x}}}, nil
	case []any:
		if len(x) == 0 {
			return nil, errors.New("anything-but needs a non-empty list")
		}
		ab := anythingBut{}
		for _, v := range x {
			switch v.(type) {
			case string, json.Number, bool:
				ab.not = append(ab.not, exact{want: v})
			default:
				return nil, fmt.Errorf("anything-but list holds %s", describe(v))
			}
		}
		return ab, nil
	case map[string]any:
		if len(x) != 1 {
			return nil, errors.New("anything-but object needs exactly one key")
		}
		for op, v := range x {
			s, ok := v.(string)
			if (op != "prefix" && op != "suffix") || !ok {
				return nil, fmt.Errorf("anything-but supports only a prefix or suffix string, got %q", op)
			}
			return anythingBut{notAffix: &affix{suffix: op == "suffix", s: s}}, nil
		}
	}
	return nil, fmt.Errorf("anything-but needs a value, a list or a prefix/suffix, got %s", describe(arg))
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Matches reports whether the JSON event satisfies the pattern. It returns an
// error only when event is not a JSON object.
func (p *Pattern) Matches(event []byte) (bool, error) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return false, fmt.Errorf("decode event: %w", err)
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return false, errors.New("decode event: top level must be an object")
	}
	return p.root.match(m), nil
}

// match checks every field against the event object m (nil when the object
// itself is absent: then only "exists": false can hold).
func (o *object) match(m map[string]any) bool {
	for _, f := range o.fields {
		v, present := m[f.name]
		if f.nested != nil {
			sub, _ := v.(map[string]any)
			if !f.nested.match(sub) {
				return false
			}
			continue
		}
		if !leafMatch(f.any, v, present) {
			return false
		}
	}
	return true
}

// leafMatch applies a list of alternatives. An array in the event matches
// when any of its elements matches any alternative, as in EventBridge.
func leafMatch(alts []matcher, v any, present bool) bool {
	if arr, ok := v.([]any); ok {
		for _, el := range arr {
			for _, a := range alts {
				if a.match(el, true) {
					return true
				}
			}
		}
		return false
	}
	for _, a := range alts {
		if a.match(v, present) {
			return true
		}
	}
	return false
}

type exact struct{ want any }

func (e exact) match(v any, present bool) bool {
	if !present {
		return false
	}
	switch w := e.want.(type) {
	case nil:
		return v == nil
	case string:
		s, ok := v.(string)
		return ok && s == w
	case bool:
		b, ok := v.(bool)
		return ok && b == w
	case json.Number:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		wf, err1 := w.Float64()
		nf, err2 := n.Float64()
		return err1 == nil && err2 == nil && wf == nf
	}
	return false
}

type affix struct {
	suffix bool
	s      string
}

func (a affix) match(v any, present bool) bool {
	s, ok := v.(string)
	if !present || !ok {
		return false
	}
	if a.suffix {
		return strings.HasSuffix(s, a.s)
	}
	return strings.HasPrefix(s, a.s)
}

type foldEqual struct{ s string }

func (f foldEqual) match(v any, present bool) bool {
	s, ok := v.(string)
	return present && ok && strings.EqualFold(s, f.s)
}

// exists matches leaves only: an object value does not count as existing,
// as in EventBridge.
type exists struct{ want bool }

func (e exists) match(v any, present bool) bool {
	_, isObject := v.(map[string]any)
	return (present && !isObject) == e.want
}

// anythingBut matches a present leaf that equals none of the listed values
// (or lacks the affix).
type anythingBut struct {
	not      []exact
	notAffix *affix
}

func (a anythingBut) match(v any, present bool) bool {
	if !present {
		return false
	}
	if _, isObject := v.(map[string]any); isObject {
		return false
	}
	if a.notAffix != nil {
		_, isString := v.(string)
		return isString && !a.notAffix.match(v, true)
	}
	for _, e := range a.not {
		if e.match(v, true) {
			return false
		}
	}
	return true
}
