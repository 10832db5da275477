package iac

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// kind is the type of a node.
type kind uint8

const (
	kNull kind = iota
	kScalar
	kSeq
	kMap
)

// node is one value of a JSON or YAML document with its position. YAML's
// short-form intrinsics (!Ref x) are rewritten to their long form
// ({"Ref": x}) while reading, so later code sees one shape.
type node struct {
	kind   kind
	str    string // scalar text (numbers and booleans as written)
	quoted bool   // a JSON string (not a number, boolean or null)
	line   int
	col    int
	items  []*node // kSeq
	keys   []string
	vals   []*node // kMap, in document order
}

// get returns the value of key in a map node, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kMap {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) loc(file string) Location {
	if n == nil {
		return Location{File: file}
	}
	return Location{File: file, Line: n.line, Column: n.col}
}

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 512

// parseJSON parses one JSON document into a node tree.
func parseJSON(file string, data []byte) (*node, error) {
	// Strings are cut from one copy of the input, so that reading a large
	// template allocates per node, not per string.
	p := &jsonParser{file: file, data: data, src: string(data), line: 1, lineStart: 0}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.errorf("unexpected %q after the JSON value", p.data[p.pos])
	}
	return n, nil
}

type jsonParser struct {
	file      string
	data      []byte
	src       string // data as a string
	pos       int
	line      int
	lineStart int
	arena     []node   // nodes are carved from here, a block at a time
	stack     []*node  // children of the containers being read
	keyStack  []string // keys of the objects being read
}

// newNode returns a zeroed node from the arena.
func (p *jsonParser) newNode() *node {
	if len(p.arena) == 0 {
		p.arena = make([]node, 1024)
	}
	n := &p.arena[0]
	p.arena = p.arena[1:]
	return n
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return &SyntaxError{Loc: Location{File: p.file, Line: p.line, Column: p.pos - p.lineStart + 1}, Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case '\n':
			p.line++
			p.lineStart = p.pos + 1
		case ' ', '\t', '\r':
		default:
			return
		}
		p.pos++
	}
}

func (p *jsonParser) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested deeper than %d levels", maxDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input")
	}
	n := p.newNode()
	n.line, n.col = p.line, p.pos-p.lineStart+1
	switch c := p.data[p.pos]; {
	case c == '{':
		n.kind = kMap
		p.pos++
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return n, nil
		}
		base, keyBase := len(p.stack), len(p.keyStack)
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return nil, p.errorf("want a string key")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return nil, p.errorf("want ':' after key %q", k)
			}
			p.pos++
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			p.keyStack = append(p.keyStack, k)
			p.stack = append(p.stack, v)
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.data) && p.data[p.pos] == '}' {
				p.pos++
				n.keys = append([]string(nil), p.keyStack[keyBase:]...)
				n.vals = append([]*node(nil), p.stack[base:]...)
				p.keyStack, p.stack = p.keyStack[:keyBase], p.stack[:base]
				return n, nil
			}
			return nil, p.errorf("want ',' or '}' in object")
		}
	case c == '[':
		n.kind = kSeq
		p.pos++
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return n, nil
		}
		base := len(p.stack)
		for {
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			p.stack = append(p.stack, v)
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.data) && p.data[p.pos] == ']' {
				p.pos++
				n.items = append([]*node(nil), p.stack[base:]...)
				p.stack = p.stack[:base]
				return n, nil
			}
			return nil, p.errorf("want ',' or ']' in array")
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n.kind, n.str, n.quoted = kScalar, s, true
		return n, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, w := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(p.data[p.pos:min(len(p.data), p.pos+5)]), w) {
				p.pos += len(w)
				if w == "null" {
					n.kind = kNull
				} else {
					n.kind, n.str = kScalar, w
				}
				return n, nil
			}
		}
		return nil, p.errorf("unexpected %q", c)
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		for p.pos < len(p.data) && strings.IndexByte("+-.eE0123456789", p.data[p.pos]) >= 0 {
			p.pos++
		}
		s := p.src[start:p.pos]
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			p.pos = start
			return nil, p.errorf("bad number %q", s)
		}
		n.kind, n.str = kScalar, s
		return n, nil
	default:
		return nil, p.errorf("unexpected %q", c)
	}
}

// str reads a JSON string starting at its opening quote.
func (p *jsonParser) str() (string, error) {
	p.pos++
	start := p.pos
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; {
		case c == '"':
			s := p.src[start:p.pos]
			p.pos++
			return s, nil
		case c == '\\':
			return p.escapedStr(start)
		case c < 0x20:
			return "", p.errorf("control character in string")
		}
		p.pos++
	}
	return "", p.errorf("unterminated string")
}

