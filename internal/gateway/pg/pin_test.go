package pg

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// dbState is a hash over everything a statement could change in db,
// read over a direct superuser connection: tables, columns and their rows,
// sequences, large objects, functions, roles, replication slots, advisory
// locks, prepared transactions, per-role and per-database settings and
// ALTER SYSTEM's file. Tests assert on it, not only on verdicts.
func dbState(t testing.TB, e *env, db string) string {
	t.Helper()
	var s string
	onDB(t, e, db, func(ctx context.Context, c *pgx.Conn) { s = dbStateOn(t, ctx, c) })
	return s
}

// onDB runs f on a direct connection to db, with a bound on the wait.
func onDB(t testing.TB, e *env, db string, f func(context.Context, *pgx.Conn)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, e.pg.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	f(ctx, c)
}

func dbStateOn(t testing.TB, ctx context.Context, c *pgx.Conn) string {
	t.Helper()
	var parts []string
	rows, err := c.Query(ctx, `
		SELECT 'col ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
			FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
			WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL SELECT 'rel ' || oid::regclass || ' ' || relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace
		UNION ALL SELECT 'seq ' || sequencename || ' ' || coalesce(last_value, 0) FROM pg_sequences
		UNION ALL SELECT 'lo ' || oid FROM pg_largeobject_metadata
		UNION ALL SELECT 'lodata ' || md5(coalesce(string_agg(loid || ':' || pageno || ':' || encode(data, 'hex'), ',' ORDER BY loid, pageno), '')) FROM pg_largeobject
		UNION ALL SELECT 'fn ' || oid::regprocedure FROM pg_proc WHERE pronamespace = 'public'::regnamespace
		UNION ALL SELECT 'role ' || rolname || ' ' || rolsuper FROM pg_roles
		UNION ALL SELECT 'slot ' || slot_name FROM pg_replication_slots
		UNION ALL SELECT 'lock ' || objid FROM pg_locks WHERE locktype = 'advisory'
		UNION ALL SELECT 'xact ' || gid FROM pg_prepared_xacts
		UNION ALL SELECT 'dbrole ' || setdatabase || ' ' || setrole || ' ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
		UNION ALL SELECT 'auto ' || name || '=' || setting FROM pg_file_settings WHERE sourcefile LIKE '%.auto.conf'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	var tables []string
	trows, err := c.Query(ctx, `SELECT quote_ident(relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`)
	if err != nil {
		t.Fatal(err)
	}
	for trows.Next() {
		var s string
		trows.Scan(&s)
		tables = append(tables, s)
	}
	for _, tb := range tables {
		var h string
		if err := c.QueryRow(ctx, "SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM "+tb+" x").Scan(&h); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, "rows "+tb+" "+h)
	}
	slices.Sort(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:8])
}

// show reads settings over a gateway session, as the server reports them.
func show(t *testing.T, c *pgx.Conn, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		var v string
		if err := c.QueryRow(ctx, "SHOW "+n, pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil {
			t.Fatalf("SHOW %s: %v", n, err)
		}
		out = append(out, v)
	}
	return out
}

func (e *env) connectWith(tok string, params map[string]string, query string) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig(e.dsn(tok, "app-prod") + query)
	if err != nil {
		return nil, err
	}
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return pgconn.ConnectConfig(c, cfg)
}

// The startup packet cannot put a session in another lexer state, in any
// spelling PostgreSQL accepts; the UTF8 spellings and other options work.
func TestStartupCannotChangeTheLexerState(t *testing.T) {
	e := setup(t)
	for _, p := range []map[string]string{
		{"client_encoding": "SJIS"},
		{"client_encoding": "big5"},
		{"Client_Encoding": "GBK"},
		{"client_encoding": "auto"},
		{"standard_conforming_strings": "off"},
		{"STANDARD_CONFORMING_STRINGS": "0"},
		{"options": "-c standard_conforming_strings=off"},
		{"options": "-cstandard_conforming_strings=false"},
		{"options": "--standard-conforming-strings=no"},
		{"options": "-c search_path=public --client-encoding=JOHAB"},
		{"options": `-c application_name=a\ b -c client_encoding=UHC`},
		{"options": "-c client_encoding=GB18030"},
		{"search_path": "public, pg_catalog"},
		{"search_path": "information_schema"},
		{"options": "-c search_path=public,information_schema"},
	} {
		c, err := e.connectWith(e.prodToken, p, "")
		if err == nil {
			c.Close(ctx)
			t.Errorf("%v: admitted", p)
			continue
		}
		if pe := pgErr(t, err, "22023"); !strings.Contains(pe.Message, "Chaperone") {
			t.Errorf("%v: %q", p, pe.Message)
		}
	}
	for _, p := range []map[string]string{
		{"client_encoding": "utf-8"},
		{"client_encoding": "Unicode"},
		{"standard_conforming_strings": "true"},
		{"options": `-c search_path=public -c application_name=my\ app --standard-conforming-strings=on`},
	} {
		c, err := e.connectWith(e.prodToken, p, "")
		if err != nil {
			t.Errorf("%v: %v", p, err)
			continue
		}
		if got := c.ParameterStatus("client_encoding") + " " + c.ParameterStatus("standard_conforming_strings"); got != "UTF8 on" {
			t.Errorf("%v: the session is %s", p, got)
		}
		if p["options"] != "" && c.ParameterStatus("application_name") != "my app" {
			t.Errorf("options were not applied: application_name %q", c.ParameterStatus("application_name"))
		}
		c.Close(ctx)
	}
	// PGCLIENTENCODING and PGOPTIONS reach the gateway as startup
	// parameters; psql says why it was refused.
	if psql, err := exec.LookPath("psql"); err == nil {
		for _, env := range []string{"PGCLIENTENCODING=SJIS", "PGOPTIONS=-c standard_conforming_strings=off"} {
			cmd := exec.Command(psql, e.dsn(e.prodToken, "app-prod"), "-Atc", "SELECT 1")
			cmd.Env = append(os.Environ(), env)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "Chaperone") {
				t.Errorf("psql with %s: %v %s", env, err, out)
			}
		}
	}
}

// Role and database defaults cannot change the pinned settings either:
// startup values outrank them, and RESET, RESET ALL, DISCARD ALL and SET ...
// TO DEFAULT return to the startup values.
func TestDefaultsAndResetKeepTheLexerPinned(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, "ALTER DATABASE "+e.prodDB+" SET standard_conforming_strings = off")
	e.pg.Exec(t, e.prodDB, "ALTER DATABASE "+e.prodDB+" SET client_encoding = 'SJIS'")
	e.pg.Exec(t, e.prodDB, "ALTER DATABASE "+e.prodDB+" SET transform_null_equals = on")
	c := e.connect(t, e.prodToken, "app-prod")
	want := []string{"UTF8", "on"}
	if got := show(t, c, "client_encoding", "standard_conforming_strings"); !slices.Equal(got, want) {
		t.Fatalf("with database defaults: %v", got)
	}
	// = NULL means what Chaperone reads it as, never true.
	if got := show(t, c, "transform_null_equals"); !slices.Equal(got, []string{"off"}) {
		t.Fatalf("transform_null_equals with a database default of on: %v", got)
	}
	for _, q := range []string{"RESET standard_conforming_strings", "RESET client_encoding", "RESET ALL",
		"SET standard_conforming_strings TO DEFAULT", "SET client_encoding TO DEFAULT", "DISCARD ALL",
		"SET client_encoding = 'UTF8'", "SET standard_conforming_strings = on", "SET NAMES 'unicode'"} {
		if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := show(t, c, "client_encoding", "standard_conforming_strings"); !slices.Equal(got, want) {
			t.Fatalf("after %s: %v", q, got)
		}
	}
}

// smuggleSCS reads as a harmless SELECT with standard_conforming_strings
// on, and as SELECT ...; DROP TABLE bookings with it off.
const smuggleSCS = `SELECT 'a\' AS x, $$'; DROP TABLE bookings; --$$ AS y`

// smuggleSJIS reads as a harmless SELECT in UTF-8 (the backslash escapes
// the quote inside E”), and as SELECT ...; DROP TABLE bookings in SJIS,
// where 0x95 0x5c is one character.
const smuggleSJIS = "SELECT E'\x95\\'; DROP TABLE bookings; --'"

// No statement can change the lexer state, in either protocol, in any
// spelling; after every attempt the smuggles are sent raw and the table is
// still there.
func TestStatementsCannotChangeTheLexerState(t *testing.T) {
	e := setup(t)
	// The smuggles are real: on a direct connection in the other lexer
	// state, each drops the table.
	for _, c := range []struct{ param, value, sql string }{
		{"standard_conforming_strings", "off", smuggleSCS},
		{"client_encoding", "SJIS", smuggleSJIS},
	} {
		db := e.pg.CreateDB(t)
		e.pg.Exec(t, db, "CREATE TABLE bookings (id int)")
		cfg, _ := pgconn.ParseConfig(e.pg.DSN(db))
		cfg.RuntimeParams[c.param] = c.value
		pc, err := pgconn.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		pc.Exec(ctx, c.sql).ReadAll()
		pc.Close(ctx)
		if n := e.pg.Count(t, db, "bookings"); n != -1 {
			t.Fatalf("the %s smuggle does not work directly: %d rows", c.param, n)
		}
	}
	before := dbState(t, e, e.prodDB)
	attempts := []string{
		"SET standard_conforming_strings = off",
		"SET SESSION standard_conforming_strings TO 'of'",
		`SET "Standard_Conforming_Strings" = false`,
		`SET U&"standard\005fconforming\005fstrings" = 0`,
		"SET client_encoding = 'SJIS'",
		"SET NAMES 'BIG5'",
		"set client_encoding to 'gbk'",
		"SELECT set_config('standard_conforming_strings', 'off', false)",
		"SELECT set_config('client_' || 'encoding', 'SJIS'::text, false)",
		"SELECT pg_catalog.set_config(U&'standard\\005fconforming\\005fstrings', 'off', false)",
		"SELECT set_config($$standard_conforming_strings$$, E'o\\146f', false)",
		"SELECT 1; SET standard_conforming_strings = off",
		"BEGIN; SET LOCAL standard_conforming_strings = off; COMMIT",
		"DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$",
		"DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = off'; END $$",
		"PREPARE p AS SELECT set_config('client_encoding', 'SJIS', false)",
		"WITH x AS (SELECT set_config('standard_conforming_strings', 'off', false)) SELECT * FROM x",
		"SELECT query_to_xml('SELECT set_config(''standard_conforming_strings'', ''off'', false)', true, false, '')",
		"ALTER ROLE CURRENT_USER SET standard_conforming_strings = off",
		"ALTER DATABASE current_database SET client_encoding = 'SJIS'",
		"ALTER SYSTEM SET standard_conforming_strings = off",
		"SET backslash_quote = on",
	}
	s := e.raw(t, e.prodToken)
	smuggle := func(step string) {
		t.Helper()
		for _, q := range []string{smuggleSCS, smuggleSJIS} {
			s.send(&pgproto3.Query{String: q})
			s.send(&pgproto3.Parse{Query: q}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
		}
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
			t.Fatalf("after %q: bookings has %d rows", step, n)
		}
	}
	for _, q := range attempts {
		codes, _ := s.send(&pgproto3.Query{String: q})
		if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
			t.Errorf("simple %q: codes %v", q, codes)
		}
		codes, _ = s.send(&pgproto3.Parse{Query: q}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
		if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
			t.Errorf("extended %q: codes %v", q, codes)
		}
		smuggle(q)
	}
	// Parameters cannot carry the value past the judge either.
	codes, _ := s.send(&pgproto3.Parse{Query: "SELECT set_config($1, $2, false)"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("standard_conforming_strings"), []byte("off")}},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("set_config($1, $2): codes %v", codes)
	}
	smuggle("set_config($1, $2)")
	// The SJIS bytes are not UTF-8: Chaperone refuses them (in another
	// encoding the server could read them otherwise), and the server would
	// refuse them whole (22021).
	codes, _ = s.send(&pgproto3.Query{String: smuggleSJIS})
	if len(codes) != 1 || (codes[0] != CodeDenied && codes[0] != "22021") {
		t.Errorf("SJIS bytes in a UTF8 session: %v", codes)
	}
	c := e.connect(t, e.prodToken, "app-prod")
	if got := show(t, c, "client_encoding", "standard_conforming_strings"); !slices.Equal(got, []string{"UTF8", "on"}) {
		t.Fatalf("session settings: %v", got)
	}
	if after := dbState(t, e, e.prodDB); after != before {
		t.Fatal("the database changed")
	}
}

// Whatever changes a pinned setting - here a function whose body the
// gateway cannot see, approved by a human - the upstream's report of it
// ends the session before the client can use the new state.
func TestAPinnedSettingReportedChangedEndsTheSession(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, `CREATE FUNCTION public.innocent() RETURNS text LANGUAGE sql
		AS $$ SELECT set_config('standard_conforming_strings', 'off', false) $$`)
	approvedAfterHeld(t, e, e.connect(t, e.prodToken, "app-prod"), "SELECT innocent()", pgx.QueryExecModeSimpleProtocol)
	s := e.raw(t, e.prodToken)
	codes, _ := s.send(&pgproto3.Query{String: "SELECT innocent()"})
	if len(codes) != 1 || codes[0] != "08P01" {
		t.Fatalf("codes %v", codes)
	}
	if _, err := s.fe.Receive(); err == nil {
		t.Fatal("the session went on")
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
		t.Fatalf("bookings has %d rows", n)
	}
}

// A statement sent behind one that turns standard_conforming_strings off
// reaches the server before the server reports the change, and the server
// reads it with the setting off. So a text is judged by both readings: the
// smuggle is held whichever state the session is in when it arrives. Here
// the change comes from a function approved by a human, and the smuggle
// follows it in the same write, in either protocol.
func TestStatementsPipelinedBehindALexerChangeAreJudgedBothWays(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, `CREATE FUNCTION public.innocent() RETURNS text LANGUAGE sql
		AS $$ SELECT set_config('standard_conforming_strings', 'off', false) $$`)
	approve := func() {
		t.Helper()
		approvedAfterHeld(t, e, e.connect(t, e.prodToken, "app-prod"), "SELECT innocent()", pgx.QueryExecModeSimpleProtocol)
	}
	for _, pipeline := range [][]pgproto3.FrontendMessage{
		{&pgproto3.Query{String: "SELECT innocent()"}, &pgproto3.Query{String: smuggleSCS}},
		{&pgproto3.Query{String: "SELECT innocent()"}, &pgproto3.Parse{Query: smuggleSCS}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}},
	} {
		approve()
		s := e.raw(t, e.prodToken)
		for _, m := range pipeline {
			s.fe.Send(m)
		}
		if err := s.fe.Flush(); err != nil {
			t.Fatal(err)
		}
		var codes []string
		for {
			m, err := s.fe.Receive()
			if err != nil {
				break
			}
			if x, ok := m.(*pgproto3.ErrorResponse); ok {
				codes = append(codes, x.Code)
			}
			if _, ok := m.(*pgproto3.ReadyForQuery); ok && len(codes) > 0 && codes[len(codes)-1] == CodeHeld {
				break
			}
		}
		if !slices.Contains(codes, CodeHeld) && !slices.Contains(codes, "08P01") {
			t.Errorf("codes %v", codes)
		}
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
			t.Fatalf("bookings has %d rows after %T pipeline (codes %v)", n, pipeline[1], codes)
		}
	}
	// Setting names that a cast changes on the way are not read as the
	// name they spell: bpchar drops trailing blanks, varchar(n) cuts.
	s := e.raw(t, e.prodToken)
	for _, q := range []string{
		"SELECT set_config('standard_conforming_strings  '::bpchar, 'off', false)",
		"SELECT set_config('session_replication_role  '::bpchar, 'replica', false)",
		"SELECT set_config('session_replication_roleXYZ'::varchar(24), 'replica', false)",
		"SELECT set_config('role  '::char(10), 'app', false)",
	} {
		if codes, _ := s.send(&pgproto3.Query{String: q}); len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
			t.Errorf("%q: codes %v", q, codes)
		}
	}
	c := e.connect(t, e.prodToken, "app-prod")
	if got := show(t, c, "session_replication_role", "standard_conforming_strings"); !slices.Equal(got, []string{"origin", "on"}) {
		t.Fatalf("session settings: %v", got)
	}
}

// A client speaking protocol 3.2, or asking for protocol extensions, is
// negotiated down to 3.0 as PostgreSQL does, not refused.
func TestNewerProtocolVersionsAreNegotiatedDown(t *testing.T) {
	e := setup(t)
	c, err := pgx.Connect(ctx, e.dsn(e.prodToken, "app-prod")+"&max_protocol_version=3.2")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM bookings").Scan(&n); err != nil || n != 100 {
		t.Fatalf("%d %v", n, err)
	}
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	body := binary.BigEndian.AppendUint32(nil, 3<<16|1)
	for _, kv := range []string{"user", "agent", "database", "app-prod", "_pq_.compression", "on", "_pq_.other", "x"} {
		body = append(append(body, kv...), 0)
	}
	body = append(body, 0)
	conn.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...))
	fe := pgproto3.NewFrontend(conn, conn)
	m, err := fe.Receive()
	npv, ok := m.(*pgproto3.NegotiateProtocolVersion)
	if err != nil || !ok || npv.NewestMinorProtocol != 0 || !slices.Equal(npv.UnrecognizedOptions, []string{"_pq_.compression", "_pq_.other"}) {
		t.Fatalf("got %#v %v", m, err)
	}
	if m, err := fe.Receive(); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*pgproto3.AuthenticationSASL); !ok {
		t.Fatalf("then %#v", m)
	}
}

var _ = fmt.Sprint
