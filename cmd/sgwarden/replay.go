package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// replayed is one event's outcome in replay's JSON output.
type replayed struct {
	Source string            `json:"source"`
	Result *remediate.Result `json:"result,omitempty"`
	Error  string            `json:"error,omitempty"`
}

func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("replay", "[flags] EVENT...", `
Run recorded events through the real remediate handler, in process, against
the account that the AWS credential chain and AWS_ENDPOINT_URL point at
(AWS itself, LocalStack, moto or cmd/awslocal). Each EVENT file holds an
EventBridge event, a CloudTrail record, a CloudTrail log file, lookup-events
output or a JSON array of events; "-" is standard input.

The default mode is dry-run: the handler describes the account and
publishes "would-revert" alerts but revokes nothing. Pass --mode enforce to
revoke. --at fixes the day exemption expiry dates are judged against, so
recorded events reproduce on any day. Exits 1 when something was (or would
be) reverted.`)
	policyPath := fs.policyFlag()
	mode := fs.choice("mode", string(policy.ModeDryRun), "override the policy's mode", string(policy.ModeDryRun), string(policy.ModeEnforce))
	topic := fs.String("topic-arn", os.Getenv(lambdaenv.EnvTopicARN), "SNS topic `ARN` for the alerts (default: $"+lambdaenv.EnvTopicARN+")")
	role := fs.String("role-arn", os.Getenv(lambdaenv.EnvRoleARN), "sgwarden's own role `ARN`, whose events are ignored (default: $"+lambdaenv.EnvRoleARN+")")
	account := fs.String("account", "", "the `ACCOUNT` the credentials act in; events of any other account (or region) fail (default: the account of --role-arn, else of --topic-arn)")
	plAction := fs.choice("prefix-list-action", string(policy.ActionAlert), "what to do with public prefix-list entries", string(policy.ActionAlert), string(policy.ActionRevert))
	output := fs.outputFlag("table", "json")
	failOn := fs.failOn()
	verbose := fs.Bool("verbose", false, "log the handler's JSON records to stderr")
	at := fs.atFlag()
	awsf := fs.awsFlags()
	pos, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	clock := time.Now
	if at.day != "" {
		t, code, ok := at.time(fs, stderr, time.Time{})
		if !ok {
			return code
		}
		clock = func() time.Time { return t }
	}
	if len(pos) == 0 {
		return fs.usageError(stderr, "no EVENT file given")
	}
	if *topic == "" {
		return fs.usageError(stderr, "--topic-arn is required (or set %s)", lambdaenv.EnvTopicARN)
	}
	eng, err := loadPolicy(*policyPath)
	if err != nil {
		fmt.Fprintf(stderr, "sgwarden replay: %v\n", err)
		return exitUsage
	}
	var inputs []input
	for _, name := range pos {
		ins, err := readInputs(name)
		if err != nil {
			fmt.Fprintf(stderr, "sgwarden replay: %v\n", err)
			return exitUsage
		}
		for _, in := range ins {
			if in.skip != "" {
				fmt.Fprintf(stderr, "sgwarden replay: %s: %s\n", in.source, in.skip)
				continue
			}
			if in.event == nil {
				fmt.Fprintf(stderr, "sgwarden replay: %s: a rules document, not an event (use 'sgwarden check')\n", in.source)
				return exitUsage
			}
		}
		for _, in := range ins {
			if in.skip == "" {
				inputs = append(inputs, in)
			}
		}
	}

	cfg, err := awsf.load(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "sgwarden replay: %v\n", err)
		return awsExit(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	if *account == "" {
		*account = cmp.Or(arnAccount(*role), arnAccount(*topic))
	}
	rem, err := remediate.New(remediate.Config{
		Engine:           eng,
		Clients:          remediate.ClientsFrom(awsclients.Local(cfg, *account)),
		SNS:              sns.NewFromConfig(cfg),
		TopicARN:         *topic,
		RoleARN:          *role,
		PrefixListAction: policy.Action(plAction.value),
		Mode:             policy.Mode(mode.value),
		Logger:           logger,
		Now:              clock,
	})
	if err != nil {
		return fs.usageError(stderr, "%v", err)
	}

	out := make([]replayed, 0, len(inputs))
	exit := exitOK
	for _, in := range inputs {
		res, err := rem.Handle(ctx, in.event)
		r := replayed{Source: in.source, Result: &res}
		if err != nil {
			r.Error = err.Error()
			fmt.Fprintf(stderr, "sgwarden replay: %s: %v\n", in.source, err)
			if errors.Is(err, cloudtrail.ErrMalformed) {
				exit = max(exit, exitUsage)
			} else {
				exit = exitRuntime
			}
		} else if exit == exitOK && actionFails(failOn.value, res.Action) {
			exit = exitFindings
		}
		out = append(out, r)
		if ctx.Err() != nil {
			break
		}
	}

	var werr error
	if output.value == "json" {
		werr = writeJSON(stdout, out)
	} else {
		werr = writeReplayTable(stdout, out)
	}
	if werr != nil {
		return writeFailed(stderr, "replay", werr)
	}
	return exit
}

// actionFails maps an alert action to the --fail-on levels.
func actionFails(level string, a notify.Action) bool {
	switch a {
	case notify.ActionReverted, notify.ActionWouldRevert:
		return fails(level, policy.DecisionRevert)
	case notify.ActionAlert:
		return fails(level, policy.DecisionAlert)
	}
	return false
}

func writeReplayTable(w io.Writer, out []replayed) error {
	t := &table{header: []string{"SOURCE", "EVENT", "OUTCOME", "AWS CALLS", "DETAIL"}}
	for _, r := range out {
		res := r.Result
		outcome, detail := string(res.Action), resultDetail(res)
		if r.Error != "" {
			outcome, detail = "error", r.Error
		} else if outcome == "" {
			outcome = "ignored"
		}
		t.add(r.Source, orDash(res.EventName), outcome, fmt.Sprint(res.AWSCalls), detail)
	}
	return t.write(w, false)
}

// resultDetail says what a handled event changed, in a few words.
func resultDetail(res *remediate.Result) string {
	if res.Ignored != "" {
		return res.Ignored
	}
	var parts []string
	for _, p := range []struct {
		word string
		ids  []string
	}{{"revoked", res.Revoked}, {"already gone", res.AlreadyGone}, {"kept", res.Kept}, {"FAILED", res.Failed}, {"removed entries", res.RemovedEntries}} {
		if len(p.ids) > 0 {
			parts = append(parts, p.word+" "+strings.Join(p.ids, ","))
		}
	}
	if res.Published {
		parts = append(parts, "alert published")
	}
	return orDash(strings.Join(parts, "; "))
}

// arnAccount is the account field of an ARN, "" when arn is not one.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
