package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/storetest"
)

func opener(path string) func(b *testing.B) store.Store {
	return func(b *testing.B) store.Store {
		s, err := Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
}

// go test -run '^$' -bench Audit ./internal/store/sqlite/
func BenchmarkAuditAppend(b *testing.B) {
	for _, handles := range []int{1, 2} {
		b.Run(map[int]string{1: "one-instance", 2: "two-instances"}[handles], func(b *testing.B) {
			storetest.BenchAuditAppend(b, opener(filepath.Join(b.TempDir(), "chaperone.db")), handles)
		})
	}
}

func BenchmarkAuditRecord(b *testing.B) {
	for _, handles := range []int{1, 2} {
		b.Run(map[int]string{1: "one-instance", 2: "two-instances"}[handles], func(b *testing.B) {
			storetest.BenchAuditRecord(b, opener(filepath.Join(b.TempDir(), "chaperone.db")), handles)
		})
	}
}
