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
				c := benchConn(b, tg.dsn, m.mode)
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

// BenchmarkTransaction is pgbench -N's transaction (BEGIN, UPDATE, SELECT,
// INSERT, END) in the simple protocol, straight to PostgreSQL and through
// the gateway, where each write is audited.
func BenchmarkTransaction(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	e.pg.Exec(b, e.stageDB, "CREATE TABLE history (id int, delta int, at timestamptz)")
	for _, tg := range []struct{ name, dsn string }{
		{"direct", e.pg.DSN(e.stageDB)},
		{"gateway", e.dsn(e.stageToken, "app-staging")},
	} {
		b.Run(tg.name, func(b *testing.B) {
			c := benchConn(b, tg.dsn, pgx.QueryExecModeSimpleProtocol)
			var note string
			for i := 0; b.Loop(); i++ {
				id := i%100 + 1
				steps := []func() error{
					func() error { _, err := c.Exec(ctx, "BEGIN"); return err },
					func() error {
						_, err := c.Exec(ctx, "UPDATE bookings SET note = note WHERE id = $1", id)
						return err
					},
					func() error { return c.QueryRow(ctx, "SELECT note FROM bookings WHERE id = $1", id).Scan(&note) },
					func() error {
						_, err := c.Exec(ctx, "INSERT INTO history VALUES ($1, 1, CURRENT_TIMESTAMP)", id)
						return err
					},
					func() error { _, err := c.Exec(ctx, "END"); return err },
				}
				for _, f := range steps {
					if err := f(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// benchConn connects to dsn in mode, for the length of b.
func benchConn(b *testing.B, dsn string, mode pgx.QueryExecMode) *pgx.Conn {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(context.Background()) })
	return c
}
