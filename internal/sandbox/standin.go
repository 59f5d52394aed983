package sandbox

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/chaperone/chaperone/internal/scan"
)

// Placeholder stands in for a credential no upstream of the session
// replaces: it reaches nothing.
const Placeholder = "chaperone-stand-in"

// assignment is a NAME=VALUE line as .env files, shells and compose files
// write it.
var assignment = regexp.MustCompile(`^(\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*)(.*?)\s*$`)

// StandIns returns, for each file under workspace that `chaperone scan`
// flags, its content with each flagged credential replaced: by values[NAME]
// where the line assigns NAME (the session's token or DSN), else by
// Placeholder. A flagged line whose secret cannot be placed is replaced
// whole: it is never shown as it is.
func StandIns(workspace string, values map[string]string) (map[string][]byte, error) {
	found, err := scan.Dir(workspace)
	if err != nil {
		return nil, err
	}
	byFile := map[string][]int{}
	for _, f := range found {
		byFile[f.File] = append(byFile[f.File], f.Line)
	}
	var det *detect.Detector
	out := map[string][]byte{}
	for rel, lines := range byFile {
		path := filepath.Join(workspace, rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		text := strings.Split(string(data), "\n")
		sort.Ints(lines)
		for _, n := range lines {
			if n < 1 || n > len(text) {
				continue
			}
			line := strings.TrimSuffix(text[n-1], "\r")
			if m := assignment.FindStringSubmatch(line); m != nil && m[3] != "" {
				v, ok := values[m[2]]
				if !ok {
					v = Placeholder
				}
				text[n-1] = m[1] + quoteLike(m[3], v)
				continue
			}
			if det == nil {
				if det, err = detect.NewDetectorDefaultConfig(); err != nil {
					return nil, err
				}
			}
			replaced := line
			for _, f := range det.DetectBytes([]byte(line)) {
				if f.Secret != "" {
					replaced = strings.ReplaceAll(replaced, f.Secret, Placeholder)
				}
			}
			if replaced == line {
				replaced = Placeholder
			}
			text[n-1] = replaced
		}
		out[path] = []byte(strings.Join(text, "\n"))
	}
	return out, nil
}

// quoteLike keeps the original value's quotes around its stand-in.
func quoteLike(orig, v string) string {
	for _, q := range []string{`"`, `'`} {
		if len(orig) >= 2 && strings.HasPrefix(orig, q) && strings.HasSuffix(orig, q) {
			return q + v + q
		}
	}
	return v
}
