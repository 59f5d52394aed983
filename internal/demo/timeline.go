package demo

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// timeline prints what happens, when, and who did it, for a newcomer to
// read top to bottom.
type timeline struct {
	out   io.Writer
	start time.Time
	fails []string
}

func (t *timeline) at() string { return fmt.Sprintf("%6.2fs", time.Since(t.start).Seconds()) }

// section starts one act of the story.
func (t *timeline) section(title string) {
	fmt.Fprintf(t.out, "\n%s  ── %s\n", t.at(), title)
}

// say prints one line by one actor; continuation lines are indented.
func (t *timeline) say(who, format string, args ...any) {
	lines := strings.Split(fmt.Sprintf(format, args...), "\n")
	fmt.Fprintf(t.out, "%s  %-10s %s\n", t.at(), who, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(t.out, "%s  %-10s %s\n", strings.Repeat(" ", 7), "", l)
	}
}

// check records an outcome the demo promises; a failed one makes the demo
// fail.
func (t *timeline) check(ok bool, format string, args ...any) {
	mark := "✔"
	if !ok {
		mark = "✘"
		t.fails = append(t.fails, fmt.Sprintf(format, args...))
	}
	t.say("check", "%s "+format, append([]any{mark}, args...)...)
}
