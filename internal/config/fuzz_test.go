package config

import (
	"errors"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/fuzzbound"
)

// FuzzParse: any bytes either load or fail with positioned config errors;
// nothing panics.
func FuzzParse(f *testing.F) {
	f.Add(Template())
	f.Add([]byte("policy:\n  rules:\n    - {name: a, when: 'true', decision: approve, approvals: 3}\n"))
	f.Add([]byte("upstreams:\n  - name: x\n    kind: postgres\n    env: s\n    dsn: ${A}${B\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c *Config
		var err error
		fuzzbound.Run(t, 2*time.Second, func() { c, err = Parse("/f/chaperone.yaml", data) })
		if err == nil {
			if c.State.Path == "" || c.Listen.PG == "" || c.Version != 1 {
				t.Fatalf("loaded without defaults: %+v", c)
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is not a config error list: %v", err)
		}
	})
}
