package pgtest

import "testing"

func TestMain(m *testing.M) { Main(m) }

func TestServerRunsAndCounts(t *testing.T) {
	s := Shared(t)
	db := s.CreateDB(t)
	s.Exec(t, db, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 5)")
	if n := s.Count(t, db, "t"); n != 5 {
		t.Fatalf("count %d", n)
	}
	if n := s.Count(t, db, "missing"); n != -1 {
		t.Fatalf("missing table counted %d", n)
	}
}
