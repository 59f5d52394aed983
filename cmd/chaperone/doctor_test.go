package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/chaperone/chaperone/internal/doctor"
)

func doctorFindings(t *testing.T, cfg string) (map[string]doctor.Finding, int) {
	t.Helper()
	r := chaperone(t, "", "--config", cfg, "doctor", "--json")
	var list []doctor.Finding
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("doctor --json: %v\n%+v", err, r)
	}
	out := map[string]doctor.Finding{}
	for _, f := range list {
		if prev, ok := out[f.Check]; !ok || prev.Level != doctor.Fail {
			out[f.Check] = f
		}
	}
	return out, r.code
}

func TestDoctorSaysWhatIsWrongAndHowToFixIt(t *testing.T) {
	cfg := initDir(t, "")
	f, code := doctorFindings(t, cfg)
	// init made an identity and named its key: snapshots work, and the
	// identity is on this machine until the operator moves it.
	if code != 0 || f["backup.recipient"].Level != doctor.OK || f["backup.identity"].Level != doctor.Warn ||
		f["backup.store"].Level != doctor.Warn || f["listen.pg"].Level != doctor.OK || f["tokens"].Level != doctor.OK {
		t.Fatalf("fresh install: exit %d %+v", code, f)
	}
	os.Remove(filepath.Join(filepath.Dir(cfg), "backup-identity.txt"))
	setRecipient(t, cfg, "")
	setInConfig(t, cfg, "before_destructive: true", "before_destructive: false")
	f, code = doctorFindings(t, cfg)
	if code != exitInput || f["backup.recipient"].Level != doctor.Fail || f["backup.before_destructive"].Level != doctor.Fail ||
		f["backup.identity"].Level != "" {
		t.Fatalf("no recipient, no snapshots before destruction: exit %d %+v", code, f)
	}
	setInConfig(t, cfg, "before_destructive: false", "before_destructive: true")
	id, _ := age.GenerateX25519Identity()
	setRecipient(t, cfg, id.Recipient().String())
	setInConfig(t, cfg, "  http: 127.0.0.1:8750", "  http: 0.0.0.0:8750")
	if r := chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "*", "--ttl", "0"); r.code != 0 {
		t.Fatalf("token: %+v", r)
	}
	state := filepath.Join(filepath.Dir(cfg), "state", "chaperone.db")
	os.Chmod(state, 0o644)
	os.Chmod(filepath.Join(filepath.Dir(cfg), "backups"), 0o755)
	f, code = doctorFindings(t, cfg)
	for check, want := range map[string]doctor.Level{"backup.recipient": doctor.OK, "listen.http": doctor.Fail, "tokens": doctor.Warn,
		"permissions": doctor.Fail, "backup.local": doctor.Fail} {
		if f[check].Level != want {
			t.Errorf("%s: %+v, want %s", check, f[check], want)
		}
	}
	if code != exitInput || !strings.Contains(f["permissions"].Fix, "chmod 600 "+state) || !strings.Contains(f["listen.http"].Fix, "http_tls") {
		t.Fatalf("exit %d, fixes %+v", code, f)
	}
	// Fixed, it passes (the local store stays a warning).
	os.Chmod(state, 0o600)
	os.Chmod(filepath.Join(filepath.Dir(cfg), "backups"), 0o700)
	setInConfig(t, cfg, "  http: 0.0.0.0:8750", "  http: 127.0.0.1:8750")
	if f, code := doctorFindings(t, cfg); code != 0 || f["backup.store"].Level != doctor.Warn {
		t.Fatalf("after the fixes: exit %d %+v", code, f)
	}
}
