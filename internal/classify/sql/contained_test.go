package sql

import "testing"

// Only plain DML that calls nothing keeps its effects inside the
// transaction; everything else must be on the record before it runs.
func TestContained(t *testing.T) {
	for text, want := range map[string]bool{
		"SELECT abalance FROM pgbench_accounts WHERE aid = $1":                              true,
		"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2":               true,
		"INSERT INTO h (a, t) VALUES ($1, CURRENT_TIMESTAMP)":                               true,
		"DELETE FROM t WHERE id = 3 RETURNING *":                                            true,
		"WITH d AS (DELETE FROM t WHERE id = 1 RETURNING id) INSERT INTO u SELECT * FROM d": true,
		"UPDATE t SET a = 1 WHERE id = 2; SELECT 1":                                         true,
		"UPDATE t SET a = 1 FROM u WHERE t.id = u.id":                                       false,
		"SELECT (x).f FROM t":                                  false,
		"SELECT ('s'::regclass).nextval":                       false,
		"SELECT now()":                                         false,
		"SELECT pg_notify('c', 'x')":                           false,
		"SELECT * FROM dblink('host=x', 'DELETE FROM t')":      false,
		"SELECT lo_export(16384, '/tmp/x')":                    false,
		"INSERT INTO t VALUES (nextval('s'))":                  false,
		"UPDATE t SET a = (SELECT max(b) FROM u) WHERE id = 1": false,
		"SELECT 1 INTO t2":                                     false,
		"SELECT 1 INTO t2 UNION SELECT 2":                      false,
		"COMMIT":                                               false,
		"UPDATE t SET a = 1 WHERE id = 2; COMMIT":              false,
		"COPY t TO STDOUT":                                     false,
		"DO $$ BEGIN UPDATE t SET a = 1; END $$":               false,
		"PREPARE p AS UPDATE t SET a = 1 WHERE id = 1":         false,
		"EXECUTE p":               false,
		"CALL proc()":             false,
		"CREATE TABLE t3 (a int)": false,
		"SELECT FROM":             false,
		"":                        false,
	} {
		if got := Classify(text).Contained; got != want {
			t.Errorf("%q: contained %v, want %v", text, got, want)
		}
	}
}
