package pg

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/token"
)

// A session's lexer state is pinned. PostgreSQL reads statement text with
// the session's client_encoding and standard_conforming_strings, Chaperone's
// parser with UTF-8 and standard strings; if a client could change either,
// the server would run a statement other than the one judged (a backslash
// that escapes a quote, a multibyte character whose last byte is a
// backslash). So: the startup packet is refused if it asks for anything
// else, the upstream is opened with the pinned values whatever role or
// database defaults say, statements that would change them are refused
// before the gate, and the upstream's ParameterStatus reports are watched:
// a pinned value reported changed, however it happened, ends the session.

// pinnedStartup are the parameters the upstream session is always opened
// with. Startup parameters take precedence over ALTER ROLE/DATABASE
// defaults and the configuration file, and RESET returns to them.
var pinnedStartup = map[string]string{
	"client_encoding":             sql.PinnedEncoding,
	"standard_conforming_strings": sql.PinnedStandardStrings,
	// A server notices a client gone only when it next reads or writes;
	// a statement that runs long (pg_sleep, a lock wait) would keep its
	// locks after the agent died. Checked every second, the backend ends
	// when the gateway closes its connection.
	"client_connection_check_interval": "1000",
	// expr = NULL means what it says (never true), whatever a role or
	// database default would make it: Chaperone reads conditions so.
	"transform_null_equals": "off",
}

// upstreamParams checks a client's startup parameters and returns what is
// passed upstream, or why the connection is refused. PostgreSQL matches
// setting names without regard to case, in the packet and in options alike.
func upstreamParams(params map[string]string) (map[string]string, error) {
	out := map[string]string{}
	set := func(name, value, from string) error {
		lname := strings.ToLower(name)
		switch lname {
		case "client_encoding":
			if !sql.IsUTF8(value) {
				return fmt.Errorf("Chaperone keeps PostgreSQL sessions in UTF8 and refuses client_encoding %q%s: in another encoding the server could read a statement differently from how Chaperone judged it (unset PGCLIENTENCODING, or set it to UTF8)", value, from)
			}
			return nil
		case "standard_conforming_strings":
			if !sql.IsOn(value) {
				return fmt.Errorf("Chaperone keeps standard_conforming_strings on and refuses %q%s: with it off a backslash escapes a quote, and the server could read a statement differently from how Chaperone judged it", value, from)
			}
			return nil
		case "search_path":
			if sql.SearchPathShadowsCatalog(value) {
				return fmt.Errorf("Chaperone refuses search_path %q%s: a schema before pg_catalog lets built-in function names call other functions, and a system schema (information_schema, pg_toast) lets unqualified names reach the server's own tables", value, from)
			}
		}
		if canon, ok := passedParams[lname]; ok {
			out[canon] = value
		}
		return nil
	}
	for k, v := range params {
		switch k {
		case "user", "database", "replication":
			continue
		case "options":
			for _, kv := range optionSettings(v) {
				if err := set(kv[0], kv[1], " (in options)"); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := set(k, v, ""); err != nil {
			return nil, err
		}
	}
	for k, v := range pinnedStartup {
		out[k] = v
	}
	return out, nil
}

// optionSettings reads the settings in a startup packet's options the way
// PostgreSQL does (pg_split_opts, then its command-line switches): words
// split at unescaped white space, a backslash taking the next character
// literally; -c name=value, -cname=value and --name=value set name, with
// dashes in the name read as underscores. Other switches are not passed
// upstream.
func optionSettings(options string) [][2]string {
	var words []string
	var cur strings.Builder
	inWord, escaped := false, false
	for _, r := range options {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped, inWord = false, true
		case r == '\\':
			escaped, inWord = true, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	var out [][2]string
	for i := 0; i < len(words); i++ {
		w, arg := words[i], ""
		switch {
		case w == "-c" || w == "--":
			if i+1 >= len(words) {
				continue
			}
			i++
			arg = words[i]
		case strings.HasPrefix(w, "--"):
			arg = w[2:]
		case strings.HasPrefix(w, "-c"):
			arg = w[2:]
		default:
			continue
		}
		name, value, ok := strings.Cut(arg, "=")
		if !ok {
			continue
		}
		out = append(out, [2]string{strings.ReplaceAll(name, "-", "_"), value})
	}
	return out
}

// watchedParams are the upstream's reports that a session must never see
// change: the lexer settings, and who the session is.
func (s *session) watchedParams() map[string]string {
	w := map[string]string{
		"client_encoding":             sql.PinnedEncoding,
		"standard_conforming_strings": sql.PinnedStandardStrings,
	}
	for _, k := range []string{"session_authorization", "is_superuser"} {
		if v, ok := s.params[k]; ok {
			w[k] = v
		}
	}
	if s.tok.Scope == token.ScopeRead {
		w["default_transaction_read_only"] = "on"
	}
	return w
}

// pinBroken checks one ParameterStatus from the upstream against the
// watched values; a change ends the session.
func (s *session) pinBroken(body []byte) *pgproto3.ErrorResponse {
	var ps pgproto3.ParameterStatus
	if ps.Decode(body) != nil {
		return fatal("08P01", "Chaperone: malformed ParameterStatus from the upstream")
	}
	want, ok := s.watch[ps.Name]
	if !ok || ps.Value == want || (ps.Name == "client_encoding" && sql.IsUTF8(ps.Value)) {
		return nil
	}
	return fatal("08P01", fmt.Sprintf("Chaperone ended the session: the upstream reports %s = %q, and the gateway holds it to %q, so later statements might not be read as judged", ps.Name, ps.Value, want))
}

// checkPinned verifies the upstream's starting values, before the client
// can send a statement.
func (s *session) checkPinned() error {
	s.watch = s.watchedParams()
	for k, want := range s.watch {
		got, ok := s.params[k]
		if k == "client_encoding" && sql.IsUTF8(got) {
			continue
		}
		if k == "default_transaction_read_only" && !ok {
			// Servers before 14 do not report it; the startup value holds.
			continue
		}
		if got != want {
			return fmt.Errorf("the upstream reports %s = %q, not %q", k, got, want)
		}
	}
	return nil
}

// lexerRefusal refuses, before the gate, a statement that would change how
// the server reads later statements. An approval cannot make it safe: the
// statements that follow it would be judged as something other than what
// the server runs.
func (s *session) lexerRefusal(ctx context.Context, res sql.Result) *pgproto3.ErrorResponse {
	for _, r := range res.Reasons {
		if r.ID != sql.FindingLexer {
			continue
		}
		if s.g.Record != nil {
			if err := s.g.Record(ctx, audit.Event{Type: audit.PGRefusedStatement, Actor: "token:" + s.tok.ID,
				Data: map[string]string{"upstream": s.upstream.Name, "env": s.upstream.Env, "finding": r.ID, "reason": r.Message}}); err != nil {
				s.g.Log.Warn("recording a refused statement", "err", err)
			}
		}
		return pgError(CodeDenied, "Chaperone denied this statement [gateway.session-lexer]: "+r.Message, r.ID+": "+r.Message, "")
	}
	return nil
}
