// Command sgwarden is the command-line side of sgwarden: validate a policy,
// check rules or recorded events against it offline (for CI), replay events
// through the real remediate handler, audit an account or a saved dump, and
// diagnose a deployment.
//
//	sgwarden validate POLICY
//	sgwarden check [--policy P] FILE...
//	sgwarden replay [--mode enforce] EVENT...
//	sgwarden audit [--input FILE...]
//	sgwarden doctor
//
// Exit codes: 0 ok, 1 findings (something is or would be reverted),
// 2 usage or input error, 3 AWS or runtime error. docs/cli.md has the
// details.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/sgwarden/sgwarden/internal/doctor"
	"github.com/sgwarden/sgwarden/internal/version"
)

// Exit codes, the same for every command (docs/cli.md).
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
	exitRuntime  = 3
)

// commandFunc is the shape of every subcommand, so that tests call them
// directly with their own writers.
type commandFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) int

type command struct {
	name    string
	summary string
	run     commandFunc
}

// commands is the dispatch table, in the order `sgwarden --help` lists them.
var commands = []command{
	{"validate", "check a policy file and list its checks", cmdValidate},
	{"check", "judge rules or recorded events against a policy, offline (for CI)", cmdCheck},
	{"replay", "run recorded events through the real remediate handler", cmdReplay},
	{"audit", "scan an account (or a saved dump) against a policy", cmdAudit},
	{"doctor", "diagnose a deployed sgwarden on a live account", doctor.Command},
	{"version", "print the version of this build", cmdVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-version", "--version":
		return cmdVersion(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	if strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "sgwarden: unknown flag %s (flags follow the command: sgwarden <command> [flags])\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	fmt.Fprintf(stderr, "sgwarden: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// cmdVersion prints the version of this build, the one that alerts, audit
// reports and the user agent of AWS calls carry.
func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "[flags]", "Print the version of this build of sgwarden.")
	output := fs.outputFlag("table", "json")
	pos, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fs.usageError(stderr, "unexpected argument %q", pos[0])
	}
	var err error
	if output.value == "json" {
		err = writeJSON(stdout, map[string]string{"version": version.String(), "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH})
	} else {
		_, err = fmt.Fprintf(stdout, "sgwarden %s (%s %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	if err != nil {
		return writeFailed(stderr, "version", err)
	}
	return exitOK
}

func usage(w io.Writer) {
	fmt.Fprint(w, `sgwarden keeps EC2 security groups inside a written policy.

Usage:
  sgwarden <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'sgwarden <command> --help' for a command's flags, 'sgwarden --version'
for the version.

Exit codes:
  0  ok
  1  findings: something is (or would be) reverted
  2  usage or input error
  3  AWS or runtime error
`)
}
