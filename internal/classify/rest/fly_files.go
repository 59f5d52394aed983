package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	pathpkg "path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/shell"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

// A machine's configuration writes files into it at boot
// (files[].guest_path, with raw_value or a secret's value), over what the
// image had there. A file is judged by what will read it:
//   - one that runs: a command or a code-bearing environment variable
//     names it, it is made executable, it starts with #!, or it lies where
//     the system or an image runs what it finds. A shell script is judged
//     by the shell guard; a program in another language, or content that
//     is not given or not text, is unknown;
//   - one on a volume the machine mounts replaces what the volume held;
//   - one a program reads its commands from (archive_command, init_file,
//     auto_prepend_file, a package.json's scripts, a Procfile…), one that
//     says who may log in or where names resolve (/etc/passwd, /etc/hosts),
//     and one under /dev, /proc or /sys is unknown;
//   - anything else (nginx.conf, a page, an app's settings) is a write.

// machineFile is one file the configuration writes.
type machineFile struct {
	path   string // cleaned
	text   string
	known  bool // the content is given, and is text
	binary bool
	exec   bool
	secret bool // the content is a secret's value
}

// machineFiles judges the files a configuration writes.
func machineFiles(tree any, cmds [][]string, create bool) []action.Reason {
	named := namedByCommands(cmds)
	var files []machineFile
	var mounts []string // paths where an existing volume is mounted
	var statics []string
	buckets := false
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "env":
					for name, val := range mapOf(e) {
						if s, ok := val.(string); ok && shell.ExecVar(name) {
							// NODE_OPTIONS="--require /x.js",
							// LD_PRELOAD=/a.so:/b.so: every path a
							// code-bearing value holds.
							for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ':' || r == '=' || r == ',' }) {
								named[pathpkg.Clean("/"+w)] = true
							}
						}
					}
				case "mounts":
					for _, item := range listOf(e) {
						m := mapOf(item)
						p, _ := m["path"].(string)
						vol, _ := m["volume"].(string)
						// On a new machine, a mount without a volume
						// id makes a new, empty volume: nothing is
						// there to replace.
						if p != "" && (vol != "" || !create) {
							mounts = append(mounts, pathpkg.Clean("/"+p))
						}
					}
				case "files":
					for _, item := range listOf(e) {
						files = append(files, readMachineFile(mapOf(item)))
					}
				case "statics":
					for _, item := range listOf(e) {
						if p, ok := mapOf(item)["guest_path"].(string); ok {
							statics = append(statics, pathpkg.Clean("/"+p))
						}
						if d, ok := mapOf(item)["index_document"].(string); ok {
							if u, err := url.PathUnescape(d); err != nil || strings.Contains(u, "..") || strings.Contains(d, "..") || strings.Contains(u, "\\") {
								statics = append(statics, "/") // it climbs out of what it serves
							}
						}
						if u, ok := mapOf(item)["url_prefix"].(string); ok && strings.Contains(u, "..") {
							statics = append(statics, "/")
						}
						if _, ok := mapOf(item)["tigris_bucket"]; ok {
							buckets = true
						}
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(tree)
	var out []action.Reason
	add := func(id string, class action.Class, msg string) {
		out = append(out, action.Reason{ID: id, Class: class, Message: msg})
	}
	for _, st := range statics {
		// statics serve a directory of the machine on the app's public
		// address.
		for _, f := range files {
			if f.secret && under(f.path, st) {
				add("fly.secrets-values", action.ClassCredentialAccess, "the machine serves "+st+" publicly, with "+f.path+", a secret's value, in it")
			}
		}
		for _, m := range mounts {
			if under(m, st) || under(st, m) {
				add("ops.expose", destructive, "the machine serves "+st+" publicly: the volume mounted at "+m+" is readable by anyone")
			}
		}
		// Only a directory served as pages and assets is published as
		// a plain write; anything else (/app, /rails/config, /opt, a
		// backup directory) may hold the app's source and secrets.
		dirs := strings.Split(strings.ToLower(st), "/")
		if !slices.ContainsFunc(dirs, func(d string) bool { return slices.Contains(servedDirs, d) }) || under(st, "/etc") || under(st, "/proc") ||
			under(st, "/sys") || under(st, "/dev") || under(st, "/.fly") || under(st, "/root") || under(st, "/run") {
			add("ops.expose", destructive, "the machine serves "+st+" publicly, a directory that is not a site's pages and assets")
		}
	}
	if buckets {
		add("ops.expose", action.ClassUnknown, "the machine serves a storage bucket publicly (statics tigris_bucket): what it holds is not seen here")
	}
	for _, f := range files {
		for _, m := range mounts {
			if under(f.path, m) {
				add("fly.volume-overwrite", destructive, "the machine writes "+f.path+" at boot, on the volume mounted at "+m+": what the volume held there is replaced")
			}
		}
		if msg := systemFile(f.path); msg != "" {
			add("fly.system-file", action.ClassUnknown, "the machine writes "+f.path+" at boot: "+msg)
			continue
		}
		if !named[f.path] && !f.exec && !runsUnnamed(f.path, f.text) {
			switch msg := commandsIn(f); {
			case f.binary && inert(f):
				// an image or a font where pages are served
			case msg != "":
				add("fly.command-unreadable", action.ClassUnknown, "the machine writes "+f.path+", "+msg)
			case pathpkg.Base(f.path) == "package.json":
				out = append(out, packageScripts(f)...)
			case !inert(f):
				add("fly.command-unreadable", action.ClassUnknown, "the machine writes "+f.path+", which a program on it reads as it likes "+
					"(a configuration, template or module can make it run code): only pages and assets in a served directory, and certificates, are plain writes")
			}
			continue
		}
		if strings.HasSuffix(f.path, ".sql") && f.known {
			// An image's init directory runs SQL files against its
			// database (docker-entrypoint-initdb.d).
			for _, reason := range sql.Reasons(f.text) {
				reason.Message = "the machine may run " + f.path + ", which the configuration writes: " + reason.Message
				out = append(out, reason)
			}
			continue
		}
		if lang := codeLanguage(f.path, f.text); lang != "" || f.binary {
			if lang == "" {
				lang = "a program"
			}
			add("fly.command-unreadable", action.ClassUnknown, "the machine may run "+f.path+", "+lang+" the configuration writes, which Chaperone does not judge")
			continue
		}
		if !f.known {
			add("fly.command-unreadable", action.ClassUnknown, "the machine may run "+f.path+", a file the configuration writes with content Chaperone cannot read")
			continue
		}
		for _, reason := range flyShell.ClassifyService(f.text).Reasons {
			reason.Message = "the machine may run " + f.path + ", which the configuration writes: " + reason.Message
			out = append(out, reason)
		}
	}
	return out
}

