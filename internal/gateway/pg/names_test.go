package pg

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// PostgreSQL files prepared statements under the first 63 bytes of their
// names: a guarded statement reached by a longer or shorter spelling of its
// name is still decided, and changes nothing unapproved.
func TestGuardedNamesMatchAsTheServerCutsThem(t *testing.T) {
	e := setup(t)
	x63, x64 := strings.Repeat("x", 63), strings.Repeat("x", 64)
	for _, c := range []struct {
		name string
		msgs []pgproto3.FrontendMessage
	}{
		{"Parse 64, Bind 63", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: x64, Query: "DELETE FROM bookings"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: x63}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		{"Parse 63, Bind 66", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: x63, Query: "DELETE FROM bookings"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: x63 + "zzz"}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		{"Parse 64, EXECUTE 63", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: x64, Query: "DELETE FROM bookings"}, &pgproto3.Sync{},
			&pgproto3.Query{String: "EXECUTE " + x63}}},
		{"Parse 64, EXPLAIN ANALYZE EXECUTE 63", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: x64, Query: "DELETE FROM bookings"}, &pgproto3.Sync{},
			&pgproto3.Query{String: "EXPLAIN ANALYZE EXECUTE " + x63}}},
		{"PREPARE 63, Bind 70", []pgproto3.FrontendMessage{
			&pgproto3.Query{String: "PREPARE " + x63 + " AS DELETE FROM bookings"},
			&pgproto3.Bind{PreparedStatement: x63 + "_anyway"}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		{"PREPARE 70 (the parser cuts it), Bind 63", []pgproto3.FrontendMessage{
			&pgproto3.Query{String: "PREPARE " + x63 + "abcdefg AS DELETE FROM bookings"},
			&pgproto3.Bind{PreparedStatement: x63}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		// The parser cuts x*62 + "é" to x*62; a LATIN1 database keeps all
		// 63 bytes. Such a PREPARE is refused.
		{"PREPARE of a name the parser may have cut", []pgproto3.FrontendMessage{
			&pgproto3.Query{String: `PREPARE U&"` + x63[:62] + `\00e9" AS DELETE FROM bookings`},
			&pgproto3.Bind{PreparedStatement: x63[:62] + "é"}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
		// EXECUTE inside another statement runs the guarded statement too.
		{"CREATE TEMP TABLE AS EXECUTE", []pgproto3.FrontendMessage{
			&pgproto3.Query{String: "PREPARE pd AS WITH d AS (DELETE FROM bookings RETURNING *) SELECT * FROM d"},
			&pgproto3.Query{String: "CREATE TEMP TABLE z2 AS EXECUTE pd"}}},
		{"EXPLAIN ANALYZE CREATE TEMP TABLE AS EXECUTE", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "pp", Query: "WITH d AS (DELETE FROM bookings RETURNING *) SELECT * FROM d"}, &pgproto3.Sync{},
			&pgproto3.Query{String: "EXPLAIN ANALYZE CREATE TEMP TABLE z3 AS EXECUTE pp"}}},
		{"CREATE TABLE AS EXECUTE", []pgproto3.FrontendMessage{
			&pgproto3.Query{String: "PREPARE pe AS WITH d AS (DELETE FROM bookings RETURNING *) SELECT * FROM d"},
			&pgproto3.Query{String: "CREATE TEMP TABLE IF NOT EXISTS z4 AS EXECUTE pe"}}},
		{"Parse 64 in one pipeline with its Bind 63", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: x64, Query: "DELETE FROM bookings"},
			&pgproto3.Bind{PreparedStatement: x63}, &pgproto3.Execute{}, &pgproto3.Sync{}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := e.raw(t, e.prodToken)
			codes, _ := s.sendAll(c.msgs...)
			if got := e.pg.Count(t, e.prodDB, "bookings"); got != 100 {
				t.Fatalf("bookings has %d rows, want 100 (codes %v)", got, codes)
			}
			if !slicesHasPrefix(codes, "CP") {
				t.Errorf("no refusal: codes %v", codes)
			}
		})
	}
}

// A name outside ASCII is cut by the server where Chaperone cannot see: its
// definition is refused, and nothing is prepared under it.
func TestNonASCIIStatementNamesAreRefused(t *testing.T) {
	e := setup(t)
	s := e.raw(t, e.prodToken)
	name := strings.Repeat("é", 40)
	for _, m := range []pgproto3.FrontendMessage{
		&pgproto3.Parse{Name: name, Query: "SELECT 1"},
		&pgproto3.Query{String: `PREPARE "` + name + `" AS SELECT 1`},
	} {
		msgs := []pgproto3.FrontendMessage{m}
		if _, ok := m.(*pgproto3.Parse); ok {
			msgs = append(msgs, &pgproto3.Sync{})
		}
		codes, got := s.sendAll(msgs...)
		if len(codes) != 1 || codes[0] != CodeDenied || !strings.Contains(got[0].(*pgproto3.ErrorResponse).Message, "ASCII") {
			t.Errorf("%T: codes %v, %v", m, codes, got)
		}
	}
	// 26000: the server has no statement of that name.
	if codes, _ := s.sendAll(&pgproto3.Bind{PreparedStatement: name}, &pgproto3.Execute{}, &pgproto3.Sync{}); len(codes) != 1 || codes[0] != "26000" {
		t.Fatalf("Bind of the refused name: codes %v", codes)
	}
}

func slicesHasPrefix(codes []string, prefix string) bool {
	for _, c := range codes {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}
