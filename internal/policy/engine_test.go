package policy

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/config"
)

func engine(t testing.TB, yaml string) *Engine {
	t.Helper()
	cfg, err := config.Parse("/p/chaperone.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func act(class action.Class, env string) *action.Action {
	return &action.Action{Kind: action.KindSQL, Class: class, Env: env, Text: "x"}
}

func TestBuiltinPolicy(t *testing.T) {
	e := engine(t, "")
	cases := []struct {
		class action.Class
		env   string
		want  action.Verdict
		rule  string
	}{
		{action.ClassRead, "production", action.Allow, "builtin.read"},
		{action.ClassWrite, "staging", action.Allow, "builtin.write"},
		{action.ClassWrite, "production", action.Approve, "builtin.write-protected"},
		{action.ClassWrite, "prod", action.Approve, "builtin.write-protected"},
		{action.ClassDestructive, "staging", action.Approve, "builtin.destructive"},
		{action.ClassCredentialAccess, "staging", action.Deny, "builtin.credential-access"},
		{action.ClassUnknown, "dev", action.Approve, "builtin.unknown"},
		{action.Class("bogus"), "dev", action.Approve, NoMatchRule},
	}
	for _, c := range cases {
		d := e.Decide(act(c.class, c.env))
		if d.Verdict != c.want || d.Rule != c.rule {
			t.Errorf("%s in %s: got %s by %s, want %s by %s", c.class, c.env, d.Verdict, d.Rule, c.want, c.rule)
		}
		if d.Verdict == action.Approve && d.Approvals != 1 {
			t.Errorf("%s: approvals = %d", c.class, d.Approvals)
		}
		if d.Reason == "" {
			t.Errorf("%s: no reason", c.class)
		}
	}
}

func TestProtectedListIsConfigurable(t *testing.T) {
	e := engine(t, "protected: [live]\n")
	if d := e.Decide(act(action.ClassWrite, "production")); d.Verdict != action.Allow {
		t.Fatalf("production no longer protected, got %v", d)
	}
	if d := e.Decide(act(action.ClassWrite, "live")); d.Verdict != action.Approve {
		t.Fatalf("live protected, got %v", d)
	}
}

func TestConfiguredRulesComeFirstAndFirstMatchWins(t *testing.T) {
	e := engine(t, `policy:
  rules:
    - name: two-for-prod-drops
      when: action.class == "destructive" && env.protected
      decision: approve
      approvals: 2
      reason: two people for production
    - name: no-drop-users
      when: action.targets.exists(t, t == "users") && "sql.drop-table" in action.reasons
      decision: deny
    - name: dev-anything
      when: env.name == "dev" && action.text.lowerAscii().startsWith("drop")
      decision: allow
`)
	a := act(action.ClassDestructive, "production")
	if d := e.Decide(a); d.Verdict != action.Approve || d.Approvals != 2 || d.Rule != "two-for-prod-drops" || d.Reason != "two people for production" {
		t.Fatalf("got %+v", d)
	}
	b := &action.Action{Kind: action.KindSQL, Env: "staging", Text: "DROP TABLE users", Targets: []string{"users"}}
	b.AddReason(action.Reason{ID: "sql.drop-table", Class: action.ClassDestructive})
	if d := e.Decide(b); d.Verdict != action.Deny || d.Rule != "no-drop-users" || d.Reason != "policy rule no-drop-users" {
		t.Fatalf("got %+v", d)
	}
	c := &action.Action{Kind: action.KindSQL, Env: "dev", Text: "DROP TABLE t", Class: action.ClassDestructive}
	if d := e.Decide(c); d.Verdict != action.Allow || d.Rule != "dev-anything" {
		t.Fatalf("got %+v", d)
	}
	c.Env = "staging"
	if d := e.Decide(c); d.Rule != "builtin.destructive" {
		t.Fatalf("fell through to %+v", d)
	}
}

func TestTypeErrorsPointAtTheRule(t *testing.T) {
	cases := []struct{ when, want string }{
		{`action.clas == "read"`, "undefined field 'clas'"},
		{`action.class`, "condition must be true or false, but it gives string"},
		{`action.targets.size() == "2"`, "found no matching overload"},
		{`env.protected &&`, "Syntax error"},
	}
	for _, c := range cases {
		text := "protected: [production]\npolicy:\n  rules:\n    - name: r\n      decision: deny\n      when: '" + c.when + "'\n"
		cfg, err := config.Parse("/p/chaperone.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(cfg)
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) != 1 {
			t.Fatalf("%s: want one config error, got %v", c.when, err)
		}
		msg := errs[0].Error()
		if !strings.HasPrefix(msg, `/p/chaperone.yaml:6:7: policy.rules[0].when: rule "r": `) || !strings.Contains(msg, c.want) {
			t.Errorf("%s: error = %q, want position and %q", c.when, msg, c.want)
		}
	}
}

func TestEvaluationErrorsHoldNeverAllow(t *testing.T) {
	e := engine(t, `policy:
  rules:
    - name: first-target-allowed
      when: action.targets[0] == "scratch"
      decision: allow
`)
	d := e.Decide(act(action.ClassRead, "dev")) // no targets: index out of range
	if d.Verdict != action.Approve || d.Rule != "first-target-allowed" || !strings.Contains(d.Reason, "could not be evaluated") {
		t.Fatalf("got %+v", d)
	}
	e = engine(t, `policy:
  rules:
    - name: deny-first
      when: action.targets[0] == "users"
      decision: deny
`)
	if d := e.Decide(act(action.ClassRead, "dev")); d.Verdict != action.Deny {
		t.Fatalf("an erroring deny rule must deny, got %+v", d)
	}
}

func TestBuiltinCanBeDroppedAndNoMatchHolds(t *testing.T) {
	e := engine(t, "policy:\n  builtin: false\n  rules:\n    - {name: reads, when: 'action.class == \"read\"', decision: allow}\n")
	if d := e.Decide(act(action.ClassRead, "x")); d.Verdict != action.Allow {
		t.Fatalf("got %+v", d)
	}
	if d := e.Decide(act(action.ClassCredentialAccess, "x")); d.Verdict != action.Approve || d.Rule != NoMatchRule {
		t.Fatalf("got %+v", d)
	}
}

func TestScopeOnlyTightens(t *testing.T) {
	e := engine(t, "policy:\n  rules:\n    - {name: all-ok, when: 'true', decision: allow}\n")
	cases := []struct {
		scope string
		class action.Class
		want  action.Verdict
		rule  string
	}{
		{"read", action.ClassRead, action.Allow, "all-ok"},
		{"read", action.ClassWrite, action.Deny, "scope.read"},
		{"write", action.ClassWrite, action.Allow, "all-ok"},
		{"write", action.ClassDestructive, action.Deny, "scope.write"},
		{"write", action.ClassUnknown, action.Deny, "scope.write"},
		{"all", action.ClassDestructive, action.Allow, "all-ok"},
	}
	for _, c := range cases {
		a := act(c.class, "staging")
		a.Scope = c.scope
		if d := e.Decide(a); d.Verdict != c.want || d.Rule != c.rule {
			t.Errorf("scope %s, %s: got %s by %s", c.scope, c.class, d.Verdict, d.Rule)
		}
	}
}

// BenchmarkDecide measures one decision through the built-in policy, for the
// worst case that walks every built-in rule (a read) and a configured rule set.
func BenchmarkDecide(b *testing.B) {
	for _, bc := range []struct{ name, yaml string }{
		{"builtin", ""},
		{"configured", `policy:
  rules:
    - {name: a, when: 'action.class == "destructive" && env.protected', decision: approve, approvals: 2}
    - {name: b, when: '"sql.drop-table" in action.reasons && action.targets.exists(t, t == "users")', decision: deny}
`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := engine(b, bc.yaml)
			a := &action.Action{Kind: action.KindSQL, Class: action.ClassRead, Env: "staging", Text: "SELECT 1", Targets: []string{"t"}}
			b.ReportAllocs()
			for b.Loop() {
				if d := e.Decide(a); d.Verdict != action.Allow {
					b.Fatal(d)
				}
			}
		})
	}
}

