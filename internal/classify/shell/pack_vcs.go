package shell

import (
	"regexp"
	"strings"
)

func init() { register(vcsPack, servicesPack) }

// vcsPack: version control other than git, which loses uncommitted work
// or history the same ways: reverting, cleaning, stripping, forcing.
var vcsPack = &Pack{Name: "vcs", Commands: []string{"hg", "svn", "fossil", "bzr", "brz", "darcs"}, Rules: []Rule{
	{ID: "vcs.discard", When: func(c *call) bool {
		switch c.name {
		case "hg":
			return c.sub("revert") && c.has("--all", "-a", "-C", "--no-backup") || c.sub("update") && c.has("-C", "--clean") ||
				c.sub("purge") || c.sub("clean") || c.sub("strip") || c.sub("rollback") || c.sub("prune") || c.sub("histedit") ||
				c.sub("push") && c.has("-f", "--force")
		case "svn":
			return c.sub("revert") || c.sub("cleanup") && c.has("--remove-unversioned", "--remove-ignored")
		case "fossil":
			return c.sub("revert") || c.sub("clean") && c.has("--force", "-f", "-x") || c.sub("scrub") || c.sub("purge") || c.sub("amend")
		case "bzr", "brz":
			return c.sub("revert") || c.sub("uncommit") || c.sub("clean-tree") || c.sub("push") && c.has("--overwrite")
		case "darcs":
			return c.sub("obliterate") || c.sub("revert") || c.sub("unrecord") || c.sub("amend")
		}
		return false
	}, Class: destructive, Reason: "discards uncommitted changes or removes history"},
	{ID: "vcs.runs-config", When: func(c *call) bool {
		// hg --config alias.x='!cmd', hooks.*=cmd: settings that run commands.
		if c.name != "hg" {
			return false
		}
		for _, v := range optionValues(c, "--config") {
			k, val, _ := strings.Cut(strings.ToLower(v.s), "=")
			if v.dyn || strings.HasPrefix(k, "hooks.") || strings.HasPrefix(k, "alias.") && strings.HasPrefix(strings.TrimSpace(val), "!") ||
				strings.HasPrefix(k, "extensions.") || k == "ui.ssh" || strings.HasPrefix(k, "merge-tools.") || k == "ui.merge" || k == "ui.editor" {
				return true
			}
		}
		return false
	}, Class: unknown, Reason: "a setting that makes hg run a command Chaperone does not follow"},
}}

// dataUnit: a unit or job name of a data service.
func dataUnit(s string) bool { return dataService.MatchString(strings.ToLower(s)) }

// powerUnitCall: a D-Bus call that stops, kills or masks a unit.
var unitCall = regexp.MustCompile(`(?:^|\.)(?:StopUnit|KillUnit|RestartUnit|TryRestartUnit|ReloadOrRestartUnit|MaskUnitFiles|DisableUnitFiles)$`)

// servicesPack: services stopped, or made to run commands, by the
// managers the host pack does not read: launchd, systemd over D-Bus and
// by unit files, compose's services.
var servicesPack = &Pack{Name: "services", Commands: []string{"launchctl", "busctl", "dbus-send", "gdbus", "systemctl",
	"docker-compose", "podman-compose", "docker", "podman"}, Rules: []Rule{
	{ID: "host.service-stop", When: func(c *call) bool {
		switch c.name {
		case "launchctl":
			if c.sub("bootout") || c.sub("unload") || c.sub("kill") || c.sub("stop") || c.sub("remove") || c.sub("disable") {
				for _, p := range c.pos {
					if p.dyn || dataUnit(p.s) {
						return true
					}
				}
			}
		case "busctl", "dbus-send", "gdbus":
			hit := false
			for _, a := range c.args {
				hit = hit || unitCall.MatchString(a.s)
			}
			if hit {
				for _, a := range c.args {
					if a.dyn || dataUnit(a.s) {
						return true
					}
				}
			}
		case "docker", "podman", "docker-compose", "podman-compose":
			compose := c.name == "docker-compose" || c.name == "podman-compose" || c.sub("compose")
			if compose && (c.sub("stop") || c.sub("kill") || c.sub("compose", "stop") || c.sub("compose", "kill") || c.sub("rm") || c.sub("compose", "rm")) {
				for _, p := range c.pos {
					// Compose files name the database service db most often.
					if l := strings.ToLower(p.s); p.dyn || dataUnit(l) || l == "db" || strings.Contains(l, "database") {
						return true
					}
				}
			}
		}
		return false
	}, Class: destructive, Reason: "stops a database or a service others depend on"},
	{ID: "host.unit-runs", When: func(c *call) bool {
		switch c.name {
		case "systemctl":
			// A unit file from the workspace or anywhere, linked or
			// enabled by path: what it runs is what the file says.
			if c.sub("link") || c.sub("enable") && slicesAnyPath(c) || c.sub("edit") || c.sub("set-property") {
				return true
			}
		}
		return false
	}, Class: unknown, Reason: "makes systemd run commands from a unit or property Chaperone does not read"},
}}

// slicesAnyPath: an operand given as a path (a unit file, not a name).
func slicesAnyPath(c *call) bool {
	for _, p := range c.pos {
		if p.dyn || strings.Contains(p.s, "/") {
			return true
		}
	}
	return false
}
