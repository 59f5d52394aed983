package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTemplateSpellsOutTheDefaults(t *testing.T) {
	got, err := Parse("/etc/chp/chaperone.yaml", Template())
	if err != nil {
		t.Fatalf("template does not load: %v", err)
	}
	want := Defaults("/etc/chp")
	got.File, got.pos, want.pos = "", nil, nil
	got.Policy.Builtin = nil
	if got.Policy.Rules == nil || len(got.Policy.Rules) != 0 {
		t.Fatalf("template rules = %#v", got.Policy.Rules)
	}
	if got.Approvals.Webhooks == nil || len(got.Approvals.Webhooks) != 0 {
		t.Fatalf("template webhooks = %#v", got.Approvals.Webhooks)
	}
	got.Policy.Rules, got.Upstreams, got.Approvals.Webhooks = nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("template differs from defaults:\n got %+v\nwant %+v", got, want)
	}
	if want.State.Path != "/etc/chp/state/chaperone.db" || want.Backup.Local.Dir != "/etc/chp/backups" {
		t.Fatalf("relative paths not anchored at the config dir: %+v", want)
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	c, err := Parse("/x/chaperone.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.PG != "127.0.0.1:6543" || !c.IsProtected("production") || !c.Policy.UseBuiltin() {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

// wantErrors parses text and checks that each expected fragment appears in
// one error, in order, with its line number.
func wantErrors(t *testing.T, text string, want ...string) {
	t.Helper()
	_, err := Parse("/cfg/chaperone.yaml", []byte(text))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want config errors, got %v", err)
	}
	if len(errs) != len(want) {
		t.Fatalf("want %d errors, got %d:\n%v", len(want), len(errs), err)
	}
	for i, w := range want {
		if !strings.Contains(errs[i].Error(), w) {
			t.Errorf("error %d = %q, want it to contain %q", i, errs[i].Error(), w)
		}
	}
}

func TestUnknownKeysNameLineAndSuggestion(t *testing.T) {
	wantErrors(t, "version: 1\nstate:\n  drvier: sqlite\nlisten:\n  pg: 127.0.0.1:1\n  htp: x\n",
		`/cfg/chaperone.yaml:3:3: state.drvier: unknown key "drvier" (fix: did you mean "driver"?)`,
		`/cfg/chaperone.yaml:6:3: listen.htp: unknown key "htp" (fix: did you mean "http"?)`)
	wantErrors(t, "zzzzzz: 1\n", `:1:1: zzzzzz: unknown key "zzzzzz" (fix: known keys here: approvals, backup, http_gateway, listen, log, pg_gateway, policy, protected, proxy, state, tls, upstreams, version)`)
}

func TestWrongValueKinds(t *testing.T) {
	wantErrors(t, "version: one\nprotected: production\npolicy:\n  builtin: maybe\n",
		`:1:10: version: want a whole number, got "one"`,
		`:2:12: protected: want a list, got "production"`,
		`:4:12: policy.builtin: want true or false, got "maybe"`)
}

func TestYAMLSyntaxErrorHasLine(t *testing.T) {
	wantErrors(t, "version: 1\nstate:\n  path: [unclosed\n", `/cfg/chaperone.yaml:`)
	_, err := Parse("/cfg/chaperone.yaml", []byte("version: 1\nlisten:\n\tpg: x\n"))
	if err == nil || !strings.Contains(err.Error(), ":3:") {
		t.Fatalf("tab error should name line 3: %v", err)
	}
}

func TestRuleValidation(t *testing.T) {
	wantErrors(t, `policy:
  rules:
    - name: a
      when: "true"
      decision: allow
      approvals: 2
    - name: a
      when: ""
      decision: maybe
`,
		`:6:7: policy.rules[0].approvals: approvals only apply to decision: approve`,
		`:7:7: policy.rules[1].name: rule name "a" is already used by rule 0`,
		`:8:7: policy.rules[1].when: rule "a" has no condition`,
		`:9:7: policy.rules[1].decision: unknown decision "maybe" (fix: use allow, approve or deny)`)
}

func TestApprovalsTTLIsADuration(t *testing.T) {
	wantErrors(t, "approvals:\n  ttl: soon\n", `:2:8: approvals.ttl: want a positive duration, got "soon"`)
	cfg, err := Parse("/cfg/chaperone.yaml", []byte("approvals:\n  ttl: 1h30m\ntls:\n  cert: c.pem\n  key: k.pem\n"))
	if err != nil || time.Duration(cfg.Approvals.TTL) != 90*time.Minute || cfg.TLS.Cert != "/cfg/c.pem" {
		t.Fatalf("%+v %v", cfg, err)
	}
	if d, _ := Parse("/cfg/chaperone.yaml", nil); time.Duration(d.Approvals.TTL) != 15*time.Minute {
		t.Fatalf("default ttl %v", d.Approvals.TTL)
	}
}

func TestHookSocketPathMustFitASocket(t *testing.T) {
	long := "run/" + strings.Repeat("d", 100) + "/hook.sock"
	wantErrors(t, "listen:\n  hook: "+long+"\n",
		`:2:3: listen.hook: socket path /cfg/`+long+` is 119 bytes; unix sockets allow 103`)
	cfg, err := Parse("/cfg/chaperone.yaml", []byte("version: 1\n"))
	if err != nil || cfg.Listen.Hook != "/cfg/run/hook.sock" {
		t.Fatalf("default socket: %q %v", cfg.Listen.Hook, err)
	}
}

func TestListenAndUpstreamValidation(t *testing.T) {
	wantErrors(t, `listen:
  pg: localhost
upstreams:
  - name: App
    kind: mysql
  - name: db
    kind: postgres
    env: staging
    dsn: "postgres://u:${PASS@h/db"
`,
		`:2:3: listen.pg: bad listen address "localhost"`,
		`:4:5: upstreams[0].name: bad upstream name "App"`,
		`:4:5: upstreams[0].env: upstream "App" has no environment`,
		`:5:5: upstreams[0].kind: unknown upstream kind "mysql"`,
		`:9:5: upstreams[1].dsn: malformed ${...} reference`)
}

func TestSecretsResolveFromEnvironmentOnly(t *testing.T) {
	t.Setenv("CHP_TEST_PASS", "s3cret")
	s := Secret("postgres://app:${CHP_TEST_PASS}@db/app")
	got, err := s.Resolve()
	if err != nil || got != "postgres://app:s3cret@db/app" {
		t.Fatalf("Resolve = %q, %v", got, err)
	}
	if s.String() != "[secret]" {
		t.Fatalf("a secret printed itself: %s", s.String())
	}
	_, err = Secret("${CHP_TEST_UNSET_VAR}").Resolve()
	if err == nil || !strings.Contains(err.Error(), "CHP_TEST_UNSET_VAR is not set") {
		t.Fatalf("unset variable: %v", err)
	}
	c, err := Parse("/c/chaperone.yaml", []byte("upstreams:\n  - name: db\n    kind: postgres\n    env: staging\n    dsn: ${CHP_TEST_UNSET_VAR}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSecrets(nil); err == nil || !strings.Contains(err.Error(), ":5:5: upstreams[0].dsn: environment variable CHP_TEST_UNSET_VAR is not set") {
		t.Fatalf("CheckSecrets = %v", err)
	}
}

func TestInitWritesOnceWithPrivateDirs(t *testing.T) {
	dir := t.TempDir()
	path, err := Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"state", "backups"} {
		fi, err := os.Stat(filepath.Join(dir, d))
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v", d, fi.Mode(), err)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode %v", fi.Mode())
	}
	if _, err := Init(dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second init: %v", err)
	}
}

