package shell

import (
	"strconv"
	"strings"
)

// isZero says whether a tool reading s as a number reads zero: 0, 00, +0,
// -0, 0x0, 0.0 and 0e5 scale to zero or turn backups off as surely as 0
// does (kubectl's and the AWS CLI's parsers accept each).
func isZero(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return n == 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil { // 08: decimal, not octal
		return n == 0
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == 0
}

// endsZero says whether s ends in =N with N zero (web=0, web=00).
func endsZero(s string) bool {
	i := strings.LastIndexByte(s, '=')
	return i >= 0 && isZero(s[i+1:])
}
