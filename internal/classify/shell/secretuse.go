package shell

import (
	"net/url"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// A credential's value reaches the agent by other ways than being printed:
// a yes or no about it asked character by character ([[ $T == ghp_a* ]]),
// the shell's own trace of the commands it runs (set -x), an error that
// names an argument (git log "$T"), a request that carries it to any host
// (curl -d "$T"), or a client's verbose output (curl -v).

// secretVar says whether a variable holds a credential: by its name, or as
// a copy of one.
func (w *walker) secretVar(v string) bool { return secretName(v) || w.secretCopies[v] }

// argHoldsSecret says whether a holds a credential's value.
func (w *walker) argHoldsSecret(a arg) (string, bool) {
	for _, v := range a.vars {
		if w.secretVar(v) {
			return v, true
		}
	}
	return "", false
}

// secretUses judges a call for the ways above.
func (w *walker) secretUses(c *call) {
	for _, a := range c.args {
		if _, ok := w.argHoldsSecret(a); ok {
			w.secretSeen = true
		}
	}
	switch {
	case c.name == "[" || c.name == "test":
		if v, ok := w.comparesSecret(c.args); ok {
			w.add("creds.print-secret-var", credential, c.name+" compares $"+v+" with a value: a yes or no, asked again and again, tells the credential character by character")
		}
	case c.name == "set":
		if c.has("-x") || slices.ContainsFunc(c.args, func(a arg) bool { return a.s == "xtrace" }) {
			w.xtrace = true
		}
	case isShell(c.name) && (c.has("-x") || slices.ContainsFunc(c.args, func(a arg) bool { return a.s == "xtrace" })):
		w.xtrace = true
	case c.name == "git":
		// git names a bad revision, path or option value in its error, and
		// keeps a commit message or tag name for git log to print; a
		// credential in a URL (clone, remote) or a -c value it uses.
		for i, a := range c.args {
			v, ok := w.argHoldsSecret(a)
			if !ok || strings.Contains(a.s, "://") || i > 0 && c.args[i-1].s == "-c" {
				continue
			}
			w.add("creds.print-secret-var", credential, "git is given $"+v+" where it prints or keeps it (an error naming it, a commit message, a tag)")
			return
		}
	case c.name == "go" || c.name == "cargo" || c.name == "make" || c.name == "npm" && !c.sub("config"):
		for _, a := range c.args {
			if v, ok := w.argHoldsSecret(a); ok && !strings.Contains(a.s, "=") {
				w.add("creds.print-secret-var", credential, c.name+" is given $"+v+" as an argument, and names it in its error")
				return
			}
		}
	case c.name == "curl" || c.name == "wget" || c.name == "http" || c.name == "https" || c.name == "xh":
		w.requestSecrets(c)
	}
}

// comparesSecret: a test that compares a credential's value with anything
// but the empty string (-n and -z only say whether it is set).
func (w *walker) comparesSecret(args []arg) (string, bool) {
	for i, a := range args {
		if !slices.Contains([]string{"=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-gt", "-le", "-ge"}, a.s) || i == 0 || i+1 >= len(args) {
			continue
		}
		l, r := args[i-1], args[i+1]
		for _, pair := range [][2]arg{{l, r}, {r, l}} {
			if v, ok := w.argHoldsSecret(pair[0]); ok && (pair[1].s != "" || pair[1].dyn) {
				return v, true
			}
		}
	}
	return "", false
}

// secretClause judges [[ ]] tests and case statements on a credential's
// value.
func (w *walker) secretClause(n syntax.Node) {
	word := func(wd *syntax.Word) (string, bool) {
		v := w.secretIn(wd)
		return v, v != ""
	}
	switch x := n.(type) {
	case *syntax.TestClause:
		syntax.Walk(x.X, func(n syntax.Node) bool {
			b, ok := n.(*syntax.BinaryTest)
			if !ok {
				return true
			}
			switch b.Op {
			case syntax.TsMatch, syntax.TsNoMatch, syntax.TsReMatch, syntax.TsBefore, syntax.TsAfter, syntax.TsEql, syntax.TsNeq,
				syntax.TsLss, syntax.TsGtr, syntax.TsLeq, syntax.TsGeq, syntax.TsMatchShort:
				l, lok := b.X.(*syntax.Word)
				r, rok := b.Y.(*syntax.Word)
				if lok && rok {
					if v, ok := word(l); ok && !emptyWord(r) {
						w.add("creds.print-secret-var", credential, "[[ ]] compares $"+v+" with a value: a yes or no, asked again and again, tells the credential character by character")
						return false
					}
					if v, ok := word(r); ok && !emptyWord(l) {
						w.add("creds.print-secret-var", credential, "[[ ]] compares $"+v+" with a value: a yes or no, asked again and again, tells the credential character by character")
						return false
					}
				}
			}
			return true
		})
	case *syntax.CaseClause:
		if v, ok := word(x.Word); ok {
			w.add("creds.print-secret-var", credential, "case matches $"+v+" against patterns: which one matches tells the credential piece by piece")
		}
	}
}

func emptyWord(wd *syntax.Word) bool {
	if wd == nil || len(wd.Parts) == 0 {
		return true
	}
	for _, p := range wd.Parts {
		switch x := p.(type) {
		case *syntax.SglQuoted:
			if x.Value != "" {
				return false
			}
		case *syntax.DblQuoted:
			if len(x.Parts) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// requestSecrets: a credential sent where no API takes it (the body, the
// URL, a header other than the usual credential headers) goes to whoever
// the host is; any credential in a verbose or traced request is printed.
func (w *walker) requestSecrets(c *call) {
	var verbose bool
	switch c.name {
	case "curl":
		verbose = c.has("-v", "--verbose", "--trace", "--trace-ascii", "--trace-time")
	case "wget":
		verbose = c.has("-d", "--debug", "-S", "--server-response")
	default: // httpie, xh
		verbose = c.has("-v", "--verbose", "-p", "--print", "--debug", "--offline")
	}
	for i, a := range c.args {
		v, ok := w.argHoldsSecret(a)
		if !ok {
			continue
		}
		if verbose {
			w.add("creds.print-secret-var", credential, c.name+" prints its request, and $"+v+" in it")
			return
		}
		prev := ""
		if i > 0 {
			prev = c.args[i-1].s
		}
		header := prev == "-H" || prev == "--header" || strings.HasPrefix(a.s, "--header=")
		if header && credentialHeader(a.s) || prev == "-u" || prev == "--user" || prev == "--oauth2-bearer" || strings.HasPrefix(a.s, "--user=") {
			// Where an API takes its credential, if the host is the one
			// the credential is for.
			if host, ok := w.foreignHost(c, v); ok {
				w.add("creds.sent-elsewhere", unknown, c.name+" sends $"+v+", a credential for another service, to "+host)
				return
			}
			continue
		}
		if strings.Contains(a.s, "://") {
			if u, err := url.Parse(a.s); err == nil && u.RawQuery == "" && u.Fragment == "" && !strings.Contains(u.Path, "$") {
				continue // in the userinfo: basic auth
			}
		}
		w.add("creds.env-dump", credential, c.name+" sends $"+v+" in a request's body, URL or headers, to whoever the host is")
		return
	}
}

// credentialHeader: the headers an API reads its credential from.
func credentialHeader(h string) bool {
	name, _, _ := strings.Cut(strings.TrimPrefix(h, "--header="), ":")
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "private-token", "x-github-token", "x-vault-token", "x-goog-api-key":
		return true
	}
	return false
}

// credentialHomes are the hosts (and their subdomains) that the
// credentials named with a prefix are for, where that is one service's.
var credentialHomes = map[string][]string{
	"RAILWAY_": {"railway.app", "railway.com"}, "FLY_": {"fly.io", "machines.dev"},
	"ANTHROPIC_": {"anthropic.com"}, "OPENAI_": {"openai.com"}, "STRIPE_": {"stripe.com"},
	"CLOUDFLARE_": {"cloudflare.com"}, "CF_API_": {"cloudflare.com"}, "DIGITALOCEAN_": {"digitalocean.com"},
	"HEROKU_": {"heroku.com"}, "VERCEL_": {"vercel.com"}, "NETLIFY_": {"netlify.com"},
	"SLACK_": {"slack.com"}, "NPM_": {"npmjs.org", "npmjs.com"}, "HF_": {"huggingface.co"},
	"GITHUB_": {"github.com", "githubusercontent.com", "ghcr.io"}, "GH_": {"github.com", "githubusercontent.com", "ghcr.io"},
	"GITLAB_": {"gitlab.com"}, "CI_JOB_TOKEN": {"gitlab.com"}, "AWS_": {"amazonaws.com", "aws.amazon.com"},
	"GOOGLE_": {"googleapis.com", "google.com"}, "GCP_": {"googleapis.com"}, "GCLOUD_": {"googleapis.com"},
	"AZURE_": {"azure.com", "microsoft.com", "windows.net", "microsoftonline.com", "azure.net"}, "ARM_": {"azure.com", "microsoftonline.com"},
	"SENTRY_": {"sentry.io"}, "DATADOG_": {"datadoghq.com", "datadoghq.eu"}, "DD_": {"datadoghq.com", "datadoghq.eu"},
	"TWILIO_": {"twilio.com"}, "SENDGRID_": {"sendgrid.com"}, "SUPABASE_": {"supabase.co", "supabase.com"}, "NEON_": {"neon.tech"},
	"PLANETSCALE_": {"planetscale.com", "psdb.cloud"}, "TURSO_": {"turso.io", "turso.tech"}, "LINEAR_": {"linear.app"},
	"NOTION_": {"notion.so", "notion.com"}, "PULUMI_": {"pulumi.com"}, "TF_TOKEN": {"terraform.io", "hashicorp.cloud"},
	"DOCKER_": {"docker.io", "docker.com"}, "DOCKERHUB_": {"docker.io", "docker.com"}, "CODECOV_": {"codecov.io"},
	"CIRCLE": {"circleci.com"}, "ALGOLIA_": {"algolia.net", "algolia.io"}, "MAILGUN_": {"mailgun.net"}, "POSTMARK_": {"postmarkapp.com"},
	"DISCORD_": {"discord.com"}, "PAGERDUTY_": {"pagerduty.com"}, "HONEYCOMB_": {"honeycomb.io"}, "RENDER_": {"render.com"},
	"GROQ_": {"groq.com"}, "MISTRAL_": {"mistral.ai"}, "COHERE_": {"cohere.ai", "cohere.com"}, "REPLICATE_": {"replicate.com"},
	"GEMINI_": {"googleapis.com"}, "HUGGING": {"huggingface.co"}, "SNYK_": {"snyk.io"}, "SONAR_": {"sonarcloud.io"},
	// Connection strings and database passwords are never an HTTP
	// credential: every host is another service's.
	"DATABASE_": {}, "POSTGRES_": {}, "PG": {}, "MYSQL_": {}, "REDIS_": {}, "MONGO": {},
}

// connectionSecret: a variable named like a database's connection string
// or password, whatever its prefix (APP_DATABASE_URL).
func connectionSecret(v string) bool {
	u := strings.ToUpper(v)
	return strings.HasSuffix(u, "DATABASE_URL") || strings.HasSuffix(u, "_DB_URL") || strings.HasSuffix(u, "_DB_PASSWORD") || strings.HasSuffix(u, "REDIS_URL") || strings.HasSuffix(u, "MONGO_URL") || strings.HasSuffix(u, "MONGODB_URI")
}

// foreignHost says whether a request carries credential v to a host that
// is neither v's service nor this machine (where the gateways listen).
func (w *walker) foreignHost(c *call, v string) (string, bool) {
	var homes []string
	known, best := connectionSecret(v), 0
	for prefix, hs := range credentialHomes {
		if strings.HasPrefix(strings.ToUpper(v), prefix) && len(prefix) > best {
			homes, known, best = hs, true, len(prefix)
		}
	}
	if connectionSecret(v) {
		homes = nil
	}
	if !known {
		return "", false
	}
	r, ok := w.request(c, input{})
	if !ok || r.url == nil {
		return "", false
	}
	host := strings.ToLower(r.url.Hostname())
	if host == "" || isLocal(host) || strings.Contains(host, "$") {
		return "", false
	}
	for _, h := range homes {
		if host == h || strings.HasSuffix(host, "."+h) {
			return "", false
		}
	}
	return host, true
}