func TestLoadMissingFileSaysHowToCreateOne(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "chaperone.yaml"))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "chaperone init --dir") {
		t.Fatalf("Load missing = %v", err)
	}
}

func TestWebhooksAreCheckedAndTheirURLsAreSecrets(t *testing.T) {
	wantErrors(t, "approvals:\n  webhooks:\n    - url: ftp://x\n      format: teams\n    - format: json\n",
		`:4:7: approvals.webhooks[0].format: unknown webhook format "teams" (fix: use json or slack)`,
		`:3:7: approvals.webhooks[0].url: webhook url is not an HTTP URL (fix: use an http:// or https:// URL)`,
		`:5:7: approvals.webhooks[1].url: a webhook needs a url (fix: give the endpoint, or ${VAR} to read it from the environment)`)
	c, err := Parse("/cfg/chaperone.yaml", []byte("approvals:\n  webhooks:\n    - url: ${CHP_TEST_UNSET_HOOK}\n      format: slack\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSecrets(nil); err == nil || !strings.Contains(err.Error(), "CHP_TEST_UNSET_HOOK") {
		t.Fatalf("an unset webhook variable: %v", err)
	}
	if s := fmt.Sprint(c.Approvals.Webhooks[0].URL); strings.Contains(s, "CHP_TEST") {
		t.Fatalf("a webhook URL printed: %s", s)
	}
}

func TestBackupSchedulesAreChecked(t *testing.T) {
	wantErrors(t, "upstreams:\n  - name: db\n    kind: postgres\n    env: staging\n    dsn: ${X}\n    backup_schedule: \"every day\"\n",
		`upstreams[0].backup_schedule: bad schedule`)
	wantErrors(t, "upstreams:\n  - name: db\n    kind: postgres\n    env: staging\n    dsn: ${X}\n    backup_schedule: \"@daily\"\n",
		`upstreams[0].backup_schedule: scheduled backups need backup.recipient`)
	if _, err := Parse("/cfg/chaperone.yaml", []byte("backup:\n  recipient: age1xyz\nupstreams:\n  - name: db\n    kind: postgres\n    env: staging\n    dsn: ${X}\n    backup_schedule: \"0 3 * * *\"\n")); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPMaxBodyIsBounded(t *testing.T) {
	c, err := Parse("/cfg/chaperone.yaml", []byte("version: 1\n"))
	if err != nil || c.HTTP.MaxBody != DefaultHTTPMaxBody {
		t.Fatalf("default: %v %d", err, c.HTTP.MaxBody)
	}
	for _, v := range []string{"10", "99999999"} {
		_, err := Parse("/cfg/chaperone.yaml", []byte("version: 1\nhttp_gateway:\n  max_body: "+v+"\n"))
		if err == nil || !strings.Contains(err.Error(), "chaperone.yaml:3:") || !strings.Contains(err.Error(), "http_gateway.max_body") {
			t.Errorf("max_body %s: %v", v, err)
		}
	}
}
