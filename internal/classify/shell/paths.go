package shell

import (
	"path"
	"slices"
	"strings"
)

func isDevice(p string) bool {
	return p == "/dev/null" || p == "/dev/stdout" || p == "/dev/stderr" || p == "/dev/tty" || strings.HasPrefix(p, "/dev/fd/")
}

var tempRoots = []string{"/tmp", "/var/tmp", "/private/tmp", "/dev/shm", "$TMPDIR", "$TMP", "$TEMP"}

// isTemp reports whether p is a temporary directory or inside one.
func isTemp(p string) bool {
	clean := path.Clean(p)
	for _, root := range tempRoots {
		if clean == root || strings.HasPrefix(clean, root+"/") {
			return true
		}
	}
	return false
}

// inWorkspace reports whether p stays inside the working directory: relative,
// not climbing out with .., and not expanded from a variable or ~.
func inWorkspace(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") || strings.HasPrefix(p, "$") {
		return false
	}
	clean := path.Clean(p)
	return clean != ".." && !strings.HasPrefix(clean, "../")
}

// buildDirs are directories a build recreates; deleting them loses nothing.
var buildDirs = []string{
	"node_modules", "dist", "build", "target", "out", ".next", ".nuxt", ".svelte-kit", "coverage",
	"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".cache", ".turbo", ".parcel-cache",
	"tmp", ".tmp", "temp", "obj", ".gradle", ".terraform", "htmlcov", ".tox", ".nox", "bin-debug",
}

// isDisposable reports whether deleting p loses nothing a build cannot make
// again: a temp dir, or a build directory (or something inside one) in the
// workspace.
func isDisposable(p string) bool {
	if isTemp(p) {
		return true
	}
	if !inWorkspace(p) {
		return false
	}
	clean := path.Clean(p)
	// A glob may pick files inside a build directory, never the directory.
	if strings.ContainsAny(clean, "*?[") && !isBuildPath(path.Dir(clean)) {
		return false
	}
	return isBuildPath(clean)
}

func isBuildPath(clean string) bool {
	for _, part := range strings.Split(clean, "/") {
		if slices.Contains(buildDirs, part) {
			return true
		}
	}
	return false
}

// secretBases are file names that hold credentials.
var secretBases = []string{
	".env", ".envrc", ".netrc", "_netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials", ".vault-token",
	"credentials", "credentials.json", "credentials.db", "access_tokens.db", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
	"hosts.yml", "kubeconfig", "terraform.tfstate", "terraform.tfstate.backup", "secrets.yml", "secrets.yaml",
	"secrets.json", "service-account.json", "master.key", "credentials.yml.enc", ".htpasswd", "wp-config.php",
}

// secretTemplates look like .env files but hold no secrets by convention.
var secretTemplates = []string{".example", ".sample", ".template", ".dist", ".defaults", ".schema"}

// isSecretPath reports whether p names a file that holds credentials.
func isSecretPath(p string) bool {
	p = strings.Trim(p, `"'`)
	base := path.Base(p)
	for _, t := range secretTemplates {
		if strings.HasSuffix(base, t) {
			return false
		}
	}
	switch {
	case slices.Contains(secretBases, base):
		return !(base == "hosts.yml" && !strings.Contains(p, "gh/")) && !(base == "credentials" && !strings.Contains(p, ".aws") && !strings.Contains(p, ".config"))
	case strings.HasPrefix(base, ".env."), base == "environ" && strings.HasPrefix(p, "/proc/"):
		return true
	case strings.HasSuffix(base, ".pem"), strings.HasSuffix(base, ".key"), strings.HasSuffix(base, ".p12"),
		strings.HasSuffix(base, ".pfx"), strings.HasSuffix(base, ".keystore"), strings.HasSuffix(base, ".jks"):
		return !strings.HasSuffix(base, ".pub.pem")
	case strings.HasPrefix(base, "id_") && !strings.HasSuffix(base, ".pub") && strings.Contains(p, ".ssh"):
		return true
	}
	for _, frag := range []string{".kube/config", ".railway/config", ".aws/config", ".docker/config.json",
		".config/gcloud/", ".azure/", ".fly/config", ".config/gh/hosts", ".ssh/"} {
		if strings.Contains(p, frag) && !strings.HasSuffix(p, ".pub") && !strings.HasSuffix(p, "known_hosts") && !strings.HasSuffix(p, ".ssh/config") {
			return true
		}
	}
	return false
}

// secretName reports whether an environment variable's name says it holds a
// credential.
func secretName(name string) bool {
	n := strings.ToUpper(name)
	for _, frag := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "PRIVATE_KEY",
		"ACCESS_KEY", "CREDENTIAL", "AUTH", "DATABASE_URL", "_DSN", "CONNECTION_STRING", "SESSION_KEY"} {
		if strings.Contains(n, frag) {
			return true
		}
	}
	return false
}

// IsSecretPath reports whether a path names a file that holds credentials.
func IsSecretPath(p string) bool { return isSecretPath(p) }

// SecretName reports whether an environment variable's name says it holds a
// credential.
func SecretName(name string) bool { return secretName(name) }
