package iac

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// Options tune reading.
type Options struct {
	// Parameters override CloudFormation parameter defaults (--parameters
	// k=v). A template ignores the names it does not declare.
	Parameters map[string]string
}

// maxInput bounds one input, so that a hostile file cannot exhaust memory.
const maxInput = 64 << 20

// Read reads one file's content, recognized by what it holds: a
// CloudFormation template (JSON or YAML; cdk synth output is one) or
// Terraform plan JSON. It returns an error wrapping ErrNotIaC for other
// content, and a *SyntaxError (with a location) for malformed input.
func Read(file string, data []byte, opts Options) (*Template, error) {
	if len(data) > maxInput {
		return nil, &SyntaxError{Loc: Location{File: file}, Msg: fmt.Sprintf("larger than %d MB", maxInput>>20)}
	}
	root, err := parse(file, data)
	if err != nil {
		return nil, err
	}
	switch {
	case root.kind != kMap:
		return nil, fmt.Errorf("%s: %w", file, ErrNotIaC)
	case isPlan(root):
		return finish(readTerraformPlan(file, root))
	case isTemplate(root):
		return finish(readCloudFormation(file, root, opts.Parameters))
	}
	return nil, fmt.Errorf("%s: %w", file, ErrNotIaC)
}

// parse parses JSON with our located parser and anything else as YAML.
func parse(file string, data []byte) (*node, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return parseJSON(file, data[len(data)-len(trimmed):])
	}
	return parseYAML(file, data)
}

// Recognized reports whether data looks like an input Read accepts,
// without parsing it: cheap enough to route every input by (a scan for a
// few key names).
func Recognized(data []byte) bool {
	head := data
	return bytes.Contains(head, []byte("Resources")) && (bytes.Contains(head, []byte("AWS::")) || bytes.Contains(head, []byte("AWSTemplateFormatVersion"))) ||
		bytes.Contains(head, []byte(`"format_version"`)) && (bytes.Contains(head, []byte(`"planned_values"`)) || bytes.Contains(head, []byte(`"resource_changes"`)) || bytes.Contains(head, []byte(`"terraform_version"`))) ||
		bytes.Contains(head, []byte(`"artifacts"`)) && bytes.Contains(head, []byte("aws:cloudformation:stack"))
}

func isPlan(root *node) bool {
	return root.get("format_version") != nil && (root.get("planned_values") != nil || root.get("resource_changes") != nil || root.get("values") != nil)
}

func isTemplate(root *node) bool {
	r := root.get("Resources")
	return r != nil && r.kind == kMap
}

// finish keeps the rules in document order and merges those that Fn::If
// variants made identical.
func finish(t *Template, err error) (*Template, error) {
	if err != nil {
		return nil, err
	}
	t.Rules = mergeVariants(t.Rules)
	return t, nil
}

// mergeVariants merges rules of one resource that differ only in their
// conditions (an Fn::If in a field that does not change the rule), keeping
// the conditions they share.
func mergeVariants(rules []Rule) []Rule {
	type key struct {
		resource, group, peer, unknown string
		dir                            policy.Direction
		proto                          policy.Protocol
		from, to                       int32
	}
	keyOf := func(r *Rule) key {
		var u strings.Builder
		for _, x := range r.Unknown {
			u.WriteString(x.Field + "\x00" + x.Why + "\x00")
		}
		peer := r.Peer.String()
		if r.Peer.Kind == policy.PeerPrefixList {
			peer += fmt.Sprint(r.Peer.PrefixListEntries)
		}
		return key{r.Resource, r.GroupID, peer, u.String(), r.Direction, r.Protocol, r.FromPort, r.ToPort}
	}
	seen := map[key]int{}
	out := rules[:0]
	for _, r := range rules {
		if len(r.Conditions) == 0 {
			// Only Fn::If variants (which carry conditions) repeat a rule.
			out = append(out, r)
			continue
		}
		k := keyOf(&r)
		if i, ok := seen[k]; ok {
			out[i].Conditions = common(out[i].Conditions, r.Conditions)
			continue
		}
		seen[k] = len(out)
		out = append(out, r)
	}
	return out
}

