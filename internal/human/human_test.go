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
		{OneLine("ab\x1b[2Kc", 100), `ab\x1b[2Kc`},
		{Visible("DROP\r\x1b[1AUPDATE"), `DROP\x0d\x1b[1AUPDATE`},
		{Visible("a\nb\tc"), "a\nb\tc"},
		{Visible("x\u202ey\u200bz\u2028"), `x\u202ey\u200bz\u2028`},
		{Visible("\xff\u0085é"), `\xff\x85é`},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
