package config

import (
	"fmt"
	"strings"
)

// Position is where a value stands in the config file.
type Position struct {
	Line, Col int
}

// Error is one problem with the config: where it is, what is wrong, how to fix it.
type Error struct {
	File string
	Pos  Position
	Key  string // dotted path, e.g. policy.rules[1].when
	Msg  string
	Fix  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Col)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	if e.Fix != "" {
		fmt.Fprintf(&b, " (fix: %s)", e.Fix)
	}
	return b.String()
}

// Errors is every problem found in one file; a config with any is not used at all.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Pos returns the position of the value at key (or of its nearest parent that
// has one), so errors about defaults still point somewhere useful.
func (c *Config) Pos(key string) Position {
	for k := key; k != ""; k = parent(k) {
		if p, ok := c.pos[k]; ok {
			return p
		}
	}
	return Position{}
}

func parent(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

// ErrorAt builds an Error for key with this config's file and position.
func (c *Config) ErrorAt(key, fix, format string, args ...any) *Error {
	return &Error{File: c.fileName(), Pos: c.Pos(key), Key: key, Msg: fmt.Sprintf(format, args...), Fix: fix}
}

func (c *Config) fileName() string {
	if c.File == "" {
		return "(embedded defaults)"
	}
	return c.File
}
