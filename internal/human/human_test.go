package human

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Bytes(512), "512 B"},
		{Bytes(1536), "1.5 KiB"},
		{Bytes(3 << 30), "3.0 GiB"},
		{Ago(10 * time.Second), "just now"},
		{Ago(5 * time.Minute), "5 min ago"},
		{Ago(30 * time.Hour), "30 h ago"},
		{Ago(72 * time.Hour), "3 days ago"},
		{FirstLine("a\nb"), "a"},
		{OneLine("a  b\n c", 100), "a b c"},
		{OneLine("abcdef", 4), "abc…"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
