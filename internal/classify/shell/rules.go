package shell

import (
	"slices"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
)

// Rule is one entry of a rule pack: when a command matches, it has Class.
// Rules are data, so packs read as a table of what is dangerous and why.
type Rule struct {
	ID     string   // stable id, e.g. "git.reset-hard"
	Sub    []string // subcommand words that must lead the positionals
	Any    []string // at least one of these flags (none required when empty)
	Not    []string // and none of these
	When   func(*call) bool
	Class  action.Class
	Reason string
}

func (r *Rule) matches(c *call) bool {
	if len(r.Sub) > 0 && !c.sub(r.Sub...) {
		return false
	}
	if len(r.Any) > 0 && !c.has(r.Any...) {
		return false
	}
	if len(r.Not) > 0 && c.has(r.Not...) {
		return false
	}
	return r.When == nil || r.When(c)
}

// Pack is the rules for a family of tools, under the commands that run them.
type Pack struct {
	Name     string
	Commands []string
	Rules    []Rule
	// Exclusive packs fully describe their commands: the generic
	// destructive-verb check does not apply to them.
	Exclusive bool
	// Partial packs name a few uses of their commands and describe none
	// otherwise: what the guard does with programs it does not know (paths
	// outside the workspace, statements handed over) still applies.
	Partial bool
}

var packIndex = map[string][]*Pack{}

// described: programs some pack describes, not only partly.
var described = map[string]bool{}

func register(ps ...*Pack) {
	for _, p := range ps {
		for _, c := range p.Commands {
			packIndex[c] = append(packIndex[c], p)
			if !p.Partial {
				described[c] = true
			}
		}
	}
}

// applyPacks reports every matching rule. It returns whether any matched and
// whether an exclusive pack covers the command.
func (w *walker) applyPacks(c *call) (matched, exclusive bool) {
	dyn := c.dynWord()
	var may []string
	for _, p := range packIndex[c.name] {
		exclusive = exclusive || p.Exclusive
		for i := range p.Rules {
			r := &p.Rules[i]
			if r.matches(c) {
				matched = true
				w.add(r.ID, r.Class, r.Reason)
			} else if dyn && r.mayMatch(c) && !slices.Contains(may, r.ID) {
				may = append(may, r.ID)
			}
		}
	}
	if len(may) > 0 {
		matched = true
		if len(may) > 3 {
			may = append(may[:3], "...")
		}
		w.add("shell.dynamic-argument", unknown, c.name+": an argument only known at run time may make it "+strings.Join(may, ", "))
	}
	return matched, exclusive
}

// mayMatch reports whether a destructive rule keyed on its subcommand and
// flags could match once the call's words only known at run time are
// known (git push $X origin main may be git push --force). Rules with
// their own test are judged by it alone.
func (r *Rule) mayMatch(c *call) bool {
	if r.Class != destructive || r.When != nil || len(r.Sub) == 0 && len(r.Any) == 0 {
		return false
	}
	if len(r.Sub) > 0 && !c.sub(r.Sub...) {
		return c.subMay(r.Sub...) && (len(r.Not) == 0 || !c.has(r.Not...))
	}
	return len(r.Any) > 0 && !c.has(r.Any...) && (len(r.Not) == 0 || !c.has(r.Not...))
}

const (
	read        = action.ClassRead
	write       = action.ClassWrite
	destructive = action.ClassDestructive
	unknown     = action.ClassUnknown
	credential  = action.ClassCredentialAccess
)
