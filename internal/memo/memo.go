// Package memo remembers results by a string key, bounded in entries and in
// bytes. When either bound is reached it starts over: forgetting costs a
// recomputation and never a wrong answer, and keys come from agents, so
// nothing they send may grow it without limit.
package memo

import "sync"

// Map is safe for concurrent use. Its zero value holds nothing; set the
// bounds before use.
type Map[V any] struct {
	// MaxEntries and MaxBytes bound the map; an entry larger than a
	// sixteenth of MaxBytes is not kept at all.
	MaxEntries, MaxBytes int

	mu    sync.RWMutex
	m     map[string]V
	bytes int
}

// Get returns the value remembered for key.
func (c *Map[V]) Get(key string) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

// GetBytes is Get for a key held as bytes, without copying it.
func (c *Map[V]) GetBytes(key []byte) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[string(key)]
	c.mu.RUnlock()
	return v, ok
}

// Put remembers v for key; size is what v holds beyond the key, in bytes.
func (c *Map[V]) Put(key string, v V, size int) {
	size += len(key)
	if size > c.MaxBytes/16 {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.MaxEntries || c.bytes+size > c.MaxBytes {
		c.m, c.bytes = make(map[string]V, 256), 0
	}
	if _, ok := c.m[key]; !ok {
		c.bytes += size
	}
	c.m[key] = v
	c.mu.Unlock()
}
