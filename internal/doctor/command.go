package doctor

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
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sgwarden/sgwarden/internal/awsconfig"
	"github.com/sgwarden/sgwarden/internal/cliflag"
)

// Exit codes of Command.
const (
	ExitPass   = 0 // every check passed (warnings and skips allowed)
	ExitFailed = 1 // at least one check failed
	ExitUsage  = 2 // bad flags or arguments
	ExitNoRun  = 3 // doctor could not run: no configuration, credentials or endpoint
)

const usageText = `Usage: sgwarden doctor [flags]

Checks, on a live account, every link whose absence makes remediation
silently not happen: the trail, the EventBridge rule and its pattern, its
target, the function's invoke permission for the rule, failed invocations,
function errors, the DLQs and the role's revoke permissions. Each failure
comes with its fix. Credentials come from the usual AWS chain;
AWS_ENDPOINT_URL points it at an emulator.

Flags:
  --region REGION     AWS region (default: AWS_REGION or the profile's)
  --profile NAME      shared config profile (default: AWS_PROFILE or default)
  --output table|json output format (default table)
  --stack NAME        the CloudFormation stack (Sgwarden, or Sgwarden-REGION
                      when deployed per region): find its rule and function
  --rule NAME         the EventBridge rule, instead of discovering it
  --function NAME     the remediate function (name or ARN)
  --event-bus NAME    the rule's event bus (default default)
  --window DURATION   how far back to read the metrics (default 24h)

Without --stack, --rule or --function, doctor picks the first rule with an
event pattern whose Lambda target's name contains "sgwarden".

Exit codes: 0 all checks pass, 1 a check failed, 2 usage error,
3 could not run (no region, no credentials, endpoint unreachable).
`

// Command runs `sgwarden doctor` with args (the flags after "doctor") and
// returns the exit code. Progress goes to stderr only when it is a
// terminal.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are worded below, in the --flag style
	fs.Usage = func() {}
	var (
		region   = fs.String("region", "", "")
		profile  = fs.String("profile", "", "")
		output   = fs.String("output", "table", "")
		stack    = fs.String("stack", "", "")
		rule     = fs.String("rule", "", "")
		function = fs.String("function", "", "")
		bus      = fs.String("event-bus", "default", "")
		window   = fs.Duration("window", 24*time.Hour, "")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			return ExitPass
		}
		return usageError(stderr, cliflag.Message(err))
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "unexpected argument "+fs.Arg(0))
	case *output != "table" && *output != "json":
		return usageError(stderr, fmt.Sprintf("--output %q is not table or json", *output))
	case *window < time.Minute:
		return usageError(stderr, "--window must be at least 1m")
	case *stack != "" && (*rule != "" || *function != ""):
		return usageError(stderr, "--stack finds the rule and function itself: do not combine it with --rule or --function")
	}

	cfg, err := awsconfig.LoadFor(ctx, *region, *profile)
	if err != nil {
		return cannotRun(stderr, err)
	}
	if cfg.Region == "" {
		return usageError(stderr, "no AWS region: pass --region or set AWS_REGION")
	}
	// One cheap call that needs no permission proves the credentials and
	// the endpoint before the checklist starts.
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return cannotRun(stderr, fmt.Errorf("check credentials: %w", err))
	}

	dc := Config{Region: cfg.Region, EventBus: *bus, Rule: *rule, Function: *function, Stack: *stack,
		Account: aws.ToString(id.Account), Window: *window}
	if isTerminal(stderr) {
		dc.OnCheck = func(c Check) { fmt.Fprintf(stderr, "checked %-18s %s\n", c.ID, c.Status) }
	}
	rep, err := Run(ctx, NewClients(cfg), dc)
	if err != nil {
		return cannotRun(stderr, err)
	}
	if *output == "json" {
		err = WriteJSON(stdout, rep)
	} else {
		err = WriteTable(stdout, rep)
	}
	if err != nil {
		return cannotRun(stderr, fmt.Errorf("write report: %w", err))
	}
	if rep.Failed() {
		return ExitFailed
	}
	return ExitPass
}

func usageError(stderr io.Writer, msg string) int {
	if msg != "" {
		fmt.Fprintf(stderr, "sgwarden doctor: %s\n", msg)
	}
	fmt.Fprintln(stderr, "Run 'sgwarden doctor --help' for usage.")
	return ExitUsage
}

func cannotRun(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "sgwarden doctor: %s\n", strings.TrimSpace(err.Error()))
	return ExitNoRun
}

// isTerminal reports whether w is a terminal, where progress is useful.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
