package main

// The commands of README.md and docs/cli.md are run as pasted, so the docs
// cannot drift from the CLI. The rule for which lines run:
//
//   - README.md: every code-block line that runs `bin/sgwarden`.
//   - docs/cli.md: every `$ ` line of a code block (the example sessions).
//     The lines shown under it are its output: each must appear in what the
//     command prints (spacing aside; a line "..." stands for elided lines).
//     A following `$ echo $?` gives the exit code it must return.
//   - A trailing `# exits N` comment gives the exit code; otherwise it is 0.
//   - Skipped, because they need AWS or an endpoint: a whole block that
//     runs the `aws` CLI (its files come from AWS), and `doctor`, `replay`
//     and `audit` without `--input`. Skipped, because they would build or
//     test the whole repository (this test is part of `make test`): `make`
//     lines, whose targets are only checked to exist in the Makefile.
//
// `bin/sgwarden` is this test binary itself (TestMain runs the CLI when
// SGWARDEN_DOCTEST_CLI is set), so no `go build` runs inside a test's
// deadline.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const docTestEnv = "SGWARDEN_DOCTEST_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(docTestEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// docCommand is one command line of a document and what it must do.
type docCommand struct {
	line     int    // 1-based line in the document
	cmd      string // the shell line, continuation lines joined
	wantCode int
	output   []string // lines it must print (docs/cli.md sessions)
	skip     string   // why it is not run
}

var (
	exitsComment = regexp.MustCompile(`#\s*exits (\d)\b`)
	needsAWS     = regexp.MustCompile(`bin/sgwarden (doctor|replay)\b`)
	spaces       = regexp.MustCompile(`\s+`)
)

// docCommands extracts the commands of a Markdown document. sessions is true
// for docs/cli.md's `$ ` form.
func docCommands(doc string, sessions bool) []docCommand {
	var out []docCommand
	var block []string // the current code block's lines
	var start int      // line number of the block's first line
	inBlock := false
	flush := func() {
		out = append(out, blockCommands(block, start, sessions)...)
		block = nil
	}
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			if inBlock {
				flush()
			}
			inBlock, start = !inBlock, n+1
			continue
		}
		if inBlock {
			block = append(block, l)
		}
	}
	return out
}

