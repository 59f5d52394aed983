package hook

import (
	"fmt"
	"strings"

	"github.com/chaperone/chaperone/internal/classify/shell/argv"
	"github.com/chaperone/chaperone/internal/strictjson"
)

// members is a JSON object an agent sent, read strictly (see strictjson),
// checked against the fields its adapter reads, which it then takes by
// their exact names.
//
// Adapters read the decoded tree rather than unmarshalling into structs:
// the hook binary starts for every tool call, and encoding/json's first
// struct decode in a new process cost 0.25 ms here, more than the strict
// parse of the whole input (bench/hook.sh).
type members map[string]any

// kind is what a field's value must be when it is there and not null.
type kind int

const (
	anyValue kind = iota
	aString
	aStringList
	anObject
)

// field is a member an adapter reads.
type field struct {
	name string
	kind kind
	of   []field // an object's own fields
}

// object reads data as one JSON object holding fields. A field of the
// wrong type is refused, and so is a key equal to a field's name only when
// case is ignored: a reader that ignores case (encoding/json, for one)
// would take it for that field.
func object(data []byte, fields ...field) (members, error) {
	v, err := strictjson.Decode(data)
	if err != nil {
		return nil, err
	}
	return asObject(v, "", fields)
}

func asObject(v any, path string, fields []field) (members, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the hook input is %s, not a JSON object", kindOf(v))
	}
	for _, f := range fields {
		if err := f.check(m[f.name], path+f.name); err != nil {
			return nil, err
		}
	}
	for k := range m {
		if known(fields, k) {
			continue
		}
		for _, f := range fields {
			// EqualFold is strictjson.FoldKey's equality, without
			// building the folded strings.
			if strings.EqualFold(f.name, k) {
				return nil, fmt.Errorf("JSON refused: the key %s%q is not %q", path, k, f.name)
			}
		}
	}
	return members(m), nil
}

func known(fields []field, k string) bool {
	for _, f := range fields {
		if f.name == k {
			return true
		}
	}
	return false
}

func (f field) check(v any, path string) error {
	if v == nil {
		return nil
	}
	switch f.kind {
	case aString:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s is %s, not a string", path, kindOf(v))
		}
	case aStringList:
		l, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s is %s, not a list of strings", path, kindOf(v))
		}
		for i, e := range l {
			if _, ok := e.(string); !ok {
				return fmt.Errorf("%s[%d] is %s, not a string", path, i, kindOf(e))
			}
		}
	case anObject:
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("%s is %s, not an object", path, kindOf(v))
		}
		_, err := asObject(v, path+".", f.of)
		return err
	}
	return nil
}

// str is the string field name; absent or null is "".
func (m members) str(name string) string {
	s, _ := m[name].(string)
	return s
}

// has says the field name is there and not null.
func (m members) has(name string) bool { return m[name] != nil }

// list is the list-of-strings field name.
func (m members) list(name string) []string {
	l, _ := m[name].([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, e.(string)) // checked by object
	}
	return out
}

// obj is the object field name; absent or null is nil.
func (m members) obj(name string) members {
	o, _ := m[name].(map[string]any)
	return members(o)
}

// kindOf names a decoded JSON value's type for an error.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	default:
		return "a number"
	}
}

// commandLine reads a command given as a string or as an argv list (which
// is quoted back into one shell line, so `["bash","-lc","rm -rf /"]` is seen
// as the shell would run it).
func commandLine(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []any:
		words := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return "", fmt.Errorf("command is neither a string nor a list of strings")
			}
			words[i] = s
		}
		return argv.Quote(words), nil
	}
	return "", fmt.Errorf("command is neither a string nor a list of strings")
}
