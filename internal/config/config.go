// Package config loads, validates and defaults chaperone.yaml. Every value keeps
// the position it came from, so an error can name the file, line and key.
package config

import (
	"path/filepath"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// FileName is the config file that `chaperone init` writes and commands look for.
const FileName = "chaperone.yaml"

// Config is the whole configuration. Paths in it are absolute once loaded
// (relative ones are taken from the config file's directory).
type Config struct {
	Version   int         `yaml:"version"`
	State     State       `yaml:"state"`
	Listen    Listen      `yaml:"listen"`
	Protected []string    `yaml:"protected"`
	Policy    Policy      `yaml:"policy"`
	Backup    Backup      `yaml:"backup"`
	Log       Log         `yaml:"log"`
	Upstreams []Upstream  `yaml:"upstreams"`
	TLS       TLS         `yaml:"tls"`
	Approvals Approvals   `yaml:"approvals"`
	HTTP      HTTPGateway `yaml:"http_gateway"`
	PG        PGGateway   `yaml:"pg_gateway"`
	Proxy     Proxy       `yaml:"proxy"`

	// File is the absolute path the config was read from ("" for embedded defaults).
	File string `yaml:"-"`
	pos  map[string]Position
}

// State says where Chaperone keeps tokens, approvals and the audit log.
type State struct {
	Driver string `yaml:"driver"` // sqlite | postgres
	Path   string `yaml:"path"`   // sqlite database file
	// DSN is the postgres driver's database, shared by every serve
	// instance: postgres://user:pass@host/db, usually ${STATE_DSN}.
	DSN Secret `yaml:"dsn"`
}

// Listen holds the gateway addresses; loopback unless deliberately exposed.
type Listen struct {
	PG   string `yaml:"pg"`
	HTTP string `yaml:"http"`
	// Hook is the unix socket where `chaperone serve` answers hook
	// processes, so they need not load the policy or the state themselves.
	Hook string `yaml:"hook"`
	// PGPlain accepts connections without TLS on a non-loopback PostgreSQL
	// listener (loopback always accepts them).
	PGPlain bool `yaml:"pg_plain"`
	// HTTPTLS serves the HTTP listener (console, API, metrics) over TLS
	// with the tls certificate.
	HTTPTLS bool `yaml:"http_tls"`
	// Proxy is the forward proxy agents reach with HTTPS_PROXY; empty
	// turns it off.
	Proxy string `yaml:"proxy"`
}

// Proxy tunes the forward proxy (listen.proxy).
type Proxy struct {
	// AllowHosts are tunnelled without inspection: "host" (port 443, or 80
	// for plain http://), "host:port", or "*.domain". Every other host
	// that is not an http upstream's API host is refused.
	AllowHosts []string `yaml:"allow_hosts"`
}

// DefaultAllowHosts are the package registries agents commonly install
// from; none of them takes a write with a credential Chaperone holds.
var DefaultAllowHosts = []string{
	"registry.npmjs.org",
	"proxy.golang.org", "sum.golang.org",
	"pypi.org", "files.pythonhosted.org",
	"deb.debian.org",
}

// TLS is the certificate of the PostgreSQL listener (and of the HTTP one
// with listen.http_tls); when both are empty serve generates a self-signed
// one in the state directory.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// HTTPGateway tunes the cloud API gateway.
type HTTPGateway struct {
	// MaxBody is the largest request body, in bytes, that is read and
	// classified; a larger one is held for approval, never forwarded unread.
	MaxBody int64 `yaml:"max_body"`
}

// PGGateway tunes the PostgreSQL gateway.
type PGGateway struct {
	// MaxConnectionsPerToken bounds the sessions one token holds open at
	// once, across its upstreams.
	MaxConnectionsPerToken int `yaml:"max_connections_per_token"`
}

// Default connection limits of the PostgreSQL gateway: well below a
// server's usual max_connections (100), so that an agent opening sessions
// in a loop cannot take the slots the upstream's own clients need.
const (
	DefaultPGMaxConnectionsPerToken    = 10
	DefaultPGMaxConnectionsPerUpstream = 20
)

// Approvals configures held actions.
type Approvals struct {
	// TTL is how long a request waits for humans, and an approval for use.
	TTL Duration `yaml:"ttl"`
	// URL is where humans approve, named in held errors.
	URL string `yaml:"url"`
	// Webhooks are told of new and decided requests.
	Webhooks []Webhook `yaml:"webhooks"`
	// MaxGrant caps how long an approver may elevate a token (approve
	// --for D).
	MaxGrant Duration `yaml:"max_grant"`
}

// Webhook is an endpoint for approval notifications. Its URL is a Secret:
// Slack's incoming-webhook URLs are credentials.
type Webhook struct {
	URL    Secret `yaml:"url"`
	Format string `yaml:"format"` // json (default) or slack
}

// Policy is an ordered rule list; the built-in rules follow unless disabled.
type Policy struct {
	Builtin *bool  `yaml:"builtin"`
	Rules   []Rule `yaml:"rules"`
}

// UseBuiltin reports whether the built-in rules apply after the configured ones.
func (p Policy) UseBuiltin() bool { return p.Builtin == nil || *p.Builtin }

// Rule is one policy rule: when the CEL expression holds, decide.
type Rule struct {
	Name      string `yaml:"name"`
	When      string `yaml:"when"`
	Decision  string `yaml:"decision"`
	Approvals int    `yaml:"approvals"`
	Reason    string `yaml:"reason"`
}

// Backup configures the write-once snapshot store.
type Backup struct {
	Store string      `yaml:"store"` // local | s3
	Local LocalBackup `yaml:"local"`
	S3    S3Backup    `yaml:"s3"`
	// Recipient is the age public key (age1...) snapshots are encrypted
	// to; its identity stays off this machine. Empty: no snapshots.
	Recipient string `yaml:"recipient"`
	// Retain is how long each snapshot is locked against deletion.
	Retain Duration `yaml:"retain"`
	// BeforeDestructive snapshots the affected tables before every
	// approved destructive statement runs; without a recipient such a
	// statement is refused. Only an explicit false turns it off.
	BeforeDestructive *bool `yaml:"before_destructive"`
	// Keep is the retention policy serve applies after scheduled snapshots.
	Keep Keep `yaml:"keep"`
	// RPO is the oldest a verified backup of each upstream may be before
	// doctor fails.
	RPO Duration `yaml:"rpo"`
}

// Keep keeps the newest snapshot of each of the last N days, weeks and
// months; older ones are pruned once their lock has passed.
type Keep struct {
	Daily   int `yaml:"daily"`
	Weekly  int `yaml:"weekly"`
	Monthly int `yaml:"monthly"`
}

// S3Backup is a bucket with Object Lock.
type S3Backup struct {
	Endpoint  string `yaml:"endpoint"`
	Bucket    string `yaml:"bucket"`
	Prefix    string `yaml:"prefix"`
	Region    string `yaml:"region"`
	AccessKey Secret `yaml:"access_key"`
	SecretKey Secret `yaml:"secret_key"`
}

// SnapshotBeforeDestructive reports whether approved destruction waits for
// a snapshot (and is refused when none can be taken).
func (b Backup) SnapshotBeforeDestructive() bool {
	return b.BeforeDestructive == nil || *b.BeforeDestructive
}

// LocalBackup is the embedded default store: a directory of write-once files.
type LocalBackup struct {
	Dir string `yaml:"dir"`
}

// Log configures Chaperone's own log on stderr.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text | json
}

