// Package graphql classifies GraphQL requests against the provider's own
// schema (gqlparser): a request that does not parse or validate is unknown,
// and each top-level mutation field - through aliases, fragments and
// variables - is judged by the provider's profile.
package graphql

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/human"
)

// Request is one GraphQL request as clients send it (POST JSON or GET).
type Request struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// Call is one top-level field of the operation that runs, with its
// arguments resolved (variables substituted): what resolvers look up.
type Call struct {
	Field string
	Args  map[string]any
	// Read marks a field that is read rather than a mutation.
	Read bool
	// Spans marks a read of what lives in one environment reached through
	// what spans them (project { environments { config } }): which
	// environments it reads is not known before the answer.
	Spans bool
}

// Result is what the classifier found.
type Result struct {
	Reasons []action.Reason
	// Operation is mutation when any operation in the document is one,
	// else the kind of the operation that runs ("" when unknown).
	Operation string
	// Calls are the top-level fields of every mutation in the document.
	Calls []Call
	// Reads are the other fields given arguments, at any depth of any
	// operation: what they name is read, and may be placed too.
	Reads []Call
}

// Class is the most severe class found (read when none).
func (r Result) Class() action.Class {
	return action.Highest(r.Reasons)
}

// Profile judges a provider's mutation fields.
type Profile interface {
	// Judge returns the findings for one top-level mutation field.
	Judge(c Call) []action.Reason
}

// QueryJudge is a Profile that also judges top-level query fields: the
// ones that hand out credentials, or create something as they answer.
type QueryJudge interface {
	JudgeQuery(field string) []action.Reason
}

// FieldJudge is a Profile that also judges every field a document selects,
// at any depth and in every operation: a field that answers with a
// credential does so inside another field's answer (a project's
// environments' config), or inside a mutation's, as much as at the top.
type FieldJudge interface {
	JudgeField(typ, field string, args map[string]any) []action.Reason
}

// Placer is a Profile whose objects live in environments: Scoped says a
// type lives in one, and Places whether a field given arguments names
// the one it reads (environment(id), deployment(id)).
type Placer interface {
	Scoped(schema *ast.Schema, typ string) bool
	Places(c Call) bool
}

func unknown(id, format string, args ...any) Result {
	return Result{Reasons: []action.Reason{{ID: id, Class: action.ClassUnknown, Message: fmt.Sprintf(format, args...)}}}
}

