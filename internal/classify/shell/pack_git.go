package shell

import (
	"slices"
	"strings"
)

func init() { register(gitPack) }

var gitRead = []string{"status", "log", "diff", "show", "blame", "grep", "ls-files", "ls-tree", "rev-parse", "describe",
	"shortlog", "reflog", "cat-file", "whatchanged", "remote", "config", "fetch", "version", "branch", "tag", "stash",
	"worktree", "submodule", "bisect", "cherry", "range-diff", "name-rev", "merge-base", "for-each-ref", "show-ref", "ls-remote", "count-objects", "fsck", "check-ignore", "help"}

// gitReadOnly says whether a subcommand of gitRead that also has writing
// forms is used in a reading one: git config NAME VALUE, remote set-url,
// branch NAME or tag NAME change the repository (where its pushes go,
// what it trusts, which helper keeps its credentials) and are writes.
func gitReadOnly(c *call) bool {
	s := c.subAt(0)
	ops := gitOperands(c)
	switch s {
	case "config":
		switch c.subAt(1) {
		case "get", "list":
			return true
		case "set", "unset", "edit", "rename-section", "remove-section":
			return false
		}
		if c.has("--unset", "--unset-all", "--add", "--replace-all", "--edit", "-e", "--rename-section", "--remove-section") {
			return false
		}
		return c.has("--get", "--get-all", "--get-regexp", "--get-urlmatch", "--list", "-l", "--get-color", "--get-colorbool") || len(ops) <= 1
	case "remote":
		return len(ops) == 0 || slices.Contains([]string{"show", "get-url"}, ops[0])
	case "branch", "tag":
		changes := []string{"-m", "-M", "-c", "-C", "--move", "--copy", "--set-upstream-to", "-u", "--unset-upstream", "--edit-description", "-f", "--force", "--track", "-t"}
		if s == "tag" {
			changes = []string{"-a", "-s", "-u", "-m", "-F", "--annotate", "--sign", "--local-user", "--message", "--file", "-f", "--force"}
		}
		if c.has(changes...) {
			return false
		}
		return len(ops) == 0 || c.has("-l", "--list", "--contains", "--no-contains", "--merged", "--no-merged", "--points-at", "-v", "--verify")
	case "stash":
		return len(ops) > 0 && (ops[0] == "list" || ops[0] == "show")
	case "worktree":
		return len(ops) > 0 && ops[0] == "list"
	case "submodule":
		return len(ops) == 0 || ops[0] == "status" || ops[0] == "summary"
	case "bisect":
		return len(ops) > 0 && (ops[0] == "log" || ops[0] == "visualize" || ops[0] == "view")
	}
	return true
}

// gitOperands are the words after git's subcommand that are not options
// or the values of options that take one.
func gitOperands(c *call) []string {
	var out []string
	seen := false
	for i := 0; i < len(c.args); i++ {
		a := c.args[i].s
		switch {
		case !seen:
			seen = a == c.subAt(0) && !strings.HasPrefix(a, "-")
		case slices.Contains([]string{"-f", "--file", "--blob", "--type", "--default", "--comment", "--format", "--sort", "--contains", "--no-contains", "--merged", "--no-merged", "--points-at", "-m", "-F", "--message", "--file=", "-u", "--set-upstream-to", "--column", "--color"}, a):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			out = append(out, a)
		}
	}
	return out
}

