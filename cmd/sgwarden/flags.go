package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sgwarden/sgwarden/internal/awsconfig"
	"github.com/sgwarden/sgwarden/internal/cliflag"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// flagSet is a flag.FlagSet with the command's usage text, parsed so that
// flags may follow positional arguments (`check a.json --policy p.yaml`).
type flagSet struct {
	*flag.FlagSet
	name     string
	synopsis string // e.g. "[flags] FILE..."
	about    string // what the command does, a few lines
}

func newFlagSet(name, synopsis, about string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), name: name, synopsis: synopsis, about: about}
	fs.Usage = func() {}
	return fs
}

// printUsage writes the command's help.
func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: sgwarden %s %s\n\n%s\n\nFlags:\n", fs.name, fs.synopsis, strings.TrimSpace(fs.about))
	fs.VisitAll(func(f *flag.Flag) {
		name, help := flag.UnquoteUsage(f)
		if c, ok := f.Value.(*choice); ok {
			name = strings.Join(c.allowed, "|")
		}
		if name != "" {
			name = " " + name
		}
		fmt.Fprintf(w, "  --%s%s\n      %s", f.Name, name, help)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	fmt.Fprint(w, "\nExit codes: 0 ok, 1 findings, 2 usage or input error, 3 AWS or runtime error.\n")
}

// parse parses args and returns the positional arguments. ok is false when
// the command must stop with code (0 after --help, 2 after a bad flag).
func (fs *flagSet) parse(args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	// The flag package's own messages use the single-dash style; parse
	// reports errors itself, in the documented --flag style.
	fs.SetOutput(io.Discard)
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.printUsage(stdout)
			return nil, exitOK, false
		}
		if err != nil {
			return nil, fs.usageError(stderr, "%s", cliflag.Message(err)), false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		// "--" ends the flags: everything after it is positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports a usage problem and returns exitUsage.
func (fs *flagSet) usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "sgwarden %s: %s\nRun 'sgwarden %s --help' for usage.\n", fs.name, fmt.Sprintf(format, args...), fs.name)
	return exitUsage
}

// choice is a flag value limited to a fixed set of words.
type choice struct {
	value   string
	allowed []string
}

func (c *choice) String() string { return c.value }

func (c *choice) Set(s string) error {
	for _, a := range c.allowed {
		if s == a {
			c.value = s
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(c.allowed, ", "))
}

func (fs *flagSet) choice(name, def, help string, allowed ...string) *choice {
	c := &choice{value: def, allowed: allowed}
	fs.Var(c, name, help)
	return c
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// outputFlag registers --output with the given formats, the first being
// the default.
func (fs *flagSet) outputFlag(formats ...string) *choice {
	return fs.choice("output", formats[0], "output format", formats...)
}

// failOn registers --fail-on: the least serious decision that makes the
// command exit 1.
func (fs *flagSet) failOn() *choice {
	return fs.choice("fail-on", "revert", "exit 1 when a finding's decision is at least this", "revert", "alert", "never")
}

// fails reports whether decision d reaches the --fail-on level.
func fails(level string, d policy.Decision) bool {
	switch d {
	case policy.DecisionRevert, policy.DecisionWouldRevert:
		return level == "revert" || level == "alert"
	case policy.DecisionAlert:
		return level == "alert"
	}
	return false
}

// errNoRegion is a usage error: the chain named no region.
var errNoRegion = errors.New("no AWS region: pass --region or set AWS_REGION")

// awsExit is the exit code of an AWS configuration error.
func awsExit(err error) int {
	if errors.Is(err, errNoRegion) {
		return exitUsage
	}
	return exitRuntime
}

// awsFlags are --region and --profile, for the commands that call AWS.
type awsFlags struct {
	region  string
	profile string
}

func (fs *flagSet) awsFlags() *awsFlags {
	a := &awsFlags{}
	fs.StringVar(&a.region, "region", "", "AWS `region` (default: AWS_REGION or the profile's region)")
	fs.StringVar(&a.profile, "profile", "", "shared config `profile` (default: AWS_PROFILE or default)")
	return a
}

// load builds the SDK configuration from the usual AWS chain. Endpoint
// overrides (AWS_ENDPOINT_URL) are honoured by the SDK itself.
func (a *awsFlags) load(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadFor(ctx, a.region, a.profile)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		return aws.Config{}, errNoRegion
	}
	return cfg, nil
}

// atFlag registers --at: the day against which exemption expiry dates are
// judged, so that recorded events reproduce on any day.
type atFlag struct{ day string }

func (fs *flagSet) atFlag() *atFlag {
	a := &atFlag{}
	fs.StringVar(&a.day, "at", "", "judge exemption expiry dates as of this `day`, YYYY-MM-DD (default: today)")
	return a
}

// time returns the day given, or now when none was; ok is false (after a
// usage error on stderr) for a malformed date.
func (a *atFlag) time(fs *flagSet, stderr io.Writer, now time.Time) (t time.Time, code int, ok bool) {
	if a.day == "" {
		return now, exitOK, true
	}
	t, err := time.Parse(time.DateOnly, a.day)
	if err != nil {
		return time.Time{}, fs.usageError(stderr, "--at %q is not a YYYY-MM-DD date", a.day), false
	}
	// Noon UTC: the day is the same in every time zone the expiry dates
	// might be read in.
	return t.Add(12 * time.Hour), exitOK, true
}

// policyFlag registers --policy.
func (fs *flagSet) policyFlag() *string {
	return fs.String("policy", "", "policy YAML `file` (default: the embedded FSBP/CIS baseline)")
}

// loadPolicy returns the engine of path, or the embedded default for "".
func loadPolicy(path string) (*policy.Engine, error) {
	if path == "" {
		return policy.Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return policy.Load(data, path)
}

// readInput reads a file, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// isTerminal reports whether w is a character device (a terminal), which
// is when progress is worth printing.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
