package pg

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BenchmarkSelect is one primary-key SELECT per round trip, straight to
// PostgreSQL and through the gateway, in the simple and the extended
// protocol; the gateway's cost is the difference. bench/pg.sh measures the
// same against pgbouncer with concurrent clients.
func BenchmarkSelect(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	targets := []struct{ name, dsn string }{
		{"direct", e.pg.DSN(e.prodDB)},
		{"gateway", e.dsn(e.prodToken, "app-prod")},
	}
	modes := []struct {
		name string
		mode pgx.QueryExecMode
	}{{"simple", pgx.QueryExecModeSimpleProtocol}, {"extended", pgx.QueryExecModeCacheStatement}}
	for _, tg := range targets {
		for _, m := range modes {
			b.Run(tg.name+"/"+m.name, func(b *testing.B) {
				cfg, err := pgx.ParseConfig(tg.dsn)
				if err != nil {
					b.Fatal(err)
				}
				cfg.DefaultQueryExecMode = m.mode
				c, err := pgx.ConnectConfig(ctx, cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close(ctx)
				var note string
				for i := 0; b.Loop(); i++ {
					if err := c.QueryRow(ctx, "SELECT note FROM bookings WHERE id = $1", i%100+1).Scan(&note); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
