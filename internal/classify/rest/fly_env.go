package rest

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/shell"
	"github.com/chaperone/chaperone/internal/classify/shell/argv"
)

// An environment variable may be a program's code: BASH_ENV is expanded
// and sourced by every bash script, PROMPT_COMMAND and PAGER run as
// commands, NODE_OPTIONS and LD_PRELOAD load code into every process. A
// machine's environment, and secrets (which Fly hands its machines as
// environment variables), are judged by the shell guard as if exported.

// judgeEnv judges each variable of env as `export NAME=VALUE`; where
// says where it is set, for the message.
func judgeEnv(env map[string]any, where string) []action.Reason {
	var out []action.Reason
	var words []string
	for _, name := range slices.Sorted(maps.Keys(env)) {
		s, ok := env[name].(string)
		if !ok {
			continue
		}
		if strings.HasPrefix(name, "BASH_FUNC_") {
			// bash defines a function from it, in place of a command
			// every script may call.
			out = append(out, action.Reason{ID: "shell.exported-function", Class: action.ClassUnknown,
				Message: where + " sets " + name + ": bash reads it as a function that replaces a command in every script"})
			continue
		}
		if !envName.MatchString(name) {
			continue // no shell can set or read it by name
		}
		if ddlAuto(name, s) {
			out = append(out, action.Reason{ID: "sql.drop", Class: action.ClassDestructive,
				Message: where + " sets " + name + "=" + s + ": the ORM drops and recreates the database's tables when the app starts"})
		}
		words = append(words, name+"="+argv.Quote([]string{s}))
	}
	if len(words) == 0 {
		return out
	}
	// One export of them all: some take effect together
	// (GIT_CONFIG_COUNT with GIT_CONFIG_KEY_0 and GIT_CONFIG_VALUE_0).
	for _, r := range flyShell.ClassifyService("export " + strings.Join(words, " ")).Reasons {
		if r.Class.Severity() <= action.ClassWrite.Severity() {
			continue
		}
		r.Message = where + ": " + r.Message
		out = append(out, r)
	}
	return out
}

// machineEnv judges every environment a configuration sets (the
// machine's, a process's, a container's).
func machineEnv(tree any) []action.Reason {
	var out []action.Reason
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "env" {
					out = append(out, judgeEnv(mapOf(e), "the machine's environment")...)
				}
				if k == "secrets" || k == "env_from" {
					// A secret's value, which the request does not show,
					// handed to the machine as a variable of that name.
					for _, item := range listOf(e) {
						name, _ := mapOf(item)["env_var"].(string)
						if shell.ExecVar(name) || strings.HasPrefix(name, "BASH_FUNC_") || !envName.MatchString(name) && name != "" {
							out = append(out, action.Reason{ID: "fly.command-unreadable", Class: action.ClassUnknown,
								Message: "the machine gets a secret's value, which Chaperone does not see, as " + name + ", which programs read as code"})
						}
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(tree)
	return out
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ddlAuto: Hibernate told, by a variable or a -D option inside one, to
// create the schema over what is there (create, create-drop).
func ddlAuto(name, value string) bool {
	n := strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(name))
	v := strings.ToLower(value)
	if strings.Contains(n, "DDL_AUTO") {
		return strings.HasPrefix(strings.TrimSpace(v), "create")
	}
	return strings.Contains(v, "ddl-auto=create") || strings.Contains(v, "ddl_auto=create") || strings.Contains(v, "hbm2ddl.auto=create")
}
