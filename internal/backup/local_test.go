package backup

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var ctx = context.Background()

func TestLocalWritesOnceAndRetains(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	l := &Local{Dir: t.TempDir(), Now: func() time.Time { return now }}
	if err := l.Check(ctx); err != nil {
		t.Fatal(err)
	}
	until := now.Add(7 * 24 * time.Hour)
	o, err := l.Put(ctx, "app-prod/snap-1.dump", strings.NewReader("snapshot bytes"), until)
	if err != nil || o.Size != 14 {
		t.Fatalf("put: %+v %v", o, err)
	}
	fi, _ := os.Stat(filepath.Join(l.Dir, "app-prod", "snap-1.dump"))
	if fi.Mode().Perm() != 0o400 {
		t.Fatalf("mode %v, want 0400", fi.Mode().Perm())
	}
	if _, err := l.Put(ctx, "app-prod/snap-1.dump", strings.NewReader("other"), until); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite: %v", err)
	}
	if err := l.Delete(ctx, o); !errors.Is(err, ErrRetained) {
		t.Fatalf("delete before retain-until: %v", err)
	}
	r, err := l.Get(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "snapshot bytes" {
		t.Fatalf("read back %q", b)
	}
	list, err := l.List(ctx, "app-prod/")
	if err != nil || len(list) != 1 || !list[0].RetainUntil.Equal(until) {
		t.Fatalf("list %+v %v", list, err)
	}
	for _, bad := range []string{"../escape", "/abs", "a/../../b", "a//b", ""} {
		if _, err := l.Put(ctx, bad, strings.NewReader("x"), until); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	now = until.Add(time.Second)
	if err := l.Delete(ctx, o); err != nil {
		t.Fatalf("delete after retain-until: %v", err)
	}
	if _, err := l.Get(ctx, o); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// A write that fails half way leaves nothing a later list or put would trip on.
func TestLocalFailedWriteLeavesNothing(t *testing.T) {
	l := &Local{Dir: t.TempDir()}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Put(cctx, "x.dump", strings.NewReader("data"), time.Now().Add(time.Hour)); err == nil {
		t.Fatal("a cancelled write succeeded")
	}
	entries, _ := os.ReadDir(l.Dir)
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if _, err := l.Put(ctx, "x.dump", strings.NewReader("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}