func blockCommands(block []string, start int, sessions bool) []docCommand {
	awsBlock := false
	for _, l := range block {
		if strings.HasPrefix(strings.TrimPrefix(l, "$ "), "aws ") {
			awsBlock = true
		}
	}
	var out []docCommand
	for i := 0; i < len(block); i++ {
		l := block[i]
		if sessions {
			if !strings.HasPrefix(l, "$ ") {
				continue
			}
			l = strings.TrimPrefix(l, "$ ")
		}
		c := docCommand{line: start + i}
		for strings.HasSuffix(l, `\`) && i+1 < len(block) {
			i++
			l = strings.TrimSuffix(l, `\`) + " " + strings.TrimSpace(strings.TrimPrefix(block[i], "$ "))
		}
		c.cmd = strings.TrimSpace(l)
		if sessions {
			for i+1 < len(block) && !strings.HasPrefix(block[i+1], "$ ") {
				i++
				if s := strings.TrimSpace(block[i]); s != "" && s != "..." {
					c.output = append(c.output, spaces.ReplaceAllString(s, " "))
				}
			}
			if i+2 < len(block) && block[i+1] == "$ echo $?" {
				c.wantCode, _ = strconv.Atoi(strings.TrimSpace(block[i+2]))
				i += 2
			}
		}
		if m := exitsComment.FindStringSubmatch(c.cmd); m != nil {
			c.wantCode, _ = strconv.Atoi(m[1])
		}
		switch {
		case strings.HasPrefix(c.cmd, "make "):
			c.skip = "make target"
		case !strings.Contains(c.cmd, "bin/sgwarden"):
			continue // another program (aws, export, echo ...): not sgwarden's to test
		case awsBlock:
			c.skip = "needs AWS: the block runs the aws CLI"
		case needsAWS.MatchString(c.cmd),
			strings.Contains(c.cmd, "bin/sgwarden audit") && !strings.Contains(c.cmd, "--input"):
			c.skip = "needs AWS or an endpoint"
		}
		out = append(out, c)
	}
	return out
}

// runDocCommand runs c in the repository root with bin/sgwarden being cli,
// and returns what differs from the document.
func runDocCommand(t *testing.T, root, cli string, c docCommand) []string {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -o pipefail; "+strings.Replace(c.cmd, "bin/sgwarden", cli, 1))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), docTestEnv+"=1")
	got, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return []string{fmt.Sprintf("cannot run: %v", err)}
	}
	var problems []string
	if code != c.wantCode {
		problems = append(problems, fmt.Sprintf("exit %d, the document says %d", code, c.wantCode))
	}
	printed := map[string]bool{}
	for l := range strings.SplitSeq(string(got), "\n") {
		printed[spaces.ReplaceAllString(strings.TrimSpace(l), " ")] = true
	}
	for _, want := range c.output {
		if !printed[want] {
			problems = append(problems, fmt.Sprintf("does not print the documented line %q", want))
		}
	}
	if len(problems) > 0 {
		problems = append(problems, "it printed:\n"+string(got))
	}
	return problems
}

// makeTargets lists the targets the Makefile defines.
func makeTargets(t *testing.T, root string) map[string]bool {
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`).FindAllStringSubmatch(string(data), -1) {
		targets[m[1]] = true
	}
	return targets
}

func TestDocCommandsRunAsPasted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI once per documented command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	targets := makeTargets(t, root)
	for _, doc := range []struct {
		path     string
		sessions bool
	}{{"README.md", false}, {"docs/cli.md", true}} {
		data, err := os.ReadFile(filepath.Join(root, doc.path))
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, c := range docCommands(string(data), doc.sessions) {
			name := fmt.Sprintf("%s:%d", doc.path, c.line)
			if c.skip == "make target" {
				target := strings.Fields(c.cmd)[1]
				if !targets[target] {
					t.Errorf("%s: `%s`: the Makefile has no target %q", name, c.cmd, target)
				}
				continue
			}
			if c.skip != "" {
				t.Logf("%s: skipped (%s): %s", name, c.skip, c.cmd)
				continue
			}
			ran++
			for _, p := range runDocCommand(t, root, self, c) {
				t.Errorf("%s: `%s`: %s", name, c.cmd, p)
			}
		}
		if ran == 0 {
			t.Errorf("%s: no command ran; the extraction rule above no longer matches the document", doc.path)
		}
	}
}

// The extraction finds what a document says, and a wrong document fails.
func TestDocCommandsCatchDrift(t *testing.T) {
	doc := "text\n```\n$ bin/sgwarden version --output yaml\nsgwarden 1.0\n$ echo $?\n0\n$ bin/sgwarden doctor\n```\n" +
		"```\nmake nothing-here\nbin/sgwarden check events/*.json   # exits 1\n```\n"
	cs := docCommands(doc, true)
	if len(cs) != 2 || cs[0].cmd != "bin/sgwarden version --output yaml" || len(cs[0].output) != 1 || cs[1].skip == "" {
		t.Fatalf("docCommands(sessions) = %+v", cs)
	}
	root, _ := filepath.Abs("../..")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if p := runDocCommand(t, root, self, cs[0]); len(p) < 2 {
		t.Errorf("a wrong exit code and a missing line were not caught: %q", p)
	}
	plain := docCommands(doc, false)[2:] // the second block
	if len(plain) != 2 || plain[0].skip != "make target" || plain[1].wantCode != 1 {
		t.Fatalf("docCommands(plain) = %+v", plain)
	}
	if p := runDocCommand(t, root, self, plain[1]); len(p) != 0 {
		t.Errorf("check events/*.json: %q", p)
	}
}
