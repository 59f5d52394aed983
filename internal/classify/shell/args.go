package shell

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// arg is one rendered word of a command line.
type arg struct {
	s    string
	dyn  bool     // some part is only known at run time
	vars []string // variables it expands
	// proc is the process substitution the word is, if it is one: its
	// output may be a script (bash <(echo ...)).
	proc *syntax.ProcSubst
}

// positional is a non-flag argument. afterFlag marks one that directly follows
// a flag, so it may be that flag's value rather than a subcommand.
type positional struct {
	arg
	afterFlag bool
	flag      string // the flag it follows, when afterFlag
}

// call is a command line split into flags and positionals.
type call struct {
	name  string // base name: /usr/bin/git -> git
	args  []arg  // everything after the name
	flags []string
	pos   []positional
	// here is where the call runs when that is outside the workspace (the
	// directory, or "$PWD" when unknown), "" when it is judged as written;
	// pos then holds path operands already read from there (cwd.go).
	here string
	// root is the workspace's directory, for reading absolute paths
	// against it (rootedIn); "" when they are judged as written.
	root string
}

func parseCall(name string, args []arg) *call {
	if name == "curl" {
		args = curlArgs(args) // every rule reads curl's options as curl does
	}
	if name == "aws" {
		args = awsArgs(args) // and the AWS CLI's, from JSON input too
	}
	c := &call{name: name, args: args}
	prevFlag := false
	for i, a := range args {
		if a.s == "--" && !a.dyn {
			for _, r := range args[i+1:] {
				c.pos = append(c.pos, positional{arg: r})
			}
			break
		}
		if strings.HasPrefix(a.s, "-") && len(a.s) > 1 && !a.dyn {
			c.flags = append(c.flags, a.s)
			prevFlag = !strings.Contains(a.s, "=")
			continue
		}
		p := positional{arg: a, afterFlag: prevFlag}
		if prevFlag {
			p.flag = args[i-1].s
		}
		c.pos = append(c.pos, p)
		prevFlag = false
	}
	return c
}

// has reports whether any of the flags is given. A short flag ("-f") also
// matches inside a cluster ("-rf"); a long one ("--force") also as --force=x,
// and abbreviated (--forc, --fo=x), since git and every getopt_long program
// take any prefix that names one option.
func (c *call) has(flags ...string) bool {
	for _, want := range flags {
		for _, got := range c.flags {
			if got == want || strings.HasPrefix(got, want+"=") || abbreviates(got, want) {
				return true
			}
			if len(want) == 2 && want[0] == '-' && !strings.HasPrefix(got, "--") && len(got) > 2 &&
				isLetters(got[1:]) && strings.IndexByte(got[1:], want[1]) >= 0 {
				return true
			}
		}
	}
	return false
}

// flagValue returns the value of a flag given as --flag=v, --flag v or -f v.
func (c *call) flagValue(names ...string) (string, bool) {
	for i, a := range c.args {
		for _, n := range names {
			if v, ok := strings.CutPrefix(a.s, n+"="); ok {
				return v, true
			}
			if (a.s == n || abbreviates(a.s, n) && !strings.Contains(a.s, "=")) && i+1 < len(c.args) {
				return c.args[i+1].s, true
			}
			if k, v, ok := strings.Cut(a.s, "="); ok && abbreviates(k, n) {
				return v, true
			}
			// -XDELETE
			if len(n) == 2 && strings.HasPrefix(a.s, n) && len(a.s) > 2 && n[1] != '-' {
				return a.s[2:], true
			}
		}
	}
	return "", false
}

// abbreviates reports whether the long flag got (--fo, --fo=x) is a
// shortening of the long flag want (--force). Which of several options a
// shortening means depends on the program's whole option list, which is
// not known here: it is taken to mean every option it shortens.
func abbreviates(got, want string) bool {
	name, _, _ := strings.Cut(got, "=")
	return len(name) >= 3 && strings.HasPrefix(name, "--") && strings.HasPrefix(want, "--") && strings.HasPrefix(want, name)
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
			return false
		}
	}
	return s != ""
}

// sub reports whether the subcommand words come first among the positionals.
// A positional that follows a flag may be that flag's value (git -C dir
// reset), so it may be skipped; any other positional may not (git log --grep
// reset is not git reset).
func (c *call) sub(words ...string) bool { return c.subMatch(false, words) }

// subMay reports whether the subcommand words may come first once the
// words only known at run time are known: every known word up to the first
// unknown one matches.
func (c *call) subMay(words ...string) bool { return c.subMatch(true, words) }

// subMatch is sub, and with unknownMatches subMay: a word only known at
// run time, standing where a subcommand could, may be the rest.
func (c *call) subMatch(unknownMatches bool, words []string) bool {
	j := 0
	for _, p := range c.pos {
		if j == len(words) {
			return true
		}
		if unknownMatches && p.dyn && !p.afterFlag {
			return true
		}
		if !p.dyn && strings.EqualFold(p.s, words[j]) {
			j++
			continue
		}
		if !p.afterFlag {
			return false
		}
	}
	return j == len(words)
}

// dynWord reports whether a word only known at run time stands where a
// flag or a subcommand could (not as a flag's value).
func (c *call) dynWord() bool {
	for _, p := range c.pos {
		if p.dyn && !p.afterFlag {
			return true
		}
	}
	return false
}

// subAt returns the i-th subcommand word (skipping likely flag values), or "".
func (c *call) subAt(i int) string {
	n := 0
	for _, p := range c.pos {
		if p.afterFlag && n == 0 {
			continue
		}
		if n == i {
			return p.s
		}
		n++
	}
	return ""
}

// operands returns positionals after the first n subcommand words.
func (c *call) operands(n int) []positional {
	if n >= len(c.pos) {
		return nil
	}
	return c.pos[n:]
}

func baseName(s string) string {
	b := path.Base(s)
	// powershell.exe, pwsh.exe, cmd.exe: Windows programs run from a Linux
	// shell (WSL) are the programs they name.
	if len(b) > 4 && strings.EqualFold(b[len(b)-4:], ".exe") {
		b = b[:len(b)-4]
	}
	return b
}
