package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFindsWorkspaceCredentialsAndSaysWhichAreBroad(t *testing.T) {
	dir := t.TempDir()
	const railway = "6f1c2b7e-93aa-4d7e-b2f1-0c9d8e7a6b5c"
	const aws = "AKIAZ3MFJQ7XHW5RT2PL"
	write(t, dir, ".env", "# staging\nRAILWAY_TOKEN="+railway+"\nAPP_NAME=shop\nDB_PASSWORD='hunter22'\n")
	write(t, dir, "deploy/config.py", "AWS_KEY = \""+aws+"\"\n")
	write(t, dir, ".env.example", "RAILWAY_TOKEN=changeme-to-your-token\n")
	write(t, dir, "node_modules/pkg/.env", "RAILWAY_TOKEN="+railway+"\n")
	write(t, dir, "README.md", "Set RAILWAY_TOKEN in your shell.\n")
	found, err := Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Finding{}
	for _, f := range found {
		got[f.File+":"+f.What] = f
		if strings.Contains(f.Preview, railway) || strings.Contains(f.Preview, aws) || strings.Contains(f.Preview, "hunter22") {
			t.Errorf("a secret is shown: %+v", f)
		}
		if strings.HasPrefix(f.File, "node_modules") || f.File == ".env.example" || f.File == "README.md" {
			t.Errorf("should not be reported: %+v", f)
		}
	}
	rw, ok := got[".env:secret-named variable RAILWAY_TOKEN"]
	if !ok {
		// gitleaks' generic rule may claim the line first
		for _, f := range found {
			if f.File == ".env" && f.Line == 2 {
				rw, ok = f, true
			}
		}
	}
	if !ok || !rw.Broad || rw.Line != 2 || !strings.Contains(rw.Advice, "every project and environment") {
		t.Fatalf("railway token: %+v (all: %+v)", rw, found)
	}
	if f, ok := got[".env:secret-named variable DB_PASSWORD"]; !ok || f.Broad || f.Line != 4 {
		t.Fatalf("db password: %+v (all: %+v)", f, found)
	}
	var awsFound bool
	for _, f := range found {
		awsFound = awsFound || f.File == filepath.Join("deploy", "config.py") && f.Rule == "aws-access-token" && f.Broad
	}
	if !awsFound {
		t.Fatalf("aws key not found as broad: %+v", found)
	}
}

func TestCleanWorkspaceHasNoFindings(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.go", "package main\nfunc main() {}\n")
	write(t, dir, ".env.sample", "API_TOKEN=\n")
	found, err := Dir(dir)
	if err != nil || len(found) != 0 {
		t.Fatalf("%v %+v", err, found)
	}
}
