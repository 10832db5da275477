package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// schemaURL is the $id of policy.schema.json.
const schemaURL = "https://github.com/sgwarden/sgwarden/internal/policy/policy.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("policy.schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		t.Fatalf("compile policy.schema.json: %v", err)
	}
	return sch
}

// yamlValue turns a policy file into the JSON value an editor's YAML
// language server checks against the schema: scalars keep their YAML type,
// and an unquoted date stays a string.
func yamlValue(t *testing.T, data []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var conv func(n *yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.DocumentNode:
			return conv(n.Content[0])
		case yaml.AliasNode:
			return conv(n.Alias)
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			l := []any{}
			for _, c := range n.Content {
				l = append(l, conv(c))
			}
			return l
		}
		switch n.Tag {
		case "!!int", "!!float":
			return json.Number(n.Value)
		case "!!bool":
			return n.Value == "true"
		case "!!null":
			return nil
		}
		return n.Value
	}
	v := conv(&doc)
	// Round trip through JSON, as the validator expects decoded JSON.
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The schema accepts every policy the loader accepts in this repository:
// the default policy, the test policies and the documented example.
func TestSchemaAcceptsValidPolicies(t *testing.T) {
	sch := compileSchema(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "decisions", "*", "policy.yaml"))
	files = append(files, filepath.Join("..", "..", "docs", "examples", "policy.yaml"))
	inputs := map[string][]byte{"default.yaml": policy.DefaultYAML()}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = data
	}
	if len(inputs) < 3 {
		t.Fatalf("only %d policies found", len(inputs))
	}
	for name, data := range inputs {
		if _, err := policy.Load(data, name); err != nil {
			t.Errorf("%s does not load: %v", name, err)
			continue
		}
		if err := sch.Validate(yamlValue(t, data)); err != nil {
			t.Errorf("schema rejects %s, which the loader accepts: %v", name, err)
		}
	}
}

// The schema rejects what an editor should flag.
func TestSchemaRejectsMistakes(t *testing.T) {
	sch := compileSchema(t)
	bad, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "bad-policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"bad-policy.yaml":       string(bad),
		"misspelt key":          "version: 1\ncheks: []\n",
		"exemption no reason":   "version: 1\nexemptions:\n  - {id: x, groupIds: [sg-1]}\n",
		"exemption two matches": "version: 1\nexemptions:\n  - {id: x, reason: r, groupIds: [sg-1], actorArn: \"arn:aws:iam::*:role/X\"}\n",
		"unknown peer":          "version: 1\nchecks:\n  - {id: a, severity: low, action: alert, peer: galaxy}\n",
		"ports and portsExcept": "version: 1\nchecks:\n  - {id: a, severity: low, action: alert, ports: [1], portsExcept: [2]}\n",
		"trusted not a list ID": "version: 1\ntrusted: {prefixLists: [vpn]}\n",
		"missing version":       "mode: enforce\n",
		"port out of range":     "version: 1\nchecks:\n  - {id: a, severity: low, action: alert, ports: [70000]}\n",
		"expires not a date":    "version: 1\nexemptions:\n  - {id: x, reason: r, groupIds: [sg-1], expires: next-week}\n",
	} {
		if err := sch.Validate(yamlValue(t, []byte(src))); err == nil {
			t.Errorf("schema accepts %s", name)
		}
	}
}

// Every top-level key the loader knows is in the schema, so a key added to
// the loader cannot be flagged as a typo by editors.
func TestSchemaKnowsEveryTopLevelKey(t *testing.T) {
	sch := compileSchema(t)
	for _, src := range []string{
		"version: 1\nmode: dry-run\nbase: default\ndescription: d\nownerTag: team\nstackManaged: alert\ntrusted: {cidrs: [81.2.69.0/24]}\nchecks: []\nexemptions: []\n",
	} {
		if _, err := policy.Load([]byte(src), "all-keys.yaml"); err != nil {
			t.Fatalf("the loader rejects its own keys: %v", err)
		}
		if err := sch.Validate(yamlValue(t, []byte(src))); err != nil {
			t.Errorf("schema rejects a key the loader accepts: %v", err)
		}
	}
}
