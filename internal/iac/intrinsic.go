package iac

import (
	"strconv"
	"strings"
)

// val is a resolved CloudFormation value: a string, a list, a reference to
// a resource (Ref or Fn::GetAtt), or unknown with the reason.
type val struct {
	s       string
	list    []val
	isList  bool
	ref     string // logical ID of a resource
	attr    string // Fn::GetAtt attribute ("" for Ref)
	unknown string // why the value is not known before deploy; "" if known
	absent  bool   // AWS::NoValue
}

func unknownVal(why string) val { return val{unknown: why} }

// cond is one CloudFormation condition taken one way.
type cond struct {
	name  string
	value bool
}

func (c cond) String() string {
	if c.value {
		return c.name
	}
	return "!" + c.name
}

// variant is one way of reading a node once every Fn::If in it is decided.
// n is nil when the chosen branch is AWS::NoValue.
type variant struct {
	n     *node
	conds []cond
}

// maxVariants bounds the Fn::If combinations of one rule.
const maxVariants = 256

// hasIf reports whether n holds an Fn::If anywhere.
func hasIf(n *node) bool {
	if n == nil {
		return false
	}
	switch n.kind {
	case kSeq:
		for _, it := range n.items {
			if hasIf(it) {
				return true
			}
		}
	case kMap:
		for i, k := range n.keys {
			if k == "Fn::If" || hasIf(n.vals[i]) {
				return true
			}
		}
	}
	return false
}

func isNoValue(n *node) bool {
	r := n.get("Ref")
	return n != nil && n.kind == kMap && len(n.keys) == 1 && r != nil && r.str == "AWS::NoValue"
}

// expand returns every variant of n: each Fn::If replaced by one of its
// branches, with the conditions that choose it. Contradictory choices of
// the same condition are dropped; past maxVariants the rest are cut off
// and truncated is set.
func expand(n *node) (vs []variant, truncated bool) {
	if isNoValue(n) {
		return []variant{{}}, false
	}
	if !hasIf(n) {
		return []variant{{n: n}}, false
	}
	if n.kind == kMap && len(n.keys) == 1 && n.keys[0] == "Fn::If" {
		args := n.vals[0]
		if args.kind != kSeq || len(args.items) != 3 || args.items[0].kind != kScalar {
			return []variant{{n: n}}, false // left for resolve to call unknown
		}
		name := args.items[0].str
		for bi, b := range args.items[1:] {
			sub, tr := expand(b)
			truncated = truncated || tr
			for _, v := range sub {
				if c, ok := addCond(v.conds, cond{name, bi == 0}); ok {
					vs = append(vs, variant{v.n, c})
				}
			}
		}
		return cut(vs, truncated)
	}
	// A map or list: the product of its children's variants.
	vs = []variant{{n: &node{kind: n.kind, line: n.line, col: n.col}}}
	children := n.items
	if n.kind == kMap {
		children = n.vals
	}
	for i, ch := range children {
		sub, tr := expand(ch)
		truncated = truncated || tr
		var next []variant
		for _, partial := range vs {
			for _, s := range sub {
				c, ok := mergeConds(partial.conds, s.conds)
				if !ok {
					continue
				}
				cp := *partial.n
				if s.n != nil {
					if n.kind == kMap {
						cp.keys = append(cp.keys[:len(cp.keys):len(cp.keys)], n.keys[i])
						cp.vals = append(cp.vals[:len(cp.vals):len(cp.vals)], s.n)
					} else {
						cp.items = append(cp.items[:len(cp.items):len(cp.items)], s.n)
					}
				}
				next = append(next, variant{&cp, c})
			}
		}
		vs, truncated = cut(next, truncated)
	}
	return vs, truncated
}

func cut(vs []variant, truncated bool) ([]variant, bool) {
	if len(vs) > maxVariants {
		return vs[:maxVariants], true
	}
	return vs, truncated
}

func addCond(cs []cond, c cond) ([]cond, bool) {
	for _, x := range cs {
		if x.name == c.name {
			return cs, x.value == c.value
		}
	}
	return append(cs[:len(cs):len(cs)], c), true
}

func mergeConds(a, b []cond) ([]cond, bool) {
	out := a
	for _, c := range b {
		var ok bool
		if out, ok = addCond(out, c); !ok {
			return nil, false
		}
	}
	return out, true
}

// pseudo parameters whose value is known only at deploy.
var pseudoParams = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::Partition": true, "AWS::Region": true,
	"AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

// resolve evaluates an intrinsic-free or intrinsic value.
func (t *cfnReader) resolve(n *node) val {
	return t.resolveDepth(n, 0)
}

