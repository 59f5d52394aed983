package shell

import (
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/chaperone/chaperone/internal/action"
)

// An infrastructure apply does what its configuration files say: `rm -f
// main.tf && terraform apply -auto-approve` destroys every resource main.tf
// described, though apply alone is a write. The walker notes the files
// this line removes or empties, and an apply after it that may read one of
// them is destructive.

// removers take files away: all their operands (mv: all but the last).
var removers = []string{"rm", "unlink", "shred", "trash", "trash-put", "rimraf", "del", "srm", "wipe", "mv"}

// removedFiles notes the paths a call removes or empties, and the files it
// rewrites.
func (w *walker) removedFiles(c *call) {
	var gone []positional
	switch {
	case c.name == "git" && (c.sub("stash") || c.sub("checkout") || c.sub("restore") || c.sub("switch") || c.sub("reset") ||
		c.sub("worktree") || c.sub("clean") || c.sub("revert") || c.sub("pull") || c.sub("merge") || c.sub("rebase") || c.sub("am") || c.sub("apply")):
		// What the tree holds afterwards is another commit's, or none.
		w.rewrote("$?", true)
	case (c.name == "cp" || c.name == "install" || c.name == "rsync" || c.name == "ln" || c.name == "ditto" || c.name == "mv") && len(c.pos) > 1:
		w.rewrote(c.pos[len(c.pos)-1].s, c.pos[len(c.pos)-1].dyn)
	case c.name == "tee" && c.has("-a", "--append"):
		for _, p := range c.pos {
			w.edited(p.s, p.dyn)
		}
	case c.name == "tee", c.name == "sponge", editsInPlace(c), slices.Contains(editors, c.name):
		for _, p := range c.pos {
			w.rewrote(p.s, p.dyn)
		}
	}
	switch {
	case slices.Contains(removers, c.name):
		gone = c.pos
		if c.name == "mv" && !c.has("-t", "--target-directory") && len(gone) > 0 {
			gone = gone[:len(gone)-1]
		}
	case c.name == "git" && (c.sub("rm") || c.sub("mv")) && len(c.pos) > 1:
		gone = c.pos[1:]
	case c.name == "truncate" || c.name == "cp" && len(c.pos) == 2 && c.pos[0].s == "/dev/null":
		gone = c.pos
	case c.name == "pulumi" && c.sub("config") && (c.subAt(1) == "set" || c.subAt(1) == "rm" || c.subAt(1) == "set-all" || c.subAt(1) == "rm-all"):
		w.rewrote("Pulumi.stack.yaml", false) // the stack's settings
	}
	for _, p := range gone {
		w.removed(p.s, p.dyn)
	}
}

// removed notes one path removed or emptied.
func (w *walker) removed(p string, dyn bool) {
	w.guarded(p, dyn)
	if dyn {
		p = "$?" // anything
	}
	if len(w.ws.gone) < 64 {
		w.ws.gone = append(w.ws.gone, p)
	}
}

// rewrote notes a file this line overwrites or edits in place.
func (w *walker) rewrote(p string, dyn bool) {
	w.guarded(p, dyn)
	w.secretOverwritten(p, dyn)
	w.edited(p, dyn)
}

// edited notes a file whose content this line changes, by rewriting it or
// by adding to it: a removed {} block appended to main.tf destroys as
// surely as a file rewritten.
func (w *walker) edited(p string, dyn bool) {
	if dyn {
		p = "$?"
	}
	if len(w.ws.rewritten) < 64 {
		w.ws.rewritten = append(w.ws.rewritten, p)
	}
}

