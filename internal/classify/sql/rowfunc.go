package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/chaperone/chaperone/internal/action"
)

// A function whose one argument is a row is called by a statement that
// reads t.f as a column of t (PostgreSQL reads it as f(t) when t has no
// column f): the statement does not name it as a function. The gateway
// finds such calls through the catalog it reads, which another session's
// CREATE, or one earlier in the same text, is not yet in when the
// statement is judged, and a statement waiting on a lock resolves its
// names only after the wait. So the function is judged where it is
// created: one callable that way is unknown.

// rowFunction judges a CREATE FUNCTION whose one argument (the others
// defaulted) may be a row.
func (w *walker) rowFunction(s *pg_query.CreateFunctionStmt) {
	if s.GetIsProcedure() {
		return // procedures are only CALLed
	}
	var first *pg_query.FunctionParameter
	for _, p := range s.GetParameters() {
		fp := p.GetFunctionParameter()
		switch fp.GetMode() {
		case pg_query.FunctionParameterMode_FUNC_PARAM_OUT, pg_query.FunctionParameterMode_FUNC_PARAM_TABLE:
			continue
		case pg_query.FunctionParameterMode_FUNC_PARAM_VARIADIC:
			return
		}
		if first == nil {
			first = fp
			continue
		}
		if fp.GetDefexpr() == nil {
			return // a second argument is needed
		}
	}
	if first == nil || !mayBeRow(first.GetArgType()) {
		return
	}
	name := joinNames(s.GetFuncname())
	w.add("sql.row-function", action.ClassUnknown,
		"%s takes a row as its one argument, so a statement reading a column named %s of such a row runs it without naming it", name, lastName(s.GetFuncname()))
}

// mayBeRow says whether a parameter's declared type may be a composite
// (row) type: anything but a built-in scalar or an array.
func mayBeRow(tn *pg_query.TypeName) bool {
	if tn == nil {
		return true
	}
	if len(tn.GetArrayBounds()) > 0 {
		return false
	}
	if tn.GetPctType() {
		return true // a column's type, which may be a row
	}
	names := tn.GetNames()
	switch {
	case len(names) == 2 && constString(names[0]) == "pg_catalog":
		return !scalarBuiltins[constString(names[1])]
	case len(names) == 1:
		return !scalarBuiltins[constString(names[0])]
	}
	return true
}

// scalarBuiltins are built-in types whose values are never rows; record
// and the polymorphic anyelement, anynonarray and anycompatible are left
// out on purpose.
var scalarBuiltins = func() map[string]bool {
	m := map[string]bool{}
	for k := range builtinTypes {
		m[k] = true
	}
	for _, k := range strings.Fields(`oid name regclass regtype regproc regprocedure regoper regoperator
		regnamespace regrole regconfig regdictionary regcollation char point line lseg box path polygon circle
		tsvector tsquery int4range int8range numrange tsrange tstzrange daterange int4multirange int8multirange
		nummultirange tsmultirange tstzmultirange datemultirange jsonpath pg_lsn txid_snapshot pg_snapshot xid xid8
		cid tid macaddr8 cstring internal anyarray anyrange anymultirange anycompatiblearray anycompatiblerange
		anycompatiblemultirange trigger event_trigger void language_handler fdw_handler index_am_handler
		tsm_handler table_am_handler int2vector oidvector aclitem refcursor`) {
		m[k] = true
	}
	return m
}()
