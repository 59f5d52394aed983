package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// Code a program loads by name from the workspace, beside the file it is
// told to run: node's require of a relative path, perl's -M with -I or
// PERL5LIB, PYTHONPATH's sitecustomize, a web framework's app module.
// Each is judged as running that file would be.

var (
	// nodeRelative: require("./x"), import("./x"), import ... from "./x".
	nodeRelative = regexp.MustCompile(`\b(?:require|import)\s*\(\s*['"` + "`" + `](\.{1,2}/[^'"` + "`" + `]+)['"` + "`" + `]|\bfrom\s+['"](\.{1,2}/[^'"]+)['"]|\bimport\s+['"](\.{1,2}/[^'"]+)['"]`)
	// perlFile: do "./x.pl", require "./X.pm".
	perlFile = regexp.MustCompile(`\b(?:do|require)\s*\(?\s*['"]([^'"]+\.p[lm])['"]`)
)

// nodeLocalFiles judges the workspace files inline node code loads by a
// relative path, as node resolves it (the name, then .js, .mjs, .cjs,
// .ts, then the directory's index.js).
func (w *walker) nodeLocalFiles(text string, depth int) {
	for _, m := range nodeRelative.FindAllStringSubmatch(text, -1) {
		p := m[1] + m[2] + m[3]
		for _, cand := range []string{p, p + ".js", p + ".mjs", p + ".cjs", p + ".ts", path.Join(p, "index.js")} {
			if _, st := w.readScript(cand); st != fileMissing {
				w.runFile(cand, "node loads "+p+", which", "node", depth, false)
				break
			}
		}
	}
}

// perlLocalModules judges the modules perl -M / -m loads from the
// directories -I and PERL5LIB add, and files do or require name.
func (w *walker) perlLocalModules(c *call, text string, depth int) {
	dirs := []string{}
	for _, v := range optionValues(c, "-I") {
		dirs = append(dirs, v.s)
	}
	for _, f := range c.flags {
		if v, ok := strings.CutPrefix(f, "-I"); ok && v != "" {
			dirs = append(dirs, v)
		}
	}
	if w.scope != nil {
		if v, ok := w.scope.assigned["PERL5LIB"]; ok {
			if l, ok := literal(v); ok {
				dirs = append(dirs, strings.Split(l, ":")...)
			}
		}
	}
	for _, f := range c.flags {
		mod, ok := strings.CutPrefix(f, "-M")
		if !ok {
			mod, ok = strings.CutPrefix(f, "-m")
		}
		if !ok || mod == "" || strings.HasPrefix(mod, "-") {
			continue
		}
		mod, _, _ = strings.Cut(mod, "=")
		file := strings.ReplaceAll(mod, "::", "/") + ".pm"
		for _, d := range dirs {
			if p := path.Join(d, file); w.fileThere(p) {
				w.runFile(p, "perl -M"+mod+" loads", "perl", depth, false)
				break
			}
		}
	}
	for _, m := range perlFile.FindAllStringSubmatch(text, -1) {
		if w.fileThere(m[1]) {
			w.runFile(m[1], "perl loads", "perl", depth, false)
		}
	}
}

// pythonPath judges what PYTHONPATH's directories make python run at
// start-up: a sitecustomize.py or usercustomize.py there, and .pth files,
// whose import lines run.
func (w *walker) pythonPath(value string, depth int) {
	for _, d := range strings.Split(value, ":") {
		if d == "" {
			continue
		}
		for _, f := range []string{"sitecustomize.py", "usercustomize.py"} {
			if p := path.Join(d, f); w.fileThere(p) {
				w.runFile(p, "python starts with "+p+", which", "python", depth, false)
			}
		}
		for _, s := range w.filesIn(d, func(p string) bool { return strings.HasSuffix(p, ".pth") }) {
			w.add("shell.preload", unknown, "PYTHONPATH puts "+s+" on python's path, whose import lines run at start-up")
		}
	}
}

// appModules: web frameworks' and task runners' options (and variables)
// that name the module of the project they import.
var appModuleOpts = map[string][]string{
	"flask": {"--app", "-A"}, "django-admin": {"--settings"}, "celery": {"-A", "--app"},
}

// frameworkModules judges the workspace module a framework imports: flask
// --app y, django-admin --settings=y, uvicorn main:app, gunicorn app:app.
func (w *walker) frameworkModules(c *call, depth int) {
	var mods []string
	for _, v := range optionValues(c, appModuleOpts[c.name]...) {
		mods = append(mods, v.s)
	}
	switch c.name {
	case "uvicorn", "gunicorn", "hypercorn", "daphne":
		for _, p := range c.pos {
			if !p.afterFlag && strings.Contains(p.s, ":") {
				mods = append(mods, p.s)
			}
		}
	}
	if w.scope != nil {
		for _, v := range []string{"FLASK_APP", "DJANGO_SETTINGS_MODULE"} {
			if wd, ok := w.scope.assigned[v]; ok && slices.Contains([]string{"flask", "django-admin", "gunicorn", "uvicorn", "celery", "python", "python3"}, c.name) {
				if l, ok := literal(wd); ok {
					mods = append(mods, l)
				}
			}
		}
	}
	for _, m := range mods {
		m, _, _ = strings.Cut(m, ":")
		m = strings.TrimSuffix(m, ".py")
		if strings.ContainsAny(m, "/()") {
			continue
		}
		w.runPythonModule(c.name+" imports "+m+", which", m, false, depth)
	}
}