// Classify parses and validates req against schema and judges what it does.
// Every operation in the document is judged, not only the one
// operationName picks: which one a server runs is its reading of the
// request, and a document that also carries a mutation is judged by it.
func Classify(schema *ast.Schema, p Profile, req Request) Result {
	if strings.TrimSpace(req.Query) == "" {
		if _, ok := req.Extensions["persistedQuery"]; ok {
			return unknown("graphql.persisted", "a persisted query sends a hash, not its text, so what it does is unknown")
		}
		return unknown("graphql.empty", "the request has no query")
	}
	if pq, ok := req.Extensions["persistedQuery"].(map[string]any); ok || req.Extensions["persistedQuery"] != nil {
		// Automatic persisted queries: a server may run the document it
		// stored under the hash rather than the query sent beside it.
		sum := sha256.Sum256([]byte(req.Query))
		if h, _ := pq["sha256Hash"].(string); !ok || !strings.EqualFold(h, hex.EncodeToString(sum[:])) {
			return unknown("graphql.persisted", "the persisted query's hash is not the hash of the query sent with it, so a server may run another document")
		}
	}
	if why := lexicalDoubt(req.Query); why != "" {
		return unknown("graphql.lexical", "%s", why)
	}
	doc, err := load(schema, req.Query)
	if err != nil {
		return unknown("graphql.invalid", "the request does not validate against the provider's schema: %s", human.FirstLine(err.Error()))
	}
	var r Result
	if op, err := pick(doc, req.OperationName); err != nil {
		r = unknown("graphql.operation", "%v", err)
	} else {
		r.Operation = string(op.Operation)
	}
	for _, op := range doc.Operations {
		// The variables are read once per operation, for its reads and
		// its mutation's arguments alike; a query that declares none has
		// none to read.
		vars, varsErr := req.Variables, error(nil)
		if op.Operation == ast.Mutation || len(op.VariableDefinitions) > 0 {
			if v, err := coerceVariables(schema, op, req.Variables); err == nil {
				vars = v
			} else {
				varsErr = err
			}
		}
		reasons, reads := readFields(schema, p, op, vars)
		r.Reasons, r.Reads = append(r.Reasons, reasons...), append(r.Reads, reads...)
		if op.Operation != ast.Mutation {
			if qj, ok := p.(QueryJudge); ok {
				for _, f := range Fields(op.SelectionSet) {
					r.Reasons = append(r.Reasons, qj.JudgeQuery(f.Name)...)
				}
			}
			continue
		}
		r.Operation = string(ast.Mutation)
		// What the server would refuse is unknown; its fields are still
		// judged, by name and what can be read, so the class says the worst.
		if varsErr != nil {
			r.Reasons = append(r.Reasons, action.Reason{ID: "graphql.variables", Class: action.ClassUnknown,
				Message: "the variables are not what the operation declares: " + varsErr.Error()})
		}
		calls := len(r.Calls)
		for _, f := range Fields(op.SelectionSet) {
			if f.Name == "__typename" {
				continue
			}
			args, err := arguments(schema, f, vars)
			if err != nil {
				r.Reasons = append(r.Reasons, action.Reason{ID: "graphql.arguments", Class: action.ClassUnknown,
					Message: "an argument the server would not accept: " + err.Error()})
			}
			c := Call{Field: f.Name, Args: args}
			r.Calls = append(r.Calls, c)
			found := p.Judge(c)
			if len(found) == 0 {
				found = []action.Reason{{ID: "graphql.write", Class: action.ClassWrite, Message: c.Field + " changes provider state"}}
			}
			r.Reasons = append(r.Reasons, found...)
		}
		if len(r.Calls) == calls {
			// A mutation is a write whatever it selects: if some server
			// reads more fields into it than this parser does, the write
			// is still held where writes are.
			r.Reasons = append(r.Reasons, action.Reason{ID: "graphql.mutation", Class: action.ClassWrite, Message: "a mutation changes provider state"})
		}
	}
	return r
}

// readFields walks every field op selects, at every depth: p judges each
// (when it is a FieldJudge), and each field given arguments, other than a
// mutation's own top-level fields, is a read. An argument that cannot be
// read is judged as the server could take it: its finding is that of any
// value.
func readFields(schema *ast.Schema, p Profile, op *ast.OperationDefinition, vars map[string]any) ([]action.Reason, []Call) {
	fj, judges := p.(FieldJudge)
	pl, places := p.(Placer)
	var out []action.Reason
	var reads []Call
	seen := map[string]bool{}
	// placed: an ancestor named the one environment this subtree reads.
	var walk func(set ast.SelectionSet, top, placed bool)
	walk = func(set ast.SelectionSet, top, placed bool) {
		for _, f := range fields(set, seen) {
			here := placed
			if here && places && f.Definition != nil && (spansFrom(schema, pl, f.Definition.Type.Name()) ||
				f.Definition.Type.Name() == "Environment" && f.Name != "environment") {
				// From an environment's object to one that spans them
				// (a deployment's service, a volume instance's volume):
				// what lies below is no longer that environment's.
				here = false
			}
			if f.ObjectDefinition != nil && !strings.HasPrefix(f.Name, "__") {
				var args map[string]any
				var err error
				if len(f.Arguments) > 0 || f.Definition != nil && len(f.Definition.Arguments) > 0 {
					args, err = arguments(schema, f, vars)
				}
				if err != nil {
					args = map[string]any{}
					for _, a := range f.Arguments {
						args[a.Name] = unreadable{}
					}
				}
				if judges {
					out = append(out, fj.JudgeField(f.ObjectDefinition.Name, f.Name, args)...)
				}
				if len(args) > 0 && !(top && op.Operation == ast.Mutation) {
					c := Call{Field: f.Name, Args: args, Read: true}
					reads = append(reads, c)
					here = here || places && pl.Places(c)
				}
				if places && !here && f.Definition != nil && pl.Scoped(schema, f.Definition.Type.Name()) && beyondIdentity(f.SelectionSet, seen) {
					reads = append(reads, Call{Field: f.ObjectDefinition.Name + "." + f.Name, Read: true, Spans: true})
					here = true // reported once, for the whole subtree
				}
			}
			walk(f.SelectionSet, false, here)
		}
	}
	walk(op.SelectionSet, true, false)
	return out, reads
}

