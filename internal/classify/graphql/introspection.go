package graphql

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Providers publish their schemas as introspection JSON; gqlparser loads
// SDL. LoadIntrospection writes the one as the other, leaving out what the
// parser defines itself (built-in scalars, __ types) and descriptions, which
// validation does not need.

type introspection struct {
	Data struct {
		Schema struct {
			QueryType        *named      `json:"queryType"`
			MutationType     *named      `json:"mutationType"`
			SubscriptionType *named      `json:"subscriptionType"`
			Types            []fullType  `json:"types"`
			Directives       []directive `json:"directives"`
		} `json:"__schema"`
	} `json:"data"`
}

type named struct {
	Name string `json:"name"`
}

type fullType struct {
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	Fields        []field      `json:"fields"`
	InputFields   []inputValue `json:"inputFields"`
	Interfaces    []typeRef    `json:"interfaces"`
	EnumValues    []named      `json:"enumValues"`
	PossibleTypes []typeRef    `json:"possibleTypes"`
}

type field struct {
	Name string       `json:"name"`
	Args []inputValue `json:"args"`
	Type typeRef      `json:"type"`
}

type inputValue struct {
	Name         string  `json:"name"`
	Type         typeRef `json:"type"`
	DefaultValue *string `json:"defaultValue"`
}

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OfType *typeRef `json:"ofType"`
}

type directive struct {
	Name      string       `json:"name"`
	Locations []string     `json:"locations"`
	Args      []inputValue `json:"args"`
}

func (t typeRef) String() string {
	switch t.Kind {
	case "NON_NULL":
		if t.OfType != nil {
			return t.OfType.String() + "!"
		}
	case "LIST":
		if t.OfType != nil {
			return "[" + t.OfType.String() + "]"
		}
	}
	return t.Name
}

var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// LoadIntrospection builds a schema from introspection JSON.
func LoadIntrospection(name string, data []byte) (*ast.Schema, error) {
	var in introspection
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := in.Data.Schema
	var b strings.Builder
	b.WriteString("schema {\n")
	for _, root := range []struct {
		op string
		t  *named
	}{{"query", s.QueryType}, {"mutation", s.MutationType}, {"subscription", s.SubscriptionType}} {
		if root.t != nil {
			fmt.Fprintf(&b, "  %s: %s\n", root.op, root.t.Name)
		}
	}
	b.WriteString("}\n")
	args := func(list []inputValue) string {
		if len(list) == 0 {
			return ""
		}
		parts := make([]string, 0, len(list))
		for _, a := range list {
			p := a.Name + ": " + a.Type.String()
			if a.DefaultValue != nil {
				p += " = " + *a.DefaultValue
			}
			parts = append(parts, p)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	for _, d := range s.Directives {
		switch d.Name {
		case "skip", "include", "deprecated", "specifiedBy", "oneOf", "defer", "stream":
			continue // the parser's own
		}
		fmt.Fprintf(&b, "directive @%s%s on %s\n", d.Name, args(d.Args), strings.Join(d.Locations, " | "))
	}
	types := append([]fullType(nil), s.Types...)
	sort.Slice(types, func(i, j int) bool { return types[i].Name < types[j].Name })
	for _, t := range types {
		if strings.HasPrefix(t.Name, "__") || builtinScalars[t.Name] {
			continue
		}
		switch t.Kind {
		case "SCALAR":
			fmt.Fprintf(&b, "scalar %s\n", t.Name)
		case "ENUM":
			vals := make([]string, 0, len(t.EnumValues))
			for _, v := range t.EnumValues {
				vals = append(vals, v.Name)
			}
			fmt.Fprintf(&b, "enum %s { %s }\n", t.Name, strings.Join(vals, " "))
		case "UNION":
			members := make([]string, 0, len(t.PossibleTypes))
			for _, m := range t.PossibleTypes {
				members = append(members, m.Name)
			}
			fmt.Fprintf(&b, "union %s = %s\n", t.Name, strings.Join(members, " | "))
		case "INPUT_OBJECT":
			fmt.Fprintf(&b, "input %s {\n", t.Name)
			for _, f := range t.InputFields {
				fmt.Fprintf(&b, "  %s\n", strings.TrimSuffix(strings.TrimPrefix(args([]inputValue{f}), "("), ")"))
			}
			b.WriteString("}\n")
		case "OBJECT", "INTERFACE":
			kw := "type"
			if t.Kind == "INTERFACE" {
				kw = "interface"
			}
			impl := ""
			if len(t.Interfaces) > 0 {
				names := make([]string, 0, len(t.Interfaces))
				for _, i := range t.Interfaces {
					names = append(names, i.Name)
				}
				impl = " implements " + strings.Join(names, " & ")
			}
			fmt.Fprintf(&b, "%s %s%s {\n", kw, t.Name, impl)
			for _, f := range t.Fields {
				fmt.Fprintf(&b, "  %s%s: %s\n", f.Name, args(f.Args), f.Type.String())
			}
			b.WriteString("}\n")
		default:
			return nil, fmt.Errorf("%s: type %s has unknown kind %q", name, t.Name, t.Kind)
		}
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: name, Input: b.String()})
	if gerr != nil {
		return nil, fmt.Errorf("%s: %w", name, gerr)
	}
	return schema, nil
}
