package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// TestGoldenReports runs the audit of testdata/account.yaml through the real
// SDK and compares the report, the summary published to SNS (both
// renderings) and the CLI renderings with testdata/golden.
func TestGoldenReports(t *testing.T) {
	// A spooled run (exposures on disk) gives the same documents.
	cases := []struct {
		name, golden string
		mode         policy.Mode
		spool        bool
	}{
		{"enforce", "enforce", policy.ModeEnforce, false},
		{"dry-run", "dry-run", policy.ModeDryRun, false},
		{"enforce-spooled", "enforce", policy.ModeEnforce, true},
		{"dry-run-spooled", "dry-run", policy.ModeDryRun, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := startFixture(t)
			acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
			pub, arn := publisher(t, srv, "us-east-1")
			opts := []audit.Option{audit.WithMode(tc.mode), audit.WithPublisher(pub, arn)}
			if tc.spool {
				opts = append(opts, audit.WithExposureSpool(t.TempDir()))
			}
			rep, err := acct.auditor(nil, opts...).Run(ctx)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			defer rep.Close()
			if tc.spool && (len(rep.Exposures) != 0 || rep.Counts.ExposedNetworkInterfaces == 0) {
				t.Fatalf("spooled run holds %d exposures in memory and counts %d, want 0 and more than 0", len(rep.Exposures), rep.Counts.ExposedNetworkInterfaces)
			}
			var js bytes.Buffer
			if err := rep.Render(&js, audit.FormatJSON); err != nil {
				t.Fatalf("Render(json): %v", err)
			}
			if !tc.spool {
				golden(t, "report-"+tc.golden+".json", indentJSON(t, rep))
			}
			golden(t, "report-"+tc.golden+".json", js.Bytes())

			msgs := srv.SNSMessages()
			if len(msgs) != 1 {
				t.Fatalf("published %d messages, want 1", len(msgs))
			}
			var byProto map[string]string
			if err := json.Unmarshal([]byte(msgs[0].Message), &byProto); err != nil {
				t.Fatalf("message is not a MessageStructure=json document: %v", err)
			}
			var sum audit.Summary
			if err := json.Unmarshal([]byte(msgs[0].DefaultMessage()), &sum); err != nil {
				t.Fatalf("default message: %v", err)
			}
			golden(t, "summary-"+tc.golden+".json", indentJSON(t, &sum))
			golden(t, "summary-"+tc.golden+".txt", []byte("Subject: "+msgs[0].Subject+"\n\n"+byProto["email"]))

			for _, f := range []string{audit.FormatTable, audit.FormatMarkdown} {
				var b bytes.Buffer
				if err := rep.Render(&b, f); err != nil {
					t.Fatalf("Render(%s): %v", f, err)
				}
				golden(t, "render-"+tc.golden+"."+f, b.Bytes())
			}
		})
	}
}

// TestGoldenReportIsStable runs the same audit twice on two fresh servers:
// the reports must be byte-identical (no map order, goroutine or ID
// randomness leaks into them).
func TestGoldenReportIsStable(t *testing.T) {
	var out [2][]byte
	for i := range out {
		srv := startFixture(t)
		acct := newAccount(t, regionServer{"us-east-1": srv}, []string{"us-east-1"}, 3)
		rep, err := acct.auditor(nil, audit.WithMode(policy.ModeDryRun)).Run(context.Background())
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		out[i] = indentJSON(t, rep)
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Errorf("two runs over the same account differ:\n%s", diffLines(string(out[0]), string(out[1])))
	}
}
