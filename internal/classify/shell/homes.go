package shell

import (
	"fmt"
	"net"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Credentials reached without naming them: a whole home copied, archived
// or served (tar czf h.tgz ~ takes ~/.ssh with it), a path held in the
// variable that names a credential file (cat $KUBECONFIG), the cloud's
// instance metadata service, and the environment read through other
// doors than env and printenv.

// holdsSecrets: a directory that holds the credential directories of a
// user: a home, every home, or the root.
func holdsSecrets(p string) bool {
	c := strings.ToLower(path.Clean(strings.Trim(p, `"'`)))
	switch c {
	case "~", "$home", "/", "/home", "/root", "/users", "/var/lib/postgresql":
		return true
	}
	d := path.Dir(c)
	return d == "/home" || d == "/users"
}

// holdsConfig: the machine's and the user's configuration and state
// (/etc, ~/.config, /var/lib, /srv, /opt), where services and tools keep
// their passwords and tokens beside everything else.
func holdsConfig(p string) bool {
	c := strings.ToLower(path.Clean(strings.Trim(p, `"'`)))
	for _, d := range []string{"/etc", "~/.config", "~/.local", "/var/lib", "/srv", "/opt", "$home/.config"} {
		if c == d || strings.HasPrefix(c, d+"/") {
			return true
		}
	}
	return strings.HasSuffix(c, "/.config") || strings.Contains(c, "/.config/")
}

// wholeTreeReaders copy, archive, sync or serve every file under their
// operands, and the flags that make them recurse ("" when they always do).
var wholeTreeReaders = map[string][]string{
	"cp": {"-r", "-R", "-a", "--recursive", "--archive"}, "scp": {"-r"}, "rsync": nil, "tar": nil, "zip": {"-r", "--recurse-paths"},
	"7z": nil, "7za": nil, "rar": nil, "duplicity": nil, "restic": nil, "borg": nil, "rclone": nil, "gsutil": nil,
	"cpio": nil, "pax": nil, "ditto": nil, "git": nil, "fd": {"-x", "--exec", "-X", "--exec-batch"}, "fdfind": {"-x", "--exec", "-X", "--exec-batch"},
}

// servers serve a directory over HTTP: its files, credentials included,
// to whoever asks.
var servers = map[string][]string{
	"python": {"-d", "--directory"}, "python3": {"-d", "--directory"}, "php": {"-t"}, "busybox": {"-h"}, "httpd": {"-h"}, "serve": nil, "http-server": nil,
}

// recursiveSearch: a search or comparison that reads every file under its
// operands (grep -r, rg, diff -r, git grep --no-index).
func recursiveSearch(c *call) bool {
	switch c.name {
	case "rg", "ag", "ack", "ugrep", "ripgrep":
		return !c.has("-l", "-c", "--files-with-matches", "--count", "--files", "-q", "--quiet")
	case "grep", "egrep", "fgrep", "diff", "zgrep":
		if c.name != "diff" && (c.has("-l", "-L", "-c", "-q", "--files-with-matches", "--files-without-match", "--count", "--quiet", "--silent") ||
			shortBundle(c, 'l') || shortBundle(c, 'L') || shortBundle(c, 'c') || shortBundle(c, 'q')) {
			return false // names or counts, not lines
		}
		if c.name == "diff" && c.has("-q", "--brief") {
			return false
		}
		for _, f := range c.flags {
			if f == "--recursive" || f == "--dereference-recursive" || !strings.HasPrefix(f, "--") && strings.ContainsAny(f, "rR") {
				return true
			}
		}
	}
	return false
}

// homeReads judges a command that reads a whole home, or serves one.
func (w *walker) homeReads(c *call) {
	if recursiveSearch(c) {
		for _, p := range c.pos {
			if s, dyn := w.place(p.s, p.dyn); !dyn && w.homeLike(s) {
				w.add("creds.read-secret-file", credential, c.name+" reads every file under "+s+", credentials (~/.ssh, ~/.aws...) included")
				w.target(s)
				return
			}
		}
	}
	if c.name == "git" && c.sub("grep") && c.has("--no-index", "--untracked") {
		if d, ok := c.flagValue("-C"); ok && holdsSecrets(d) {
			w.add("creds.read-secret-file", credential, "git grep reads every file under "+d+", credentials included")
			return
		}
	}
	if c.name == "git" && c.sub("diff") && c.has("--no-index") {
		// git diff --no-index A B prints every line of both trees.
		for _, p := range c.pos[1:] {
			if s, dyn := w.place(p.s, p.dyn); !dyn && len(w.secretsUnder(s)) > 0 {
				w.add("creds.read-secret-file", credential, "git diff --no-index prints every file under "+s+", "+w.secretsUnder(s)[0]+" included")
				w.target(s)
				return
			}
		}
	}
	if c.name == "tar" && tarCreates(c) && tarToStdout(c) || c.name == "zip" && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "-" }) {
		// An archive written to standard output carries the files' bytes
		// there: tar cf - . | tar xO prints .env.
		base := "."
		if d := optionValues(c, "-C", "--directory"); len(d) > 0 {
			base = d[len(d)-1].s
		}
		for _, p := range c.pos {
			if p.afterFlag && (p.flag == "-C" || p.flag == "--directory" || p.flag == "-f" || p.flag == "--file") || p.s == "-" || p.dyn {
				continue
			}
			dir := p.s
			if !strings.HasPrefix(dir, "/") && !strings.HasPrefix(dir, "~") {
				dir = path.Join(base, dir)
			}
			if s, dyn := w.place(dir, false); !dyn {
				if found := w.secretsUnder(s); len(found) > 0 {
					w.add("creds.read-secret-file", credential, c.name+" writes the files under "+s+", "+found[0]+" included, to standard output")
					w.target(found[0])
					return
				}
			}
		}
	}
	if c.name == "tar" && tarCreates(c) {
		// tar -C ~ -c .: what it reads is relative to -C.
		for _, d := range optionValues(c, "-C", "--directory") {
			if s, dyn := w.place(d.s, d.dyn); !dyn && holdsSecrets(s) && slices.ContainsFunc(c.pos, func(p positional) bool {
				return !p.afterFlag && !p.dyn && !strings.HasPrefix(p.s, "/") && !strings.HasPrefix(p.s, "~")
			}) {
				w.add("creds.read-secret-file", credential, "tar reads everything under "+s+", credentials (~/.ssh, ~/.aws...) included")
				w.target(s)
				return
			}
		}
	}
	w.forcedAdd(c)
	w.gitWholeTree(c)
	if flags, ok := wholeTreeReaders[c.name]; ok && (flags == nil || c.has(flags...)) {
		if c.name == "git" {
			// git -C ~ add -A: the repository is the home.
			if d, ok := c.flagValue("-C"); ok && holdsSecrets(d) && slices.Contains(argStrings(c.args), "add") {
				w.add("creds.read-secret-file", credential, "git adds everything under "+d+", credentials included, to a repository")
				return
			}
		}
		if c.name == "git" && !(c.sub("add") || c.sub("archive")) || c.name == "tar" && !tarCreates(c) {
			return
		}
		for _, p := range c.pos {
			if p.afterFlag && (p.flag == "-C" || p.flag == "--directory" || p.flag == "-f" || p.flag == "--file") {
				continue // where tar works, or its archive: not what it reads
			}
			if s, dyn := w.place(p.s, p.dyn); !dyn && holdsSecrets(s) {
				w.add("creds.read-secret-file", credential, c.name+" reads everything under "+s+", credentials (~/.ssh, ~/.aws...) included")
				w.target(s)
				return
			}
		}
	}
	opts, ok := servers[c.name]
	if !ok || (c.name == "python" || c.name == "python3") && !slices.Contains(argStrings(c.args), "http.server") ||
		c.name == "php" && !c.has("-S") || c.name == "busybox" && !c.sub("httpd") {
		return
	}
	dirs := optionValues(c, opts...)
	if len(dirs) == 0 && (c.name == "serve" || c.name == "http-server") && len(c.pos) > 0 {
		dirs = append(dirs, c.pos[0].arg)
	}
	if len(dirs) == 0 {
		dirs = []arg{{s: "."}}
	}
	for _, d := range dirs {
		if s, dyn := w.place(d.s, d.dyn); !dyn && holdsSecrets(s) || !dyn && isSecretDir(s) {
			w.add("creds.read-secret-file", credential, c.name+" serves "+s+" over HTTP, credentials included")
			w.target(s)
		}
	}
}

