package pg

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// node-postgres through the gateway: its own SCRAM client, the extended
// protocol with parameters, and a held statement reported with its code.
// scripts/test-deps.sh installs the package (npm ci).
func TestNodePostgres(t *testing.T) {
	dir, _ := filepath.Abs("testdata/node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "pg")); err != nil {
		t.Fatalf("node-postgres is not installed: run scripts/test-deps.sh (%v)", err)
	}
	e := setup(t)
	out, err := exec.Command("node", filepath.Join(dir, "client.js"), e.dsn(e.prodToken, "app-prod")).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got struct {
		Count   int    `json:"count"`
		Drop    string `json:"drop"`
		Message string `json:"message"`
		After   int    `json:"after"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Count != 50 || got.Drop != CodeHeld || got.After != 1 {
		t.Fatalf("node-postgres saw %+v", got)
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
		t.Fatalf("rows %d", n)
	}
}
