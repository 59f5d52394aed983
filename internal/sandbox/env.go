package sandbox

import (
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Upstream is one upstream of the session and the variables its tools read.
type Upstream struct {
	Name     string
	Postgres bool
	Vars     []string
}

// EnvSpec is what the command's environment is made from.
type EnvSpec struct {
	// Base is the environment run was started with.
	Base []string
	// Strip names variables that hold real credentials (the config's
	// ${VAR} references): they never reach the command.
	Strip []string
	Token string
	// Env is the session's environment (CHAPERONE_ENV, for the hooks).
	Env       string
	Upstreams []Upstream
	// ProxyURL is the forward proxy inside ("" when serve runs none).
	ProxyURL string
	// PGAddr is the PostgreSQL gateway inside.
	PGAddr     string
	CABundle   string
	HookSocket string
}

// hostRoutes are variables that name a way to another program outside the
// sandbox; the sockets they name are hidden anyway, and a command should
// not be told to try them.
var hostRoutes = []string{"SSH_AUTH_SOCK", "DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY",
	"XAUTHORITY", "DOCKER_HOST", "CONTAINER_HOST", "TMUX", "STY", "GPG_AGENT_INFO", "CHAPERONE_CONFIG"}

// proxyVars are every spelling of the proxy variables clients read.
var proxyVars = []string{"HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "all_proxy", "no_proxy"}

// caVars are where common clients look for extra trusted roots: OpenSSL
// (curl, git, Python's ssl, Go), Node, requests, curl and git by name.
var caVars = []string{"SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"}

// Environment builds the command's environment, and returns with it the
// value each upstream variable was given (for the workspace's stand-ins).
// When two upstreams claim a variable, the first in the session's order
// has it.
func Environment(s EnvSpec) ([]string, map[string]string) {
	set := map[string]string{}
	values := map[string]string{}
	for _, u := range s.Upstreams {
		for _, v := range u.Vars {
			if _, taken := values[v]; taken {
				continue
			}
			values[v] = upstreamValue(u, v, s.Token, s.PGAddr)
		}
	}
	for k, v := range values {
		set[k] = v
	}
	set["CHAPERONE_TOKEN"] = s.Token
	set["CHAPERONE_ENV"] = s.Env
	if s.HookSocket != "" {
		set["CHAPERONE_HOOK_SOCKET"] = s.HookSocket
	}
	if s.ProxyURL != "" {
		for _, k := range proxyVars[:6] {
			set[k] = s.ProxyURL
		}
		set["NO_PROXY"], set["no_proxy"] = "localhost,127.0.0.1,::1", "localhost,127.0.0.1,::1"
	}
	if s.CABundle != "" {
		for _, k := range caVars {
			set[k] = s.CABundle
		}
	}
	drop := append(slices.Clone(s.Strip), hostRoutes...)
	drop = append(drop, proxyVars...)
	var env []string
	for _, kv := range s.Base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; ours || slices.Contains(drop, k) {
			continue
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+set[k])
	}
	return env, values
}

// upstreamValue is what variable name of upstream u holds: for PostgreSQL,
// the part of the gateway's address it names, or the whole DSN; for an
// HTTP API, the token.
func upstreamValue(u Upstream, name, tok, pgAddr string) string {
	if !u.Postgres {
		return tok
	}
	host, port, _ := net.SplitHostPort(pgAddr)
	switch name {
	case "PGHOST":
		return host
	case "PGPORT":
		return port
	case "PGUSER":
		return "agent"
	case "PGPASSWORD":
		return tok
	case "PGDATABASE":
		return u.Name
	case "PGSSLMODE":
		return "disable"
	}
	return (&url.URL{Scheme: "postgres", User: url.UserPassword("agent", tok), Host: pgAddr, Path: "/" + u.Name,
		RawQuery: "sslmode=disable"}).String()
}