func argStrings(as []arg) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.s
	}
	return out
}

// credentialFileVars name the file that holds a credential.
var credentialFileVars = regexp.MustCompile(`^(?:KUBECONFIG|HISTFILE|PSQL_HISTORY|MYSQL_HISTFILE|REDISCLI_HISTFILE|NODE_REPL_HISTORY|PYTHON_HISTORY|SQLITE_HISTORY|LESSHISTFILE|RCLONE_CONFIG|BOTO_CONFIG|S3CMD_CONFIG|AZURE_CONFIG_DIR|CLOUDSDK_CONFIG|GH_CONFIG_DIR|TF_CLI_CONFIG_FILE|OCI_CLI_CONFIG_FILE|KAGGLE_CONFIG_DIR|SOPS_AGE_KEY_FILE|ANSIBLE_VAULT_PASSWORD_FILE|GOOGLE_GHA_CREDS_PATH|FIREBASE_CONFIG|GOOGLE_CLOUD_KEYFILE_JSON|AWS_SHARED_CREDENTIALS_FILE|AWS_CONFIG_FILE|AWS_WEB_IDENTITY_TOKEN_FILE|DOCKER_CONFIG|NETRC|PGPASSFILE|PGSERVICEFILE|VAULT_CONFIG_PATH|SSH_KEY|GIT_SSH_KEY|.*_(?:CREDENTIALS|CREDENTIALS_FILE|CREDS_FILE|KEY_FILE|KEYFILE|TOKEN_FILE|SECRET_FILE|PASSWORD_FILE|PASSFILE|PRIVATE_KEY_PATH|KEY_PATH))$`)

