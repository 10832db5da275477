// Command sgwarden-demo (`make demo`) shows sgwarden working with no AWS
// account: it builds the real remediate bootstrap and runs it under the
// AWS Lambda Runtime Interface Emulator, against an in-process emulated
// account seeded from events/account.yaml; it delivers every scenario of
// events/ through the emulator's invoke endpoint, as Lambda would, and
// prints what each one did, the alerts an e-mail subscriber receives, and
// the account's risky rules before and after.
//
// It exits 1 when a scenario's outcome differs from events/expected.json,
// 2 when it cannot run, and leaves nothing running, Ctrl-C included.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/lambdarie"
	"github.com/sgwarden/sgwarden/internal/remediate"
	"github.com/sgwarden/sgwarden/internal/samples"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// invokeFunc delivers one event to the function and returns its response.
// It returns the round trip's duration.
type invokeFunc func(ctx context.Context, payload []byte) ([]byte, time.Duration, error)

func run(ctx context.Context, stdout, stderr io.Writer) int {
	start := time.Now()
	fail := func(err error) int {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "sgwarden demo: interrupted; everything it started is stopped")
			return 130
		}
		fmt.Fprintln(stderr, "sgwarden demo:", err)
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		return fail(err)
	}
	c, err := loadCorpus(filepath.Join(root, "events"))
	if err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp("", "sgwarden-demo-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintf(stdout, "Building the remediate Lambda (linux/%s, as deployed but for this CPU) and the Lambda Runtime Interface Emulator...\n", runtime.GOARCH)
	buildStart := time.Now()
	bins, err := buildBinaries(ctx, root, tmp, func(d time.Duration) {
		fmt.Fprintf(stdout, "  still building (%.0fs; the first run compiles the AWS SDK)...\n", d.Seconds())
	})
	if err != nil {
		return fail(err)
	}

	shifted := c.shiftExpiries(time.Now())
	acct, err := startAccount(c)
	if err != nil {
		return fail(err)
	}
	defer acct.close()

	env, err := functionEnv(c, acct.url())
	if err != nil {
		return fail(err)
	}
	fn, err := lambdarie.Start(ctx, bins.rie, bins.bootstrap, env)
	if err != nil {
		return fail(err)
	}
	defer fn.Stop()
	invoke := fn.Invoke

	fmt.Fprintf(stdout, "Built in %.1fs.\n", time.Since(buildStart).Seconds())
	code, err := show(ctx, c, acct, shifted, invoke, stdout)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "Finished in %.1fs; the function, the emulator and the account are stopped.\n", time.Since(start).Seconds())
	return code
}

// show replays the corpus through invoke and prints the report. It
// returns 1 when an outcome differs from its expectation.
func show(ctx context.Context, c *corpus, acct *account, shifted int, invoke invokeFunc, stdout io.Writer) (int, error) {
	fmt.Fprintf(stdout, "Account %s/%s, emulated in process: %s.\n", c.constants.Account, c.constants.Region, acct.inventory())
	if shifted > 0 {
		fmt.Fprintf(stdout, "The events were recorded on %s: exemption expiry dates in the account are moved %d days on to match.\n",
			c.constants.Now[:10], shifted)
	}
	before, err := acct.riskyRules(ctx)
	if err != nil {
		return 0, err
	}
	scenarios, err := replay(ctx, c, invoke, acct)
	if err != nil {
		return 0, err
	}
	after, err := acct.riskyRules(ctx)
	if err != nil {
		return 0, err
	}
	p := &printer{w: stdout, c: c}
	p.scenarios(scenarios)
	p.latency(scenarios)
	p.alerts(acct.alerts())
	p.beforeAfter(before, after)
	mismatches := 0
	for _, s := range scenarios {
		if len(s.diffs) > 0 {
			mismatches++
		}
	}
	fmt.Fprintf(stdout, "\n%d of %d scenarios as expected (events/expected.json).\n", len(scenarios)-mismatches, len(scenarios))
	if mismatches > 0 {
		fmt.Fprintf(stdout, "%d scenario(s) differ from their expectation: see the lines marked DIFFERS.\n", mismatches)
		return 1, nil
	}
	return 0, nil
}

// scenario is one event of the corpus and what the function did with it.
type scenario struct {
	file   string
	event  *cloudtrail.Event // nil when the event does not decode
	result remediate.Result
	// subject is the alert's subject line, when one was published.
	subject string
	// diffs say how the outcome differs from expected.json.
	diffs []string
	// err is the handler's error message, when it returned one.
	err string
	// eventID is the CloudTrail event ID, read even when the event does
	// not decode, so that its FAILED alert (keyed by it) can be numbered.
	eventID string
	// elapsed is the invoke round trip through the RIE.
	elapsed time.Duration
}

// replay delivers the corpus in order and compares each outcome with its
// expectation.
func replay(ctx context.Context, c *corpus, invoke invokeFunc, acct *account) ([]scenario, error) {
	out := make([]scenario, 0, len(c.files))
	for _, name := range c.files {
		payload, err := os.ReadFile(filepath.Join(c.dir, name))
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		s := scenario{file: name}
		if ev, err := cloudtrail.Decode(payload); err == nil {
			s.event, s.eventID = ev, ev.ID
		} else {
			var raw struct {
				Detail struct{ EventID string } `json:"detail"`
			}
			_ = json.Unmarshal(payload, &raw)
			s.eventID = raw.Detail.EventID
		}
		body, elapsed, err := invoke(ctx, payload)
		s.elapsed = elapsed
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch {
		case errors.Is(err, lambdarie.ErrFunction):
			// The handler returned an error: Lambda would retry the event.
			var fe struct{ ErrorMessage string }
			_ = json.Unmarshal(body, &fe)
			s.err = fe.ErrorMessage
		case err != nil:
			return nil, fmt.Errorf("deliver %s: %w", name, err)
		default:
			if err := json.Unmarshal(body, &s.result); err != nil {
				return nil, fmt.Errorf("%s: the function's response %.200q: %w", name, body, err)
			}
		}
		if s.result.MessageID != "" {
			s.subject = acct.subject(s.result.MessageID)
		}
		want, ok := c.expected[name]
		if !ok {
			s.diffs = append(s.diffs, "no expectation in expected.json")
		} else {
			s.diffs = append(s.diffs, want.Outcome.Diff(outcomeOf(&s))...)
		}
		out = append(out, s)
	}
	return out, nil
}

// outcomeOf puts a result in expected.json's shape.
func outcomeOf(s *scenario) *samples.Outcome {
	r := &s.result
	return &samples.Outcome{
		Action: string(r.Action), Ignored: r.Ignored,
		Revoked: r.Revoked, AlreadyGone: r.AlreadyGone, Kept: r.Kept, Failed: r.Failed,
		RemovedEntries: r.RemovedEntries, Published: r.Published, AWSCalls: r.AWSCalls,
		Subject: s.subject, Error: s.err,
	}
}
