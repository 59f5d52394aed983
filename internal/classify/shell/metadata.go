package shell

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The instance metadata service hands out the machine's credentials to
// whatever asks it, by any client and on any path: the root lists the
// roles whose keys the next request reads. So any program given its
// address (as a URL, a host, host:port, a curl --resolve or --connect-to
// mapping, a proxy, a Host header), and code whose text names it, asks
// for credentials; only the few leaves that name the machine are reads.

// metadataAddress says whether s names a metadata service: a URL, a host,
// host:port, or any of curl's mappings (x:80:ADDR, ::ADDR:).
func metadataAddress(s string) bool {
	s = strings.TrimSpace(strings.Trim(s, `"'`))
	if s == "" {
		return false
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "host:"); ok {
		return metadataHostname(strings.TrimSpace(h))
	}
	if strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil {
			return metadataHostname(u.Hostname()) && !harmlessMetadata(u.Path)
		}
	}
	if start := strings.IndexByte(s, '['); start >= 0 {
		// [fd00:ec2::254]:80, ::[fd00:ec2::254]:
		if end := strings.IndexByte(s[start:], ']'); end > 0 && metadataHostname(s[start+1:start+end]) {
			return true
		}
	}
	if host, rest, ok := strings.Cut(s, "/"); ok && host != "" && !strings.Contains(host, "://") {
		// httpie's and xh's URLs without a scheme: 169.254.169.254/latest/…
		if strings.ContainsAny(host, ".") && metadataHostname(strings.Split(host, ":")[0]) {
			return !harmlessMetadata("/" + rest)
		}
	}
	// Outside a URL, a name of one label (metadata, instance-data) is as
	// likely a file or a word: only addresses and dotted names count.
	for _, part := range append(strings.Split(s, ":"), strings.Trim(s, "[]")) {
		part = strings.Trim(part, "[]/")
		if strings.ContainsAny(part, ".") && metadataHostname(part) || s != part && strings.Count(s, ":") > 2 && metadataHostname(strings.Trim(s, "[]")) {
			return true
		}
	}
	return false
}

// metadataHostname says whether host is a metadata service, however the
// address is written; a link-local address (169.254.0.0/16) with a part
// computed at run time ($((200+54)), $(echo 169)) counts too.
func metadataHostname(host string) bool {
	host = strings.ToLower(host)
	static, _, computed := strings.Cut(host, "$")
	if i := strings.IndexByte(static, '`'); i >= 0 {
		static, computed = static[:i], true
	}
	if computed {
		return strings.HasPrefix(static, "169.254.")
	}
	c := canonicalHost(host)
	for _, m := range metadataHosts {
		if c == m {
			return true
		}
	}
	return false
}

// harmlessMetadata: leaves that describe the machine and hand out nothing.
var harmlessMetadataPath = regexp.MustCompile(`(?i)^/(?:latest|[0-9-]+)/meta-data/(?:instance-id|instance-type|ami-id|hostname|local-hostname|local-ipv4|public-ipv4|public-hostname|mac|placement/(?:availability-zone|region|availability-zone-id))/?$|^/computeMetadata/v1/instance/(?:id|zone|hostname|machine-type|name)$|^/computeMetadata/v1/project/project-id$`)

func harmlessMetadata(p string) bool { return harmlessMetadataPath.MatchString(p) }

// metadataArgs judges a command whose arguments give a metadata service's
// address, whatever the program.
func (w *walker) metadataArgs(c *call) {
	if c.name == "ec2-metadata" || c.name == "aws" && c.sub("ec2-metadata") || c.name == "ec2metadata" {
		w.add("creds.instance-metadata", credential, c.name+" reads the instance metadata service, which hands out the machine's credentials")
		return
	}
	if slices.Contains(textOnly, c.name) {
		return // data, not a request: echo, grep, a commit message
	}
	for _, a := range c.args {
		v := a.s
		if i := strings.IndexByte(v, '='); i > 0 && strings.HasPrefix(v, "-") {
			v = v[i+1:] // --proxy=http://169.254.169.254
		}
		if metadataAddress(v) {
			w.add("creds.instance-metadata", credential, c.name+" is given the instance metadata service's address ("+a.s+"), which hands out the machine's credentials")
			w.target(a.s)
			return
		}
	}
}

// metadataInCode: inline code whose text names a metadata service.
var metadataURL = regexp.MustCompile(`(?i)[a-z]+://\[?[0-9a-z.:_-]+\]?(?::\d+)?[^\s'"` + "`" + `)]*`)

func metadataInCode(text string) string {
	for _, m := range metadataURL.FindAllString(text, -1) {
		if metadataAddress(m) {
			return m
		}
	}
	return ""
}

// textOnly programs take their arguments as text to print, search or
// record, never as a place to connect to.
var textOnly = []string{"echo", "printf", "grep", "egrep", "fgrep", "rg", "ag", "ack", "git", "sed", "awk", "gawk", "jq", "yq",
	"cat", "less", "more", "head", "tail", "wc", "sort", "uniq", "cut", "tr", "diff", "comm", "ls", "touch", "mkdir", "test",
	"[", "true", "false", ":", "tee", "sleep", "date", "basename", "dirname", "logger", "column", "fold", "fmt"}
