package proxy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The CA's files in the state directory. The certificate is what agents'
// clients trust, so it may be read by anyone; the key signs certificates
// for any host those clients will then believe, so only Chaperone's user
// may read it.
const (
	CACertFile = "proxy-ca.pem"
	CAKeyFile  = "proxy-ca.key"
)

// CA is this installation's proxy certificate authority. It signs a
// certificate for each intercepted host on first use and keeps a bounded
// number of them.
type CA struct {
	cert    *x509.Certificate
	key     crypto.Signer
	leafKey *ecdsa.PrivateKey // one key for every leaf: minting stays a signature

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
	order  []string // oldest first, for eviction
}

// maxLeaves bounds the cache; intercepted hosts are the configured
// upstreams' hosts, so it is only reached by a misconfiguration.
const maxLeaves = 256

// leafLife is how long a minted certificate is valid; it is minted again
// before it runs out.
const leafLife = 7 * 24 * time.Hour

// CAPaths returns where the CA lives in dir.
func CAPaths(dir string) (cert, key string) {
	return filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
}

// LoadOrCreateCA loads the CA in dir, creating it when neither file is
// there. One file without the other is an error: a new CA would silently
// break every client that trusts the old one.
func LoadOrCreateCA(dir string) (*CA, bool, error) {
	certPath, keyPath := CAPaths(dir)
	_, cerr := os.Stat(certPath)
	_, kerr := os.Stat(keyPath)
	created := false
	switch {
	case errors.Is(cerr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist):
		if err := createCA(certPath, keyPath); err != nil {
			return nil, false, fmt.Errorf("creating the proxy CA in %s: %w", dir, err)
		}
		created = true
	case errors.Is(cerr, fs.ErrNotExist) || errors.Is(kerr, fs.ErrNotExist):
		return nil, false, fmt.Errorf("the proxy CA in %s is incomplete (%s and %s go together); restore the missing one, or remove both to create a new CA that clients must trust again",
			dir, CACertFile, CAKeyFile)
	}
	ca, err := loadCA(certPath, keyPath)
	return ca, created, err
}

func loadCA(certPath, keyPath string) (*CA, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading the proxy CA %s: %w", certPath, err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok || !cert.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate with its key", certPath)
	}
	if time.Now().After(cert.NotAfter) {
		return nil, fmt.Errorf("the proxy CA %s expired at %s; remove %s and %s to create a new one", certPath, cert.NotAfter.Format(time.RFC3339), CACertFile, CAKeyFile)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: signer, leafKey: leafKey, leaves: map[string]*tls.Certificate{}}, nil
}

func createCA(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	name := "Chaperone proxy CA"
	if h, err := os.Hostname(); err == nil && h != "" {
		name += " (" + h + ")"
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Chaperone"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return err
	}
	// The key first, created exclusively: two processes creating the CA at
	// once must not each write half of a pair.
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(keyPath)
		return err
	}
	tmp := certPath + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil { // whatever the umask
		return err
	}
	return os.Rename(tmp, certPath)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return n
}

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Leaf returns a certificate for host signed by the CA, minting it on
// first use.
func (ca *CA) Leaf(host string) (*tls.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	now := time.Now()
	if c, ok := ca.leaves[host]; ok && now.Add(time.Hour).Before(c.Leaf.NotAfter) {
		return c, nil
	}
	notAfter := now.Add(leafLife)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{host},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &ca.leafKey.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: ca.leafKey, Leaf: leaf}
	if _, ok := ca.leaves[host]; !ok {
		if len(ca.order) >= maxLeaves {
			delete(ca.leaves, ca.order[0])
			ca.order = ca.order[1:]
		}
		ca.order = append(ca.order, host)
	}
	ca.leaves[host] = c
	return c, nil
}
