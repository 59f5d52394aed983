package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// The state stores' HTTP APIs hand out what their CLIs do: a request to
// Consul's or Nomad's ACL tokens or Nomad's variables, Vault's secret
// engines or token lookups, Kubernetes' Secrets or etcd's key range is a
// credential read whichever client sends it.
// The path is read from its start, right after the host: /docs/v1/secret
// is a page. Platforms' environment variables (Vercel, Netlify, Render,
// GitLab CI, Heroku) hold the applications' secrets.
var secretAPI = regexp.MustCompile(`(?i)^(?:[a-z+]+://)?[^/\s]*(?:/v1/acl/(?:token|tokens|bootstrap)\b|/v1/var/|/v1/vars\b|/v1/(?:secret|kv|kv-v2|secrets|cubbyhole)/|/v1/auth/token/(?:lookup|create)|/v1/sys/(?:raw|wrapping/unwrap)|/api/v1/(?:namespaces/[^/\s]+/)?secrets\b|/v3/kv/range\b|/v2/keys/registry/secrets|/v\d+/projects/[^/\s]+/env\b|/api/v1/accounts/[^/\s]+/env\b|/v1/services/[^/\s]+/env-vars\b|/api/v4/(?:projects|groups)/[^/\s]+/variables\b|/apps/[^/\s]+/config-vars\b|[?&]decrypt=true|/v1/[^/\s]+/(?:creds|sts)/|/v1/transit/(?:export|decrypt)/|/v1/pki[^/\s]*/(?:issue|root/generate/exported)\b)`)

func (w *walker) secretEndpoint(c *call) {
	for _, a := range c.args {
		// Inside a Fly machine, its own Machines API (the /.fly/api
		// socket, _api.internal, [fdaa::3]:4280) answers with the
		// machine's token: tokens, secrets, stops, deletes, around any
		// gateway.
		if flyAPI(a.s) {
			w.add("creds.secret-endpoint", credential, c.name+" talks to Fly's Machines API from inside the machine, with the machine's own token")
			return
		}
	}
	if !slices.Contains(httpClients, c.name) && !(c.name == "nomad" && c.sub("operator", "api")) && !(c.name == "consul" && c.sub("debug")) {
		return
	}
	for _, a := range c.args {
		if strings.HasPrefix(a.s, "-") {
			continue
		}
		if secretAPI.MatchString(a.s) {
			w.add("creds.secret-endpoint", credential, c.name+" asks "+a.s+", an API that hands out tokens or secrets")
			w.target(a.s)
			return
		}
	}
}

// flyAPI says whether a word names Fly's Machines API as a machine reaches
// it: the socket however its path is spelt or matched, the internal name
// in any case, or its address.
func flyAPI(word string) bool {
	l := strings.ToLower(word)
	if strings.Contains(l, "_api.internal") || strings.Contains(l, "fdaa::3]") || strings.Contains(l, "fdaa:0:0::3") ||
		strings.Contains(l, "fdaa:0:0:0:0:0:0:3") {
		return true
	}
	for _, f := range strings.FieldsFunc(word, func(r rune) bool { return r == '=' || r == ' ' || r == ',' || r == '\'' || r == '"' }) {
		if !strings.Contains(f, "/") {
			continue
		}
		p := path.Clean("/" + f)
		if p == "/.fly/api" || strings.ContainsAny(f, "*?[") && globMatch(p, "/.fly/api") {
			return true
		}
	}
	return false
}
