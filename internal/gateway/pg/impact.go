package pg

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/human"
)

// impact estimates what a held statement would touch, over a connection of
// its own (the client's session may be mid-transaction): row estimates and
// sizes of the tables it names, or the planner's row estimate for a DELETE or
// UPDATE. An estimate that cannot be made says so; it never blocks the hold.
func (g *Gateway) impact(ctx context.Context, up Upstream, act action.Action, bound *explainArgs) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, up.DSN)
	if err != nil {
		return "impact unknown: upstream unavailable"
	}
	defer conn.Close(ctx)
	// Read-only, so that estimating can never change anything.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return "impact unknown: upstream unavailable"
	}
	defer tx.Rollback(ctx)
	var parts []string
	for _, t := range act.Targets {
		if strings.Contains(t, ".") && strings.Count(t, ".") > 1 {
			continue // schema.table.column: the table's size says enough
		}
		var rows, size int64
		err := tx.QueryRow(ctx, `SELECT greatest(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid)
			FROM pg_class c WHERE c.oid = to_regclass($1)`, t).Scan(&rows, &size)
		if err == nil {
			parts = append(parts, fmt.Sprintf("%s: ~%d rows, %s", t, rows, human.Bytes(size)))
		}
	}
	if len(parts) == 0 && isDML(act) {
		var plan []map[string]any
		if err := explain(ctx, tx, act.Text, bound, &plan); err == nil && len(plan) > 0 {
			if p, ok := plan[0]["Plan"].(map[string]any); ok {
				parts = append(parts, fmt.Sprintf("~%v rows (planner estimate)", p["Plan Rows"]))
			}
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "impact unknown")
	} else {
		parts = append(parts, up.Env)
	}
	if g.BackupStatus != nil {
		parts = append(parts, g.BackupStatus(ctx, up.Name))
	}
	return strings.Join(parts, "; ")
}

func isDML(act action.Action) bool {
	for _, r := range act.Reasons {
		switch r.ID {
		case "sql.delete-all", "sql.update-all", "sql.write":
			return true
		}
	}
	return false
}

// explainArgs are the values a Bind binds, for the planner's estimate of
// exactly that run.
type explainArgs struct {
	g *guarded
	b bindMessage
}

func explain(ctx context.Context, tx pgx.Tx, text string, bound *explainArgs, plan *[]map[string]any) error {
	if bound == nil {
		return tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+text).Scan(plan)
	}
	n := len(bound.b.values)
	oids, formats := make([]uint32, n), make([]int16, n)
	for i := range n {
		if i < len(bound.g.oids) {
			oids[i] = bound.g.oids[i]
		}
		formats[i] = bound.b.format(i)
	}
	res := tx.Conn().PgConn().ExecParams(ctx, "EXPLAIN (FORMAT JSON) "+bound.g.text, bound.b.values, oids, formats, nil).Read()
	if res.Err != nil {
		return res.Err
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return fmt.Errorf("unexpected EXPLAIN result")
	}
	return json.Unmarshal(res.Rows[0][0], plan)
}
