package lambdarie

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestBuild is a set of Lambda bootstraps and the RIE, built once per test
// binary into a temporary directory. RunTests builds it before m.Run,
// where the go test -timeout alarm starts, so that a slow build on a
// loaded machine never fails a test.
type TestBuild struct {
	bootstraps map[string]string // file name -> package, relative to the test's directory
	once       sync.Once
	dir        string
	err        error
}

// NewTestBuild describes the bootstraps to build (file name -> package);
// the RIE is built beside them as "aws-lambda-rie".
func NewTestBuild(bootstraps map[string]string) *TestBuild {
	return &TestBuild{bootstraps: bootstraps}
}

// Dir builds on the first call and returns the directory holding the
// binaries, or the build error.
func (b *TestBuild) Dir() (string, error) {
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "sgwarden-e2e-")
		if b.err != nil {
			return
		}
		ctx := context.Background()
		for name, pkg := range b.bootstraps {
			if b.err = BuildBootstrap(ctx, ".", filepath.Join(b.dir, name), pkg); b.err != nil {
				return
			}
		}
		b.err = BuildRIE(ctx, ".", filepath.Join(b.dir, "aws-lambda-rie"))
	})
	return b.dir, b.err
}

// RunTests is a TestMain body: it builds b (unless -short) outside every
// test deadline, runs the tests and removes the binaries. A build error is
// reported by the tests that call Dir.
func RunTests(m *testing.M, b *TestBuild) int {
	flag.Parse()
	if !testing.Short() {
		_, _ = b.Dir()
	}
	code := m.Run()
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
	return code
}