// credentialVarPath: an argument that expands a variable naming a
// credential file (cat $KUBECONFIG, ${AWS_CONFIG_FILE%config}credentials).
func credentialVarPath(a arg) string {
	for _, v := range a.vars {
		if credentialFileVars.MatchString(strings.ToUpper(v)) {
			return v
		}
	}
	return ""
}

// metadataHosts are the cloud instance metadata services, and the paths
// on them that hand out the machine's credentials.
var (
	metadataHosts = []string{"169.254.169.254", "metadata.google.internal", "metadata", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "169.254.169.253",
		"instance-data", "instance-data.ec2.internal", "metadata.azure.internal"}
	metadataCreds = regexp.MustCompile(`(?i)security-credentials|token|identity|service-accounts|credentials|user-data|userdata|iam|/v2/|ram/`)
)

// metadataRequest judges a request to an instance metadata service.
func (w *walker) metadataRequest(c *call, r request) {
	// 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: the host ends
	// where the variable starts.
	host, _, _ := strings.Cut(strings.ToLower(r.url.Hostname()), "$")
	host = canonicalHost(host)
	if !slices.Contains(metadataHosts, host) {
		return
	}
	if host == "169.254.170.2" || metadataCreds.MatchString(r.url.Path+"?"+r.url.RawQuery) {
		w.add("creds.instance-metadata", credential, c.name+" asks the cloud's instance metadata service for "+r.url.Path+", which hands out the machine's credentials")
		w.target(r.url.Host + r.url.Path)
	}
}

// envWhole: code that reads the whole environment through other doors than
// env: perl's %ENV, ruby's ENV as a whole, awk's ENVIRON walked.
var envWhole = regexp.MustCompile(`%ENV\b|\$ENV\{\s*\$|\bENV\.(?:to_h|to_a|each|inspect|keys|values|map|select|filter|sort|to_s)\b|\b(?:p|pp|puts|print)\s*\(?\s*ENV\b|for\s*\(\s*\w+\s+in\s+ENVIRON\s*\)|ENVIRON\s*\[\s*[^"\]\s]`)

func (w *walker) envReads(c *call) {
	if c.name != "ps" {
		return
	}
	for _, a := range c.args {
		// BSD-style options without a dash: e adds each process's
		// environment (ps eww, ps auxe); -e only means every process.
		if !a.dyn && !strings.HasPrefix(a.s, "-") && isLetters(a.s) && strings.Contains(a.s, "e") && len(a.s) <= 8 {
			w.add("creds.env-dump", credential, "ps "+a.s+" prints processes' environments, tokens included")
			return
		}
	}
}

// tarCreates: tar making or adding to an archive, reading its operands.
func tarCreates(c *call) bool {
	return c.has("-c", "--create", "-r", "--append", "-u", "--update") || shortBundle(c, 'c') || oldStyleTar(c, 'c') ||
		shortBundle(c, 'r') || shortBundle(c, 'u') || oldStyleTar(c, 'r') || oldStyleTar(c, 'u')
}