func readMachineFile(m map[string]any) machineFile {
	p, _ := m["guest_path"].(string)
	f := machineFile{path: pathpkg.Clean("/" + p)}
	if raw, ok := m["raw_value"].(string); ok {
		if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
			if utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f }) {
				f.text, f.known = string(b), true
			} else {
				f.binary = true
			}
		}
	}
	if _, ok := m["secret_name"]; ok && !f.known {
		f.secret = true
	}
	if mode, ok := fileMode(m["mode"]); ok && mode&0o111 != 0 {
		f.exec = true
	}
	return f
}

// namedByCommands: the files the commands run, as their program or as
// the script a shell or an interpreter is given; not every word (nginx -c
// /etc/nginx/nginx.conf reads a configuration, it does not run it).
func namedByCommands(cmds [][]string) map[string]bool {
	named := map[string]bool{}
	for _, c := range cmds {
		if len(c) == 0 {
			continue
		}
		named[pathpkg.Clean("/"+c[0])] = true
		prog := pathpkg.Base(c[0])
		for i, w := range c {
			// sh -c 'source /app/config; exec app': every path the
			// shell's script names may be run or sourced by it.
			if i > 0 && strings.HasPrefix(w, "-") && strings.Contains(w, "c") && !strings.HasPrefix(w, "--") && i+1 < len(c) && slices.Contains(interpreters, prog) {
				for _, word := range strings.FieldsFunc(c[i+1], func(r rune) bool { return strings.ContainsRune(" \t\n;&|()<>`$'\"", r) }) {
					if strings.HasPrefix(word, "/") || strings.HasPrefix(word, "./") {
						named[pathpkg.Clean("/"+word)] = true
					}
				}
			}
		}
		if slices.Contains(interpreters, prog) || strings.HasPrefix(prog, "python") {
			for _, w := range c[1:] {
				if !strings.HasPrefix(w, "-") {
					named[pathpkg.Clean("/"+w)] = true
				}
			}
		}
	}
	return named
}

