package policy

import (
	"fmt"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

func ruleEngine(t *testing.T, when string) *Engine {
	t.Helper()
	return engine(t, "protected: [production]\npolicy:\n  rules:\n    - name: r\n      decision: deny\n      when: '"+when+"'\n")
}

// A rule that reads the text in any way keeps the text in the memo's key;
// one that cannot read it shares decisions across texts.
func TestMemoKeepsTheTextWhereARuleCanReadIt(t *testing.T) {
	for when, reads := range map[string]bool{
		`action.text.contains("secret")`:              true,
		`has(action.text) && action.class == "write"`: true,
		`[action].exists(a, a.text == "secret")`:      true,
		`action == action && action.class == "write"`: true,
		// The global reached past a macro variable of the same name.
		`[{"w": "drop"}].exists(action, .action.text.lowerAscii().contains(action.w))`: true,
		`[1].exists(action, dyn(.action).text.contains("secret"))`:                     true,
		`[1].map(action, .action.text)[0] == "secret"`:                                 true,
		`action.class == "write" && "users" in action.targets`:                         false,
		`env.protected && action.reasons.exists(r, r == "x")`:                          false,
	} {
		e := ruleEngine(t, when)
		if e.readsText != reads || e.forget {
			t.Errorf("%s: readsText = %v (want %v), forget = %v", when, e.readsText, reads, e.forget)
		}
	}
	// A rule whose answer follows map iteration order is never remembered;
	// one over lists is.
	for when, forget := range map[string]bool{
		`{"a":1,"b":2}.map(k, k)[0] == "a"`:                      true,
		`dyn({"a":1}).exists(k, k == "a")`:                       true,
		`action.placements.exists(p, p.env != action.env)`:       false,
		`[1, 2].map(x, x * 2)[0] == 2 && action.class == "read"`: false,
	} {
		if e := ruleEngine(t, when); e.forget != forget {
			t.Errorf("%s: forget = %v, want %v", when, e.forget, forget)
		}
	}
	if e := engine(t, ""); e.readsText || e.forget {
		t.Errorf("the built-in policy: readsText %v, forget %v", e.readsText, e.forget)
	}
	for _, when := range []string{
		`action.text.contains("secret")`,
		`[{"w": "secret"}].exists(action, .action.text.lowerAscii().contains(action.w))`,
	} {
		e := ruleEngine(t, when)
		for i, text := range []string{"SELECT 1", "SELECT 'secret'", "SELECT 2", "SELECT 'secret' AS x"} {
			a := &action.Action{Kind: action.KindSQL, Class: action.ClassRead, Env: "staging", Text: text}
			want := action.Allow
			if i%2 == 1 {
				want = action.Deny
			}
			if d := e.Decide(a); d.Verdict != want {
				t.Errorf("%s, %q: %s by %s, want %s", when, text, d.Verdict, d.Rule, want)
			}
		}
	}
}

// Remembered decisions are the decisions the rules give, for inputs that
// differ in each field the rules see.
func TestMemoAnswersAsTheRulesDo(t *testing.T) {
	e := engine(t, `protected: [production]
policy:
  rules:
    - name: targets
      when: '"users" in action.targets && action.upstream == "a"'
      decision: deny
    - name: placed
      when: action.placements.exists(p, p.env != action.env)
      decision: deny
    - name: mine
      when: action.requester == "tok_1" && action.scope == "all" && action.kind == "sql"
      decision: approve
      approvals: 2
`)
	var inputs []action.Action
	for _, class := range []action.Class{action.ClassRead, action.ClassWrite, action.ClassDestructive} {
		for _, env := range []string{"staging", "production"} {
			for _, up := range []string{"a", "b"} {
				for _, who := range []string{"tok_1", "tok_2"} {
					for _, targets := range [][]string{nil, {"users"}, {"use", "rs"}} {
						for _, placed := range []string{"", "staging", "production"} {
							a := action.Action{Kind: action.KindSQL, Class: class, Env: env, Upstream: up,
								Requester: who, Scope: "all", Targets: targets, Text: fmt.Sprint(len(inputs))}
							if placed != "" {
								a.Placements = []action.Placement{{Target: "users", Env: placed}}
							}
							a.AddReason(action.Reason{ID: "sql." + string(class), Class: class})
							inputs = append(inputs, a)
						}
					}
				}
			}
		}
	}
	for round := range 2 {
		for _, a := range inputs {
			got := e.Decide(&a)
			want := capByScope(e.firstMatch(map[string]any{
				"action": inputOf(&a), "env": &Env{Name: a.Env, Protected: e.protected[a.Env]}}), &a)
			if got != want {
				t.Fatalf("round %d, %+v: memo says %+v, rules say %+v", round, a, got, want)
			}
		}
	}
}
