package pg

import (
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/classify/sql"
)

// A write whose filter requires the only column of a unique index to equal
// one value (`UPDATE accounts SET … WHERE aid = $1`, as applications write
// most of their writes) reaches at most one row, so it cannot reach every
// row of a table holding more than one: it need not be asked about. Which
// columns are unique is asked of the session once, where the name resolves
// for it, and remembered until any session sends a statement that could
// change that (anything but plain reads and writes and the opening or end
// of a transaction: DDL, SET, ROLLBACK, a function call).

// uniqueKeys is what a session learnt, valid while the gateway's keyEpoch
// stays at epoch.
type uniqueKeys struct {
	epoch  uint64
	unique map[sql.Pin]bool
}

// uniqueSQL answers, for each table name (quoted, as the session resolves
// it) and column, whether the column alone is a unique key of the table
// that holds every row a write of the name reaches: an ordinary table (or
// one named with ONLY) without children, or a partitioned one, whose
// unique index covers its partitions. The index must be valid, checked at
// once (not deferrable), without a predicate or expressions, compare with
// its type's default operator class, and neither it nor the column may
// use a nondeterministic collation: a key unique under "C" is not unique
// under the column's case- or punctuation-blind collation that = uses
// (and equality under any two deterministic collations is the same:
// byte for byte). No
// foreign key may cascade from the table (one row's delete can reach
// every row of another: cascade.go's question asks). Everything is
// qualified with pg_catalog, so nothing on the session's search_path can
// answer in its place.
const uniqueSQL = `SELECT COALESCE((SELECT true FROM pg_catalog.pg_class c
 WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(n.rel)
 AND (c.relkind OPERATOR(pg_catalog.=) 'p' OR c.relkind OPERATOR(pg_catalog.=) 'r' AND (n.solo OR NOT EXISTS (
   SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhparent OPERATOR(pg_catalog.=) c.oid)))
 AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a
   ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0]
   WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
   AND i.indnatts OPERATOR(pg_catalog.=) 1 AND i.indpred IS NULL AND i.indexprs IS NULL
   AND a.attname OPERATOR(pg_catalog.=) n.col::pg_catalog.name
   AND EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc WHERE oc.oid OPERATOR(pg_catalog.=) i.indclass[0] AND oc.opcdefault)
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_collation co WHERE NOT co.collisdeterministic
     AND (co.oid OPERATOR(pg_catalog.=) i.indcollation[0] OR co.oid OPERATOR(pg_catalog.=) a.attcollation)))
 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.contype OPERATOR(pg_catalog.=) 'f'
   AND (k.confrelid OPERATOR(pg_catalog.=) c.oid OR k.confrelid IN (SELECT t.relid FROM pg_catalog.pg_partition_tree(c.oid) t)) AND (k.confdeltype OPERATOR(pg_catalog.<>) 'a' AND k.confdeltype OPERATOR(pg_catalog.<>) 'r'
   OR k.confupdtype OPERATOR(pg_catalog.<>) 'a' AND k.confupdtype OPERATOR(pg_catalog.<>) 'r'))), false)
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.bool[]))
 WITH ORDINALITY AS n(rel, col, solo, i) ORDER BY n.i`

// pinsUnique says whether every pin is a unique key, asking the session
// about those it has not learnt. Any failure to ask says no: the write is
// then asked about itself.
func (s *session) pinsUnique(pins []sql.Pin) bool {
	if len(pins) == 0 {
		return false
	}
	if e := s.g.keyEpoch.Load(); s.keys.epoch != e || s.keys.unique == nil {
		s.keys = uniqueKeys{epoch: e, unique: map[sql.Pin]bool{}}
	}
	var ask []sql.Pin
	for _, p := range pins {
		u, known := s.keys.unique[p]
		if known && !u {
			return false
		}
		if !known {
			ask = append(ask, p)
		}
	}
	if len(ask) == 0 {
		return true
	}
	rels, cols, only := make([]string, len(ask)), make([]string, len(ask)), make([]string, len(ask))
	for i, p := range ask {
		rels[i] = quoteIdent(p.Table)
		if p.Schema != "" {
			rels[i] = quoteIdent(p.Schema) + "." + rels[i]
		}
		cols[i], only[i] = p.Column, "f"
		if p.Only {
			only[i] = "t"
		}
	}
	epoch := s.keys.epoch
	name := nonce("chaperone_keys_")
	rows, err := s.ask("which columns are unique keys", &pgproto3.Parse{Name: name, Query: uniqueSQL},
		&pgproto3.Bind{DestinationPortal: name, PreparedStatement: name,
			Parameters: [][]byte{textArray(rels), textArray(cols), []byte("{" + strings.Join(only, ",") + "}")}})
	if err != nil || len(rows) != len(ask) || s.g.keyEpoch.Load() != epoch {
		return false
	}
	all := true
	for i, p := range ask {
		u := string(rows[i]) == "t"
		s.keys.unique[p] = u
		all = all && u
	}
	return all
}

// keepsKeys says whether a statement the classifier found contained (plain
// reads and writes, no function) or one that only opens or ends a
// transaction leaves every name resolving to the same table with the same
// unique keys.
func keepsKeys(text string, contained bool) bool {
	if contained {
		return true
	}
	t := strings.ToLower(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(text), ";")))
	switch t {
	case "begin", "commit", "end", "start transaction", "begin transaction", "commit transaction", "begin work", "commit work":
		return true
	}
	return false
}

// oneRowEach says whether each of a statement's filtered writes is known,
// without asking about its rows, to reach at most one: nothing before it in
// the text changes names or keys (sql.Result.Pins), and its pins are unique
// keys. A PREPARE's later runs reach the tables it resolved then, and its
// keys can only be dropped with approval. Asked only between cycles.
func (s *session) oneRowEach(res sql.Result) bool {
	return !res.HiddenRowWrites && len(res.Pins) > 0 && s.cycleN == 0 && s.pinsUnique(res.Pins)
}
