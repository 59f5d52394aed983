package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
)

// readyTimeout bounds each readiness probe: a load balancer's check must
// get an answer, and a state that answers slower than this is as good as
// gone for the gateways.
const readyTimeout = 2 * time.Second

// mountHealth serves /healthz, which says only that the process answers
// (a load balancer restarts nothing on it), and /readyz, which says whether
// this instance should get new sessions: its state answers at the schema it
// knows, and every upstream's credential resolves.
func mountHealth(mux *http.ServeMux, cfg *config.Config, st store.Store) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		problems := readiness(r.Context(), cfg, st)
		w.Header().Set("Cache-Control", "no-store")
		if len(problems) > 0 {
			http.Error(w, "not ready:\n"+strings.Join(problems, "\n"), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
}

func readiness(ctx context.Context, cfg *config.Config, st store.Store) []string {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var problems []string
	if err := st.View(ctx, func(tx store.Tx) error { _, _, err := tx.Meta("healthz"); return err }); err != nil {
		problems = append(problems, fmt.Sprintf("state: %v", err))
	} else if sc, ok := st.(interface{ CheckSchema(context.Context) error }); ok {
		if err := sc.CheckSchema(ctx); err != nil {
			problems = append(problems, fmt.Sprintf("state: %v", err))
		}
	}
	if err := cfg.CheckSecrets(sealOpener(cfg)); err != nil {
		problems = append(problems, fmt.Sprintf("secrets: %v", err))
	}
	return problems
}
