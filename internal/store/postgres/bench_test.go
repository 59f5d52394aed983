package postgres

import (
	"testing"

	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/storetest"
)

// go test -run '^$' -bench Audit ./internal/store/postgres/
func BenchmarkAuditAppend(b *testing.B) {
	for _, handles := range []int{1, 2} {
		b.Run(map[int]string{1: "one-instance", 2: "two-instances"}[handles], func(b *testing.B) {
			dsn := newState(b)
			storetest.BenchAuditAppend(b, func(b *testing.B) store.Store { return open(b, dsn) }, handles)
		})
	}
}

func BenchmarkAuditRecord(b *testing.B) {
	for _, handles := range []int{1, 2} {
		b.Run(map[int]string{1: "one-instance", 2: "two-instances"}[handles], func(b *testing.B) {
			dsn := newState(b)
			storetest.BenchAuditRecord(b, func(b *testing.B) store.Store { return open(b, dsn) }, handles)
		})
	}
}
