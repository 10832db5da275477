package orgaudit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Store keeps a run's plan, parts and report under keys such as
// runs/<runId>/parts/<account>-<region>.json.
type Store interface {
	// Put stores size bytes of body (read from its start).
	Put(ctx context.Context, key string, body io.ReadSeeker, size int64, contentType string) error
	// Get returns an error wrapping ErrNotFound for a missing key.
	Get(ctx context.Context, key string) ([]byte, error)
	// Where names a key for people, e.g. s3://bucket/key.
	Where(key string) string
}

// ErrNotFound says a key holds nothing.
var ErrNotFound = errors.New("not found")

// Keys of a run.
func runPrefix(runID string) string { return "runs/" + runID + "/" }

// PlanKey is where the list step stores the plan.
func PlanKey(runID string) string { return runPrefix(runID) + "plan.json" }

// PartKey is where the audit step stores one account and region.
func PartKey(runID string, it Item) string {
	return runPrefix(runID) + "parts/" + it.Account + "-" + it.Region + ".json"
}

// SummaryKey is where the audit step stores the summary of a part, which
// the report step reads.
func SummaryKey(runID string, it Item) string {
	return runPrefix(runID) + "summaries/" + it.Account + "-" + it.Region + ".json"
}

// ReportKey and MarkdownKey are where the report step stores the report.
func ReportKey(runID string) string   { return runPrefix(runID) + "report.json" }
func MarkdownKey(runID string) string { return runPrefix(runID) + "report.md" }

// S3API is the part of S3 the store uses; *s3.Client satisfies it.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Store stores a run in a bucket.
type S3Store struct {
	Client S3API
	Bucket string
}

// Put writes one object.
func (s S3Store) Put(ctx context.Context, key string, body io.ReadSeeker, size int64, contentType string) error {
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(key), Body: body,
		ContentLength: aws.Int64(size), ContentType: aws.String(contentType),
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", s.Where(key), err)
	}
	return nil
}

// Get reads one object.
func (s S3Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		var nk *s3types.NoSuchKey
		if errors.As(err, &nk) {
			return nil, fmt.Errorf("read %s: %w", s.Where(key), ErrNotFound)
		}
		return nil, fmt.Errorf("read %s: %w", s.Where(key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Where(key), err)
	}
	return b, nil
}

// Where returns s3://bucket/key.
func (s S3Store) Where(key string) string { return "s3://" + s.Bucket + "/" + key }

// DirStore stores a run under a local directory (the CLI's --out).
type DirStore struct{ Dir string }

func (d DirStore) path(key string) (string, error) {
	clean := path.Clean(key)
	if clean != key || strings.HasPrefix(clean, "../") || path.IsAbs(clean) || slices.Contains(strings.Split(clean, "/"), "..") {
		return "", fmt.Errorf("key %q is not a clean relative path", key)
	}
	return filepath.Join(d.Dir, filepath.FromSlash(clean)), nil
}

// Put writes one file, making its directories.
func (d DirStore) Put(_ context.Context, key string, body io.ReadSeeker, _ int64, _ string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if _, err := io.Copy(f, body); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// Get reads one file.
func (d DirStore) Get(_ context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", p, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// Where returns the file's path.
func (d DirStore) Where(key string) string {
	p, err := d.path(key)
	if err != nil {
		return key
	}
	return p
}