var interpreters = []string{"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox", "source", ".", "exec", "env", "node", "deno", "bun", "perl",
	"ruby", "php", "lua", "tini", "dumb-init", "su-exec", "gosu", "s6-setuidgid", "nohup", "setsid", "timeout", "nice"}

func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

// fileMode reads a file's mode as JSON gives it: a number (read with its
// digits kept, or as a float) or a string of digits.
func fileMode(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		f, err := x.Float64()
		return int64(f), err == nil
	case string:
		n, err := strconv.ParseInt(x, 0, 64)
		return n, err == nil
	}
	return 0, false
}

// runsUnnamed says whether a file is run though nothing in the
// configuration names it: a script by its first line or its name, or a
// file where the system or an image runs what it finds (an entrypoint, a
// login shell's profile, init and cron directories), or code the linker
// or a runtime loads.
func runsUnnamed(path, text string) bool {
	if strings.HasPrefix(text, "#!") || runsCode(path) {
		return true
	}
	base := strings.ToLower(pathpkg.Base(path))
	ext := pathpkg.Ext(base)
	scriptish := ext == "" || ext == ".sh" || ext == ".bash" || ext == ".zsh" || ext == ".ksh"
	if ext == ".sh" || ext == ".bash" || ext == ".zsh" || ext == ".ksh" || slices.Contains(shellStartup, base) {
		return true
	}
	if scriptish && (strings.Contains(base, "entrypoint") || strings.HasPrefix(base, "start") || strings.HasPrefix(base, "run")) {
		return true
	}
	for _, dir := range []string{"/etc/profile.d/", "/etc/init.d/", "/etc/rc", "/etc/cron", "/var/spool/cron/", "/etc/anacrontab",
		"/etc/periodic/", "/etc/systemd/", "/etc/supervisor", "/docker-entrypoint.d/", "/docker-entrypoint-initdb.d/", "/etc/s6-overlay/",
		"/etc/services.d/", "/etc/cont-init.d/", "/etc/cont-finish.d/", "/usr/local/bin/", "/usr/bin/", "/bin/", "/sbin/", "/usr/sbin/",
		"/usr/local/sbin/", "/etc/inittab", "/etc/logrotate", "/etc/update-motd.d/", "/etc/network/if-"} {
		if strings.HasPrefix(path, dir) {
			return true
		}
	}
	return false
}

// shellStartup are the files a shell reads at login or start.
var shellStartup = []string{".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", ".zshenv", ".zlogin",
	".kshrc", ".mkshrc", "bash.bashrc", "profile", "zshrc", "zprofile", "zshenv", "environment", ".bash_logout", "csh.cshrc", ".cshrc", ".tcshrc"}

// runsCode says whether a file lies where the dynamic linker or a
// language's runtime loads it without being asked: ld.so.preload, a
// shared library, a Python path hook, a module outside a directory that
// is only served to browsers.
func runsCode(path string) bool {
	if path == "/etc/ld.so.preload" || strings.HasPrefix(path, "/etc/ld.so.conf") {
		return true
	}
	lang := codeExt(path)
	if lang == "JavaScript" || lang == "TypeScript" {
		for _, d := range []string{"/public/", "/static/", "/assets/", "/html/", "/www/", "/dist/client/"} {
			if strings.Contains(path, d) {
				return false // a page's script, run by the browser
			}
		}
	}
	return lang != ""
}