var gitPack = &Pack{Name: "git", Commands: []string{"git"}, Exclusive: true, Rules: []Rule{
	{ID: "git.reset-hard", Sub: []string{"reset"}, Any: []string{"--hard", "--merge", "--keep"}, Class: destructive,
		Reason: "git reset --hard destroys uncommitted changes"},
	{ID: "git.push-force", Sub: []string{"push"}, Any: []string{"--force", "-f", "--force-with-lease", "--force-if-includes", "--mirror"}, Class: destructive,
		Reason: "force push overwrites the remote's history for everyone"},
	{ID: "git.push-force", Sub: []string{"send-pack"}, Any: []string{"--force", "-f", "--mirror", "--all"}, Class: destructive,
		Reason: "git send-pack --force overwrites the remote's history for everyone"},
	{ID: "git.push-force-refspec", Sub: []string{"push"}, When: pushRewrites, Class: destructive,
		Reason: "a +refspec force-pushes and a :branch refspec deletes the remote branch"},
	{ID: "git.push-force-refspec", Sub: []string{"send-pack"}, When: pushRewrites, Class: destructive,
		Reason: "a +refspec force-pushes and a :branch refspec deletes the remote branch"},
	{ID: "git.push-delete", Sub: []string{"push"}, Any: []string{"--delete", "-d", "--prune"}, Class: destructive,
		Reason: "git push --delete removes branches or tags on the remote"},
	{ID: "git.branch-force-delete", Sub: []string{"branch"}, Any: []string{"-D"}, Class: destructive,
		Reason: "git branch -D deletes a branch even if its commits are not merged anywhere"},
	{ID: "git.branch-force-delete", Sub: []string{"branch"}, When: func(c *call) bool { return c.has("--delete", "-d") && c.has("--force", "-f") }, Class: destructive,
		Reason: "git branch --delete --force deletes unmerged work"},
	// Without -f, git clean still deletes wherever clean.requireForce is
	// off, which a repository's or user's configuration may say.
	// fetch --prune deletes every local ref its refspec's destination
	// covers that the source lacks: a refspec onto refs/heads, refs/tags
	// or refs/* from a place with none deletes the branches, the tags
	// and the stash, reflogs included.
	{ID: "git.fetch-prune-local", Sub: []string{"fetch"}, When: fetchPrunesLocal, Class: destructive,
		Reason: "git fetch --prune with a refspec onto local refs deletes every local branch, tag or stash the source does not have"},
	// A fast-import stream can reset or delete any ref (reset ... from
	// 0000...), --force or not.
	{ID: "git.fast-import", Sub: []string{"fast-import"}, Class: unknown,
		Reason: "git fast-import applies a stream that can rewrite or delete branches and tags, which Chaperone does not read"},
	{ID: "git.clean-force", Sub: []string{"clean"}, Not: []string{"-n", "--dry-run"}, Class: destructive,
		Reason: "git clean removes untracked files for good"},
	{ID: "git.checkout-discard", Sub: []string{"checkout"}, When: checkoutDiscards, Class: destructive,
		Reason: "git checkout of paths (or -f) discards uncommitted changes"},
	{ID: "git.restore-worktree", Sub: []string{"restore"}, When: func(c *call) bool { return !c.has("--staged", "-S") || c.has("--worktree", "-W") }, Class: destructive,
		Reason: "git restore discards uncommitted changes in the working tree"},
	{ID: "git.switch-discard", Sub: []string{"switch"}, Any: []string{"--discard-changes", "-f", "--force"}, Class: destructive,
		Reason: "git switch --discard-changes throws away uncommitted changes"},
	{ID: "git.stash-drop", Sub: []string{"stash", "drop"}, Class: destructive, Reason: "git stash drop deletes stashed work"},
	{ID: "git.stash-clear", Sub: []string{"stash", "clear"}, Class: destructive, Reason: "git stash clear deletes all stashed work"},
	{ID: "git.history-rewrite", Sub: []string{"filter-branch"}, Class: destructive, Reason: "git filter-branch rewrites history"},
	{ID: "git.history-rewrite", Sub: []string{"filter-repo"}, Class: destructive, Reason: "git filter-repo rewrites history"},
	{ID: "git.history-rewrite", Sub: []string{"fast-import"}, Any: []string{"--force"}, Class: destructive, Reason: "git fast-import --force moves branches to whatever its input says, losing the commits they held"},
	{ID: "git.reflog-expire", Sub: []string{"reflog", "expire"}, Class: destructive, Reason: "expiring the reflog removes the way back to lost commits"},
	{ID: "git.reflog-delete", Sub: []string{"reflog", "delete"}, Class: destructive, Reason: "deleting reflog entries removes the way back to lost commits"},
	{ID: "git.gc-prune-now", Sub: []string{"gc"}, When: func(c *call) bool { v, ok := c.flagValue("--prune"); return ok && v != "never" && v != "" }, Class: destructive,
		Reason: "git gc --prune=DATE deletes unreachable commits older than DATE (now, 0, 1.second.ago: at once), not after the two weeks the default keeps"},
	{ID: "git.update-ref-delete", Sub: []string{"update-ref"}, Any: []string{"-d"}, Class: destructive, Reason: "git update-ref -d deletes a ref"},
	{ID: "git.update-ref-move", When: func(c *call) bool {
		return c.sub("update-ref") && !c.has("-d", "--stdin") && len(c.operands(1)) >= 2
	}, Class: destructive, Reason: "git update-ref moves a branch, dropping the commits only it held"},
	{ID: "git.prune", Sub: []string{"prune"}, Not: []string{"-n", "--dry-run"}, Class: destructive, Reason: "git prune deletes unreachable commits, the way back to lost work"},
	{ID: "git.push-force-config", When: func(c *call) bool {
		return c.sub("remote", "add") && c.has("--mirror", "--mirror=push")
	}, Class: destructive, Reason: "a mirror remote makes git push force-update and delete the remote's branches"},
	{ID: "git.tag-delete", Sub: []string{"tag"}, Any: []string{"-d", "--delete"}, Class: write, Reason: "deletes a local tag"},
	// Plumbing and less common porcelain that discard work as surely.
	{ID: "git.checkout-index-force", Sub: []string{"checkout-index"}, Any: []string{"-f", "--force"}, Class: destructive,
		Reason: "git checkout-index -f overwrites working-tree files, discarding their changes"},
	{ID: "git.read-tree-update", Sub: []string{"read-tree"}, Any: []string{"-u"}, Class: destructive,
		Reason: "git read-tree -u rewrites the working tree from a tree, discarding changes"},
	{ID: "git.update-ref-stdin", Sub: []string{"update-ref"}, Any: []string{"--stdin"}, Class: destructive,
		Reason: "git update-ref --stdin takes commands that can delete or move any ref"},
	{ID: "git.branch-force-move", Sub: []string{"branch"}, Any: []string{"-f", "--force", "-C", "-M"}, Class: destructive,
		Reason: "git branch -f moves or overwrites a branch, dropping the commits only it held"},
	{ID: "git.branch-force-move", Sub: []string{"checkout"}, Any: []string{"-B"}, Class: destructive,
		Reason: "git checkout -B resets an existing branch, dropping the commits only it held"},
	{ID: "git.branch-force-move", Sub: []string{"switch"}, Any: []string{"-C", "--force-create"}, Class: destructive,
		Reason: "git switch -C resets an existing branch, dropping the commits only it held"},
	{ID: "git.fetch-force-update", Sub: []string{"fetch"}, When: fetchRewrites, Class: destructive,
		Reason: "a forced fetch into a local branch moves it back, dropping the commits only it held"},
	{ID: "git.worktree-remove-force", Sub: []string{"worktree", "remove"}, Any: []string{"-f", "--force"}, Class: destructive,
		Reason: "git worktree remove --force deletes a worktree with its uncommitted changes"},
	{ID: "git.submodule-deinit-force", Sub: []string{"submodule", "deinit"}, Any: []string{"-f", "--force", "--all"}, Class: destructive,
		Reason: "git submodule deinit -f removes submodules' working trees, changes included"},
	{ID: "git.submodule-update-force", Sub: []string{"submodule", "update"}, Any: []string{"-f", "--force"}, Class: destructive,
		Reason: "git submodule update --force checks submodules out again, discarding their uncommitted changes"},
	{ID: "git.apply-outside", Sub: []string{"apply"}, When: func(c *call) bool {
		// --directory moves the patch's paths; --unsafe-paths lets them
		// leave the working tree.
		if c.has("--unsafe-paths") {
			return true
		}
		for _, d := range optionValues(c, "--directory") {
			if c.lands(d) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "git apply writes the patch's files outside the working tree"},
	{ID: "git.mv-force", Sub: []string{"mv"}, Any: []string{"-f", "--force"}, Class: destructive,
		Reason: "git mv -f moves a file over another, its uncommitted changes lost"},
	{ID: "git.outside-work-tree", When: func(c *call) bool {
		for _, v := range optionValues(c, "--work-tree", "--prefix") {
			if c.lands(v) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "git works on a tree outside the workspace (--work-tree, checkout-index --prefix): it writes or stashes files there"},
	{ID: "git.rm-force", Sub: []string{"rm"}, Any: []string{"-f", "--force"}, Class: destructive,
		Reason: "git rm -f deletes files even with uncommitted changes"},
	{ID: "git.read", When: func(c *call) bool {
		s := c.subAt(0)
		return s == "" || slices.Contains(gitRead, s) && !c.has("-D", "--delete", "-d") && gitReadOnly(c)
	}, Class: read, Reason: "reads repository state"},
}}

func pushRewrites(c *call) bool {
	for _, p := range c.operands(2) {
		if strings.HasPrefix(p.s, "+") || strings.HasPrefix(p.s, ":") {
			return true
		}
	}
	return false
}

// fetchRewrites: a refspec with a destination, forced by -f or a +.
func fetchRewrites(c *call) bool {
	for _, p := range c.operands(2) {
		if strings.Contains(p.s, ":") && (strings.HasPrefix(p.s, "+") || c.has("-f", "--force")) {
			return true
		}
	}
	return false
}

// checkoutDiscards: `git checkout -- path`, `git checkout .`, `git checkout -f`;
// switching or creating branches is safe.
func checkoutDiscards(c *call) bool {
	if c.has("-f", "--force", "-p", "--patch") {
		return true // --patch discards the hunks answered yes (yes | git checkout -p)
	}
	if c.has("-b", "-B", "--orphan") {
		return false
	}
	for _, a := range c.args {
		if a.s == "--" {
			return true
		}
	}
	ops := c.operands(1)
	return len(ops) > 0 && (ops[0].s == "." || len(ops) > 1 || strings.ContainsAny(ops[0].s, "*?") || hasExtension(ops[0].s))
}

// hasExtension: a path like src/main.go is a file, feature/login a branch.
func hasExtension(p string) bool {
	base := p[strings.LastIndex(p, "/")+1:]
	i := strings.LastIndex(base, ".")
	return i >= 0 && i < len(base)-1 && isLetters(base[i+1:])
}

// fetchPrunesLocal: git fetch with --prune (or --prune-tags) and a
// refspec whose destination is among the local branches, tags or refs.
func fetchPrunesLocal(c *call) bool {
	if !c.has("-p", "--prune", "-P", "--prune-tags") && !shortBundle(c, 'p') && !shortBundle(c, 'P') {
		return false
	}
	for _, p := range c.pos {
		if p.dyn {
			return true // a refspec only known at run time
		}
		_, dst, ok := strings.Cut(strings.TrimPrefix(p.s, "+"), ":")
		if !ok {
			continue
		}
		if dst == "refs/*" || strings.HasPrefix(dst, "refs/heads") || strings.HasPrefix(dst, "refs/tags") || strings.HasPrefix(dst, "refs/stash") ||
			dst == "refs" || strings.HasPrefix(dst, "refs/*") {
			return true
		}
	}
	return false
}
