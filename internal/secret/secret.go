// Package secret seals upstream credentials for storage at rest. A sealed
// value (AES-256-GCM, bound to the upstream's name) can sit in a config file
// that is shared or even committed: it opens only with the key kept in
// Chaperone's private state directory.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Prefix marks a sealed value.
const Prefix = "sealed:v1:"

// KeyFile is the key's name in the state directory.
const KeyFile = "secret.key"

// ErrOpen is a sealed value that does not open with this key (wrong key,
// tampered value, or sealed for another name).
var ErrOpen = errors.New("sealed value does not open with this deployment's key")

// Box seals and opens values with one deployment key.
type Box struct{ aead cipher.AEAD }

// IsSealed reports whether v is a sealed value.
func IsSealed(v string) bool { return strings.HasPrefix(v, Prefix) }

// Open loads the key from dir; with create, a missing key is generated
// (readable by Chaperone's user alone).
func Open(dir string, create bool) (*Box, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("reading the sealing key %s: %w", path, err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("sealing key %s is %d bytes, want 32", path, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext for name.
func (b *Box) Seal(name, plaintext string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(name))
	return Prefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for name.
func (b *Box) Open(name, sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, Prefix))
	if !IsSealed(sealed) || err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(name))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}
