package graphql

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// The arguments a mutation runs with are what the server makes of the
// request, not what the request spells: a variable left out takes its
// default ($i: T = {...}), an argument or input field left out takes the
// schema's default, a single value given for a list is a list of one, and
// an ID given as a number is its decimal string. Values are coerced here as
// GraphQL's reference implementation coerces them, and what it would reject
// is an error, so a judge never reads a value the server reads otherwise.

// maxSafeInteger is the largest integer a JavaScript server holds exactly.
const maxSafeInteger = 1<<53 - 1

// coerceVariables applies op's variable definitions to vars.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for _, d := range op.VariableDefinitions {
		v, ok := vars[d.Variable]
		if !ok {
			if d.DefaultValue == nil {
				if d.Type.NonNull {
					return nil, fmt.Errorf("$%s is required and not given", d.Variable)
				}
				continue
			}
			var err error
			if v, err = d.DefaultValue.Value(nil); err != nil {
				return nil, fmt.Errorf("$%s: %v", d.Variable, err)
			}
		}
		c, err := coerce(schema, d.Type, v, "$"+d.Variable)
		if err != nil {
			return nil, err
		}
		out[d.Variable] = c
	}
	return out, nil
}

// arguments resolves f's arguments with vars (already coerced).
func arguments(schema *ast.Schema, f *ast.Field, vars map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if f.Definition == nil {
		return out, nil
	}
	for _, def := range f.Definition.Arguments {
		var (
			v   any
			has bool
			err error
		)
		if a := f.Arguments.ForName(def.Name); a != nil {
			if a.Value.Kind == ast.Variable {
				v, has = vars[a.Value.Raw]
			} else if v, err = a.Value.Value(vars); err != nil {
				return nil, fmt.Errorf("%s(%s): %v", f.Name, def.Name, err)
			} else {
				has = true
			}
		}
		if !has && def.DefaultValue != nil {
			if v, err = def.DefaultValue.Value(nil); err != nil {
				return nil, fmt.Errorf("%s(%s): %v", f.Name, def.Name, err)
			}
			has = true
		}
		if !has {
			if def.Type.NonNull {
				return nil, fmt.Errorf("%s(%s) is required and not given", f.Name, def.Name)
			}
			continue
		}
		c, err := coerce(schema, def.Type, v, f.Name+"("+def.Name+")")
		if err != nil {
			return nil, err
		}
		out[def.Name] = c
	}
	return out, nil
}

// coerce reads v as a value of type t, the way the server does.
func coerce(schema *ast.Schema, t *ast.Type, v any, path string) (any, error) {
	if v == nil {
		if t.NonNull {
			return nil, fmt.Errorf("%s cannot be null", path)
		}
		return nil, nil
	}
	if t.Elem != nil {
		l, ok := v.([]any)
		if !ok { // one value where a list is expected is a list of one
			l = []any{v}
		}
		out := make([]any, len(l))
		for i, e := range l {
			c, err := coerce(schema, t.Elem, e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		return nil, fmt.Errorf("%s: the schema has no type %s", path, t.NamedType)
	}
	bad := func() (any, error) { return nil, fmt.Errorf("%s: %v (%T) is not a %s", path, v, v, t.NamedType) }
	switch def.Kind {
	case ast.Scalar:
		switch def.Name {
		case "String":
			if s, ok := v.(string); ok {
				return s, nil
			}
			return bad()
		case "ID":
			if s, ok := v.(string); ok {
				return s, nil
			}
			if n, ok := integer(v); ok {
				return strconv.FormatInt(n, 10), nil
			}
			return bad()
		case "Int":
			if n, ok := integer(v); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
				return n, nil
			}
			return bad()
		case "Float":
			if f, ok := number(v); ok {
				return f, nil
			}
			return bad()
		case "Boolean":
			if b, ok := v.(bool); ok {
				return b, nil
			}
			return bad()
		}
		return v, nil // a custom scalar (JSON, DateTime, ...) is the server's to read
	case ast.Enum:
		if s, ok := v.(string); ok && def.EnumValues.ForName(s) != nil {
			return s, nil
		}
		return bad()
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		for k := range m {
			if def.Fields.ForName(k) == nil {
				return nil, fmt.Errorf("%s: %s has no field %q", path, def.Name, k)
			}
		}
		out := map[string]any{}
		for _, fd := range def.Fields {
			fv, has := m[fd.Name]
			if !has {
				if fd.DefaultValue == nil {
					if fd.Type.NonNull {
						return nil, fmt.Errorf("%s.%s is required and not given", path, fd.Name)
					}
					continue
				}
				var err error
				if fv, err = fd.DefaultValue.Value(nil); err != nil {
					return nil, fmt.Errorf("%s.%s: %v", path, fd.Name, err)
				}
			}
			c, err := coerce(schema, fd.Type, fv, path+"."+fd.Name)
			if err != nil {
				return nil, err
			}
			out[fd.Name] = c
		}
		return out, nil
	}
	return bad()
}

// integer reads a whole number a JavaScript server holds exactly: an
// integer literal, or a JSON number (1000, 1e3 and 1.0 alike).
func integer(v any) (int64, bool) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > maxSafeInteger {
		return 0, false
	}
	return int64(f), true
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil && !math.IsInf(f, 0)
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, !math.IsInf(x, 0) && !math.IsNaN(x)
	}
	return 0, false
}
