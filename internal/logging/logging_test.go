package logging

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSecretsNeverReachTheLog(t *testing.T) {
	secrets := []string{"chp_AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK", "hunter2xyz", "s3cr3t-pw", "rw_apitoken_1234"}
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log, err := New(&buf, "debug", format)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("connecting with token "+secrets[0], "dsn", "postgres://app:"+secrets[1]+"@db:5432/app")
		log.Debug("retry", "err", errors.New("auth failed: password="+secrets[2]))
		log.Warn("upstream", "header", "Authorization: Bearer "+secrets[3])
		log.WithGroup("g").Info("nested", "conn", "host=db password='"+secrets[2]+"' user=app")
		out := buf.String()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s log contains %q:\n%s", format, s, out)
			}
		}
		if !strings.Contains(out, "postgres://app:[redacted]@db:5432/app") || !strings.Contains(out, "chp_[redacted]") {
			t.Errorf("%s log lost the non-secret context:\n%s", format, out)
		}
	}
}

func TestRedactCompoundKeysAndKnownTokens(t *testing.T) {
	for in, want := range map[string]string{
		"export API_TOKEN=abc123def && deploy":                 "export API_TOKEN=[redacted] && deploy",
		"RAILWAY_API_TOKEN: 'x y z'":                           "RAILWAY_API_TOKEN: [redacted]",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG":          "AWS_SECRET_ACCESS_KEY=[redacted]",
		"curl -H x ghp_abcdefghijklmnopqrstuvwxyz0123456789 y": "curl -H x [redacted] y",
		"id AKIAIOSFODNN7EXAMPLE done":                         "id [redacted] done",
		"git status && npm test":                               "git status && npm test",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBadSettings(t *testing.T) {
	if _, err := New(nil, "loud", "text"); err == nil {
		t.Error("bad level accepted")
	}
	if _, err := New(nil, "info", "xml"); err == nil {
		t.Error("bad format accepted")
	}
}