// canonicalHost reads a host as resolvers read it, so that an address
// written another way is the address: IPv4 as inet_aton takes it (one to
// four parts, each decimal, octal with a leading 0, or hex with 0x:
// 2852039166, 0xa9fea9fe, 0251.0376.0251.0376), IPv4 in IPv6 (::ffff:...),
// and names that wildcard DNS services answer with the address they spell
// (169.254.169.254.nip.io, 169-254-169-254.sslip.io, a9fea9fe.nip.io).
func canonicalHost(h string) string {
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	for _, d := range []string{".nip.io", ".sslip.io", ".xip.io", ".traefik.me", ".localtest.me"} {
		if name, ok := strings.CutSuffix(h, d); ok {
			// The address is the name's last four parts (dots or dashes),
			// or its last part in hex.
			name = strings.ReplaceAll(name, "-", ".")
			parts := strings.Split(name, ".")
			if len(parts) > 4 {
				name = strings.Join(parts[len(parts)-4:], ".")
			} else if len(parts) > 1 && len(parts) < 4 {
				name = parts[len(parts)-1]
			}
			if len(name) == 8 && !strings.Contains(name, ".") {
				name = "0x" + name
			}
			h = name
		}
	}
	if v4, ok := strings.CutPrefix(h, "::ffff:"); ok {
		if ip := net.ParseIP(h); ip != nil && ip.To4() != nil {
			return ip.To4().String()
		}
		h = v4
	}
	if ip, ok := atonIPv4(h); ok {
		return ip
	}
	return h
}

// atonIPv4 parses s as inet_aton does.
func atonIPv4(s string) (string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return "", false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if p == "" || err != nil {
			return "", false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 255 {
			return "", false
		}
		n |= vals[i] << (24 - 8*uint(i))
	}
	if vals[last] >= 1<<(32-8*uint(last)) {
		return "", false
	}
	n |= vals[last]
	return fmt.Sprintf("%d.%d.%d.%d", n>>24, n>>16&255, n>>8&255, n&255), true
}

// homeLike: a home, or a directory that holds what a home does (.ssh,
// .aws, ...): reading its whole tree reads credentials.
func (w *walker) homeLike(dir string) bool {
	if holdsSecrets(dir) {
		return true
	}
	for _, s := range w.secretsUnder(dir) {
		if isSecretDir(s) {
			return true
		}
	}
	return false
}

// tarToStdout: tar writes its archive to standard output (-f -, or no -f
// at all, where TAPE is not set).
func tarToStdout(c *call) bool {
	if v, ok := bundleValue(c, 'f'); ok {
		return v == "-"
	}
	if v, ok := oldStyleValue(c, 'f'); ok {
		return v.s == "-"
	}
	if f := optionValues(c, "-f", "--file"); len(f) > 0 {
		return f[len(f)-1].s == "-"
	}
	return !oldStyleTar(c, 'f')
}

// forcedAdd: git add --force stages what .gitignore keeps out, and the
// files kept out are, first of all, the secrets (.env, master.key). Staged,
// they are printed by git diff --cached and pushed with the next commit.
// A directory (or the whole tree, with -A and no path) holding one is a
// credential read, as git add -f .env is.
func (w *walker) forcedAdd(c *call) {
	if c.name != "git" || !c.sub("add") || !c.has("-f", "--force") {
		return
	}
	var dirs []string
	for _, p := range c.pos {
		if p.s == "add" && !p.afterFlag {
			continue
		}
		if p.dyn {
			return // judged by the other rules as a dynamic path
		}
		dirs = append(dirs, strings.TrimPrefix(p.s, ":/"))
	}
	if len(dirs) == 0 && c.has("-A", "--all") {
		dirs = []string{"."}
	}
	for _, d := range dirs {
		if d == "" || d == "*" {
			d = "."
		}
		if full := w.resolve(d); full == "" {
			continue
		} else if fi, err := os.Stat(full); err != nil || !fi.IsDir() {
			continue
		}
		if s := w.secretsUnder(d); len(s) > 0 {
			w.add("creds.read-secret-file", credential, "git add --force stages "+s[0]+", which .gitignore keeps out and which holds credentials")
			w.target(s[0])
			return
		}
	}
}