// Upstream is a real system Chaperone fronts, in exactly one environment.
type Upstream struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	Env  string `yaml:"env"`
	DSN  Secret `yaml:"dsn"`
	URL  string `yaml:"url"`
	// Provider picks how an http upstream's requests are read: railway
	// (GraphQL against Railway's schema), fly or generic (REST by method).
	Provider string `yaml:"provider"`
	// APICredential is an http upstream's token; CredentialHeader is where
	// it goes (Authorization: Bearer by default; Railway project tokens
	// use Project-Access-Token).
	APICredential    Secret `yaml:"credential"`
	CredentialHeader string `yaml:"credential_header"`
	// Hosts are the API hosts whose traffic through the forward proxy is
	// this http upstream's; by default the provider's own (railway:
	// backboard.railway.app and .com; fly: api.machines.dev).
	Hosts []string `yaml:"hosts"`
	// AgentEnv names the variables `chaperone run` sets for this upstream
	// inside its sandbox (the session token, or for postgres a DSN or a PG*
	// part pointing at the in-sandbox gateway); empty means the provider's
	// conventional ones (DefaultAgentEnv).
	AgentEnv []string `yaml:"agent_env"`
	// BackupSchedule is a cron expression ("0 3 * * *", "@daily") on
	// which serve snapshots this postgres upstream.
	BackupSchedule string `yaml:"backup_schedule"`
	// MaxConnections bounds the gateway's sessions to this postgres
	// upstream, all tokens together (DefaultPGMaxConnectionsPerUpstream
	// when 0).
	MaxConnections int `yaml:"max_connections"`
}

// Upstream kinds (Upstream.Kind).
const (
	KindPostgres = "postgres"
	KindHTTP     = "http"
)

// Providers of http upstreams (Upstream.Provider).
const (
	ProviderGeneric = "generic"
	ProviderRailway = "railway"
	ProviderFly     = "fly"
)

// DefaultAgentEnv is the variables an upstream's own tools read its
// credential from, which `chaperone run` fills with stand-ins that lead to
// Chaperone.
func (u Upstream) DefaultAgentEnv() []string {
	if len(u.AgentEnv) > 0 {
		return slices.Clone(u.AgentEnv)
	}
	switch {
	case u.Kind == KindPostgres:
		return []string{"DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"}
	case u.Provider == ProviderRailway:
		return []string{"RAILWAY_TOKEN", "RAILWAY_API_TOKEN"}
	case u.Provider == ProviderFly:
		return []string{"FLY_API_TOKEN"}
	}
	return nil
}

