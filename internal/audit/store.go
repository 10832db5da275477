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

// store writes the report to S3 when configured, then logs it. It returns
// the s3:// location, if stored. The full JSON body exists only while it is
// uploaded; the log is written piece by piece, so a large report is never
// held twice.
func (a *Auditor) store(ctx context.Context, rep *Report) (string, error) {
	var loc string
	var err error
	if a.putter != nil {
		loc, err = a.put(ctx, rep)
	}
	a.logReport(ctx, rep)
	return loc, err
}

func (a *Auditor) put(ctx context.Context, rep *Report) (string, error) {
	body, err := json.Marshal(rep)
	if err != nil {
		return "", fmt.Errorf("encode report %s: %w", rep.RunID, err)
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
// record holding everything but the findings and exposures (with the number
// of parts), followed by numbered parts that carry them, each under
// maxLogRecord. Items are encoded twice (once to size the parts, once to
// log them) rather than held, so a large report is never held twice.
func (a *Auditor) logReport(ctx context.Context, rep *Report) {
	if !a.logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	n := len(rep.Violations) + len(rep.Exposures)
	item := func(i int) []byte {
		var b []byte
		if i < len(rep.Violations) {
			b, _ = json.Marshal(&rep.Violations[i])
		} else {
			b, _ = json.Marshal(&rep.Exposures[i-len(rep.Violations)])
		}
		return b
	}
	// partBreaks[k] is the index of the first item of part k+1.
	var partBreaks []int
	size, cur := 0, 0
	for i := range n {
		l := len(item(i)) + 1
		if cur > 0 && cur+l > maxLogRecord {
			partBreaks = append(partBreaks, i)
			cur = 0
		}
		cur += l
		size += l
	}
	if size <= maxLogRecord {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report", slog.String("run_id", rep.RunID), slog.Any("report", rep))
		return
	}
	parts := len(partBreaks) + 1
	head := *rep
	head.Violations, head.Exposures = []Finding{}, []ExposureReport{}
	a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report", slog.String("run_id", rep.RunID),
		slog.Any("report", &head), slog.Int("parts", parts))
	start := 0
	for p := range parts {
		end := n
		if p < len(partBreaks) {
			end = partBreaks[p]
		}
		vs, es := []json.RawMessage{}, []json.RawMessage{}
		for i := start; i < end; i++ {
			if i < len(rep.Violations) {
				vs = append(vs, item(i))
			} else {
				es = append(es, item(i))
			}
		}
		a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report part", slog.String("run_id", rep.RunID),
			slog.Int("part", p+1), slog.Int("parts", parts),
			slog.Any("violations", vs), slog.Any("exposures", es))
		start = end
	}
}
