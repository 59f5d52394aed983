package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddAndRemoveUpstreamKeepCommentsAndCheckTheResult(t *testing.T) {
	dir := t.TempDir()
	path, err := Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := AddUpstream(path, Upstream{Name: "app-prod", Kind: "postgres", Env: "production", DSN: "${APP_PROD_DSN}"}); err != nil {
		t.Fatal(err)
	}
	if err := AddUpstream(path, Upstream{Name: "app-staging", Kind: "postgres", Env: "staging", DSN: "sealed:v1:AAAA"}); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("edited config does not load: %v\n%s", err, text)
	}
	if len(cfg.Upstreams) != 2 || cfg.Upstreams[0].Name != "app-prod" || string(cfg.Upstreams[1].DSN) != "sealed:v1:AAAA" {
		t.Fatalf("upstreams %+v", cfg.Upstreams)
	}
	if !strings.Contains(string(text), "# Where tokens (as hashes only)") {
		t.Fatalf("comments lost:\n%s", text)
	}
	if err := AddUpstream(path, Upstream{Name: "app-prod", Kind: "postgres", Env: "production", DSN: "x"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
	// An entry that would not validate is not written.
	before, _ := os.ReadFile(path)
	if err := AddUpstream(path, Upstream{Name: "Bad Name", Kind: "postgres", Env: "x", DSN: "y"}); err == nil {
		t.Fatal("an invalid upstream was written")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a refused edit changed the file")
	}
	if err := RemoveUpstream(path, "app-prod"); err != nil {
		t.Fatal(err)
	}
	if err := RemoveUpstream(path, "app-prod"); err == nil {
		t.Fatal("removing a missing upstream succeeded")
	}
	cfg, _ = Load(path)
	if len(cfg.Upstreams) != 1 || cfg.Upstreams[0].Name != "app-staging" {
		t.Fatalf("after remove: %+v", cfg.Upstreams)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode changed to %v", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".chaperone.yaml.*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