// codeExts are the extensions of programs in languages other than the
// shell's, and of what the linker loads.
var codeExts = map[string]string{".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".ts": "TypeScript",
	".py": "Python", ".pyc": "Python", ".pth": "Python", ".rb": "Ruby", ".php": "PHP", ".pl": "Perl", ".pm": "Perl", ".lua": "Lua",
	".jar": "Java", ".class": "Java", ".so": "a shared library", ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".beam": "Erlang"}

func codeExt(path string) string {
	base := pathpkg.Base(path)
	if i := strings.Index(base, ".so."); i > 0 {
		return "a shared library"
	}
	return codeExts[strings.ToLower(pathpkg.Ext(base))]
}

// codeLanguage names the language of a file that runs when it is not the
// shell's: by its extension, by its first line (#!/usr/bin/env node), or
// the linker's list of libraries to load into every program.
func codeLanguage(path, text string) string {
	if path == "/etc/ld.so.preload" || strings.HasPrefix(path, "/etc/ld.so.conf") {
		return "a list of libraries loaded into every program"
	}
	if line, _, _ := strings.Cut(text, "\n"); strings.HasPrefix(line, "#!") {
		words := strings.Fields(strings.TrimPrefix(line, "#!"))
		if len(words) > 0 && pathpkg.Base(words[0]) == "env" {
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
		}
		if len(words) > 0 {
			switch interp := pathpkg.Base(words[0]); interp {
			case "sh", "bash", "dash", "ash", "zsh", "ksh", "busybox":
				return ""
			default:
				return "a " + interp + " program"
			}
		}
	}
	if lang := codeExt(path); lang != "" {
		if strings.HasPrefix(lang, "a ") {
			return lang
		}
		return "a " + lang + " program"
	}
	return ""
}

// systemFile says what a file the system reads for who may log in, where
// names resolve, or what every program loads is; "" for others. Devices
// and the kernel's files are written through to what they stand for.
func systemFile(path string) string {
	switch {
	case strings.HasPrefix(path, "/dev/") || strings.HasPrefix(path, "/proc/") || strings.HasPrefix(path, "/sys/"):
		return "a device or a kernel setting, written through to what it stands for"
	case slices.Contains([]string{"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/hosts", "/etc/resolv.conf",
		"/etc/nsswitch.conf", "/etc/environment", "/etc/security/pam_env.conf", "/etc/gitconfig", "/etc/inittab"}, path),
		strings.HasPrefix(path, "/etc/sudoers.d/"), strings.HasPrefix(path, "/etc/pam.d/"), strings.HasPrefix(path, "/etc/ssh/"),
		strings.HasSuffix(path, "/.ssh/authorized_keys"), strings.HasSuffix(path, "/.gitconfig"):
		return "it decides who may log in, where names resolve, or what programs run"
	}
	base := pathpkg.Base(path)
	if base == ".env" || strings.HasPrefix(base, ".env.") {
		return "the environment the app reads its settings and credentials from"
	}
	return ""
}

// commandKeys: settings that name a command, a library or a script a
// program runs (PostgreSQL's archive_command and preload libraries,
// MySQL's init_connect and init_file, PHP's auto_prepend_file, git's
// fsmonitor and sshCommand, logrotate's postrotate, systemd's Exec*,
// LiteFS's and supervisord's exec and command, Make's recipes).
var commandKeys = regexp.MustCompile(`(?im)^\s*"?(?:archive_command|restore_command|archive_cleanup_command|recovery_end_command|ssl_passphrase_command|` +
	`(?:shared|session|local)_preload_libraries|init_connect|init[-_]file|init[-_]command|auto_(?:prepend|append)_file|sendmail_path|fsmonitor|sshcommand|hookspath|` +
	`askpass|pager|editor|(?:pre|post)rotate|firstaction|lastaction|exec[\w-]*|cmds?|commands?|program|scripts?|entrypoint|hook[\w-]*|` +
	`(?:pre|post)-invoke[\w-]*|-\s*cmd)"?\s*[:=]|^[\w.-]+\s*:\s*[^=\n]*\n\t|\w*_by_lua\w*|perl_(?:set|modules|require)|\blua_\w+_file|load_module`)

