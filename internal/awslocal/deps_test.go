package awslocal_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/sgwarden/sgwarden"

// TestLambdaBinariesDoNotImportAwslocal follows the imports of every
// package under functions/ through the module (test files excluded, every
// build tag included) and fails if any path reaches internal/awslocal.
func TestLambdaBinariesDoNotImportAwslocal(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	var mains []string
	err = filepath.WalkDir(filepath.Join(root, "functions"), func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			mains = append(mains, modulePath+"/"+filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator))))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// via records how each package was reached, to name the import chain.
	via := map[string]string{}
	queue := append([]string(nil), mains...)
	for _, m := range mains {
		via[m] = ""
	}
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		if pkg == modulePath+"/internal/awslocal" {
			chain := []string{pkg}
			for p := via[pkg]; p != ""; p = via[p] {
				chain = append([]string{p}, chain...)
			}
			t.Fatalf("a Lambda binary imports awslocal: %s", strings.Join(chain, " -> "))
		}
		for _, imp := range moduleImports(t, root, pkg) {
			if _, seen := via[imp]; !seen {
				via[imp] = pkg
				queue = append(queue, imp)
			}
		}
	}
	if len(via) < len(mains)+1 {
		t.Fatalf("followed %d packages from %v; the walk found no module imports, so it proves nothing", len(via), mains)
	}
}

// moduleImports returns the imports of pkg that belong to this module.
func moduleImports(t *testing.T, root, pkg string) []string {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(pkg, modulePath)))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if p == modulePath || strings.HasPrefix(p, modulePath+"/") {
				out = append(out, p)
			}
		}
	}
	return out
}
