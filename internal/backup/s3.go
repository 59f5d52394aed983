package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a store in an S3 bucket with Object Lock. Every object is written
// with a COMPLIANCE-mode retention: until its retain-until date no one can
// delete or overwrite that version, not the root account, not Chaperone's
// own key, not an agent that stole it. Chaperone refuses a bucket without
// Object Lock.
type S3 struct {
	Endpoint  string // https://s3.example.com, or http:// on loopback for tests
	Bucket    string
	Prefix    string
	Region    string
	AccessKey string
	SecretKey string

	client *minio.Client
}

func (s *S3) Describe() string {
	return fmt.Sprintf("S3 bucket %s at %s", s.Bucket, s.Endpoint)
}

func (s *S3) cl() (*minio.Client, error) {
	if s.client != nil {
		return s.client, nil
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("S3 endpoint %q: want https://host[:port]", s.Endpoint)
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure: u.Scheme == "https", Region: s.Region})
	if err != nil {
		return nil, err
	}
	s.client = c
	return c, nil
}

func (s *S3) key(name string) string { return strings.TrimSuffix(s.Prefix, "/") + "/" + name }

// Check refuses a bucket without Object Lock: without it, retention is a
// promise nobody keeps.
func (s *S3) Check(ctx context.Context) error {
	c, err := s.cl()
	if err != nil {
		return err
	}
	status, _, _, _, err := c.GetObjectLockConfig(ctx, s.Bucket)
	if err != nil {
		return fmt.Errorf("bucket %s: reading its Object Lock configuration: %w (Chaperone only writes to buckets created with Object Lock enabled)", s.Bucket, err)
	}
	if status != "Enabled" {
		return fmt.Errorf("bucket %s does not have Object Lock enabled: backups there could be deleted; create a bucket with Object Lock", s.Bucket)
	}
	return nil
}

func (s *S3) Put(ctx context.Context, name string, r io.Reader, retainUntil time.Time) (Object, error) {
	if err := checkName(name); err != nil {
		return Object{}, err
	}
	if err := s.Check(ctx); err != nil {
		return Object{}, err
	}
	c, _ := s.cl()
	if _, err := c.StatObject(ctx, s.Bucket, s.key(name), minio.StatObjectOptions{}); err == nil {
		return Object{}, fmt.Errorf("%s: %w", name, ErrExists)
	}
	info, err := c.PutObject(ctx, s.Bucket, s.key(name), r, -1, minio.PutObjectOptions{
		ContentType: "application/octet-stream", Mode: minio.Compliance, RetainUntilDate: retainUntil.UTC(),
		// Object Lock needs a checksum on every write.
		SendContentMd5: true, PartSize: 16 << 20})
	if err != nil {
		return Object{}, fmt.Errorf("writing %s to %s: %w", name, s.Describe(), err)
	}
	// Read the retention back: a store that took the write but not the lock
	// is no backup store.
	mode, until, err := s.retention(ctx, s.key(name), info.VersionID)
	if err != nil || mode != string(minio.Compliance) || until.Before(retainUntil.Add(-time.Second)) {
		return Object{}, fmt.Errorf("%s was written but its COMPLIANCE retention did not hold (mode %q, until %v, %v)", name, mode, until, err)
	}
	return Object{Name: name, Size: info.Size, RetainUntil: until, Version: info.VersionID}, nil
}

// retention reads a version's lock from its headers (HEAD), which every
// S3 implementation returns alike, unlike the ?retention document.
func (s *S3) retention(ctx context.Context, key, version string) (mode string, until time.Time, err error) {
	c, err := s.cl()
	if err != nil {
		return "", time.Time{}, err
	}
	st, err := c.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{VersionID: version})
	if err != nil {
		return "", time.Time{}, err
	}
	mode = st.Metadata.Get("X-Amz-Object-Lock-Mode")
	if v := st.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"); v != "" {
		until, err = time.Parse(time.RFC3339, v)
	}
	return mode, until.UTC(), err
}

func (s *S3) Get(ctx context.Context, o Object) (io.ReadCloser, error) {
	c, err := s.cl()
	if err != nil {
		return nil, err
	}
	obj, err := c.GetObject(ctx, s.Bucket, s.key(o.Name), minio.GetObjectOptions{VersionID: o.Version})
	if err != nil {
		return nil, err
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == "NoSuchKey" || minio.ToErrorResponse(err).Code == "NoSuchVersion" {
			return nil, fmt.Errorf("%s: %w", o.Name, ErrNotFound)
		}
		return nil, err
	}
	return obj, nil
}

func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	c, err := s.cl()
	if err != nil {
		return nil, err
	}
	base := s.key("")
	var out []Object
	for info := range c.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: base + prefix, Recursive: true}) {
		if info.Err != nil {
			return nil, info.Err
		}
		o := Object{Name: strings.TrimPrefix(info.Key, base), Size: info.Size, Version: info.VersionID}
		if _, until, err := s.retention(ctx, info.Key, info.VersionID); err == nil {
			o.RetainUntil = until
		}
		out = append(out, o)
	}
	return out, nil
}

// Delete removes a version whose retention has passed. Before that, S3
// itself refuses; the check here only gives a clearer error first.
func (s *S3) Delete(ctx context.Context, o Object) error {
	c, err := s.cl()
	if err != nil {
		return err
	}
	if o.Version == "" {
		return errors.New("deleting needs the object's version: a delete without one only hides it")
	}
	if err := c.RemoveObject(ctx, s.Bucket, s.key(o.Name), minio.RemoveObjectOptions{VersionID: o.Version}); err != nil {
		if code := minio.ToErrorResponse(err).Code; code == "AccessDenied" || code == "InvalidRequest" || code == "ObjectLocked" {
			return fmt.Errorf("%s: %w (%v)", o.Name, ErrRetained, err)
		}
		return err
	}
	return nil
}