// configFile says whether a rewritten file may be configuration an apply
// reads: by its name, or any file when only known at run time.
func configFile(p string) bool {
	if strings.HasPrefix(p, "$") {
		return true
	}
	base := strings.ToLower(path.Base(p))
	for _, suf := range []string{".tf", ".tf.json", ".tfvars", ".tfvars.json", ".hcl", ".tofu", "pulumi.yaml", "pulumi.yml",
		"template.yaml", "template.yml", "template.json", "serverless.yml", "serverless.yaml", "cdk.json", "compose.yml", "compose.yaml"} {
		if strings.HasSuffix(base, suf) {
			return true
		}
	}
	return strings.HasPrefix(base, "pulumi") && (strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml"))
}

// configOf says whether a removed path may hold an apply's configuration:
// a configuration file, a directory, a pattern or a path only known at run
// time.
func configOf(p string) bool {
	if strings.HasPrefix(p, "$") {
		return true
	}
	if inWorkspace(p) && isBuildPath(path.Clean(p)) {
		return false // node_modules, .terraform: what a build or init makes again
	}
	if strings.ContainsAny(p, "*?[") || strings.HasSuffix(p, "/") {
		return true
	}
	// A name without an extension is taken for the directory it may be.
	base := path.Base(p)
	return configFile(p) || !strings.Contains(strings.TrimPrefix(base, "."), ".")
}

// applies says whether c carries out what its configuration says; code
// says the configuration is a program (pulumi, cdk), whose source files
// count as configuration too.
func applies(c *call) (ok, code bool) {
	switch c.name {
	case "terraform", "tofu", "terragrunt":
		return c.sub("apply") || c.sub("run-all", "apply") || c.sub("run", "apply"), false
	case "pulumi":
		return c.sub("up") || c.sub("update"), true
	case "cdk", "cdktf":
		return c.sub("deploy"), true
	case "sam", "serverless", "sls":
		return c.sub("deploy"), false
	case "aws":
		return c.sub("cloudformation", "deploy") || c.sub("cloudformation", "update-stack") || c.sub("cloudformation", "execute-change-set"), false
	case "docker", "podman", "docker-compose":
		return (c.sub("compose", "up") || c.sub("up")) && c.has("--remove-orphans"), false
	}
	return false, false
}

// programFile: a source file a pulumi or cdk program may be made of.
func programFile(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".ts", ".js", ".mjs", ".py", ".go", ".cs", ".fs", ".java", ".kt", ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// applyAfterRemoval judges an apply run after this line removed what may
// be its configuration.
func (w *walker) applyAfterRemoval(c *call) {
	ok, code := applies(c)
	if !ok {
		return
	}
	if c.name == "terraform" || c.name == "tofu" || c.name == "terragrunt" {
		dir := "."
		if v, ok := c.flagValue("-chdir"); ok {
			dir = v
		}
		if f, zero := w.removedBlock(dir); f != "" && !zero {
			w.add("iac.removed-block", destructive, c.name+" applies "+f+", whose removed block destroys what it names")
		} else if f != "" {
			w.add("iac.removed-block", destructive, c.name+" applies "+f+", where a resource's count is 0 or its for_each empty: every instance of it is destroyed")
		}
	}
	// Applied from elsewhere: a configuration this line cannot see (a
	// fresh temp directory holding only the backend destroys everything
	// in state).
	dir := w.outside()
	if v, ok := c.flagValue("-chdir"); ok && c.name != "pulumi" {
		dir, _ = placeFrom(w.outside(), v, false)
		if inWorkspace(dir) {
			dir = ""
		}
	}
	if v, ok := c.flagValue("--cwd", "-C", "--dir"); ok && (c.name == "pulumi" || c.name == "cdk") {
		if d, _ := placeFrom(w.outside(), v, false); !inWorkspace(d) {
			dir = d
		}
	}
	if dir != "" {
		w.add("iac.apply-after-removal", action.ClassDestructive, c.name+" applies a configuration from "+dir+", outside the workspace: what it holds, and so what it destroys, is not known here")
		return
	}
	for _, p := range w.ws.gone {
		if configOf(p) {
			what := p
			if p == "$?" {
				what = "a file only known at run time"
			}
			w.add("iac.apply-after-removal", action.ClassDestructive,
				c.name+" applies after this command line removed or emptied "+what+": the resources it described are destroyed")
			return
		}
	}
	for _, p := range w.ws.rewritten {
		if configFile(p) || code && programFile(p) {
			what := p
			if p == "$?" {
				what = "files only known at run time (a git checkout, stash or reset, or a name built at run time)"
			}
			w.add("iac.apply-after-removal", action.ClassDestructive,
				c.name+" applies a configuration this command line rewrote ("+what+"): whatever the old one described and the new one does not is destroyed, with no plan reviewed")
			return
		}
	}
}

// removedBlock: a configuration file in dir with a removed {} block that
// does not keep the object (lifecycle { destroy = false }). Written in an
// earlier call, it destroys at this apply as surely as one written now.
func (w *walker) removedBlock(dir string) (string, bool) {
	full := w.resolve(dir)
	if full == "" {
		return "", false
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return "", false
	}
	if len(entries) > 500 {
		entries = entries[:500]
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".tf") && !strings.HasSuffix(name, ".tf.json") {
			continue
		}
		p := path.Join(dir, name)
		text, st := w.readScript(p)
		if st == fileKnown && destroysByRemoval(text) {
			return p, false
		}
		if st == fileKnown && zeroInstances.MatchString(text) {
			return p, true
		}
	}
	return "", false
}

// zeroInstances: a resource block given no instances (count = 0, an empty
// for_each), which an apply destroys wherever they exist.
var zeroInstances = regexp.MustCompile(`(?m)^\s*"?(?:count"?\s*[=:]\s*0|for_each"?\s*[=:]\s*(?:\{\s*\}|\[\s*\]|toset\(\s*\[\s*\]\s*\)|toset\(\s*\)))\s*,?\s*$`)

// destroysByRemoval: some removed block that does not say destroy = false.
func destroysByRemoval(text string) bool {
	starts := removedBlockRe.FindAllStringIndex(text, -1)
	for i, m := range starts {
		end := len(text)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		block := text[m[0]:end]
		if j := strings.Index(block, "\n}"); j >= 0 {
			block = block[:j] // the block's own closing brace
		}
		if !keptRe.MatchString(block) {
			return true
		}
	}
	return false
}

var (
	removedBlockRe = regexp.MustCompile(`(?m)^\s*removed\s*\{|"removed"\s*:`)
	keptRe         = regexp.MustCompile(`destroy\s*=\s*false|"destroy"\s*:\s*false`)
)

// emptied notes the files a statement empties by redirecting nothing into
// them: > f, : > f, true > f.
func (w *walker) emptied(s *syntax.Stmt) {
	switch c := s.Cmd.(type) {
	case nil:
	case *syntax.CallExpr:
		if len(c.Args) == 0 || !slices.Contains([]string{":", "true", "false"}, c.Args[0].Lit()) {
			return
		}
	default:
		return
	}
	for _, r := range s.Redirs {
		if r.Op == syntax.RdrOut || r.Op == syntax.RdrClob || r.Op == syntax.RdrAll {
			t := r.Word.Lit()
			w.removed(t, t == "")
		}
	}
}

// secretOverwritten: a credential file that is there (.env), written over.
// git does not keep it, so its values are gone for good.
func (w *walker) secretOverwritten(p string, dyn bool) {
	if dyn || !isSecretPath(p) {
		return
	}
	full := w.resolve(p)
	if full == "" {
		return
	}
	if _, err := os.Stat(full); err != nil {
		return // a new file: nothing is lost
	}
	w.add("fs.secret-overwrite", destructive, "overwrites "+p+", which is there and which git does not keep: its values are gone for good")
	w.target(p)
}
