package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Local is the embedded default store: a directory. Objects are written
// once, made read-only (0400), never replaced, and deletions are refused
// before their retain-until date. It is only as isolated as its disk: the
// same filesystem user who runs Chaperone could remove the files by hand,
// which is why doctor warns about it and S3 Object Lock is the real thing.
type Local struct {
	Dir string
	Now func() time.Time
}

const retainSuffix = ".retain-until"

func (l *Local) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Local) Describe() string { return "local directory " + l.Dir }

func (l *Local) Check(ctx context.Context) error {
	fi, err := os.Stat(l.Dir)
	if err != nil {
		return fmt.Errorf("backup directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("backup directory %s is not a directory", l.Dir)
	}
	return nil
}

func (l *Local) path(name string) string { return filepath.Join(l.Dir, filepath.FromSlash(name)) }

func (l *Local) Put(ctx context.Context, name string, r io.Reader, retainUntil time.Time) (Object, error) {
	if err := checkName(name); err != nil {
		return Object{}, err
	}
	final := l.path(name)
	if _, err := os.Lstat(final); err == nil {
		return Object{}, fmt.Errorf("%s: %w", name, ErrExists)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return Object{}, err
	}
	var b [8]byte
	rand.Read(b[:])
	tmp := final + ".partial-" + hex.EncodeToString(b[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Object{}, err
	}
	defer os.Remove(tmp) // gone once linked; a failed write leaves nothing behind
	n, err := io.Copy(f, contextReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o400)
	}
	if err != nil {
		return Object{}, err
	}
	// The retention record goes first: an object never exists without one.
	if err := writeOnce(final+retainSuffix, []byte(retainUntil.UTC().Format(time.RFC3339Nano))); err != nil {
		return Object{}, err
	}
	// Link, unlike rename, fails if the name is taken: never a replacement.
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Object{}, fmt.Errorf("%s: %w", name, ErrExists)
		}
		return Object{}, err
	}
	syncDir(filepath.Dir(final))
	return Object{Name: name, Size: n, RetainUntil: retainUntil.UTC()}, nil
}

// writeOnce creates a small read-only file that must not exist yet.
func writeOnce(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func (l *Local) retainUntil(name string) (time.Time, error) {
	b, err := os.ReadFile(l.path(name) + retainSuffix)
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
}

func (l *Local) Get(ctx context.Context, o Object) (io.ReadCloser, error) {
	if err := checkName(o.Name); err != nil {
		return nil, err
	}
	f, err := os.Open(l.path(o.Name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", o.Name, ErrNotFound)
	}
	return f, err
}

func (l *Local) List(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	err := filepath.WalkDir(l.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, retainSuffix) || strings.Contains(filepath.Base(path), ".partial-") {
			return err
		}
		rel, _ := filepath.Rel(l.Dir, path)
		name := filepath.ToSlash(rel)
		if !strings.HasPrefix(name, prefix) || checkName(name) != nil {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		until, err := l.retainUntil(name)
		if err != nil {
			return fmt.Errorf("%s has no readable retention record: %w", name, err)
		}
		out = append(out, Object{Name: name, Size: fi.Size(), RetainUntil: until})
		return nil
	})
	return out, err
}

func (l *Local) Delete(ctx context.Context, o Object) error {
	if err := checkName(o.Name); err != nil {
		return err
	}
	until, err := l.retainUntil(o.Name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", o.Name, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if l.now().Before(until) {
		return fmt.Errorf("%s until %s: %w", o.Name, until.Format(time.RFC3339), ErrRetained)
	}
	if err := os.Remove(l.path(o.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Remove(l.path(o.Name) + retainSuffix)
}

// contextReader stops a copy when ctx ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
