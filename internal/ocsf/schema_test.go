package ocsf_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// schema is the excerpt of the OCSF schema under testdata/ocsf-schema
// (SOURCE.md names its origin).
type schema struct {
	classes map[string]schemaFile // by name
	objects map[string]schemaFile
	types   map[string]string // attribute -> object name
}

type schemaFile struct {
	Name       string `json:"name"`
	UID        int    `json:"uid"`
	Category   int    `json:"category_uid"`
	Extends    string `json:"extends"`
	Attributes map[string]struct {
		Requirement string `json:"requirement"`
	} `json:"attributes"`
	Constraints struct {
		AtLeastOne []string `json:"at_least_one"`
	} `json:"constraints"`
}

func loadSchema(t *testing.T) *schema {
	t.Helper()
	s := &schema{classes: map[string]schemaFile{}, objects: map[string]schemaFile{}}
	read := func(pattern string, into map[string]schemaFile) {
		files, _ := filepath.Glob(filepath.Join("testdata/ocsf-schema", pattern))
		if len(files) == 0 {
			t.Fatalf("no schema files match %s", pattern)
		}
		for _, f := range files {
			var sf schemaFile
			b, err := os.ReadFile(f)
			if err == nil {
				err = json.Unmarshal(b, &sf)
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			into[sf.Name] = sf
		}
	}
	read("events/*.json", s.classes)
	read("events/findings/*.json", s.classes)
	read("objects/*.json", s.objects)
	b, err := os.ReadFile("testdata/ocsf-schema/object_types.json")
	if err == nil {
		err = json.Unmarshal(b, &s.types)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate returns every missing required attribute of doc as class name,
// and the classification errors.
func (s *schema) validate(doc map[string]any, class string) []string {
	var problems []string
	c, ok := s.classes[class]
	if !ok {
		return []string{"unknown class " + class}
	}
	// class_uid = category_uid * 1000 + the class's uid; type_uid =
	// class_uid * 100 + activity_id.
	category := 0
	for x := c; ; x = s.classes[x.Extends] {
		if x.Category != 0 && category == 0 {
			category = x.Category
		}
		if x.Extends == "" {
			break
		}
	}
	wantClass := category*1000 + c.UID
	if num(doc["class_uid"]) != wantClass || num(doc["category_uid"]) != category {
		problems = append(problems, fmt.Sprintf("class_uid %v / category_uid %v, want %d / %d", doc["class_uid"], doc["category_uid"], wantClass, category))
	}
	if num(doc["type_uid"]) != wantClass*100+num(doc["activity_id"]) {
		problems = append(problems, fmt.Sprintf("type_uid %v is not class_uid*100 + activity_id", doc["type_uid"]))
	}
	var chain []schemaFile
	for x := c; ; x = s.classes[x.Extends] {
		chain = append(chain, x)
		if x.Extends == "" {
			break
		}
	}
	return append(problems, s.check(doc, class, chain)...)
}

func (s *schema) check(doc map[string]any, path string, chain []schemaFile) []string {
	var problems []string
	for _, sf := range chain {
		for _, name := range sortedAttrs(sf) {
			if sf.Attributes[name].Requirement == "required" && empty(doc[name]) {
				problems = append(problems, path+"."+name+" is required")
			}
		}
		if al := sf.Constraints.AtLeastOne; len(al) > 0 {
			found := false
			for _, name := range al {
				found = found || !empty(doc[name])
			}
			if !found {
				problems = append(problems, fmt.Sprintf("%s needs at least one of %v", path, al))
			}
		}
	}
	for name, v := range doc {
		obj, ok := s.types[name]
		if !ok {
			continue
		}
		of := []schemaFile{s.objects[obj]}
		switch x := v.(type) {
		case map[string]any:
			problems = append(problems, s.check(x, path+"."+name, of)...)
		case []any:
			for i, el := range x {
				if m, ok := el.(map[string]any); ok {
					problems = append(problems, s.check(m, fmt.Sprintf("%s.%s[%d]", path, name, i), of)...)
				}
			}
		}
	}
	sort.Strings(problems)
	return problems
}

func sortedAttrs(sf schemaFile) []string {
	out := make([]string, 0, len(sf.Attributes))
	for k := range sf.Attributes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}