// Defaults returns the embedded defaults: everything local and on loopback.
// dir is where relative paths point.
// DefaultHTTPMaxBody and MaxHTTPBody bound http_gateway.max_body: bodies
// up to the largest are held for approval; beyond it they are refused.
const (
	DefaultHTTPMaxBody = 1 << 20
	MaxHTTPBody        = 32 << 20
)

// DefaultProxyListen is listen.proxy unless the config says otherwise.
const DefaultProxyListen = "127.0.0.1:8751"

func Defaults(dir string) *Config {
	c := &Config{pos: map[string]Position{}}
	c.applyDefaults(dir)
	return c
}

func (c *Config) applyDefaults(dir string) {
	if c.Version == 0 {
		c.Version = 1
	}
	if c.State.Driver == "" {
		c.State.Driver = "sqlite"
	}
	if c.State.Path == "" {
		c.State.Path = filepath.Join("state", "chaperone.db")
	}
	c.State.Path = abs(dir, c.State.Path)
	if c.Listen.PG == "" {
		c.Listen.PG = "127.0.0.1:6543"
	}
	if c.Listen.HTTP == "" {
		c.Listen.HTTP = "127.0.0.1:8750"
	}
	if c.Listen.Proxy == "" {
		if _, set := c.pos["listen.proxy"]; !set {
			c.Listen.Proxy = DefaultProxyListen
		}
	}
	if c.Proxy.AllowHosts == nil {
		if _, set := c.pos["proxy.allow_hosts"]; !set {
			c.Proxy.AllowHosts = slices.Clone(DefaultAllowHosts)
		}
	}
	if c.Listen.Hook == "" {
		c.Listen.Hook = filepath.Join("run", "hook.sock")
	}
	c.Listen.Hook = abs(dir, c.Listen.Hook)
	if c.TLS.Cert != "" {
		c.TLS.Cert = abs(dir, c.TLS.Cert)
	}
	if c.TLS.Key != "" {
		c.TLS.Key = abs(dir, c.TLS.Key)
	}
	if c.PG.MaxConnectionsPerToken == 0 {
		c.PG.MaxConnectionsPerToken = DefaultPGMaxConnectionsPerToken
	}
	if c.HTTP.MaxBody == 0 {
		c.HTTP.MaxBody = DefaultHTTPMaxBody
	}
	if c.Approvals.TTL == 0 {
		c.Approvals.TTL = Duration(15 * time.Minute)
	}
	if c.Approvals.MaxGrant == 0 {
		c.Approvals.MaxGrant = Duration(time.Hour)
	}
	if c.Protected == nil {
		c.Protected = []string{"production", "prod"}
	}
	if c.Backup.Store == "" {
		c.Backup.Store = "local"
	}
	if c.Backup.Local.Dir == "" {
		c.Backup.Local.Dir = "backups"
	}
	c.Backup.Local.Dir = abs(dir, c.Backup.Local.Dir)
	if c.Backup.Retain == 0 {
		c.Backup.Retain = Duration(30 * 24 * time.Hour)
	}
	if c.Backup.RPO == 0 {
		c.Backup.RPO = Duration(24 * time.Hour)
	}
	if c.Backup.Keep == (Keep{}) {
		c.Backup.Keep = Keep{Daily: 7, Weekly: 4, Monthly: 6}
	}
	if c.Backup.BeforeDestructive == nil {
		yes := true
		c.Backup.BeforeDestructive = &yes
	}
	if c.Backup.S3.Prefix == "" {
		c.Backup.S3.Prefix = "chaperone"
	}
	if c.Backup.S3.Region == "" {
		c.Backup.S3.Region = "us-east-1"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	for i := range c.Policy.Rules {
		if c.Policy.Rules[i].Approvals == 0 && c.Policy.Rules[i].Decision == "approve" {
			c.Policy.Rules[i].Approvals = 1
		}
	}
}

func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// StateDir is the directory that holds the state database, and beside it
// the secret key and the generated TLS certificate.
func (c *Config) StateDir() string { return filepath.Dir(c.State.Path) }

// IsProtected reports whether env is listed as protected.
func (c *Config) IsProtected(env string) bool {
	for _, p := range c.Protected {
		if p == env {
			return true
		}
	}
	return false
}

// Upstream returns the named upstream, if configured.
func (c *Config) Upstream(name string) (Upstream, bool) {
	for _, u := range c.Upstreams {
		if u.Name == name {
			return u, true
		}
	}
	return Upstream{}, false
}

// Duration is a time.Duration written as "15m" or "1h30m".
type Duration time.Duration

// UnmarshalYAML reads a duration string; the loader has already checked it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	*d = Duration(v)
	return err
}

// MarshalYAML writes the duration back as text.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }
