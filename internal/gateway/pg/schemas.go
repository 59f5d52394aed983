package pg

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

// A schema named like a role comes first in that role's default
// search_path ("$user", public): every table created in it hides public's
// table of the same name from each of the role's sessions, which then read,
// write and delete the copy while the real rows drop out of sight. Creating
// one is destruction for those sessions, so the session is asked whether a
// role has the name, and one that has (or a name it cannot ask about) waits
// for a human.

var errSchemaMidCycle = errors.New("a schema created inside a pipeline of statements cannot be checked against the roles' names before it runs; send it with its own Sync")

// shadowing adds to act what the schemas it creates would hide.
func (s *session) shadowing(act action.Action, res sql.Result) action.Action {
	if len(res.Schemas) == 0 {
		return act
	}
	named := slices.Contains(res.Schemas, "$user") // AUTHORIZATION CURRENT_USER
	var err error
	switch {
	case named:
	case s.cycleN > 0:
		err = errSchemaMidCycle
	default:
		named, err = s.rolesNamed(res.Schemas)
	}
	if !named && err == nil {
		return act
	}
	act.Reasons = slices.Clone(act.Reasons)
	if err != nil {
		act.Reasons = append(act.Reasons, action.Reason{ID: "sql.schema-shadow", Class: action.ClassUnknown,
			Message: "Chaperone could not ask whether schema " + strings.Join(res.Schemas, ", ") + " is named like a role, whose sessions it would come first for: " + err.Error()})
	} else {
		act.Reasons = append(act.Reasons, action.Reason{ID: "sql.schema-shadow", Class: action.ClassDestructive,
			Message: "schema " + strings.Join(res.Schemas, ", ") + " is named like a role: it comes first in that role's search_path, and its tables hide public's of the same names from every session of the role"})
	}
	act.Class = action.Highest(act.Reasons)
	return act
}

// rolesNamed asks whether a role has one of the names.
func (s *session) rolesNamed(names []string) (bool, error) {
	ph := make([]string, len(names))
	params := make([][]byte, len(names))
	oids := make([]uint32, len(names))
	for i, n := range names {
		ph[i] = "$" + strconv.Itoa(i+1)
		params[i] = []byte(n)
		oids[i] = 25 // text
	}
	name := nonce("chaperone_roles_")
	rows, err := s.ask("whether a role is named like a new schema",
		&pgproto3.Parse{Name: name, Query: "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ANY (ARRAY[" + strings.Join(ph, ", ") + "]))", ParameterOIDs: oids},
		&pgproto3.Bind{DestinationPortal: name, PreparedStatement: name, Parameters: params})
	if err != nil {
		return false, err
	}
	if len(rows) != 1 {
		return false, errors.New(strconv.Itoa(len(rows)) + " answers")
	}
	return string(rows[0]) == "t", nil
}
