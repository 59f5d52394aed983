// Package policy turns a classified action into a decision with an ordered list
// of CEL rules: configured ones first, then the built-in default policy.
package policy

import (
	"fmt"
	"reflect"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/memo"
)

// Engine decides. It is immutable after New and safe for concurrent use.
type Engine struct {
	rules     []rule
	protected map[string]bool
	// readsText: some rule may read action.text, so decisions are
	// remembered by text too.
	readsText bool
	// forget: some rule's answer may differ between evaluations of the same
	// input, so nothing is remembered.
	forget bool
	memo   *memo.Map[action.Decision]
}

type rule struct {
	name      string
	prg       cel.Program
	verdict   action.Verdict
	approvals int
	reason    string
	// readsText and orderDependent: see inspect.
	readsText, orderDependent bool
}

// New compiles and type-checks every rule once. Errors point at the rule in
// the config file.
func New(cfg *config.Config) (*Engine, error) {
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("policy: building CEL environment: %w", err)
	}
	e := &Engine{protected: map[string]bool{}, memo: newMemo()}
	for _, p := range cfg.Protected {
		e.protected[p] = true
	}
	var errs config.Errors
	for i, r := range cfg.Policy.Rules {
		cr, err := compile(env, r)
		if err != nil {
			errs = append(errs, cfg.ErrorAt(fmt.Sprintf("policy.rules[%d].when", i),
				"correct the CEL expression; it sees `action` and `env` (see the comments in chaperone.yaml)",
				"rule %q: %v", r.Name, err))
			continue
		}
		e.rules = append(e.rules, cr)
		e.readsText = e.readsText || cr.readsText
		e.forget = e.forget || cr.orderDependent
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if cfg.Policy.UseBuiltin() {
		for _, r := range builtinRules {
			cr, err := compile(env, r)
			if err != nil {
				return nil, fmt.Errorf("policy: built-in rule %s: %w", r.Name, err)
			}
			e.rules = append(e.rules, cr)
			e.readsText = e.readsText || cr.readsText
			e.forget = e.forget || cr.orderDependent
		}
	}
	return e, nil
}

func celEnv() (*cel.Env, error) {
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[Action](), reflect.TypeFor[Env](), reflect.TypeFor[Placement](), ext.ParseStructTags(true)),
		ext.Strings(),
		cel.Variable("action", cel.ObjectType("policy.Action")),
		cel.Variable("env", cel.ObjectType("policy.Env")),
	)
}

func compile(env *cel.Env, r config.Rule) (rule, error) {
	ast, iss := env.Compile(r.When)
	if iss.Err() != nil {
		return rule{}, iss.Err()
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return rule{}, fmt.Errorf("condition must be true or false, but it gives %s", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return rule{}, err
	}
	v, err := action.ParseVerdict(r.Decision)
	if err != nil {
		return rule{}, err
	}
	reason := r.Reason
	if reason == "" {
		reason = fmt.Sprintf("policy rule %s", r.Name)
	}
	approvals := r.Approvals
	if v == action.Approve && approvals < 1 {
		approvals = 1
	}
	readsText, orderDependent := inspect(ast)
	return rule{name: r.Name, prg: prg, verdict: v, approvals: approvals, reason: reason,
		readsText: readsText, orderDependent: orderDependent}, nil
}

// Decide returns the decision for a classified action. It never panics and
// never errs towards allow: a rule that fails to evaluate holds the action.
func (e *Engine) Decide(a *action.Action) (d action.Decision) {
	defer func() {
		if r := recover(); r != nil {
			d = action.Decision{Verdict: action.Deny, Rule: "internal.error",
				Reason: fmt.Sprintf("policy evaluation failed: %v (denied, fail closed)", r)}
		}
	}()
	evaluate := func() action.Decision {
		return e.firstMatch(map[string]any{
			"action": inputOf(a),
			"env":    &Env{Name: a.Env, Protected: e.protected[a.Env]},
		})
	}
	if e.forget {
		return capByScope(evaluate(), a)
	}
	var buf [256]byte
	key := memoKey(buf[:0], a, e.readsText)
	d, ok := e.memo.GetBytes(key)
	if !ok {
		d = evaluate()
		e.memo.Put(string(key), d, 64)
	}
	return capByScope(d, a)
}

func (e *Engine) firstMatch(vars map[string]any) action.Decision {
	for _, r := range e.rules {
		out, _, err := r.prg.Eval(vars)
		if err != nil {
			v := action.Approve
			if r.verdict == action.Deny {
				v = action.Deny
			}
			return action.Decision{Verdict: v, Rule: r.name, Approvals: 1,
				Reason: fmt.Sprintf("rule %s could not be evaluated (%v), so the action is held (fail closed)", r.name, err)}
		}
		if out.Value() == true {
			d := action.Decision{Verdict: r.verdict, Rule: r.name, Reason: r.reason}
			if r.verdict == action.Approve {
				d.Approvals = r.approvals
			}
			return d
		}
	}
	return action.Decision{Verdict: action.Approve, Rule: NoMatchRule, Approvals: 1,
		Reason: "no policy rule matched, so the action is held (fail closed)"}
}

// capByScope applies the token's scope after the rules: a scope can only make
// a decision stricter, never looser. The scope names are token.ScopeRead,
// token.ScopeWrite and token.ScopeAll, written out here because policy does
// not import token.
func capByScope(d action.Decision, a *action.Action) action.Decision {
	var limit action.Class
	switch a.Scope {
	case "read":
		limit = action.ClassRead
	case "write":
		limit = action.ClassWrite
	default:
		return d
	}
	if a.Class.Severity() <= limit.Severity() || d.Verdict == action.Deny {
		return d
	}
	return action.Decision{Verdict: action.Deny, Rule: "scope." + a.Scope,
		Reason: fmt.Sprintf("this token's scope is %q; a %s action is outside it", a.Scope, a.Class)}
}
