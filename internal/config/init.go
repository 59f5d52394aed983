package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"filippo.io/age"
)

//go:embed chaperone.yaml
var template []byte

// Template is the commented config `chaperone init` writes; it spells out the
// embedded defaults.
func Template() []byte { return template }

// IdentityFile is where init leaves the age identity that decrypts
// snapshots, beside the config and outside the state directory: it belongs
// off this machine, and doctor warns while it is here.
const IdentityFile = "backup-identity.txt"

// Init writes dir/chaperone.yaml and the private directories it points at,
// and an age identity whose recipient the config names, so that snapshots
// (before destruction among them) work with no other setup. It never
// overwrites an existing config or identity.
func Init(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s already exists; remove it first to start over", path)
	}
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", path, err)
	}
	recipient, err := newIdentity(filepath.Join(dir, IdentityFile))
	if err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	text := bytes.Replace(template, []byte(`recipient: ""`), []byte(`recipient: "`+recipient+`"`), 1)
	if _, err := f.Write(text); err != nil {
		f.Close()
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	cfg, err := Load(path)
	if err != nil {
		return "", err
	}
	for _, d := range []string{cfg.StateDir(), cfg.Backup.Local.Dir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return path, nil
}

// newIdentity writes a new age identity to path, readable by its owner
// only, and returns its recipient.
func newIdentity(path string) (string, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("creating a backup identity: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s already exists; move it off this machine (it decrypts snapshots) or remove it first", path)
	}
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", path, err)
	}
	r := id.Recipient().String()
	_, err = fmt.Fprintf(f, "# created by chaperone init; public key: %s\n# This key decrypts Chaperone's snapshots: keep it off the machine Chaperone runs on.\n%s\n", r, id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return r, nil
}
