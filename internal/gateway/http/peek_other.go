//go:build !linux

package http

import "syscall"

// idleSocketQuiet cannot look without reading here: a kept connection is
// never reused, and every exchange dials.
func idleSocketQuiet(syscall.RawConn) bool { return false }
