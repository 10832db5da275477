package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxLogRecord keeps each log record well under CloudWatch Logs' 256 KiB
// event limit.
const maxLogRecord = 200 << 10

// ReportKey is the S3 key of a report: prefix/YYYY/MM/DD/<account>-<time>.json.
func ReportKey(prefix string, r *Report) string {
	t := r.StartedAt.UTC()
	name := fmt.Sprintf("%s-%s.json", r.Account, t.Format("20060102T150405Z"))
	return path.Join(prefix, t.Format("2006/01/02"), name)
}

// store logs the report and writes it to S3 when configured. It returns the
// s3:// location, if stored.
func (a *Auditor) store(ctx context.Context, rep *Report) (string, error) {
	body, err := json.Marshal(rep)
	if err != nil {
		return "", fmt.Errorf("encode report %s: %w", rep.RunID, err)
	}
	a.logReport(ctx, rep, body)
	if a.putter == nil {
		return "", nil
	}
	key := ReportKey(a.prefix, rep)
	_, err = a.putter.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(a.bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentType: aws.String("application/json"),
	})
	if err != nil {
		return "", fmt.Errorf("store report %s in s3://%s/%s: %w", rep.RunID, a.bucket, key, err)
	}
	loc := "s3://" + a.bucket + "/" + key
	a.logger.InfoContext(ctx, "audit report stored", "run_id", rep.RunID, "location", loc)
	return loc, nil
}

// logReport writes the report as one record when it fits, otherwise as a
// record holding everything but the findings and exposures, followed by
// numbered parts that carry them.
func (a *Auditor) logReport(ctx context.Context, rep *Report, body []byte) {
	if len(body) <= maxLogRecord {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report", slog.String("run_id", rep.RunID), slog.Any("report", json.RawMessage(body)))
		return
	}
	head := *rep
	head.Violations, head.Exposures = []Finding{}, []ExposureReport{}
	var parts []map[string]any
	var cur map[string]any
	size := 0
	add := func(field string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			return
		}
		if cur == nil || size+len(b) > maxLogRecord {
			cur = map[string]any{"violations": []json.RawMessage{}, "exposures": []json.RawMessage{}}
			parts = append(parts, cur)
			size = 0
		}
		cur[field] = append(cur[field].([]json.RawMessage), b)
		size += len(b) + 1
	}
	for i := range rep.Violations {
		add("violations", &rep.Violations[i])
	}
	for i := range rep.Exposures {
		add("exposures", &rep.Exposures[i])
	}
	a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report", slog.String("run_id", rep.RunID),
		slog.Any("report", &head), slog.Int("parts", len(parts)))
	for i, p := range parts {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report part", slog.String("run_id", rep.RunID),
			slog.Int("part", i+1), slog.Int("parts", len(parts)),
			slog.Any("violations", p["violations"]), slog.Any("exposures", p["exposures"]))
	}
}
