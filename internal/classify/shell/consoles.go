package shell

import (
	"regexp"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
)

// An application's console or runner runs code inside the application: its
// database connection is open and its configuration, secrets included, is
// loaded. So besides what the code does as plain code, its ORM calls that
// delete are deletes, and whatever it reads of the configuration is printed
// to the agent.

// consoleCode finds the code an application console or runner is given:
// inline, on standard input, or in a file. It reports false when c is not
// one.
func (w *walker) consoleCode(c *call, in input, depth int) bool {
	lang, inline, stdin, db := "", []string(nil), false, false
	switch name := c.name; {
	case (name == "rails" || name == "rails-runner") && (c.sub("runner") || c.sub("r")):
		w.railsRunner(c, depth)
		return true
	case name == "rails" && (c.sub("console") || c.sub("c")):
		lang, stdin = "ruby", true
	case name == "rails" && (c.sub("dbconsole") || c.sub("db")):
		db = true
	case (name == "manage.py" || name == "django-admin") && (c.sub("shell") || c.sub("shell_plus")):
		lang, inline, stdin = "python", []string{"-c", "--command"}, true
	case (name == "manage.py" || name == "django-admin") && c.sub("dbshell"):
		db = true
	case name == "artisan" && c.sub("tinker"):
		lang, inline, stdin = "php", []string{"--execute"}, true
	case name == "artisan" && c.sub("db"):
		db = true
	case name == "flask" && c.sub("shell"):
		lang, stdin = "python", true
	case name == "mix" && c.sub("run"):
		lang, inline = "elixir", []string{"-e", "--eval"}
	case name == "iex":
		lang, stdin = "elixir", true
	default:
		return false
	}
	if db {
		// manage.py dbshell -- -c 'DROP TABLE users': the words after --
		// are the database client's.
		var passed []arg
		for i, a := range c.args {
			if a.s == "--" && !a.dyn {
				passed = c.args[i+1:]
				break
			}
		}
		w.database(parseCall("psql", passed), in, depth)
		return true
	}
	given := false
	for _, v := range escapeValues(c, inline) {
		given = true
		w.appCode(lang, v, depth)
	}
	switch {
	case given:
	case stdin:
		w.stdinProgram(c.name, in, depth, func(text string) { w.appCode(lang, arg{s: text}, depth) })
	default:
		w.add("inline.run-script", write, c.name+" runs the application's code")
	}
	return true
}

// railsRunner: rails runner [-e ENV] CODE|FILE [ARGS].
func (w *walker) railsRunner(c *call, depth int) {
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a.s == "runner" || a.s == "r":
			continue
		case a.s == "-e" || a.s == "--environment":
			i++
			continue
		case strings.HasPrefix(a.s, "-"):
			continue
		}
		if _, st := w.readScript(a.s); !a.dyn && st != fileMissing || strings.HasSuffix(a.s, ".rb") {
			w.runFile(a.s, "rails runner", "ruby", depth, false)
			return
		}
		w.appCode("ruby", a, depth)
		return
	}
}

var (
	// ormDeletes: an ORM's calls that delete or empty rows, tables or
	// collections, or write every row of a table.
	ormDeletes = regexp.MustCompile(`(?:->|::|\.)\s*(?:delete|destroy|truncate|forceDelete|delete_all|destroy_all|update_all|drop_all|drop_table|drop_collection|drop|purge|wipe|flush|delete_many|deleteMany|remove_all|query!?\s*\(\s*["']\s*(?:DROP|TRUNCATE|DELETE))\b`)
	// appSecrets: the configuration an application holds its secrets in.
	appSecrets = regexp.MustCompile(`(?i)credentials|secrets?\b|secret_?key|password|passwd|api_?key|private_?key|access_?key|\bENV\b|\benv\s*\(|getenv|environ|get_env|DATABASES|DATABASE_URL|\bconfig\s*\(|\bConfig::get|settings\.[A-Z_]*(?:SECRET|KEY|TOKEN|PASSWORD)`)
	// sqlText: a string literal that holds SQL.
	sqlText = regexp.MustCompile(`(?is)['"]\s*((?:DROP|TRUNCATE|DELETE|UPDATE|ALTER|INSERT|CREATE|GRANT|REVOKE|VACUUM|COPY|DO)\b[^'"]*)['"]`)
)

// appCode judges code an application runs: as plain code, and for what its
// ORM, its raw SQL and its configuration do.
func (w *walker) appCode(lang string, a arg, depth int) {
	w.code(lang, a, depth)
	if a.dyn {
		return
	}
	if m := ormDeletes.FindString(a.s); m != "" {
		w.add("inline.delete", destructive, lang+" code run by the application deletes through its ORM ("+strings.TrimLeft(m, ".-:> ")+")")
	}
	for _, m := range sqlText.FindAllStringSubmatch(a.s, -1) {
		w.statements("sql", "the application", arg{s: m[1]})
	}
	if m := appSecrets.FindString(a.s); m != "" {
		w.add("creds.app-config", action.ClassCredentialAccess, lang+" code run by the application reads its configuration ("+m+"), where its credentials are, and what it prints reaches the agent")
	}
}
