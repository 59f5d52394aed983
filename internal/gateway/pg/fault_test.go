package pg

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/pgtest"
)

// The upstream PostgreSQL dies mid-query and comes back: the client in the
// query gets an error, a client connecting meanwhile gets an error (not a
// hang), and the gateway, still running, serves new connections once the
// server is back.
func TestUpstreamKilledMidQueryAndRestarted(t *testing.T) {
	pg := pgtest.Start(t)
	e := setupOn(t, pg)
	c := e.connect(t, e.prodToken, "app-prod")
	errc := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "SELECT pg_sleep(30)")
		errc <- err
	}()
	time.Sleep(500 * time.Millisecond)
	if err := pg.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("the query in flight succeeded on a dead server")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the client in the query was left hanging")
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if c2, err := pgx.Connect(cctx, e.dsn(e.prodToken, "app-prod")); err == nil {
		c2.Close(ctx)
		t.Fatal("connected through the gateway to a dead server")
	} else if cctx.Err() != nil {
		t.Fatal("a connection while the server is down hung")
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	c3 := e.connect(t, e.prodToken, "app-prod")
	var n int
	if err := c3.QueryRow(ctx, "SELECT count(*) FROM bookings").Scan(&n); err != nil || n != 100 {
		t.Fatalf("after the restart: %v %d", err, n)
	}
	if _, err := c3.Exec(ctx, "DROP TABLE bookings"); err == nil {
		t.Fatal("after the restart a DROP ran unapproved")
	}
}
