package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/logging"
	"github.com/chaperone/chaperone/internal/memo"
)

// maxRedacted bounds the redacted text kept in the audit log; the
// fingerprint is over the whole of it.
const maxRedacted = 16 << 10

// unreadable stands in for a text whose literals could not be told apart
// from the rest: nothing of it is kept.
const unreadable = "[not kept: its values could not be separated from it]"

// Redact returns what the audit log keeps of an action's text: every
// literal value replaced by a placeholder and identifiers kept (for SQL,
// the form pg_stat_statements shows), so that no data an agent sends is
// stored in the chain; and a fingerprint of that form, which is the same
// for every text that differs only in its values. Shell commands and file
// paths have no values to separate and keep their text, with credentials
// removed.
func Redact(kind action.Kind, text string) (redacted, fingerprint string) {
	if kind == action.KindSQL || len(text) > maxMemoText {
		return redact(kind, text)
	}
	// API clients repeat the same requests (polls, status queries), and
	// their redaction parses the JSON body and the GraphQL document.
	key := string(kind) + "\x00" + text
	if r, ok := redactions.Get(key); ok {
		return r[0], r[1]
	}
	redacted, fingerprint = redact(kind, text)
	redactions.Put(key, [2]string{redacted, fingerprint}, len(redacted)+len(fingerprint))
	return redacted, fingerprint
}

// Redaction is remembered for texts up to maxMemoText bytes (internal/memo
// bounds the rest). SQL is not: its texts differ in their literals, and its
// redaction is a scan that costs less than the lookup.
const maxMemoText = 4 << 10

var redactions = memo.Map[[2]string]{MaxEntries: 4096, MaxBytes: 8 << 20}

func redact(kind action.Kind, text string) (redacted, fingerprint string) {
	switch kind {
	case action.KindSQL:
		if n, ok := sql.Normalize(text); ok {
			redacted = n
		} else {
			redacted = unreadable
		}
	case action.KindGraphQL, action.KindHTTP:
		redacted = redactHTTP(text)
	default:
		redacted = logging.Redact(text)
	}
	sum := sha256.Sum256([]byte(redacted))
	if len(redacted) > maxRedacted {
		redacted = redacted[:maxRedacted] + "…"
	}
	return redacted, hex.EncodeToString(sum[:8])
}

// redactHTTP redacts a gateway request's text ("METHOD path?query\nbody"):
// the query string's values and every JSON value of the body go; a GraphQL
// document keeps its structure with its literals replaced.
func redactHTTP(text string) string {
	line, body, _ := strings.Cut(text, "\n")
	method, target, _ := strings.Cut(line, " ")
	path, query, hasQuery := strings.Cut(target, "?")
	var b strings.Builder
	b.WriteString(method + " " + logging.Redact(path))
	if hasQuery {
		b.WriteString("?" + redactQuery(query))
	}
	if body == "" {
		return b.String()
	}
	b.WriteByte('\n')
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		b.WriteString(unreadable)
		return b.String()
	}
	out, _ := json.Marshal(redactJSON(v, ""))
	b.Write(out)
	return b.String()
}

func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		parts[i] = k + "=?"
	}
	return strings.Join(parts, "&")
}

// redactJSON replaces every scalar with "?", except a GraphQL document
// (the value of a "query" member), which keeps its structure.
func redactJSON(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = redactJSON(e, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactJSON(e, key)
		}
		return out
	case string:
		if key == "query" {
			return RedactGraphQL(x)
		}
		if key == "operationName" {
			return x
		}
		return "?"
	case nil:
		return nil
	default:
		return "?"
	}
}

// RedactGraphQL rewrites a GraphQL document token by token with its
// string and number literals replaced by "?"; names, variables and
// structure stay.
func RedactGraphQL(doc string) string {
	lx := lexer.New(&ast.Source{Input: doc})
	var toks []string
	for {
		t, err := lx.ReadToken()
		if err != nil {
			return unreadable
		}
		switch t.Kind {
		case lexer.EOF:
			return strings.Join(toks, " ")
		case lexer.Int, lexer.Float, lexer.String, lexer.BlockString:
			toks = append(toks, "?")
		case lexer.Name:
			toks = append(toks, t.Value)
		case lexer.Comment:
		default:
			toks = append(toks, t.Kind.String())
		}
	}
}
