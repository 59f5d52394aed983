package memo

import (
	"strings"
	"testing"
)

// Whatever is put, the map stays within its bounds, keeps what fits and
// never answers with another key's value.
func TestStaysWithinItsBounds(t *testing.T) {
	c := Map[int]{MaxEntries: 100, MaxBytes: 1 << 16}
	for i := range 10000 {
		k := strings.Repeat("k", i%3000) + string(rune('a'+i%26))
		c.Put(k, i, 8)
		if v, ok := c.Get(k); ok && v != i {
			t.Fatalf("key %d: got %d", i, v)
		}
		c.mu.RLock()
		n, b := len(c.m), c.bytes
		c.mu.RUnlock()
		if n > c.MaxEntries || b > c.MaxBytes {
			t.Fatalf("after %d puts: %d entries, %d bytes", i, n, b)
		}
	}
	c.Put(strings.Repeat("x", 1<<13), 1, 0)
	if _, ok := c.Get(strings.Repeat("x", 1<<13)); ok {
		t.Fatal("an entry over a sixteenth of the byte bound was kept")
	}
	c.Put("small", 7, 0)
	if v, ok := c.GetBytes([]byte("small")); !ok || v != 7 {
		t.Fatalf("GetBytes: %d %v", v, ok)
	}
}
