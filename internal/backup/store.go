// Package backup keeps snapshots where no agent key can reach them: in
// write-once stores whose objects cannot be deleted or overwritten before
// their retain-until date, by anyone, Chaperone's own credentials included.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// Store holds backup objects write-once until their retain-until time.
type Store interface {
	// Put writes a new object from r. It fails with ErrExists when name
	// is taken, and the object cannot be deleted or replaced before
	// retainUntil.
	Put(ctx context.Context, name string, r io.Reader, retainUntil time.Time) (Object, error)
	// Get reads the object as it was written (for S3, that exact version).
	Get(ctx context.Context, o Object) (io.ReadCloser, error)
	// List returns the objects whose names start with prefix.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes an object whose retention has passed; before that it
	// fails with ErrRetained.
	Delete(ctx context.Context, o Object) error
	// Check verifies the store's guarantees (for S3: Object Lock is on).
	Check(ctx context.Context) error
	// Describe says where the store is, for people (no credentials).
	Describe() string
}

// Object is one stored object.
type Object struct {
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	RetainUntil time.Time `json:"retain_until"`
	// Version pins the exact version an S3 store wrote; a later write to
	// the same key (a new version) never changes what Get returns.
	Version string `json:"version,omitempty"`
}

var (
	ErrExists   = errors.New("a backup object with this name already exists")
	ErrRetained = errors.New("the object is retained: it cannot be deleted or replaced before its retain-until date")
	ErrNotFound = errors.New("no such backup object")
)

var (
	objectName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$`)
	dotSegment = regexp.MustCompile(`(^|/)\.\.?(/|$)|//`)
)

// checkName keeps names to simple relative paths: no "..", no absolute
// paths, nothing that could escape a directory or confuse an S3 key.
func checkName(name string) error {
	if !objectName.MatchString(name) || dotSegment.MatchString(name) {
		return fmt.Errorf("bad backup object name %q", name)
	}
	return nil
}
