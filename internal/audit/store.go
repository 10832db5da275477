package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	body, size, done, err := a.encodeReport(rep)
	if err != nil {
		return "", fmt.Errorf("encode report %s: %w", rep.RunID, err)
	}
	defer done()
	key := ReportKey(a.prefix, rep)
	_, err = a.putter.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(a.bucket), Key: aws.String(key),
		Body: body, ContentLength: aws.Int64(size),
		ContentType: aws.String("application/json"),
	})
	if err != nil {
		return "", fmt.Errorf("store report %s in s3://%s/%s: %w", rep.RunID, a.bucket, key, err)
	}
	loc := "s3://" + a.bucket + "/" + key
	a.logger.InfoContext(ctx, "audit report stored", "run_id", rep.RunID, "location", loc)
	return loc, nil
}

// encodeReport returns the report's JSON to upload: in memory, or, when
// the run spools its exposures, in an unlinked temporary file beside them,
// so that the encoded report is never held. done releases it.
func (a *Auditor) encodeReport(rep *Report) (io.ReadSeeker, int64, func(), error) {
	if rep.spool == nil {
		body, err := json.Marshal(rep)
		return bytes.NewReader(body), int64(len(body)), func() {}, err
	}
	f, err := os.CreateTemp(a.spoolDir, "sgwarden-report-*.json")
	if err != nil {
		return nil, 0, nil, err
	}
	_ = os.Remove(f.Name())
	done := func() { _ = f.Close() }
	w := bufio.NewWriterSize(f, 32<<10)
	err = rep.WriteJSON(w)
	if err == nil {
		err = w.Flush()
	}
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		done()
		return nil, 0, nil, err
	}
	return f, size, done, nil
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
	// each calls fn with every finding, then every exposure, encoded.
	each := func(fn func(finding bool, b []byte)) error {
		for i := range rep.Violations {
			b, _ := json.Marshal(&rep.Violations[i])
			fn(true, b)
		}
		return rep.EachExposure(func(e *ExposureReport) error {
			b, _ := json.Marshal(e)
			fn(false, b)
			return nil
		})
	}
	// partBreaks[k] is the index of the first item of part k+1.
	var partBreaks []int
	size, cur, n := 0, 0, 0
	err := each(func(_ bool, b []byte) {
		l := len(b) + 1
		if cur > 0 && cur+l > maxLogRecord {
			partBreaks = append(partBreaks, n)
			cur = 0
		}
		cur += l
		size += l
		n++
	})
	if err != nil {
		a.logger.ErrorContext(ctx, "audit report not logged", "run_id", rep.RunID, "error", err.Error())
		return
	}
	if size <= maxLogRecord {
		var report any = rep
		if rep.spool != nil {
			var b bytes.Buffer
			if err := rep.WriteJSON(&b); err != nil {
				a.logger.ErrorContext(ctx, "audit report not logged", "run_id", rep.RunID, "error", err.Error())
				return
			}
			report = json.RawMessage(b.Bytes())
		}
		a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report", slog.String("run_id", rep.RunID), slog.Any("report", report))
		return
	}
	parts := len(partBreaks) + 1
	head := *rep
	head.Violations, head.Exposures, head.spool = []Finding{}, []ExposureReport{}, nil
	a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report", slog.String("run_id", rep.RunID),
		slog.Any("report", &head), slog.Int("parts", parts))
	vs, es := []json.RawMessage{}, []json.RawMessage{}
	p, i := 0, 0
	flush := func() {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "audit report part", slog.String("run_id", rep.RunID),
			slog.Int("part", p+1), slog.Int("parts", parts),
			slog.Any("violations", vs), slog.Any("exposures", es))
		vs, es = []json.RawMessage{}, []json.RawMessage{}
		p++
	}
	err = each(func(finding bool, b []byte) {
		if p < len(partBreaks) && i == partBreaks[p] {
			flush()
		}
		if finding {
			vs = append(vs, b)
		} else {
			es = append(es, b)
		}
		i++
	})
	if err != nil {
		a.logger.ErrorContext(ctx, "audit report part not logged", "run_id", rep.RunID, "part", p+1, "error", err.Error())
		return
	}
	flush()
}
