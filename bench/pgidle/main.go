// Command pgidle opens N connections to a PostgreSQL endpoint, runs one
// query on each so the session is fully established, prints "ready" and holds
// them open until its standard input closes. bench/pg.sh measures the
// memory a pooler or gateway spends on idle clients with it.
//
//	pgidle -n 200 'postgres://agent:chp_...@127.0.0.1:5433/bench?sslmode=disable'
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func main() {
	n := flag.Int("n", 200, "connections to open")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pgidle [-n N] DSN")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conns := make([]*pgconn.PgConn, 0, *n)
	for i := 0; i < *n; i++ {
		c, err := pgconn.Connect(ctx, flag.Arg(0))
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgidle: connection %d: %v\n", i+1, err)
			os.Exit(1)
		}
		if _, err := c.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
			fmt.Fprintf(os.Stderr, "pgidle: connection %d: %v\n", i+1, err)
			os.Exit(1)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close(context.Background())
	}
}
