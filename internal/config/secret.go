package config

import (
	"fmt"

	"github.com/chaperone/chaperone/internal/secret"
	"os"
	"regexp"
	"strings"
)

// Secret is a config value that may hold `${ENV_VAR}` references, so that
// credentials can stay out of the file. It is resolved only where it is used.
type Secret string

var secretRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Refs lists the environment variables the secret refers to.
func (s Secret) Refs() []string {
	var names []string
	for _, m := range secretRef.FindAllStringSubmatch(string(s), -1) {
		names = append(names, m[1])
	}
	return names
}

// syntaxError reports a `${` that is not a well-formed reference.
func (s Secret) syntaxError() error {
	rest := secretRef.ReplaceAllString(string(s), "")
	if strings.Contains(rest, "${") {
		return fmt.Errorf("malformed ${...} reference (want ${NAME}, NAME of letters, digits and _)")
	}
	return nil
}

// Sealed reports whether the value was sealed by `chaperone upstream add`.
func (s Secret) Sealed() bool { return secret.IsSealed(string(s)) }

// Opener opens a sealed value for the upstream name.
type Opener func(name, sealed string) (string, error)

// Credential returns the upstream's DSN: a sealed value opened with open, or
// ${VAR} references resolved.
func (u Upstream) Credential(open Opener) (string, error) {
	v := u.Secret()
	if v.Sealed() {
		if open == nil {
			return "", fmt.Errorf("the value is sealed and the deployment's sealing key is not available")
		}
		return open(u.Name, string(v))
	}
	return v.Resolve()
}

// Secret is the upstream's credential as written: the DSN of a postgres
// upstream, the API credential of an http one.
func (u Upstream) Secret() Secret {
	if u.Kind == KindHTTP {
		return u.APICredential
	}
	return u.DSN
}

// Resolve substitutes the environment variables. An unset variable is an
// error, never an empty credential.
func (s Secret) Resolve() (string, error) {
	if s.Sealed() {
		return "", fmt.Errorf("the value is sealed: it opens only with the deployment's sealing key")
	}
	var missing []string
	out := secretRef.ReplaceAllStringFunc(string(s), func(ref string) string {
		name := secretRef.FindStringSubmatch(ref)[1]
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// String never shows the value: a Secret printed by mistake leaks nothing.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[secret]"
}