func TestEnvironmentRuleDeniesTargetsElsewhereAndCanBeOverridden(t *testing.T) {
	e := engine(t, "")
	placed := func(env string, envs ...string) *action.Action {
		a := &action.Action{Kind: action.KindGraphQL, Class: action.ClassDestructive, Env: env, Text: "mutation"}
		for _, p := range envs {
			a.Placements = append(a.Placements, action.Placement{Target: "volume vol_1", Env: p, How: "has an instance in"})
		}
		return a
	}
	for _, c := range []struct {
		name string
		a    *action.Action
		want action.Verdict
		rule string
	}{
		{"elsewhere", placed("staging", "production"), action.Deny, "builtin.environment"},
		{"in two, one elsewhere", placed("staging", "staging", "production"), action.Deny, "builtin.environment"},
		{"here, by another spelling", placed("staging", "Staging"), action.Approve, "builtin.destructive"},
		{"nothing placed", placed("staging"), action.Approve, "builtin.destructive"},
	} {
		if d := e.Decide(c.a); d.Verdict != c.want || d.Rule != c.rule {
			t.Errorf("%s: got %s by %s, want %s by %s", c.name, d.Verdict, d.Rule, c.want, c.rule)
		}
	}
	// An operator can decide otherwise, before the built-in rule.
	o := engine(t, `policy:
  rules:
    - name: review-cross-env
      when: action.placements.exists(p, p.env == "production") && env.name == "staging"
      decision: approve
      approvals: 2
`)
	if d := o.Decide(placed("staging", "production")); d.Verdict != action.Approve || d.Rule != "review-cross-env" || d.Approvals != 2 {
		t.Fatalf("override: %+v", d)
	}
}

func TestPolicyTestCasesCarryPlacements(t *testing.T) {
	path := t.TempDir() + "/cases.yaml"
	if err := os.WriteFile(path, []byte(`cases:
  - name: a staging token deletes a production volume
    action: {kind: graphql, class: destructive, env: staging, placements: [{target: volume vol_1, env: production}]}
    expect: deny
    rule: builtin.environment
  - name: the same volume in staging waits for a human
    action: {kind: graphql, class: destructive, env: staging, placements: [{target: volume vol_1, env: staging}]}
    expect: approve
    rule: builtin.destructive
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases, err := LoadCases(path)
	if err != nil {
		t.Fatal(err)
	}
	if fails := engine(t, "").Run(cases, nil); len(fails) != 0 {
		t.Fatalf("%+v", fails)
	}
}