// commandsIn says why a file a program reads may make it run something,
// or "".
func commandsIn(f machineFile) string {
	base := strings.ToLower(pathpkg.Base(f.path))
	switch {
	case f.binary:
		return "content that is not text, over what the image had there"
	case base == "procfile" || base == "makefile" || base == "gnumakefile" || strings.HasSuffix(base, ".mk"):
		return "a list of commands a tool runs"
	case f.known && commandKeys.MatchString(f.text):
		return "a configuration that names a command or a library a program runs (" + strings.TrimSpace(commandKeys.FindString(f.text)) + ")"
	}
	return ""
}

// packageScripts judges a package.json's scripts, which npm, yarn and
// pnpm run by name (npm start).
func packageScripts(f machineFile) []action.Reason {
	if pathpkg.Base(f.path) != "package.json" || !f.known {
		return nil
	}
	var pkg struct {
		Scripts map[string]any `json:"scripts"`
	}
	if json.Unmarshal([]byte(f.text), &pkg) != nil {
		return []action.Reason{{ID: "fly.command-unreadable", Class: action.ClassUnknown, Message: "the machine writes " + f.path + ", which does not parse"}}
	}
	var out []action.Reason
	for name, v := range pkg.Scripts {
		s, ok := v.(string)
		if !ok {
			out = append(out, action.Reason{ID: "fly.command-unreadable", Class: action.ClassUnknown, Message: f.path + "'s script " + name + " is not a string"})
			continue
		}
		for _, r := range flyShell.ClassifyService(s).Reasons {
			r.Message = "the machine's " + f.path + " script " + name + " runs " + s + ": " + r.Message
			out = append(out, r)
		}
	}
	return out
}

// A configuration file is read by whatever program the image runs, and
// almost any format can make one run code (an ERB database.yml, uWSGI's
// attach-daemon, an Apache piped log, a php.ini's auto_append_file, a
// package.json's main, a JVM options file): reading keys cannot close
// that. So a file is a plain write only where it is served as a page or
// asset, or is a certificate; anything else is for a human to look at.

// servedDirs are directory names web servers and frameworks serve files
// from as they are.
var servedDirs = []string{"public", "static", "assets", "dist", "www", "html", "htdocs", "media", "_next", "images", "img", "css", "fonts"}

// pageExts are what such directories hold.
var pageExts = []string{".html", ".htm", ".css", ".js", ".mjs", ".map", ".svg", ".txt", ".json", ".xml", ".webmanifest",
	".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".avif", ".woff", ".woff2", ".ttf", ".otf"}

// inert says whether a file is only read as data: a page or asset in a
// served directory, or a certificate or public key.
func inert(f machineFile) bool {
	base := strings.ToLower(pathpkg.Base(f.path))
	ext := pathpkg.Ext(base)
	if slices.Contains([]string{".pem", ".crt", ".cer", ".pub"}, ext) && !f.binary {
		return true
	}
	if f.secret || !slices.Contains(pageExts, ext) {
		return false
	}
	dirs := strings.Split(strings.ToLower(pathpkg.Dir(f.path)), "/")
	if !slices.ContainsFunc(dirs, func(d string) bool { return slices.Contains(servedDirs, d) }) {
		return false
	}
	if f.binary {
		return !slices.Contains([]string{".html", ".htm", ".css", ".js", ".mjs", ".map", ".svg", ".txt", ".json", ".xml", ".webmanifest"}, ext)
	}
	return true
}