// escapedStr finishes a string that holds escapes.
func (p *jsonParser) escapedStr(start int) (string, error) {
	b := []byte(string(p.data[start:p.pos]))
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(b) {
				return strings.ToValidUTF8(string(b), "\uFFFD"), nil
			}
			return string(b), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c != '\\':
			b = append(b, c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.data) {
			break
		}
		e := p.data[p.pos+1]
		p.pos += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) && p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
				p.pos += 2
				r2, ok := p.hex4()
				if !ok {
					return "", p.errorf("bad \\u escape")
				}
				r = utf16.DecodeRune(r, r2)
			}
			b = utf8.AppendRune(b, r)
		default:
			p.pos -= 2
			return "", p.errorf("bad escape \\%c", e)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}

// maxYAMLNodes bounds the tree built from YAML, whose aliases can
// otherwise expand a small file into a huge one: a few nodes per input
// byte, which no alias-free document reaches.
func maxYAMLNodes(size int) int { return 16*size + 1024 }

// parseYAML parses one YAML document into a node tree, rewriting
// CloudFormation's short-form intrinsics to their long form.
func parseYAML(file string, data []byte) (n *node, err error) {
	var doc yaml.Node
	defer func() {
		// yaml.v3 has panicked on hostile input before; a reader must not.
		if r := recover(); r != nil {
			n, err = nil, &SyntaxError{Loc: Location{File: file}, Msg: fmt.Sprintf("YAML: %v", r)}
		}
	}()
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &SyntaxError{Loc: Location{File: file, Line: 1}, Msg: "empty document"}
	}
	c := &yamlConv{file: file, limit: maxYAMLNodes(len(data))}
	return c.conv(doc.Content[0], 0)
}

// yamlError turns yaml.v3's "yaml: line N: msg" into a located error.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if v, err := strconv.Atoi(num); err == nil {
				line, msg = v, strings.TrimSpace(tail)
			}
		}
	}
	return &SyntaxError{Loc: Location{File: file, Line: line}, Msg: "YAML: " + msg}
}

type yamlConv struct {
	file  string
	count int
	limit int
}

// shortForms maps a short-form tag to its long-form key.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Select": "Fn::Select", "!If": "Fn::If",
	"!Join": "Fn::Join", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap",
	"!ImportValue": "Fn::ImportValue", "!GetAZs": "Fn::GetAZs", "!Cidr": "Fn::Cidr",
	"!Base64": "Fn::Base64", "!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or",
	"!Not": "Fn::Not", "!Transform": "Fn::Transform", "!Length": "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString",
}

func (c *yamlConv) conv(y *yaml.Node, depth int) (*node, error) {
	c.count++
	if c.count > c.limit || depth > maxDepth {
		return nil, &SyntaxError{Loc: Location{File: c.file, Line: y.Line, Column: y.Column}, Msg: "document too large or too deeply nested (aliases?)"}
	}
	n := &node{line: y.Line, col: y.Column}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, &SyntaxError{Loc: n.loc(c.file), Msg: "unknown alias"}
		}
		return c.conv(y.Alias, depth+1)
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			n.kind = kNull
			return n, nil
		}
		return c.conv(y.Content[0], depth+1)
	case yaml.ScalarNode:
		switch {
		case y.Tag == "!!null":
			n.kind = kNull
		default:
			n.kind, n.str = kScalar, y.Value
			n.quoted = y.Tag == "!!str"
		}
	case yaml.SequenceNode:
		n.kind = kSeq
		n.items = make([]*node, 0, len(y.Content))
		for _, ch := range y.Content {
			v, err := c.conv(ch, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
	case yaml.MappingNode:
		n.kind = kMap
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, err := c.conv(y.Content[i], depth+1)
			if err != nil {
				return nil, err
			}
			if k.kind != kScalar {
				return nil, &SyntaxError{Loc: k.loc(c.file), Msg: "map key is not a string"}
			}
			v, err := c.conv(y.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, k.str)
			n.vals = append(n.vals, v)
		}
	default:
		return nil, &SyntaxError{Loc: n.loc(c.file), Msg: "unexpected YAML node"}
	}
	if long, ok := shortForms[y.Tag]; ok {
		if long == "Fn::GetAtt" && n.kind == kScalar {
			// !GetAtt Res.Attr is the string form of [Res, Attr].
			res, attr, _ := strings.Cut(n.str, ".")
			n = &node{kind: kSeq, line: n.line, col: n.col, items: []*node{
				{kind: kScalar, str: res, quoted: true, line: n.line, col: n.col},
				{kind: kScalar, str: attr, quoted: true, line: n.line, col: n.col},
			}}
		}
		return &node{kind: kMap, line: y.Line, col: y.Column, keys: []string{long}, vals: []*node{n}}, nil
	} else if strings.HasPrefix(y.Tag, "!") && !strings.HasPrefix(y.Tag, "!!") {
		return nil, &SyntaxError{Loc: n.loc(c.file), Msg: fmt.Sprintf("unknown tag %s", y.Tag)}
	}
	return n, nil
}

// text is a scalar's text, "" for nil or a non-scalar.
func (n *node) text() string {
	if n == nil || n.kind != kScalar {
		return ""
	}
	return n.str
}
