package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// pythonLocal returns the workspace files that importing mod (a.b.c) runs,
// first to last: a.py or a/__init__.py, then b's, and with main the
// package's __main__.py, as python -m does. The current directory is the
// first place python looks for -c code and -m modules, ahead of the
// standard library, so a local json.py is what import json runs.
func (w *walker) pythonLocal(mod string, main bool) []string {
	if w.c.Remote {
		return nil // which modules are the project's there is not known here
	}
	parts := strings.Split(mod, ".")
	var out []string
	dir := ""
	for i, p := range parts {
		if p == "" || !isName(p) {
			return out
		}
		file, pkg := path.Join(dir, p+".py"), path.Join(dir, p, "__init__.py")
		if _, st := w.readScript(file); st != fileMissing {
			out = append(out, file)
			return out // a module, not a package: nothing further to import
		}
		if _, st := w.readScript(pkg); st != fileMissing {
			out = append(out, pkg)
		} else if _, st := w.readScript(path.Join(dir, p, "__main__.py")); st == fileMissing || i < len(parts)-1 {
			return out // not in the workspace: the installed one
		}
		dir = path.Join(dir, p)
		if i == len(parts)-1 && main {
			if m := path.Join(dir, "__main__.py"); w.fileThere(m) {
				out = append(out, m)
			}
		}
	}
	return out
}

func (w *walker) fileThere(p string) bool {
	_, st := w.readScript(p)
	return st != fileMissing
}

// runPythonModule judges the local files importing mod runs; it reports
// whether there were any.
func (w *walker) runPythonModule(how, mod string, main bool, depth int) bool {
	files := w.pythonLocal(mod, main)
	for _, f := range files {
		w.runFile(f, how, "python", depth, false)
	}
	return len(files) > 0
}

var (
	// pyImports: import a, b.c as d; from a.b import c (not relative).
	pyImport     = regexp.MustCompile(`(?m)(?:^|;)\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)`)
	pyFromModule = regexp.MustCompile(`(?m)(?:^|;)\s*from\s+([\w][\w.]*)\s+import\b`)
	// pyRunCalls: runpy and exec of a file named literally.
	pyRunPath   = regexp.MustCompile(`\brunpy\.run_path\(\s*['"]([^'"]+)['"]`)
	pyRunModule = regexp.MustCompile(`\b(?:runpy\.run_module|importlib\.import_module|__import__)\(\s*['"]([\w.]+)['"]`)
)

// pythonCodeImports judges the workspace modules inline python code
// imports or runs by name (python -c 'import foo' runs foo.py, as python
// foo.py does).
func (w *walker) pythonCodeImports(text string, depth int) {
	var mods []string
	for _, m := range pyImport.FindAllStringSubmatch(text, -1) {
		for _, part := range strings.Split(m[1], ",") {
			mods = append(mods, strings.Fields(part)[0])
		}
	}
	for _, m := range pyFromModule.FindAllStringSubmatch(text, -1) {
		mods = append(mods, m[1])
	}
	for _, m := range pyRunModule.FindAllStringSubmatch(text, -1) {
		mods = append(mods, m[1])
	}
	for _, m := range mods {
		w.runPythonModule("python imports "+m+", which", m, false, depth)
	}
	for _, m := range pyRunPath.FindAllStringSubmatch(text, -1) {
		w.runFile(m[1], "runpy.run_path", "python", depth, false)
	}
}

// pythonRunnerModule judges the standard library's runners, which run a
// file or module they are given (cProfile, profile, trace, doctest,
// runpy, unittest, timeit); it reports whether mod is one.
func (w *walker) pythonRunnerModule(name, mod string, args []arg, depth int) bool {
	valued := map[string][]string{
		"cProfile": {"-o", "-s", "--outfile", "--sort"}, "profile": {"-o", "-s", "--outfile", "--sort"},
		"trace":   {"-f", "--file", "-C", "--coverdir", "--ignore-module", "--ignore-dir"},
		"doctest": {"-o", "--option"}, "timeit": {"-n", "--number", "-r", "--repeat", "-u", "--unit"},
		"unittest": {"-k", "-p", "--pattern", "-s", "--start-directory", "-t", "--top-level-directory"},
	}
	if _, ok := valued[mod]; !ok && mod != "runpy" {
		return false
	}
	var pos []arg
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.dyn:
			w.add("inline.dynamic-program", unknown, name+" -m "+mod+" runs what is only known at run time: "+a.s)
			return true
		case (mod == "cProfile" || mod == "profile" || mod == "trace") && (a.s == "-m" || a.s == "--module") && i+1 < len(args):
			w.runPythonModule(name+" -m "+mod+" -m", args[i+1].s, true, depth)
			return true
		case mod == "timeit" && (a.s == "-s" || a.s == "--setup") && i+1 < len(args):
			i++
			w.code("python", args[i], depth)
		case slices.Contains(valued[mod], a.s):
			i++
		case strings.HasPrefix(a.s, "-"):
		default:
			pos = append(pos, a)
		}
	}
	switch mod {
	case "timeit":
		for _, p := range pos {
			w.code("python", p, depth) // the statements timed
		}
	case "runpy":
		if len(pos) > 0 {
			w.runPythonModule(name+" -m runpy", pos[0].s, true, depth)
		}
	case "unittest":
		// Named tests: modules or files; discovery is the project's tests,
		// which no hook reads.
		for _, p := range pos {
			if p.s == "discover" {
				break
			}
			if strings.HasSuffix(p.s, ".py") {
				w.runFile(p.s, name+" -m unittest", "python", depth, false)
			} else {
				w.runPythonModule(name+" -m unittest", strings.SplitN(p.s, ".", 2)[0], false, depth)
			}
		}
	case "doctest":
		for _, p := range pos {
			w.runFile(p.s, name+" -m doctest", "python", depth, false)
		}
	default: // cProfile, profile, trace: the script, with its arguments
		if len(pos) > 0 {
			w.runFile(pos[0].s, name+" -m "+mod, "python", depth, false)
		}
	}
	w.add("inline.run-module", write, name+" -m runs the module "+mod)
	return true
}
