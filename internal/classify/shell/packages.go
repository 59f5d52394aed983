package shell

import (
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Options by which a package manager runs a script of another package
// than the one in the current directory.
var (
	packageDirOpts = []string{"--prefix", "-C", "--dir", "--cwd"}
	// A workspace, a filter or recursion: some or all of the workspace's
	// packages, judged all.
	packageSetOpts  = []string{"-w", "--workspace", "--filter", "-F", "--filter-prod", "--include", "--exclude", "--from"}
	packageSetFlags = []string{"--workspaces", "-ws", "-r", "--recursive", "--workspace-root", "--include-workspace-root", "-A", "--all"}
)

// maxPackages bounds the package.json files read for one command line,
// and maxPackageWalk the directory entries looked through to find them.
const (
	maxPackages    = 200
	maxPackageWalk = 20000
)

// npmScript judges the scripts a package manager's command line runs, in
// every package it may run them in.
func (w *walker) npmScript(tool string, args []arg, depth int) bool {
	w.npmrcSettings(depth)
	files, rest, ok := w.scriptPackages(tool, args)
	if !ok {
		return true
	}
	handled := false
	for _, f := range files {
		handled = w.npmScriptIn(f, tool, rest, depth) || handled
	}
	return handled
}

// scriptPackages returns the package.json files a command line's scripts
// come from, and the line without the options that chose them. It reports
// false, having said why, when they cannot be known.
func (w *walker) scriptPackages(tool string, args []arg) ([]string, []arg, bool) {
	var rest []arg
	dir, all := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.s == "--" && !a.dyn {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, glued := strings.Cut(a.s, "=")
		switch {
		case a.dyn && strings.HasPrefix(a.s, "-"):
			w.add("pkg.unreadable", unknown, tool+" is given an option only known at run time: which package's scripts run is unknown")
			return nil, nil, false
		case slices.Contains(packageDirOpts, name):
			if !glued {
				if i+1 >= len(args) {
					continue
				}
				i++
				value = args[i].s
				if args[i].dyn {
					w.add("pkg.unreadable", unknown, tool+" "+name+" names a directory only known at run time")
					return nil, nil, false
				}
			}
			dir = value
		case tool == "pnpm" && a.s == "-w":
			all = true // pnpm's -w is --workspace-root, a switch
		case slices.Contains(packageSetOpts, name):
			if !glued {
				i++
			}
			all = true
		case slices.Contains(packageSetFlags, a.s):
			all = true
		case tool == "yarn" && len(rest) == 0 && a.s == "workspace" && i+1 < len(args):
			i++ // yarn workspace NAME CMD...
			all = true
		case tool == "yarn" && len(rest) == 0 && a.s == "workspaces" && i+1 < len(args) && args[i+1].s == "foreach":
			i++ // yarn workspaces foreach [options] CMD...
			all = true
		default:
			rest = append(rest, a)
		}
	}
	if !all {
		if dir == "" {
			return []string{"package.json"}, rest, true
		}
		return []string{path.Join(dir, "package.json")}, rest, true
	}
	root := w.resolve(dir)
	if dir == "" {
		root = w.ws.dir
	}
	if root == "" {
		w.add("pkg.unreadable", unknown, tool+" runs scripts of a workspace's packages, which Chaperone cannot find")
		return nil, nil, false
	}
	files, complete := packageFiles(root)
	if !complete || len(files) > maxPackages {
		w.add("pkg.unreadable", unknown, tool+" runs scripts of more packages than Chaperone reads for one command")
		return nil, nil, false
	}
	if len(files) == 0 {
		files = []string{"package.json"}
	}
	return files, rest, true
}

// packageFiles lists the package.json files under root, outside
// node_modules and dot directories, up to one more than maxPackages; it
// reports false when the tree is too large to look through.
func packageFiles(root string) ([]string, bool) {
	var out []string
	seen := 0
	complete := true
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if seen++; seen > maxPackageWalk {
			complete = false
			return fs.SkipAll
		}
		if d.IsDir() && p != root && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
			return fs.SkipDir
		}
		if !d.IsDir() && d.Name() == "package.json" {
			out = append(out, p)
			if len(out) > maxPackages {
				return fs.SkipAll
			}
		}
		return nil
	})
	return out, complete
}

// npmrcSettings judges what the workspace's .npmrc makes every script
// run: script-shell (the program each script runs in) and node-options
// (code every node process loads), as the same settings on the command
// line are judged.
func (w *walker) npmrcSettings(depth int) {
	text, ok := w.readWorkspace(".npmrc")
	if !ok {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.Trim(strings.TrimSpace(v), `"'`)
		switch k {
		case "script-shell", "shell":
			if isShell(baseName(v)) && (strings.HasPrefix(v, "/") || !strings.Contains(v, "/")) {
				continue
			}
			if text, st := w.readScript(v); st == fileKnown {
				w.scriptSized(text, depth+1)
			} else {
				w.add("shell.preload", unknown, ".npmrc runs every script through "+v+", which Chaperone cannot read")
			}
		case "node-options":
			w.execVarString("NODE_OPTIONS", v, false, depth)
		}
	}
}
