package backup

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/chaperone/chaperone/internal/s3test"
)

func TestS3ObjectLockHoldsAgainstDeleteAndOverwrite(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "plain", false)
	srv.Bucket(t, "vault", true)
	store := func(bucket string) *S3 {
		return &S3{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: "chaperone", Region: "us-east-1", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	}
	if err := store("plain").Check(ctx); err == nil || !strings.Contains(err.Error(), "Object Lock") {
		t.Fatalf("a bucket without Object Lock was accepted: %v", err)
	}
	if _, err := store("plain").Put(ctx, "x.dump", strings.NewReader("x"), time.Now().Add(time.Hour)); err == nil {
		t.Fatal("wrote to a bucket without Object Lock")
	}
	s := store("vault")
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	o, err := s.Put(ctx, "app-prod/snap-1.dump", strings.NewReader("the snapshot"), until)
	if err != nil || o.Version == "" || o.Size != 12 {
		t.Fatalf("put: %+v %v", o, err)
	}
	if _, err := s.Put(ctx, "app-prod/snap-1.dump", strings.NewReader("again"), until); !errors.Is(err, ErrExists) {
		t.Fatalf("second put: %v", err)
	}
	// Through the S3 API directly, with the same (Chaperone's) credentials,
	// as an agent that stole them would: delete the version, bypass
	// governance, shorten the retention, overwrite the key.
	key := "chaperone/app-prod/snap-1.dump"
	if err := srv.Client.RemoveObject(ctx, "vault", key, minio.RemoveObjectOptions{VersionID: o.Version}); err == nil {
		t.Fatal("the locked version was deleted")
	}
	if err := srv.Client.RemoveObject(ctx, "vault", key, minio.RemoveObjectOptions{VersionID: o.Version, GovernanceBypass: true}); err == nil {
		t.Fatal("the locked version was deleted with a governance bypass")
	}
	shorter := time.Now().Add(time.Minute)
	mode := minio.Compliance
	if err := srv.Client.PutObjectRetention(ctx, "vault", key, minio.PutObjectRetentionOptions{VersionID: o.Version, Mode: &mode, RetainUntilDate: &shorter}); err == nil {
		t.Fatal("the retention was shortened")
	}
	if _, err := srv.Client.PutObject(ctx, "vault", key, strings.NewReader("overwritten!"), -1, minio.PutObjectOptions{}); err != nil {
		t.Logf("overwrite refused outright: %v", err)
	}
	srv.Client.RemoveObject(ctx, "vault", key, minio.RemoveObjectOptions{}) // at most a delete marker
	if err := s.Delete(ctx, o); !errors.Is(err, ErrRetained) {
		t.Fatalf("store delete: %v", err)
	}
	// What was written is still there, byte for byte.
	r, err := s.Get(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "the snapshot" {
		t.Fatalf("after the attacks: %q", b)
	}
}
