// Package logging builds Chaperone's slog logger. Every string it writes passes
// through Redact, so a credential handed to a log call by mistake is still not
// written.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
)

// New returns a logger writing to w at level ("debug", "info", "warn",
// "error") in format ("text" or "json").
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: redactAttr}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q (want text or json)", format)
}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value.Any().(type) {
	case string:
		a.Value = slog.StringValue(Redact(v))
	case error:
		a.Value = slog.StringValue(Redact(v.Error()))
	}
	return a
}

var (
	tokenRe    = regexp.MustCompile(`chp_[A-Za-z0-9_-]{8,}`)
	urlPassRe  = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]+@`)
	kvSecretRe = regexp.MustCompile(`(?i)\b([a-z0-9_]*(?:password|passwd|pwd|secret|token|apikey|api_key|access_key)[a-z0-9_]*)(\s*[=:]\s*)('[^']*'|"[^"]*"|\S+)`)
	bearerRe   = regexp.MustCompile(`(?i)(bearer\s+)\S+`)
	// Well-known provider token shapes, for secrets written without a key:
	// GitHub, GitLab, Slack, AWS access key ids, Stripe, OpenAI/Anthropic.
	knownTokenRe = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|[rs]k_live_[A-Za-z0-9]{16,}|sk-[A-Za-z0-9_-]{20,})`)
)

// Redact removes agent tokens, passwords in URLs, key=value secrets (API_TOKEN=...
// included) and well-known provider tokens from s.
func Redact(s string) string {
	s = tokenRe.ReplaceAllString(s, "chp_[redacted]")
	s = urlPassRe.ReplaceAllString(s, "${1}[redacted]@")
	s = kvSecretRe.ReplaceAllString(s, "${1}${2}[redacted]")
	s = knownTokenRe.ReplaceAllString(s, "[redacted]")
	return bearerRe.ReplaceAllString(s, "${1}[redacted]")
}
