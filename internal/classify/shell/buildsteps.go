package shell

import (
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// buildSteps judges the command lines a build tool reads from the project
// and runs as they are written: go generate's //go:generate directives,
// and the setup.py that pip runs to build a local package.
func (w *walker) buildSteps(c *call, depth int) {
	switch {
	case c.name == "go" && c.sub("generate"):
		w.goGenerate(c, depth)
	case (c.name == "pip" || c.name == "pip3" || c.name == "uv" && c.sub("pip")) && (c.subMay("install") || c.subMay("wheel") || c.subMay("download") ||
		c.name == "uv" && (c.subAt(1) == "install" || c.subAt(1) == "compile")):
		for _, dir := range localPackages(c) {
			w.localPythonBuild(dir, depth)
		}
	}
}

// localPackages: the operands (and -e values) of pip install that are
// directories on this machine: ., ./lib, /src/pkg, file:pkg.
func localPackages(c *call) []string {
	var out []string
	for i, a := range c.args {
		v := a.s
		if a.dyn {
			continue
		}
		if (v == "-e" || v == "--editable") && i+1 < len(c.args) {
			v = c.args[i+1].s
		} else if e, ok := strings.CutPrefix(v, "--editable="); ok {
			v = e
		} else if strings.HasPrefix(v, "-") {
			continue
		}
		v = strings.TrimPrefix(v, "file:")
		if v == "." || v == ".." || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") || strings.HasPrefix(v, "/") {
			out = append(out, strings.SplitN(v, "[", 2)[0]) // .[dev]
		}
	}
	return out
}

// inTreeBackend: a pyproject.toml whose build backend is code of the
// project itself (backend-path).
var inTreeBackend = regexp.MustCompile(`(?m)^\s*backend-path\s*=`)

// localPythonBuild judges building the package in dir: its setup.py, run
// as python runs it, or an in-tree build backend, which is unknown.
func (w *walker) localPythonBuild(dir string, depth int) {
	if setup := path.Join(dir, "setup.py"); w.fileThere(setup) {
		w.runFile(setup, "pip builds "+dir+" with", "python", depth, false)
	}
	if t, st := w.readScript(path.Join(dir, "pyproject.toml")); st == fileUnknowable || st == fileKnown && inTreeBackend.MatchString(t) {
		w.add("shell.script-unknown", unknown, "pip builds "+dir+" with a build backend of the project's own")
	}
}

// goGenerateLine: a //go:generate directive at the start of a line.
var goGenerateLine = regexp.MustCompile(`(?m)^//go:generate[ \t]+(.+)$`)

// maxGenerateFiles bounds the Go files read for one go generate.
const maxGenerateFiles = 2000

// goGenerate judges every //go:generate directive in the packages named
// (./... the tree under them), as the command lines go generate runs.
func (w *walker) goGenerate(c *call, depth int) {
	var roots []string
	recursive := false
	for _, p := range c.pos[1:] {
		if p.dyn {
			w.add("shell.script-unknown", unknown, "go generate runs the directives of packages only known at run time")
			return
		}
		s := p.s
		if strings.HasSuffix(s, "/...") || s == "..." {
			recursive = true
			s = strings.TrimSuffix(strings.TrimSuffix(s, "..."), "/")
		}
		if s == "" {
			s = "."
		}
		roots = append(roots, s)
	}
	for _, f := range c.flags {
		if strings.HasPrefix(f, "-") && strings.HasSuffix(f, ".go") {
			roots = append(roots, f) // files named directly
		}
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	n := 0
	for _, r := range roots {
		full := w.resolve(r)
		if full == "" {
			w.add("shell.script-unknown", unknown, "go generate runs the directives of "+r+", which Chaperone cannot read")
			return
		}
		err := filepath.WalkDir(full, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != full && (!recursive || strings.HasPrefix(d.Name(), ".") || d.Name() == "vendor" || d.Name() == "testdata") {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") {
				return nil
			}
			if n++; n > maxGenerateFiles {
				return fs.SkipAll
			}
			text, st := w.readScript(p)
			if st == fileUnknowable {
				w.add("shell.script-unknown", unknown, "go generate reads "+p+", whose content is only known at run time")
				return nil
			}
			for _, m := range goGenerateLine.FindAllStringSubmatch(text, -1) {
				w.script(m[1], depth+1)
			}
			return nil
		})
		if err != nil || n > maxGenerateFiles {
			w.add("shell.script-unknown", unknown, "go generate reads more Go files than Chaperone reads for one command")
			return
		}
	}
}
