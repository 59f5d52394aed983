package shell

import (
	"slices"
	"strings"
)

// Vendor CLIs print credentials under subcommands as varied as their
// deletes (api-key-create, tokens create, mysql-creds-view, generate-sas,
// secret-bundle get, list-publishing-profiles, auth token): a subcommand
// that names a credential and a verb that makes or shows one prints a
// credential, for the many CLIs no pack describes.

// credentialNouns name a credential in a subcommand's parts.
var credentialNouns = []string{"token", "tokens", "apikey", "apikeys", "password", "passwords", "passwd", "credential", "credentials",
	"creds", "cred", "kubeconfig", "sas", "svcacct", "authorizations", "keypair", "keyring", "cookie", "passphrase"}

// keyQualifiers make "key" a credential (api-key, access key, secret-key,
// service-key, auth key): alone, a key may be an SSH, KMS or GPG key.
var keyQualifiers = []string{"api", "access", "secret", "service", "auth", "customer", "account", "client", "private", "signing", "sas", "storage", "master", "admin", "app"}

// revealVerbs make or show a credential.
var revealVerbs = []string{"create", "generate", "gen", "new", "get", "show", "view", "print", "reveal", "access", "export", "dump", "lookup",
	"bundle", "issue", "mint", "add", "read", "fetch", "self", "initial", "download", "display", "decrypt", "unseal", "connect", "info"}

// notCredentials: parts that make the subcommand about something public or
// stored, not printed (ssh-key add uploads a public key, a KMS key never
// leaves the service).
var notCredentials = []string{"ssh", "gpg", "pgp", "deploy", "public", "kms", "keyvault", "pubkey", "known", "rotate", "revoke",
	"delete", "remove", "rm", "list-names", "set", "update", "import", "upload", "login", "logout", "verify", "expire", "disable", "random"}

// credentialVerb reports a subcommand that prints a credential.
func credentialVerb(c *call) (string, bool) {
	var parts, words []string
	n := 0
	for _, p := range c.pos {
		if n >= 4 {
			break
		}
		if p.afterFlag && n == 0 || p.dyn {
			continue
		}
		n++
		if !isWordish(p.s) {
			continue
		}
		words = append(words, p.s)
		var ps []string
		for _, piece := range subParts(p.s) {
			ps = append(ps, piece)
		}
		if camel := camelWords(p.s); len(camel) > len(ps) {
			ps = camel // GetSecretValue, CreateAccessKey
		}
		parts = append(parts, ps...)
		if len(ps) == 1 && (slices.Contains(revealVerbs, ps[0]) || ps[0] == "list") {
			break // what follows the verb is its operands: gh repo create tokens-app
		}
	}
	secretRead := slices.ContainsFunc(parts, func(p string) bool { return p == "secret" || p == "secrets" }) &&
		slices.ContainsFunc(parts, func(p string) bool { return p == "get" || p == "value" || p == "reveal" || p == "access" })
	if len(parts) == 0 || slices.ContainsFunc(parts, func(p string) bool { return slices.Contains(notCredentials, p) && !(p == "kms" && secretRead) }) {
		return "", false
	}
	whole := strings.Join(words, " ")
	for i, p := range parts {
		switch {
		case p == "string" && i > 0 && parts[i-1] == "connection":
			return whole, true // neonctl connection-string
		case p == "profiles" && i > 0 && parts[i-1] == "publishing":
			return whole, true // az webapp deployment list-publishing-profiles
		case (p == "token" || p == "tokens") && i > 0 && (parts[i-1] == "auth" || parts[i-1] == "oauth" || parts[i-1] == "access" || parts[i-1] == "bearer" || parts[i-1] == "id"):
			return whole, true // turso auth token, ibmcloud iam oauth-tokens
		case p == "list" && c.name != "aws" && slices.ContainsFunc(parts, func(v string) bool { return v == "keys" || v == "credentials" || v == "creds" }):
			return whole, true // az functionapp keys list
		case p == "create" && slices.Contains(parts, "auth"):
			return whole, true // influx auth create
		case p == "string" && i > 0 && parts[i-1] == "auth":
			return whole, true // gcloud redis instances get-auth-string
		case p == "auth" && i+1 < len(parts) && (parts[i+1] == "get" || parts[i+1] == "token" || parts[i+1] == "print"):
			return whole, true // crane auth get, cloudflared access token
		case p == "token" && i > 0 && (parts[i-1] == "tunnel" || parts[i-1] == "access"):
			return whole, true // cloudflared tunnel token NAME
		case p == "secret" && i > 0 && parts[i-1] == "client":
			return whole, true // kcadm.sh get clients/ID/client-secret
		case p == "showconf" || p == "private" && i+1 < len(parts) && parts[i+1] == "key":
			return whole, true // wg showconf wg0, wg show wg0 private-key
		case p == "whoami" && (c.has("-t", "--show-token")):
			return whole, true // oc whoami -t
		}
	}
	noun := slices.Contains(credentialNouns, c.name) // keyring get
	for i, p := range parts {
		switch {
		case slices.Contains(credentialNouns, p):
			noun = true
		case (p == "key" || p == "keys") && i > 0 && slices.Contains(keyQualifiers, parts[i-1]):
			noun = true
		case (p == "key" || p == "keys") && slices.Contains(parts, "create") && !slices.Contains(parts, "crypto") && c.name != "aws" && c.name != "gcloud" && c.name != "az":
			noun = true // b2 create-key, linode-cli object-storage keys-create
		case (p == "secret" || p == "secrets") && slices.ContainsFunc(parts, func(v string) bool {
			return v == "get" || v == "show" || v == "view" || v == "reveal" || v == "access" || v == "export" || v == "dump" || v == "read" || v == "bundle" || v == "print" || v == "download" || v == "decrypt"
		}):
			noun = true // a secret stored is not shown; one read is
		}
	}
	if !noun {
		return "", false
	}
	for i, p := range parts {
		if p == "access" && i+1 < len(parts) && (parts[i+1] == "key" || parts[i+1] == "keys" || parts[i+1] == "token") {
			continue // list-access-keys names the key, not the verb
		}
		if slices.Contains(revealVerbs, p) {
			return whole, true
		}
	}
	return "", false
}

// revealFlags ask any CLI to show what it would otherwise hide.
var revealFlags = []string{"--show-secrets", "--show-secret", "--showsecret", "--reveal", "--with-secrets", "--show-password", "--show-passwords",
	"--plaintext", "--show-sensitive", "--show-token", "--show-tokens", "--show-keys", "--dump-config", "--unmask", "--uri", "--connection-string",
	"--decrypt", "--insecure-show-secrets", "--show-values", "--expose-secrets", "--print-token", "--print-password"}

// revealFlag returns the flag a call asks to be shown secrets with.
func revealFlag(c *call) (string, bool) {
	for _, f := range c.flags {
		name, _, _ := strings.Cut(strings.ToLower(f), "=")
		if slices.Contains(revealFlags, name) {
			return f, true
		}
	}
	return "", false
}

// genericCredential applies the credential heuristics to a call no pack
// fully describes.
func (w *walker) genericCredential(c *call) bool {
	if pathsOnly[c.name] || slices.Contains(readOnly, c.name) || slices.Contains(printers, c.name) {
		return false
	}
	if sub, ok := credentialVerb(c); ok {
		w.add("creds.cli-credential", credential, c.name+" "+sub+" makes or shows a credential, and prints it")
		return true
	}
	if f, ok := revealFlag(c); ok {
		w.add("creds.cli-credential", credential, c.name+" "+f+" shows secrets it would otherwise hide")
		return true
	}
	return false
}
