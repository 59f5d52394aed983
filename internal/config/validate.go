package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
)

var (
	upstreamName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// hostName is a DNS name, with an optional final dot; allowHost is one
// on the proxy's allow list: a host name or IP address, or *.domain, with
// an optional port.
var (
	hostName  = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$`)
	allowHost = regexp.MustCompile(`^(\*\.)?(([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$`)
)

// validate checks meaning once the shape is right; it collects every problem.
func (c *Config) validate() Errors {
	var errs Errors
	add := func(key, fix, format string, args ...any) {
		errs = append(errs, c.ErrorAt(key, fix, format, args...))
	}
	if c.Version != 1 {
		add("version", "set version: 1", "unsupported config version %d", c.Version)
	}
	switch {
	case c.State.Driver != "sqlite" && c.State.Driver != "postgres":
		add("state.driver", "use driver: sqlite, or postgres with a dsn", "unknown state driver %q", c.State.Driver)
	case c.State.Driver == "postgres" && c.State.DSN == "":
		add("state.dsn", "give dsn: ${STATE_DSN}", "the postgres state driver needs a dsn")
	case c.State.Driver == "postgres":
		if err := c.State.DSN.syntaxError(); err != nil {
			add("state.dsn", "write ${NAME}", "%v", err)
		}
	}
	for _, l := range []struct{ key, addr string }{{"listen.pg", c.Listen.PG}, {"listen.http", c.Listen.HTTP}} {
		if err := CheckAddr(l.addr); err != nil {
			add(l.key, "give host:port, e.g. 127.0.0.1:6543", "%v", err)
		}
	}
	if c.Listen.Proxy != "" {
		if err := CheckAddr(c.Listen.Proxy); err != nil {
			add("listen.proxy", `give host:port, e.g. 127.0.0.1:8751, or "" to turn the proxy off`, "%v", err)
		}
	}
	for i, h := range c.Proxy.AllowHosts {
		if !allowHost.MatchString(strings.ToLower(h)) {
			add(fmt.Sprintf("proxy.allow_hosts[%d]", i), "give a host name, host:port or *.domain, e.g. registry.npmjs.org",
				"%q is not a host name", h)
		}
	}
	if n := len(c.Listen.Hook); n > MaxSocketPath {
		add("listen.hook", "choose a shorter path, e.g. /run/chaperone/hook.sock",
			"socket path %s is %d bytes; unix sockets allow %d", c.Listen.Hook, n, MaxSocketPath)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		add("tls", "give both cert and key, or neither (serve then generates a certificate)", "tls needs both a certificate and a key")
	}
	for i, env := range c.Protected {
		if env == "" {
			add(fmt.Sprintf("protected[%d]", i), "name an environment, e.g. production", "empty environment name")
		}
	}
	if c.PG.MaxConnectionsPerToken < 1 {
		add("pg_gateway.max_connections_per_token", "give a number of sessions, 1 or more",
			"max_connections_per_token %d is out of range", c.PG.MaxConnectionsPerToken)
	}
	for _, u := range c.Upstreams {
		if u.MaxConnections < 0 {
			add("upstreams", "give upstreams[].max_connections as a number of sessions (0 for the default)",
				"upstream %s: max_connections %d is out of range", u.Name, u.MaxConnections)
		}
	}
	if c.HTTP.MaxBody < 1024 || c.HTTP.MaxBody > MaxHTTPBody {
		add("http_gateway.max_body", fmt.Sprintf("give a size in bytes from 1024 to %d", MaxHTTPBody),
			"max_body %d is out of range", c.HTTP.MaxBody)
	}
	if c.Log.Level != "debug" && c.Log.Level != "info" && c.Log.Level != "warn" && c.Log.Level != "error" {
		add("log.level", "use debug, info, warn or error", "unknown log level %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format", "use text or json", "unknown log format %q", c.Log.Format)
	}
	switch c.Backup.Store {
	case "local":
	case "s3":
		for _, k := range []struct{ key, v string }{{"endpoint", c.Backup.S3.Endpoint}, {"bucket", c.Backup.S3.Bucket},
			{"access_key", string(c.Backup.S3.AccessKey)}, {"secret_key", string(c.Backup.S3.SecretKey)}} {
			if k.v == "" {
				add("backup.s3."+k.key, "set it (keys as ${VAR})", "the s3 store needs %s", k.key)
			}
		}
	default:
		add("backup.store", "use local or s3", "unknown backup store %q", c.Backup.Store)
	}
	if r := c.Backup.Recipient; r != "" && !strings.HasPrefix(r, "age1") {
		add("backup.recipient", "give an age public key (age1...), e.g. from age-keygen -y", "backup recipient is not an age public key")
	}
	for i, h := range c.Approvals.Webhooks {
		key := fmt.Sprintf("approvals.webhooks[%d]", i)
		if h.Format != "" && h.Format != "json" && h.Format != "slack" {
			add(key+".format", "use json or slack", "unknown webhook format %q", h.Format)
		}
		u := string(h.URL)
		switch {
		case u == "":
			add(key+".url", "give the endpoint, or ${VAR} to read it from the environment", "a webhook needs a url")
		case len(h.URL.Refs()) == 0 && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://"):
			add(key+".url", "use an http:// or https:// URL", "webhook url is not an HTTP URL")
		}
	}
	errs = append(errs, c.validateRules()...)
	errs = append(errs, c.validateUpstreams()...)
	return errs
}

// MaxSocketPath is the longest unix socket path every supported system takes
// (sun_path is 104 bytes on macOS and BSDs, 108 on Linux, NUL included).
const MaxSocketPath = 103

// CheckAddr validates a listen address: host:port with an IP (or localhost)
// and a port from 0 to 65535.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad listen address %q: %v", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port %q in %q", port, addr)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("listen host %q is not an IP address", host)
	}
	return nil
}

func (c *Config) validateRules() Errors {
	var errs Errors
	seen := map[string]int{}
	for i, r := range c.Policy.Rules {
		key := fmt.Sprintf("policy.rules[%d]", i)
		add := func(field, fix, format string, args ...any) {
			errs = append(errs, c.ErrorAt(key+field, fix, format, args...))
		}
		switch {
		case r.Name == "":
			add(".name", "give the rule a name, e.g. name: no-drops-in-prod", "rule has no name")
		case seen[r.Name] > 0:
			add(".name", "give each rule its own name", "rule name %q is already used by rule %d", r.Name, seen[r.Name]-1)
		default:
			seen[r.Name] = i + 1
		}
		if r.When == "" {
			add(".when", `give a CEL condition, e.g. when: action.class == "destructive"`, "rule %q has no condition", r.Name)
		}
		switch r.Decision {
		case "allow", "deny":
			if r.Approvals != 0 {
				add(".approvals", "remove approvals, or use decision: approve", "approvals only apply to decision: approve")
			}
		case "approve":
			if r.Approvals < 1 || r.Approvals > 10 {
				add(".approvals", "use a number from 1 to 10", "approvals must be between 1 and 10, got %d", r.Approvals)
			}
		default:
			add(".decision", "use allow, approve or deny", "unknown decision %q", r.Decision)
		}
	}
	return errs
}

func (c *Config) validateUpstreams() Errors {
	var errs Errors
	seen := map[string]bool{}
	for i, u := range c.Upstreams {
		key := fmt.Sprintf("upstreams[%d]", i)
		add := func(field, fix, format string, args ...any) {
			errs = append(errs, c.ErrorAt(key+field, fix, format, args...))
		}
		if !upstreamName.MatchString(u.Name) {
			add(".name", "use lowercase letters, digits, - and _", "bad upstream name %q", u.Name)
		} else if seen[u.Name] {
			add(".name", "give each upstream its own name", "upstream %q is defined twice", u.Name)
		}
		seen[u.Name] = true
		if u.Env == "" {
			add(".env", "name the environment it lives in, e.g. env: staging", "upstream %q has no environment", u.Name)
		}
		switch u.Kind {
		case KindPostgres:
			if u.DSN == "" {
				add(".dsn", "give dsn: ${SOME_ENV_VAR}", "postgres upstream %q has no dsn", u.Name)
			}
		case KindHTTP:
			if u.URL == "" {
				add(".url", "give the API's base URL", "http upstream %q has no url", u.Name)
			} else if why := baseURLError(u.URL); why != "" {
				add(".url", "give the API's base URL, e.g. https://api.machines.dev/v1", "http upstream %q: %s", u.Name, why)
			}
			if u.APICredential == "" {
				add(".credential", "give credential: ${SOME_ENV_VAR}", "http upstream %q has no credential", u.Name)
			}
			switch u.Provider {
			case "", ProviderGeneric, ProviderRailway, ProviderFly:
			default:
				add(".provider", "use railway, fly or generic", "unknown provider %q", u.Provider)
			}
			if err := u.APICredential.syntaxError(); err != nil {
				add(".credential", "write ${NAME}", "%v", err)
			}
			for j, h := range u.Hosts {
				if !hostName.MatchString(strings.ToLower(h)) {
					add(fmt.Sprintf(".hosts[%d]", j), "give the API's host name, e.g. backboard.railway.app", "%q is not a host name", h)
				}
			}
		default:
			add(".kind", "use postgres or http", "unknown upstream kind %q", u.Kind)
		}
		if u.Kind != KindHTTP && len(u.Hosts) > 0 {
			add(".hosts", "remove it", "only http upstreams have API hosts")
		}
		for j, name := range u.AgentEnv {
			if !envName.MatchString(name) {
				add(fmt.Sprintf(".agent_env[%d]", j), "give a variable name of letters, digits and _, e.g. DATABASE_URL", "%q is not a variable name", name)
			}
		}
		if u.BackupSchedule != "" {
			if _, err := cron.ParseStandard(u.BackupSchedule); err != nil {
				add(".backup_schedule", `use a cron expression such as "0 3 * * *" or @daily`, "bad schedule: %v", err)
			} else if u.Kind != KindPostgres {
				add(".backup_schedule", "remove it", "only postgres upstreams are backed up")
			} else if c.Backup.Recipient == "" {
				add(".backup_schedule", "set backup.recipient to an age public key", "scheduled backups need backup.recipient")
			}
		}
		if err := u.DSN.syntaxError(); err != nil {
			add(".dsn", "write ${NAME}", "%v", err)
		}
	}
	return errs
}

// CheckSecrets resolves every secret reference, so that a server refuses to
// start rather than fail later on a missing variable.
func (c *Config) CheckSecrets(open Opener) error {
	var errs Errors
	for i, u := range c.Upstreams {
		if _, err := u.Credential(open); err != nil {
			fix := "export the variable before starting"
			if u.Secret().Sealed() {
				fix = "run serve with the state directory whose secret.key sealed it, or add the upstream again"
			}
			field := "dsn"
			if u.Kind == KindHTTP {
				field = "credential"
			}
			errs = append(errs, c.ErrorAt(fmt.Sprintf("upstreams[%d].%s", i, field), fix, "%v", err))
		}
	}
	if c.Backup.Store == "s3" {
		for _, k := range []struct {
			key string
			v   Secret
		}{{"access_key", c.Backup.S3.AccessKey}, {"secret_key", c.Backup.S3.SecretKey}} {
			if _, err := k.v.Resolve(); err != nil {
				errs = append(errs, c.ErrorAt("backup.s3."+k.key, "export the variable before starting", "%v", err))
			}
		}
	}
	for i, h := range c.Approvals.Webhooks {
		if _, err := h.URL.Resolve(); err != nil {
			errs = append(errs, c.ErrorAt(fmt.Sprintf("approvals.webhooks[%d].url", i), "export the variable before starting", "%v", err))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// baseURLError says what is wrong with an HTTP upstream's base URL, if
// anything: every request is forwarded under it, so a part that would be
// dropped or read two ways (a query, a fragment, an empty port) is refused,
// and so is user information, which would sit in the file in the clear
// beside the sealed credential.
func baseURLError(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("the url does not parse: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "the url must start with https:// or http://"
	case u.Host == "" || u.Opaque != "":
		return "the url names no host"
	case u.User != nil:
		return "the url holds user information; give the credential as credential: ${SOME_ENV_VAR}"
	case u.RawQuery != "" || u.ForceQuery:
		return "the url has a query string, which requests are not sent with"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "the url has a fragment"
	case strings.HasSuffix(u.Host, ":"):
		return "the url's port is empty"
	}
	return ""
}
