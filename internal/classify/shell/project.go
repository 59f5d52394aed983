package shell

import (
	"path"
	"slices"
	"sort"
	"strings"
)

// projectRunner is a tool that runs the project's own files: its tests,
// its configuration (which is code for most of them), its task lists.
type projectRunner struct {
	lang  string   // the language its files are read as ("" when not read here)
	exts  []string // files it runs by extension
	names []string // files it runs by name
}

var (
	pyProject   = []string{"conftest.py", "pytest.ini", "pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "noxfile.py", "sitecustomize.py", "usercustomize.py"}
	nodeProject = []string{"package.json", ".yarnrc.yml", ".npmrc", ".pnpmfile.cjs"}
	nodeExts    = []string{".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"}
)

var projectRunners = map[string]projectRunner{
	// Interpreters load modules from where they run: a file this line
	// wrote may be imported (python -m e, -c 'import e', a json.py that
	// shadows the library, a helper the script imports), and Python runs
	// sitecustomize, usercustomize and .pth files before any script.
	"python":     {lang: "python", exts: []string{".py", ".pth"}},
	"python3":    {lang: "python", exts: []string{".py", ".pth"}},
	"flask":      {lang: "python", exts: []string{".py"}},
	"uvicorn":    {lang: "python", exts: []string{".py"}},
	"gunicorn":   {lang: "python", exts: []string{".py"}},
	"invoke":     {lang: "python", exts: []string{".py"}},
	"fab":        {lang: "python", exts: []string{".py"}},
	"doit":       {lang: "python", exts: []string{".py"}},
	"uv":         {lang: "python", exts: []string{".py", ".pth"}},
	"node":       {lang: "node", exts: nodeExts},
	"ruby":       {lang: "ruby", exts: []string{".rb"}},
	"perl":       {lang: "perl", exts: []string{".pm", ".pl"}},
	"zsh":        {lang: "sh", names: []string{".zshenv", ".zshrc", ".zprofile", ".zlogin"}},
	"bash":       {lang: "sh", names: []string{".profile", ".bash_profile", ".bashrc", ".bash_login"}},
	"fish":       {exts: []string{".fish"}},
	"pytest":     {lang: "python", exts: []string{".py", ".pth"}, names: pyProject},
	"py.test":    {lang: "python", exts: []string{".py", ".pth"}, names: pyProject},
	"tox":        {lang: "python", exts: []string{".py", ".pth"}, names: pyProject},
	"nox":        {lang: "python", exts: []string{".py", ".pth"}, names: pyProject},
	"pip":        {lang: "python", names: pyProject},
	"pip3":       {lang: "python", names: pyProject},
	"hatch":      {lang: "python", names: pyProject},
	"pdm":        {lang: "python", names: pyProject},
	"poe":        {lang: "python", names: pyProject},
	"jest":       {lang: "node", exts: nodeExts, names: nodeProject},
	"vitest":     {lang: "node", exts: nodeExts, names: nodeProject},
	"mocha":      {lang: "node", exts: nodeExts, names: nodeProject},
	"eslint":     {lang: "node", exts: nodeExts, names: nodeProject},
	"prettier":   {lang: "node", exts: nodeExts, names: nodeProject},
	"webpack":    {lang: "node", exts: nodeExts, names: nodeProject},
	"vite":       {lang: "node", exts: nodeExts, names: nodeProject},
	"next":       {lang: "node", exts: nodeExts, names: nodeProject},
	"gulp":       {lang: "node", exts: nodeExts, names: nodeProject},
	"grunt":      {lang: "node", exts: nodeExts, names: nodeProject},
	"tsx":        {lang: "node", exts: nodeExts, names: nodeProject},
	"npm":        {lang: "node", exts: nodeExts, names: nodeProject},
	"yarn":       {lang: "node", exts: nodeExts, names: nodeProject},
	"pnpm":       {lang: "node", exts: nodeExts, names: nodeProject},
	"bun":        {lang: "node", exts: nodeExts, names: nodeProject},
	"rake":       {lang: "ruby", exts: []string{".rb", ".rake"}, names: []string{"Rakefile", "rakefile", "Gemfile"}},
	"rspec":      {lang: "ruby", exts: []string{".rb"}, names: []string{".rspec", "Gemfile"}},
	"bundle":     {lang: "ruby", exts: []string{".rb"}, names: []string{"Gemfile"}},
	"go":         {exts: []string{".go"}, names: []string{"go.mod"}},
	"cargo":      {exts: []string{".rs"}, names: []string{"Cargo.toml", "build.rs"}},
	"gradle":     {exts: []string{".gradle", ".kts", ".java", ".kt"}},
	"gradlew":    {exts: []string{".gradle", ".kts", ".java", ".kt"}},
	"mvn":        {exts: []string{".java"}, names: []string{"pom.xml"}},
	"cmake":      {exts: []string{".cmake"}, names: []string{"CMakeLists.txt"}},
	"just":       {names: []string{"justfile", "Justfile", ".justfile"}},
	"task":       {names: []string{"Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml"}},
	"mise":       {names: []string{"mise.toml", ".mise.toml", ".tool-versions"}},
	"foreman":    {names: []string{"Procfile", ".env"}},
	"honcho":     {names: []string{"Procfile", ".env"}},
	"pre-commit": {names: []string{".pre-commit-config.yaml"}},
	"lefthook":   {names: []string{"lefthook.yml", "lefthook.yaml", ".lefthook.yml"}},
	"dotnet":     {exts: []string{".cs", ".csproj", ".fs"}},
	"composer":   {names: []string{"composer.json"}},
	"mix":        {exts: []string{".ex", ".exs"}},
	"direnv":     {names: []string{".envrc"}},
}

// projectFiles judges the files this command line wrote that the tool it
// now runs would run: read as their language when Chaperone reads it,
// unknown otherwise (a config that names commands, code in a language the
// guard does not read). A file the line did not write is the project's
// own, judged where it was written.
func (w *walker) projectFiles(name string, depth int) {
	pr, ok := projectRunners[name]
	if !ok || len(w.ws.written) == 0 {
		return
	}
	paths := make([]string, 0, len(w.ws.written))
	for p := range w.ws.written {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		base := path.Base(p)
		if !slices.Contains(pr.names, base) && !slices.ContainsFunc(pr.exts, func(e string) bool { return strings.HasSuffix(base, e) }) {
			continue
		}
		f := w.ws.written[p]
		switch {
		case f.known && (pr.lang == "python" || pr.lang == "ruby") && strings.HasSuffix(base, map[string]string{"python": ".py", "ruby": ".rb"}[pr.lang]):
			w.code(pr.lang, arg{s: f.text}, depth+1)
		case f.known && pr.lang == "node" && slices.ContainsFunc(nodeExts, func(e string) bool { return strings.HasSuffix(base, e) }):
			w.code("node", arg{s: f.text}, depth+1)
		case f.known && pr.lang == "perl":
			w.code("perl", arg{s: f.text}, depth+1)
		case f.known && pr.lang == "sh":
			w.scriptSized(f.text, depth+1) // its startup files, read with ZDOTDIR=. or HOME=$PWD
		default:
			w.add("shell.project-file", unknown, name+" runs "+base+", which this command line wrote, and what it does there is not read here")
		}
	}
}

// shellOverrides: the shell a tool runs its recipes or scripts with, set
// on its command line (make SHELL=./x, npm --script-shell=./x, npm config
// set script-shell ./x). A file this line wrote is read as the script it
// is; any other program than a known shell is unknown.
func (w *walker) shellOverrides(c *call, depth int) {
	var vals []string
	switch c.name {
	case "make", "gmake":
		for _, a := range c.args {
			if v, ok := strings.CutPrefix(a.s, "SHELL="); ok {
				vals = append(vals, v)
			}
		}
	case "npm", "pnpm", "yarn":
		if v, ok := c.flagValue("--script-shell"); ok {
			vals = append(vals, v)
		}
		if c.sub("config", "set") && len(c.pos) > 3 && strings.TrimPrefix(c.pos[2].s, "--") == "script-shell" {
			vals = append(vals, c.pos[3].s)
		} else if c.sub("config", "set") && len(c.pos) > 2 {
			if v, ok := strings.CutPrefix(c.pos[2].s, "script-shell="); ok {
				vals = append(vals, v)
			}
		}
	}
	for _, v := range vals {
		if isShell(baseName(v)) && strings.HasPrefix(v, "/") || isShell(v) {
			continue
		}
		if text, st := w.readScript(v); st == fileKnown {
			w.scriptSized(text, depth+1)
			continue
		}
		w.add("shell.preload", unknown, c.name+" runs its scripts with "+v+", which is not a shell Chaperone reads")
	}
}
