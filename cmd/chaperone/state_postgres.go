package main

import (
	"context"
	"fmt"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/postgres"
)

// openPostgresState opens the shared state named by state.dsn. The DSN is
// never printed: an error names the setting, not its value.
func openPostgresState(ctx context.Context, cfg *config.Config) (store.Store, error) {
	dsn, err := cfg.State.DSN.Resolve()
	if err != nil {
		return nil, inputErrf("state.dsn: %v", err)
	}
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the postgres state (state.dsn): %w", err)
	}
	return st, nil
}