func (t *cfnReader) resolveDepth(n *node, depth int) val {
	if n == nil {
		return val{absent: true}
	}
	if depth > 64 {
		return unknownVal("nested too deeply")
	}
	switch n.kind {
	case kNull:
		return val{absent: true}
	case kScalar:
		return val{s: n.str}
	case kSeq:
		out := val{isList: true, list: make([]val, 0, len(n.items))}
		for _, it := range n.items {
			v := t.resolveDepth(it, depth+1)
			if !v.absent {
				out.list = append(out.list, v)
			}
		}
		return out
	}
	if len(n.keys) != 1 {
		return unknownVal("an object, not a value")
	}
	arg := n.vals[0]
	switch fn := n.keys[0]; fn {
	case "Ref":
		return t.ref(arg.str)
	case "Fn::GetAtt":
		var res, attr string
		switch {
		case arg.kind == kScalar:
			res, attr, _ = strings.Cut(arg.str, ".")
		case arg.kind == kSeq && len(arg.items) == 2:
			res = arg.items[0].str
			a := t.resolveDepth(arg.items[1], depth+1)
			if a.unknown != "" {
				return a
			}
			attr = a.s
		default:
			return unknownVal("malformed Fn::GetAtt")
		}
		if _, ok := t.resources[res]; !ok {
			return unknownVal("Fn::GetAtt of " + res + ", which the template does not define")
		}
		return val{ref: res, attr: attr}
	case "Fn::Sub":
		return t.sub(arg, depth)
	case "Fn::Select":
		if arg.kind != kSeq || len(arg.items) != 2 {
			return unknownVal("malformed Fn::Select")
		}
		idx := t.resolveDepth(arg.items[0], depth+1)
		list := t.resolveDepth(arg.items[1], depth+1)
		if idx.unknown != "" {
			return idx
		}
		if list.unknown != "" {
			return list
		}
		i, err := strconv.Atoi(idx.s)
		if err != nil || !list.isList || i < 0 || i >= len(list.list) {
			return unknownVal("Fn::Select index " + idx.s + " out of range")
		}
		return list.list[i]
	case "Fn::Join":
		if arg.kind != kSeq || len(arg.items) != 2 {
			return unknownVal("malformed Fn::Join")
		}
		sep := t.resolveDepth(arg.items[0], depth+1)
		list := t.resolveDepth(arg.items[1], depth+1)
		if list.unknown != "" {
			return list
		}
		parts := make([]string, 0, len(list.list))
		for _, p := range list.list {
			if p.unknown != "" {
				return p
			}
			if p.ref != "" || p.isList {
				return unknownVal("Fn::Join of a resource attribute")
			}
			parts = append(parts, p.s)
		}
		return val{s: strings.Join(parts, sep.s)}
	case "Fn::Split":
		if arg.kind != kSeq || len(arg.items) != 2 {
			return unknownVal("malformed Fn::Split")
		}
		sep := t.resolveDepth(arg.items[0], depth+1)
		s := t.resolveDepth(arg.items[1], depth+1)
		if s.unknown != "" {
			return s
		}
		return splitVal(s.s, sep.s)
	case "Fn::FindInMap":
		if arg.kind != kSeq || len(arg.items) < 3 {
			return unknownVal("malformed Fn::FindInMap")
		}
		keys := make([]string, 3)
		for i := range keys {
			k := t.resolveDepth(arg.items[i], depth+1)
			if k.unknown != "" {
				return unknownVal("Fn::FindInMap key: " + k.unknown)
			}
			keys[i] = k.s
		}
		v := t.mappings.get(keys[0]).get(keys[1]).get(keys[2])
		if v == nil {
			return unknownVal("Fn::FindInMap " + strings.Join(keys, "/") + " is not in Mappings")
		}
		return t.resolveDepth(v, depth+1)
	case "Fn::ImportValue":
		v := t.resolveDepth(arg, depth+1)
		return unknownVal("imported value (Fn::ImportValue " + v.s + ")")
	case "Fn::If":
		return unknownVal("Fn::If in an unexpected place")
	}
	return unknownVal(n.keys[0] + " is resolved only at deploy")
}

func splitVal(s, sep string) val {
	out := val{isList: true}
	if sep == "" {
		return val{isList: true, list: []val{{s: s}}}
	}
	for _, p := range strings.Split(s, sep) {
		out.list = append(out.list, val{s: p})
	}
	return out
}

// ref resolves {"Ref": name}.
func (t *cfnReader) ref(name string) val {
	if name == "AWS::NoValue" {
		return val{absent: true}
	}
	if p, ok := t.params[name]; ok {
		return p
	}
	if _, ok := t.resources[name]; ok {
		return val{ref: name}
	}
	if pseudoParams[name] {
		return unknownVal("pseudo parameter " + name)
	}
	return unknownVal("Ref to " + name + ", which the template does not define")
}

// sub resolves Fn::Sub: "${Name}", "${Res.Attr}" and "${!Literal}".
func (t *cfnReader) sub(arg *node, depth int) val {
	tmpl := arg
	var vars *node
	if arg.kind == kSeq && len(arg.items) == 2 {
		tmpl, vars = arg.items[0], arg.items[1]
	}
	if tmpl.kind != kScalar {
		return unknownVal("malformed Fn::Sub")
	}
	s := tmpl.str
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v val
		if vn := vars.get(name); vn != nil {
			v = t.resolveDepth(vn, depth+1)
		} else if strings.Contains(name, ".") {
			v = unknownVal("Fn::Sub of attribute " + name)
		} else {
			v = t.ref(name)
		}
		if v.unknown != "" {
			return v
		}
		if v.ref != "" || v.isList {
			return unknownVal("Fn::Sub of resource " + name)
		}
		b.WriteString(v.s)
	}
	return val{s: b.String()}
}
