package proxy

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The CA's key is readable by Chaperone's user alone, its certificate by
// anyone; it is created once and then loaded, and half a pair is an error
// rather than a silent new CA.
func TestCAIsCreatedOnceWithPrivateKey(t *testing.T) {
	dir := t.TempDir()
	ca, created, err := LoadOrCreateCA(dir)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	certPath, keyPath := CAPaths(dir)
	for path, mode := range map[string]os.FileMode{certPath: 0o644, keyPath: 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s: %v %v, want %v", path, fi.Mode(), err, mode)
		}
	}
	again, created, err := LoadOrCreateCA(dir)
	if err != nil || created || !again.Certificate().Equal(ca.Certificate()) {
		t.Fatalf("load: %v %v", created, err)
	}
	leaf, err := again.Leaf("backboard.railway.app")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{DNSName: "backboard.railway.app", Roots: pool}); err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{DNSName: "api.machines.dev", Roots: pool}); err == nil {
		t.Fatal("a leaf verified for another host")
	}
	os.Remove(keyPath)
	if _, _, err := LoadOrCreateCA(dir); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("without the key: %v", err)
	}
	if _, err := os.Stat(certPath); err != nil {
		t.Fatal("the certificate clients trust was replaced")
	}
}

// Leaves are cached, and the cache is bounded.
func TestLeafCacheIsBounded(t *testing.T) {
	ca, _, err := LoadOrCreateCA(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	first, _ := ca.Leaf("h0.example")
	if again, _ := ca.Leaf("h0.example"); again != first {
		t.Fatal("a leaf was minted twice")
	}
	for i := 0; i < maxLeaves+10; i++ {
		if _, err := ca.Leaf(fmt.Sprintf("h%d.example", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(ca.leaves) > maxLeaves || len(ca.order) != len(ca.leaves) {
		t.Fatalf("%d leaves cached (%d in order)", len(ca.leaves), len(ca.order))
	}
}
