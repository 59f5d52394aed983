package shell

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
)

// autoRun says in what language a file is code that a tool runs by itself
// when an innocuous command runs (pytest's conftest.py, cargo's build.rs,
// bundler's Gemfile, jest's and eslint's configs, a .pth file at Python's
// start, an MCP server's command), or what kind of command file it is.
func AutoRun(name string) string {
	base := strings.ToLower(filepath.Base(name))
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	slash := filepath.ToSlash(name)
	switch {
	case base == "conftest.py" || base == "setup.py" || base == "sitecustomize.py" || base == "usercustomize.py" ||
		base == "noxfile.py" || base == "fabfile.py" || strings.HasSuffix(base, ".pth"):
		return "python"
	case strings.HasSuffix(base, ".py") && stdlibModules[stem]:
		return "shadow"
	case base == ".pnpmfile.cjs" || base == "gulpfile.js" || base == "gruntfile.js" || base == ".mocharc.js" || base == "karma.conf.js" ||
		base == ".eslintrc.js" || base == ".eslintrc.cjs" || base == ".babelrc.js" || base == ".prettierrc.js" || base == ".prettierrc.cjs" ||
		autoRunConfigs[strings.TrimSuffix(stem, ".config")] && strings.Contains(stem, ".config") && jsExt[filepath.Ext(base)]:
		return "node"
	case base == "rakefile" || base == "gemfile" || base == "guardfile" || base == "vagrantfile" || strings.HasSuffix(base, ".gemspec"):
		return "ruby"
	case base == "build.rs":
		return "rust"
	case base == "taskfile.yml" || base == "taskfile.yaml" || base == ".pre-commit-config.yaml" || strings.HasPrefix(base, "docker-compose") ||
		strings.HasPrefix(base, "compose.") || base == "playbook.yml" || strings.HasSuffix(slash, "/playbooks/"+base):
		return "yaml"
	case base == ".mcp.json" || base == "mcp.json" && (strings.Contains(slash, "/.cursor/") || strings.Contains(slash, "/.vscode/")):
		return "mcp"
	case strings.Contains(slash, "/.claude/agents/") && strings.HasSuffix(base, ".md"):
		return "agent"
	}
	return ""
}

var jsExt = map[string]bool{".js": true, ".cjs": true, ".mjs": true, ".ts": true, ".cts": true, ".mts": true}

// autoRunConfigs are tools whose NAME.config.js is code they run.
var autoRunConfigs = map[string]bool{"jest": true, "babel": true, "eslint": true, "vite": true, "webpack": true, "rollup": true,
	"next": true, "nuxt": true, "postcss": true, "tailwind": true, "prettier": true, "vitest": true, "playwright": true, "astro": true,
	"svelte": true, "metro": true, "esbuild": true, "tsup": true, "cypress": true}

// stdlibModules are Python standard modules that a file of the same name
// in the working directory replaces for every python started there.
var stdlibModules = map[string]bool{"json": true, "os": true, "sys": true, "re": true, "subprocess": true, "typing": true, "pathlib": true,
	"shutil": true, "random": true, "string": true, "time": true, "datetime": true, "logging": true, "collections": true, "functools": true,
	"itertools": true, "socket": true, "ssl": true, "http": true, "urllib": true, "base64": true, "hashlib": true, "tempfile": true,
	"unittest": true, "argparse": true, "copy": true, "enum": true, "io": true, "math": true, "site": true, "abc": true, "codecs": true, "encodings": true}

// rustRuns: a build script that runs a command or removes files.
var rustRuns = regexp.MustCompile(`Command::new|remove_dir_all|remove_file|process::Command|fs::write\s*\(\s*"/`)

// AutoRunReasons judges a file a tool runs by itself (AutoRun), as written
// by an agent's file tool.
func AutoRunReasons(name, content string) []action.Reason {
	return (&Classifier{}).walk("", func(w *walker) {
		w.scope = newScope() // no script around it to start one
		w.autoRunContent(name, content, true, 0)
	}).Reasons
}

// autoRunContent judges what a file a tool runs by itself will do.
func (w *walker) autoRunContent(name, content string, known bool, depth int) {
	lang := AutoRun(name)
	if lang == "" {
		return
	}
	if !known {
		w.add("file.auto-run", unknown, "writes "+name+", which a tool runs by itself, with content only known at run time")
		return
	}
	switch lang {
	case "python", "node", "ruby":
		w.code(lang, arg{s: content}, depth+1)
	case "shadow":
		w.add("file.shadows-module", unknown, filepath.Base(name)+" replaces Python's own module of that name for every python run in its directory")
	case "rust":
		if m := rustRuns.FindString(content); m != "" {
			w.add("file.build-script", unknown, "build.rs runs at every cargo build and runs commands or removes files: "+m)
		}
	case "yaml":
		w.manifest(filepath.Base(name), name, content, depth)
	case "mcp":
		var cfg struct {
			Servers map[string]struct {
				Command string   `json:"command"`
				Args    []string `json:"args"`
			} `json:"mcpServers"`
		}
		if json.Unmarshal([]byte(content), &cfg) != nil {
			w.add("file.mcp-unreadable", unknown, filepath.Base(name)+" does not parse, and names commands the agent starts")
			return
		}
		for _, s := range cfg.Servers {
			if s.Command != "" {
				argv := []arg{{s: s.Command}}
				for _, a := range s.Args {
					argv = append(argv, arg{s: a})
				}
				w.command(argv, input{}, depth+1)
			}
		}
	case "agent":
		if strings.Contains(content, "bypassPermissions") || strings.Contains(content, "dontAsk") {
			w.add("hook.subagent-unprompted", unknown, filepath.Base(name)+" defines a subagent that runs with its prompts switched off")
		}
	}
}