func common(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// ReadCloudAssembly reads every stack of a cdk.out directory through its
// manifest.json (nested assemblies of stages included). Each stack's
// template keeps its file name relative to dir.
func ReadCloudAssembly(fsys fs.FS, dir string, opts Options) ([]*Template, error) {
	var out []*Template
	if err := readAssembly(fsys, dir, opts, &out, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func readAssembly(fsys fs.FS, dir string, opts Options, out *[]*Template, depth int) error {
	manifest := path.Join(dir, "manifest.json")
	data, err := fs.ReadFile(fsys, manifest)
	if err != nil {
		return fmt.Errorf("read cloud assembly: %w", err)
	}
	if depth > 8 {
		return &SyntaxError{Loc: Location{File: manifest}, Msg: "nested assemblies too deep"}
	}
	root, err := parseJSON(manifest, data)
	if err != nil {
		return err
	}
	arts := root.get("artifacts")
	if arts == nil || arts.kind != kMap {
		return &SyntaxError{Loc: root.loc(manifest), Msg: "manifest has no artifacts object"}
	}
	ids := append([]string(nil), arts.keys...)
	sort.Strings(ids)
	for _, id := range ids {
		a := arts.get(id)
		props := a.get("properties")
		switch a.get("type").text() {
		case "aws:cloudformation:stack":
			tf := props.get("templateFile")
			if tf == nil || tf.kind != kScalar {
				return &SyntaxError{Loc: a.loc(manifest), Msg: "stack " + id + " has no templateFile"}
			}
			file := path.Join(dir, tf.str)
			data, err := fs.ReadFile(fsys, file)
			if err != nil {
				return fmt.Errorf("stack %s: %w", id, err)
			}
			t, err := Read(file, data, opts)
			if err != nil {
				return fmt.Errorf("stack %s: %w", id, err)
			}
			t.Format = FormatCDK
			t.Stack = id
			if sn := props.get("stackName"); sn != nil && sn.kind == kScalar {
				t.Stack = sn.str
			}
			fillPaths(t, a.get("metadata"))
			*out = append(*out, t)
		case "cdk:cloud-assembly":
			sub := props.get("directoryName")
			if sub == nil || sub.kind != kScalar {
				return &SyntaxError{Loc: a.loc(manifest), Msg: "nested assembly " + id + " has no directoryName"}
			}
			if err := readAssembly(fsys, path.Join(dir, sub.str), opts, out, depth+1); err != nil {
				return err
			}
		}
	}
	// Nested stacks (the NestedStack construct) are assets of their parent,
	// not artifacts of the manifest: read their templates too.
	nested, err := fs.Glob(fsys, path.Join(dir, "*.nested.template.json"))
	if err != nil {
		return fmt.Errorf("read cloud assembly: %w", err)
	}
	for _, file := range nested {
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return fmt.Errorf("nested stack %s: %w", file, err)
		}
		t, err := Read(file, data, opts)
		if err != nil {
			return fmt.Errorf("nested stack %s: %w", file, err)
		}
		t.Format = FormatCDK
		t.Stack = strings.TrimSuffix(path.Base(file), ".nested.template.json")
		*out = append(*out, t)
	}
	return nil
}

// fillPaths sets construct paths from the manifest's logical-ID metadata
// where the template itself carries none (path metadata turned off).
func fillPaths(t *Template, md *node) {
	if md == nil || md.kind != kMap {
		return
	}
	byID := map[string]string{}
	for i, p := range md.keys {
		for _, e := range md.vals[i].itemsOrNil() {
			if e.get("type").text() == "aws:cdk:logicalId" {
				byID[e.get("data").text()] = strings.TrimPrefix(p, "/")
			}
		}
	}
	for i := range t.Rules {
		if t.Rules[i].CDKPath == "" {
			t.Rules[i].CDKPath = byID[t.Rules[i].Resource]
		}
	}
}
