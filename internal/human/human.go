// Package human formats values for people reading a message, a log line or
// a page: sizes, ages and one-line summaries, the same way everywhere.
package human

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bytes is n in binary units: "512 B", "1.5 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Ago says how long ago something was, as coarsely as a person needs.
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days ago"
}

// FirstLine is s up to its first newline.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// OneLine folds s's white space and cuts it to at most n bytes, marking a
// cut with "…"; what a terminal would act on is shown as an escape
// (Visible).
func OneLine(s string, n int) string {
	s = Visible(strings.Join(strings.Fields(s), " "))
	if len(s) > n {
		cut := n - 1
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}

// Visible shows text an agent wrote (a held statement, a reason) to a
// human at a terminal as written: control characters, which a terminal
// would act on (ESC sequences move the cursor and erase lines, CR returns
// to the line's start), and the Unicode characters that reorder or hide
// text (bidirectional overrides and isolates, zero-width characters, line
// and paragraph separators) become visible escapes like \x1b and \u202e.
// Newlines and tabs stay; an approver must see exactly what will run.
func Visible(s string) string {
	clean := true
	for _, r := range s {
		if hidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case hidden(r) && r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		case hidden(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hidden(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x2028 || r == 0x2029 || r == 0x061c || r == 0xfeff || r == 0x00ad || r == utf8.RuneError:
		return true
	}
	return false
}
