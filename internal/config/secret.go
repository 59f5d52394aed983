package config

import (
	"fmt"
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

// Resolve substitutes the environment variables. An unset variable is an
// error, never an empty credential.
func (s Secret) Resolve() (string, error) {
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
