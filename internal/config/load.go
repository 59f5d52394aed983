package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrNotFound is returned (wrapped) when the config file does not exist.
var ErrNotFound = errors.New("config file not found")

// Load reads, checks and defaults the config at path. It returns every problem
// it finds at once; on any problem the config is not returned.
func Load(path string) (*Config, error) {
	absPath, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(absPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (create one with: chaperone init --dir %s)", absPath, ErrNotFound, filepath.Dir(absPath))
	}
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(absPath, data)
}

// Parse checks and defaults config text; file names it in errors and anchors
// relative paths.
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{File: file, pos: map[string]Position{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, Errors{yamlSyntaxError(file, err)}
	}
	var errs Errors
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		w := walker{c: c}
		w.walk(root, reflect.TypeOf(*c), "")
		errs = append(errs, w.errs...)
		if len(errs) == 0 {
			if err := root.Decode(c); err != nil {
				errs = append(errs, yamlSyntaxError(file, err))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	c.applyDefaults(filepath.Dir(file))
	if errs := c.validate(); len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func yamlSyntaxError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: file, Msg: msg, Fix: "correct the YAML syntax"}
	// yaml reports "line N: ..."; lift the line into the position.
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			if line, err := strconv.Atoi(n); err == nil {
				e.Pos.Line, e.Msg = line, strings.TrimSpace(tail)
			}
		}
	}
	return e
}

// walker checks the YAML tree against the Go types before decoding, so that
// unknown keys and wrong kinds of value are reported with their positions, and
// records where every key stands.
type walker struct {
	c    *Config
	errs Errors
}

func (w *walker) fail(n *yaml.Node, key, fix, format string, args ...any) {
	w.errs = append(w.errs, &Error{File: w.c.File, Pos: Position{n.Line, n.Column}, Key: key, Msg: fmt.Sprintf(format, args...), Fix: fix})
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Tag == "!!null" {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(Duration(0)) {
		if d, err := time.ParseDuration(n.Value); n.Kind != yaml.ScalarNode || err != nil || d <= 0 {
			w.fail(n, path, "write a duration such as 15m or 1h30m", "want a positive duration, got %s", describe(n))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.fail(n, path, "write it as `key: value` lines", "want a mapping, got %s", describe(n))
			return
		}
		fields := yamlFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				w.fail(k, sub, suggest(k.Value, fields), "unknown key %q", k.Value)
				continue
			}
			if seen[k.Value] {
				w.fail(k, sub, "keep one of them", "key %q is given twice", k.Value)
				continue
			}
			seen[k.Value] = true
			w.c.pos[sub] = Position{k.Line, k.Column}
			w.walk(v, f.Type, sub)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.fail(n, path, "write it as a list (`- item` lines or [a, b])", "want a list, got %s", describe(n))
			return
		}
		for i, item := range n.Content {
			sub := fmt.Sprintf("%s[%d]", path, i)
			w.c.pos[sub] = Position{item.Line, item.Column}
			w.walk(item, t.Elem(), sub)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.fail(n, path, "give a single value", "want a string, got %s", describe(n))
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			w.fail(n, path, "give a whole number", "want a whole number, got %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			w.fail(n, path, "write true or false", "want true or false, got %s", describe(n))
		}
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = f
		}
	}
	return fields
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest names the closest known key, for typos.
func suggest(got string, fields map[string]reflect.StructField) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
		if d := distance(got, name); d < bestD {
			best, bestD = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	slices.Sort(names)
	return "known keys here: " + strings.Join(names, ", ")
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