// spansFrom says whether typ is an object that may live in several
// environments: one with an identity (an id) that the profile does not
// scope to one. A connection or an edge has no id and passes a
// placement through to its nodes. (An environment reached by another
// name than "environment", such as sourceEnvironment, is another
// environment: the walk above leaves the placement there too.)
func spansFrom(schema *ast.Schema, pl Placer, typ string) bool {
	d := schema.Types[typ]
	return d != nil && (d.Kind == ast.Object || d.Kind == ast.Interface || d.Kind == ast.Union) &&
		(d.Kind != ast.Object || d.Fields.ForName("id") != nil) && !pl.Scoped(schema, typ)
}

// identityFields say which object a node is, not what it holds.
var identityFields = map[string]bool{"id": true, "name": true, "__typename": true, "environmentId": true, "serviceId": true,
	"projectId": true, "volumeId": true, "serviceName": true}

// beyondIdentity: a selection asks for more than which objects there are.
func beyondIdentity(set ast.SelectionSet, seen map[string]bool) bool {
	for _, f := range fields(set, map[string]bool{}) {
		if !identityFields[f.Name] {
			return true
		}
	}
	return false
}

// unreadable is an argument value that could not be read.
type unreadable struct{}

// pick chooses the operation that runs: the named one, or the only one.
func pick(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, fmt.Errorf("operationName %q names no operation in the document", name)
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("the document has %d operations and no operationName to choose one", len(doc.Operations))
	}
	return doc.Operations[0], nil
}

// Fields flattens a selection set's fields, expanding fragment spreads
// (each named fragment once) and inline fragments, so a mutation hidden in
// a fragment on Mutation counts.
func Fields(set ast.SelectionSet) []*ast.Field { return fields(set, map[string]bool{}) }

func fields(set ast.SelectionSet, seen map[string]bool) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			out = append(out, fields(s.SelectionSet, seen)...)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				out = append(out, fields(s.Definition.SelectionSet, seen)...)
			}
		}
	}
	return out
}

// lexicalDoubt says why servers could read a document differently from
// this parser, or "". The GraphQL spec ends a comment only at \n or \r, but
// lexers built on Java or JavaScript regular expressions (graphql-java's
// grammar among them) also end it at U+2028, U+2029 and U+0085: text after
// one is a comment here and code there. So a comment may hold only
// printable ASCII and tabs, and those three characters may not appear at
// all. Agents' requests have no need of either.
func lexicalDoubt(q string) string {
	inComment, inString, inBlock := false, false, false
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		switch {
		case r == 0x2028 || r == 0x2029 || r == 0x85:
			return fmt.Sprintf("the document holds U+%04X, which some GraphQL servers read as a line end and this one does not", r)
		case r == utf8.RuneError && size == 1:
			return "the document is not valid UTF-8"
		case inComment:
			if r == '\n' || r == '\r' {
				inComment = false
			} else if r != '\t' && (r < 0x20 || r > 0x7e) {
				return fmt.Sprintf("a comment holds U+%04X: GraphQL servers disagree on where such a comment ends", r)
			}
		case inBlock:
			if strings.HasPrefix(q[i:], `\"""`) {
				size = 4
			} else if strings.HasPrefix(q[i:], `"""`) {
				inBlock, size = false, 3
			}
		case inString:
			if r == '\\' {
				size++
			} else if r == '"' || r == '\n' || r == '\r' {
				inString = false
			}
		case strings.HasPrefix(q[i:], `"""`):
			inBlock, size = true, 3
		case r == '"':
			inString = true
		case r == '#':
			inComment = true
		}
		i += size
	}
	return ""
}
