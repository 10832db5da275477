package lambdaenv

import (
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// EnvLogLevel is Lambda's own log-level variable (advanced logging
// controls): DEBUG, INFO, WARN or ERROR; unset or anything else is INFO.
const EnvLogLevel = "AWS_LAMBDA_LOG_LEVEL"

// NewLogger returns the functions' logger: slog JSON on w with Lambda's
// key names (timestamp, message), whatever the function's log format, so
// that every record carries the fixed keys as JSON.
func NewLogger(w io.Writer, getenv func(string) string) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToUpper(strings.TrimSpace(getenv(EnvLogLevel))) {
	case "TRACE", "DEBUG":
		level = slog.LevelDebug
	case "WARN":
		level = slog.LevelWarn
	case "ERROR", "FATAL":
		level = slog.LevelError
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: lambdacontext.ReplaceAttr}))
}
