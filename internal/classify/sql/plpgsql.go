package sql

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/human"
)

// PL/pgSQL expression parse modes (PostgreSQL's RawParseMode).
const (
	parseDefault    = 0 // a whole statement
	parseExpression = 2 // an expression: judged as SELECT expr
)

// doBlock judges a DO block's body as PostgreSQL will run it.
func (w *walker) doBlock(s *pg_query.DoStmt, depth int) {
	w.res.Literals = true // the body is a string literal
	body, lang := "", "plpgsql"
	for _, a := range s.GetArgs() {
		d := a.GetDefElem()
		switch d.GetDefname() {
		case "as":
			body = w.literal(d.GetArg())
		case "language":
			lang = strings.ToLower(w.literal(d.GetArg()))
		}
	}
	if lang != "plpgsql" {
		w.add("sql.function-language", action.ClassUnknown, "a DO block in %s cannot be read", lang)
		return
	}
	tag := "$chaperone$"
	for i := 0; strings.Contains(body, tag); i++ {
		tag = fmt.Sprintf("$chaperone%d$", i)
	}
	w.plpgsql("CREATE FUNCTION chaperone_do() RETURNS void LANGUAGE plpgsql AS "+tag+body+tag, "DO block", depth)
}

// functionBody judges what a function or procedure will do when called: a
// function that deletes is held when it is created, since no one can tell
// from its later calls.
func (w *walker) functionBody(s *pg_query.CreateFunctionStmt, depth int) {
	w.res.Literals = true // the body is a string literal
	w.defining++
	defer func() { w.defining-- }()
	lang, body := "sql", ""
	for _, o := range s.GetOptions() {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "language":
			lang = strings.ToLower(w.literal(d.GetArg()))
		case "as":
			if l := d.GetArg().GetList(); l != nil && len(l.GetItems()) > 0 {
				body = w.literal(l.GetItems()[0])
			}
		}
	}
	switch {
	case body == "" && s.GetSqlBody() == nil:
		// PostgreSQL refuses a function without a body; libpg_query's
		// PL/pgSQL parser aborts the whole process on one, so it never sees it.
		w.add("sql.ddl", action.ClassWrite, "CREATE FUNCTION without a body")
	case s.GetSqlBody() != nil:
		// BEGIN ATOMIC bodies are parsed already and walked like any node.
	case lang == "sql":
		// A parameter named in the body is read as the parameter where no
		// column of that name is in scope: not a column of the table.
		outer := w.plVars
		w.plVars = maps.Clone(outer)
		if w.plVars == nil {
			w.plVars = map[string]bool{}
		}
		for _, p := range s.GetParameters() {
			if name := p.GetFunctionParameter().GetName(); name != "" {
				w.plVars[strings.ToLower(name)] = true
			}
		}
		w.text(body, depth+1)
		w.plVars = outer
	case lang == "plpgsql":
		// The PL/pgSQL parser takes the whole CREATE FUNCTION, parameters
		// included, so the statement's own text is parsed again.
		w.plpgsql(w.stmt, "function body", depth)
	default:
		w.add("sql.function-language", action.ClassUnknown, "a function in %s cannot be read", lang)
	}
}

// plpgsql parses a CREATE FUNCTION ... LANGUAGE plpgsql and judges every SQL
// statement and expression in its body. Dynamic SQL is unknown.
func (w *walker) plpgsql(create, what string, depth int) {
	if depth >= maxDepth {
		w.add("sql.too-deep", action.ClassUnknown, "SQL nested more than %d levels deep is not followed", maxDepth)
		return
	}
	if strings.ContainsRune(create, '\\') {
		// PL/pgSQL reads its body with the session's
		// standard_conforming_strings, when it first runs: with it off, a
		// backslash in a string can end a statement elsewhere. libpg_query
		// reads PL/pgSQL one way only (lexer.go).
		w.add("sql.escape-body", action.ClassUnknown, "the %s holds a backslash, and PostgreSQL could read it differently from how Chaperone does (with standard_conforming_strings off), so what it does is unknown", what)
	}
	out, err := pg_query.ParsePlPgSqlToJSON(create)
	if err != nil {
		w.add("sql.unparseable", action.ClassUnknown, "the %s does not parse as PL/pgSQL (%s), so what it does is unknown", what, human.FirstLine(err.Error()))
		return
	}
	var tree any
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		w.add("sql.unparseable", action.ClassUnknown, "the %s cannot be read", what)
		return
	}
	outer := w.plVars
	w.plVars = maps.Clone(outer)
	if w.plVars == nil {
		w.plVars = map[string]bool{}
	}
	plVariables(tree, w.plVars)
	w.plpgsqlNode(tree, what, depth)
	w.plVars = outer
}

// plVariables gathers the names the body declares (its variables, rows,
// records and parameters): in its statements such a name is the variable,
// not a column, so DELETE FROM t WHERE v names no column of t.
func plVariables(v any, out map[string]bool) {
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			plVariables(x, out)
		}
	case map[string]any:
		for k, x := range v {
			if k == "PLpgSQL_var" || k == "PLpgSQL_row" || k == "PLpgSQL_rec" {
				if m, ok := x.(map[string]any); ok {
					if name, ok := m["refname"].(string); ok {
						out[strings.ToLower(name)] = true
					}
				}
			}
			plVariables(x, out)
		}
	}
}

func (w *walker) plpgsqlNode(v any, what string, depth int) {
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			w.plpgsqlNode(x, what, depth)
		}
	case map[string]any:
		for k, x := range v {
			switch {
			case strings.HasPrefix(k, "PLpgSQL_stmt_dyn") || k == "dynquery":
				w.add("sql.dynamic", action.ClassUnknown, "the %s runs dynamic SQL (EXECUTE), which cannot be read before it runs", what)
			case k == "PLpgSQL_expr":
				w.expression(x, depth)
				continue
			case k == "PLpgSQL_type":
				w.declaredType(x, depth)
			}
			w.plpgsqlNode(x, what, depth)
		}
	}
}

// declaredType reports the type a variable or cursor parameter is
// declared with, as a type written in SQL is (a value assigned to it runs
// a domain's check): t.c%TYPE and t%ROWTYPE name the relation t.
func (w *walker) declaredType(v any, depth int) {
	e, _ := v.(map[string]any)
	name, _ := e["typname"].(string)
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	if i := strings.IndexByte(name, '%'); i >= 0 {
		parts := strings.Split(name[:i], ".")
		if len(parts) > 1 && strings.EqualFold(name[i:], "%TYPE") {
			parts = parts[:len(parts)-1] // the column
		}
		w.note(&w.res.Relations, 'r', strings.ToLower(strings.Trim(parts[len(parts)-1], `"`)))
		return
	}
	w.text("SELECT NULL::"+name, depth+1)
}

func (w *walker) expression(v any, depth int) {
	e, _ := v.(map[string]any)
	query, _ := e["query"].(string)
	mode, _ := e["parseMode"].(float64)
	switch int(mode) {
	case parseDefault:
		w.text(query, depth+1)
	case parseExpression:
		w.text("SELECT "+query, depth+1)
	default: // assignments: "target := expression"
		target, rhs, ok := strings.Cut(query, ":=")
		if !ok {
			target, rhs, ok = strings.Cut(query, "=")
		}
		if ok {
			// The target's subscripts are expressions PostgreSQL evaluates
			// (a[lo_unlink(1)] := 1): judged as a read of the target is.
			// A target cut where no target ends does not parse, and is
			// unknown.
			w.text("SELECT "+target, depth+1)
			query = rhs
		}
		w.text("SELECT "+query, depth+1)
	}
}
