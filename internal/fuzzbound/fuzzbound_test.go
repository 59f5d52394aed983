package fuzzbound

import (
	"strings"
	"testing"
	"time"
)

// recorder captures a failure instead of failing the real test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = format
	panic(r)
}

func run(limit time.Duration, fn func()) (msg string) {
	r := &recorder{}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		msg = r.msg
	}()
	Run(r, limit, fn)
	return ""
}

func TestRunFailsAHangWithoutWaitingForIt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	if msg := run(50*time.Millisecond, func() { <-release }); !strings.Contains(msg, "still running") {
		t.Fatalf("hang not reported: %q", msg)
	}
	if msg := run(time.Minute, func() {}); msg != "" {
		t.Fatalf("quick fn failed: %q", msg)
	}
}
