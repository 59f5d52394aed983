package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/config"

	_ "modernc.org/sqlite"
)

// result is one in-process run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

func chaperone(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

const upstreams = `upstreams:
  - name: app-staging
    kind: postgres
    env: staging
    dsn: ${CHP_TEST_STAGING_DSN}
  - name: app-prod
    kind: postgres
    env: production
    dsn: ${CHP_TEST_PROD_DSN}
`

// initDir runs `chaperone init` and appends extra YAML to the config.
func initDir(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	r := chaperone(t, "", "init", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("init: %+v", r)
	}
	cfg := filepath.Join(dir, "chaperone.yaml")
	if strings.TrimSpace(r.stdout) != cfg {
		t.Fatalf("init printed %q, want the config path", r.stdout)
	}
	if extra != "" {
		text, _ := os.ReadFile(cfg)
		text = bytes.Replace(text, []byte("upstreams: []\n"), nil, 1)
		if err := os.WriteFile(cfg, append(text, extra...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// prodUpstream is a production upstream whose DSN comes from CHP_E2E_DSN.
const prodUpstream = `upstreams:
  - name: app-prod
    kind: postgres
    env: production
    dsn: ${CHP_E2E_DSN}
`

// setInConfig replaces one line of the written config, as a human editing it
// would; the line must be there.
func setInConfig(t *testing.T, cfg, old, new string) {
	t.Helper()
	text, err := os.ReadFile(cfg)
	if err != nil || !bytes.Contains(text, []byte(old)) {
		t.Fatalf("%s lacks %q (%v)", cfg, old, err)
	}
	if err := os.WriteFile(cfg, bytes.Replace(text, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
}

// setRecipient points backup.recipient at r (empty: none).
func setRecipient(t *testing.T, cfg, r string) {
	t.Helper()
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^  recipient: .*$`)
	if !line.Match(text) {
		t.Fatalf("%s has no recipient line", cfg)
	}
	if err := os.WriteFile(cfg, line.ReplaceAll(text, []byte(`  recipient: "`+r+`"`)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	cfg := initDir(t, "")
	r := chaperone(t, "", "init", "--dir", filepath.Dir(cfg))
	if r.code != exitInput || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("%+v", r)
	}
}

func TestCheckContract(t *testing.T) {
	cfg := initDir(t, upstreams)
	cases := []struct {
		args     []string
		stdin    string
		code     int
		decision string
		class    string
		rule     string
	}{
		{[]string{"--kind", "sql", "--env", "staging", "--", "SELECT 1"}, "", 0, "allow", "read", "builtin.read"},
		{[]string{"--kind", "sql", "--env", "staging", "--", "INSERT INTO t VALUES (1)"}, "", 0, "allow", "write", "builtin.write"},
		{[]string{"--kind", "sql", "--env", "production", "--", "INSERT INTO t VALUES (1)"}, "", 2, "approve", "write", "builtin.write-protected"},
		{[]string{"--kind", "sql", "--upstream", "app-prod", "--", "INSERT INTO t VALUES (1)"}, "", 2, "approve", "write", "builtin.write-protected"},
		{[]string{"--kind", "sql", "--", "DROP", "TABLE", "users"}, "", 2, "approve", "destructive", "builtin.destructive"},
		{[]string{"--", "cat", ".env"}, "", 2, "deny", "credential_access", "builtin.credential-access"},
		{[]string{"--kind", "graphql"}, `mutation { volumeDelete(volumeId: "v") }`, 2, "approve", "destructive", "builtin.destructive"},
		{[]string{"--kind", "shell", "--", "ls -la"}, "", 0, "allow", "read", "builtin.read"},
		{[]string{"--kind", "shell", "--", "curl x | sh"}, "", 2, "approve", "unknown", "builtin.unknown"},
		{[]string{"--kind", "cobol", "--", "x"}, "", 1, "deny", "unknown", "check.error"},
		{[]string{"--kind", "sql", "--upstream", "nope", "--", "SELECT 1"}, "", 1, "deny", "unknown", "check.error"},
		{[]string{"--kind", "sql", "--upstream", "app-prod", "--env", "staging", "--", "SELECT 1"}, "", 1, "deny", "unknown", "check.error"},
		{[]string{"--kind", "sql"}, "  \n", 1, "deny", "unknown", "check.error"},
	}
	for _, c := range cases {
		r := chaperone(t, c.stdin, append([]string{"--config", cfg, "check"}, c.args...)...)
		if r.code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, r.code, c.code, r.stderr)
		}
		if strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("%v: want exactly one line of JSON, got %q", c.args, r.stdout)
			continue
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, []string{"class", "decision", "reason", "reasons", "rule"}) {
			t.Errorf("%v: keys %v", c.args, keys)
		}
		if got["decision"] != c.decision || got["class"] != c.class || got["rule"] != c.rule {
			t.Errorf("%v: got %s", c.args, r.stdout)
		}
		if _, ok := got["reasons"].([]any); !ok {
			t.Errorf("%v: reasons is not a list: %s", c.args, r.stdout)
		}
	}
}

func TestCheckUsesEmbeddedDefaultsWithoutConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("CHAPERONE_CONFIG", "")
	r := chaperone(t, "", "check", "--kind", "sql", "--env", "prod", "--", "UPDATE t SET a = 1 WHERE id = 2")
	if r.code != 2 || !strings.Contains(r.stdout, `"builtin.write-protected"`) {
		t.Fatalf("%+v", r)
	}
	// A named config must exist: no silent fallback.
	r = chaperone(t, "", "--config", "missing.yaml", "check", "--", "ls")
	if r.code != exitInput || !strings.Contains(r.stderr, "config file not found") {
		t.Fatalf("%+v", r)
	}
	t.Setenv("CHAPERONE_CONFIG", "also-missing.yaml")
	if r = chaperone(t, "", "check", "--", "ls"); r.code != exitInput {
		t.Fatalf("$CHAPERONE_CONFIG ignored: %+v", r)
	}
}

func TestInvalidConfigNamesLineAndStartsNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "chaperone.yaml")
	os.WriteFile(cfg, []byte("state:\n  path: s/c.db\npolicy:\n  rules:\n    - name: r\n      when: action.kind == 1\n      decision: deny\n"), 0o600)
	for _, args := range [][]string{{"check", "--", "ls"}, {"token", "list"}, {"serve"}, {"audit", "verify"}} {
		r := chaperone(t, "", append([]string{"--config", cfg}, args...)...)
		if r.code != exitInput || !strings.Contains(r.stderr, cfg+":6:7: policy.rules[0].when:") {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s")); !os.IsNotExist(err) {
		t.Fatal("an invalid config created the state directory")
	}
}

func TestTokenCreatePrintsTokenAloneAndOnlyOnce(t *testing.T) {
	cfg := initDir(t, upstreams)
	r := chaperone(t, "", "--config", cfg, "--log-level", "debug", "token", "create", "--env", "staging", "--upstream", "app-staging", "--name", "ci", "--ttl", "2h", "--scope", "read")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	tok := strings.TrimSuffix(r.stdout, "\n")
	if !strings.HasPrefix(tok, "chp_") || strings.ContainsAny(tok, " \n\t") || len(tok) != 47 {
		t.Fatalf("stdout = %q, want the token alone", r.stdout)
	}
	if strings.Contains(r.stderr, tok[4:]) {
		t.Fatal("the token reached stderr")
	}
	list := chaperone(t, "", "--config", cfg, "token", "list", "--json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(list.stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("list: %v %s", err, list.stdout)
	}
	if rows[0]["scope"] != "read" || rows[0]["status"] != "active" || rows[0]["name"] != "ci" || strings.Contains(list.stdout, tok[4:]) {
		t.Fatalf("list: %s", list.stdout)
	}
	export := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl")
	if strings.Contains(export.stdout, tok[4:]) || !strings.Contains(export.stdout, `"type":"token.created"`) {
		t.Fatalf("export: %s", export.stdout)
	}
	for _, bad := range [][]string{
		{"--env", "staging", "--upstream", "app-prod"},
		{"--env", "staging", "--upstream", "nope"},
		{"--env", "staging", "--upstream", "app-staging", "--scope", "root"},
		{"--upstream", "app-staging"},
		{"--env", "staging", "--upstream", "app-staging", "--ttl", "soon"},
	} {
		r := chaperone(t, "", append([]string{"--config", cfg, "token", "create"}, bad...)...)
		if r.code != exitInput || r.stdout != "" {
			t.Errorf("%v: %+v", bad, r)
		}
	}
	if r := chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "app-prod"); !strings.Contains(r.stderr, "upstream app-prod is production; a token scoped to staging cannot reach it") {
		t.Errorf("cross-environment message: %s", r.stderr)
	}
}

func TestTokenRevokeAndAuditVerify(t *testing.T) {
	cfg := initDir(t, upstreams)
	chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "*")
	var rows []map[string]any
	json.Unmarshal([]byte(chaperone(t, "", "--config", cfg, "token", "list", "--json").stdout), &rows)
	id := rows[0]["id"].(string)
	if r := chaperone(t, "", "--config", cfg, "token", "revoke", id); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if r := chaperone(t, "", "--config", cfg, "token", "revoke", id); r.code != exitInput || !strings.Contains(r.stderr, "already revoked") {
		t.Fatalf("%+v", r)
	}
	if r := chaperone(t, "", "--config", cfg, "token", "revoke", "tok_000000000000"); r.code != exitInput || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("%+v", r)
	}
	r := chaperone(t, "", "--config", cfg, "audit", "verify")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "audit log intact: 2 entries, head #2 ") {
		t.Fatalf("%+v", r)
	}
	tail := chaperone(t, "", "--config", cfg, "audit", "tail", "-n", "1")
	if strings.Count(tail.stdout, "\n") != 1 || !strings.Contains(tail.stdout, "#2 token.revoked") {
		t.Fatalf("tail: %q", tail.stdout)
	}

	db, err := sql.Open("sqlite", filepath.Join(filepath.Dir(cfg), "state", "chaperone.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit SET data = '{"id":"someone-else"}' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = chaperone(t, "", "--config", cfg, "audit", "verify")
	if r.code != exitInput || !strings.HasPrefix(r.stdout, "audit log BROKEN at entry 2 (edited)") {
		t.Fatalf("%+v", r)
	}
	r = chaperone(t, "", "--config", cfg, "audit", "verify", "--json")
	var v struct {
		OK    bool
		Break struct {
			Seq  int
			Kind string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.OK || v.Break.Seq != 2 || v.Break.Kind != "edited" {
		t.Fatalf("json: %s %v", r.stdout, err)
	}
}

func TestPolicyTest(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "chaperone.yaml")
	os.WriteFile(cfg, []byte(`policy:
  rules:
    - name: two-for-prod
      when: action.class == "destructive" && env.protected
      decision: approve
      approvals: 2
`), 0o600)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`cases:
  - name: prod drop needs two
    action: {kind: sql, text: "DROP TABLE users", env: production}
    expect: approve
    rule: two-for-prod
    approvals: 2
  - name: staging drop needs one
    action: {kind: sql, text: "DROP TABLE users", env: staging}
    expect: approve
    approvals: 1
  - name: secrets denied
    action: {kind: file, class: credential_access}
    expect: deny
`), 0o600)
	if r := chaperone(t, "", "--config", cfg, "policy", "test", good); r.code != 0 || r.stdout != "PASS: 3/3\n" {
		t.Fatalf("%+v", r)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`cases:
  - name: ok
    action: {kind: sql, text: "SELECT 1"}
    expect: allow
  - name: wrong on purpose
    action: {kind: sql, text: "DROP TABLE users", env: production}
    expect: allow
`), 0o600)
	r := chaperone(t, "", "--config", cfg, "policy", "test", bad)
	if r.code != exitInput || !strings.Contains(r.stdout, "FAIL "+bad+":5: wrong on purpose: expected allow, got approve (rule two-for-prod") || !strings.HasSuffix(r.stdout, "FAIL: 1/2\n") {
		t.Fatalf("%+v", r)
	}
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("cases:\n  - name: x\n    action: {kind: sql, text: a}\n    expct: allow\n"), 0o600)
	if r := chaperone(t, "", "--config", cfg, "policy", "test", typo); r.code != exitInput || !strings.Contains(r.stderr, "line 4: field expct not found") {
		t.Fatalf("%+v", r)
	}
}

func TestUsageErrorsExitOne(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"check", "--bogus-flag"}, {"token", "revoke"}, {"audit", "export", "--format", "csv"}} {
		if r := chaperone(t, "", args...); r.code != exitInput {
			t.Errorf("%v: exit %d (%s)", args, r.code, r.stderr)
		}
	}
}

func TestUnusableStateIsInternalError(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "chaperone.yaml")
	// The state path's parent is a file, so the state cannot be opened.
	os.WriteFile(filepath.Join(dir, "blocker"), nil, 0o600)
	os.WriteFile(cfg, []byte("state:\n  path: blocker/chaperone.db\n"), 0o600)
	if r := chaperone(t, "", "--config", cfg, "token", "list"); r.code != exitInternal {
		t.Fatalf("%+v", r)
	}
}

func TestHookDecidesWithTheRealClassifierAndFailsClosed(t *testing.T) {
	cfg := initDir(t, "")
	in := `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"sudo env X=1 bash -c 'terraform destroy -auto-approve'"}}`
	r := chaperone(t, in, "--config", cfg, "hook", "claude-code")
	if r.code != 0 || !strings.Contains(r.stdout, `"permissionDecision":"ask"`) || !strings.Contains(r.stdout, "iac.destroy") {
		t.Fatalf("%+v", r)
	}
	// Nothing against it: no opinion, so the agent's own prompts stay.
	r = chaperone(t, `{"tool_name":"run_shell_command","tool_input":{"command":"git status"}}`, "--config", cfg, "hook", "gemini")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("%+v", r)
	}
	// A config that does not load denies everything, with the reason.
	bad := filepath.Join(t.TempDir(), "chaperone.yaml")
	os.WriteFile(bad, []byte("policy:\n  rules:\n    - {name: x, when: 'nope(', decision: allow}\n"), 0o600)
	r = chaperone(t, `{"tool_name":"Bash","tool_input":{"command":"ls"}}`, "--config", bad, "hook", "claude-code")
	if r.code != 0 || !strings.Contains(r.stdout, `"permissionDecision":"deny"`) || !strings.Contains(r.stdout, "hook.config") {
		t.Fatalf("%+v", r)
	}
	if r := chaperone(t, "{}", "hook", "vim"); r.code != exitHeld || r.stdout != "" {
		t.Fatalf("unknown agent: %+v", r)
	}
}

func TestInstallAndUninstallInTheProject(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	r := chaperone(t, "", "install", "claude-code")
	settings := filepath.Join(dir, ".claude", "settings.json")
	if r.code != 0 || !strings.Contains(r.stdout, "installed in "+settings) {
		t.Fatalf("%+v", r)
	}
	text, _ := os.ReadFile(settings)
	if !strings.Contains(string(text), " hook claude-code") {
		t.Fatalf("settings: %s", text)
	}
	if r := chaperone(t, "", "install", "claude-code"); r.code != 0 || !strings.Contains(r.stdout, "nothing changed") {
		t.Fatalf("second install: %+v", r)
	}
	if r := chaperone(t, "", "uninstall", "claude-code"); r.code != 0 || !strings.Contains(r.stdout, "removed from") {
		t.Fatalf("uninstall: %+v", r)
	}
	if r := chaperone(t, "", "install", "emacs"); r.code != exitInput {
		t.Fatalf("unknown agent: %+v", r)
	}
	if r := chaperone(t, "", "install", "cursor", "--command", "rm -rf /"); r.code != exitInput {
		t.Fatalf("foreign command accepted: %+v", r)
	}
}

func TestScanExitsNonZeroOnFindings(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("RAILWAY_TOKEN=6f1c2b7e-93aa-4d7e-b2f1-0c9d8e7a6b5c\n"), 0o600)
	r := chaperone(t, "", "scan", dir)
	if r.code != exitHeld || !strings.Contains(r.stdout, ".env:1:") || !strings.Contains(r.stdout, "BROAD") || strings.Contains(r.stdout, "93aa-4d7e") {
		t.Fatalf("%+v", r)
	}
	clean := t.TempDir()
	if r := chaperone(t, "", "scan", clean); r.code != 0 || !strings.HasPrefix(r.stdout, "0 credential(s)") {
		t.Fatalf("%+v", r)
	}
}

func TestServeListenFlagIsCheckedLikeTheConfig(t *testing.T) {
	cfg := initDir(t, "")
	for _, addr := range []string{"8750", "example.com:8750", "127.0.0.1:99999"} {
		r := chaperone(t, "", "--config", cfg, "serve", "--http-listen", addr)
		if r.code != exitInput || !strings.Contains(r.stderr, "--http-listen:") {
			t.Errorf("%s: %+v", addr, r)
		}
	}
}

func TestUpstreamAddSealsListAndRemove(t *testing.T) {
	cfg := initDir(t, "")
	const dsn = "postgres://app:Sup3r-S3cret@db.internal:5432/app"
	r := chaperone(t, "", "--config", cfg, "upstream", "add", "app-prod", "--env", "production", "--dsn", dsn)
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, "Sup3r") || !strings.Contains(r.stdout, "sealed with") {
		t.Fatalf("add: %+v", r)
	}
	r = chaperone(t, "", "--config", cfg, "upstream", "add", "app-staging", "--env", "staging", "--dsn", "${APP_STAGING_DSN}")
	if r.code != 0 || !strings.Contains(r.stdout, "referenced from the environment") {
		t.Fatalf("add ref: %+v", r)
	}
	text, _ := os.ReadFile(cfg)
	if strings.Contains(string(text), "Sup3r") || !strings.Contains(string(text), "sealed:v1:") || !strings.Contains(string(text), "${APP_STAGING_DSN}") {
		t.Fatalf("config:\n%s", text)
	}
	r = chaperone(t, "", "--config", cfg, "upstream", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "sealed in the config") || strings.Contains(r.stdout, "Sup3r") {
		t.Fatalf("list: %+v", r)
	}
	// The sealed DSN opens with the deployment key (what serve does).
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Upstreams[0].Credential(sealOpener(c)); err != nil || got != dsn {
		t.Fatalf("credential %q %v", got, err)
	}
	if r := chaperone(t, "", "--config", cfg, "upstream", "add", "x", "--env", "e", "--dsn", "not a dsn ::"); r.code != exitInput || strings.Contains(r.stderr, "not a dsn") {
		t.Fatalf("bad dsn: %+v", r)
	}
	if r := chaperone(t, "", "--config", cfg, "upstream", "remove", "app-prod"); r.code != 0 {
		t.Fatalf("remove: %+v", r)
	}
	if r := chaperone(t, "", "--config", cfg, "upstream", "remove", "app-prod"); r.code != exitInput {
		t.Fatalf("second remove: %+v", r)
	}
}
