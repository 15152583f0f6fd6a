package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// OpsDeps is what the operational endpoints need.
type OpsDeps struct {
	// Ready reports whether this replica can serve: database reachable,
	// migrations current.
	Ready func(ctx context.Context) error
	// Metrics serves Prometheus metrics.
	Metrics http.Handler
	// Status is what /statusz shows, as JSON.
	Status func(ctx context.Context) any
}

// NewOps serves /healthz, /readyz, /metrics and /statusz, for the ops
// listener (web.ops_listen), which is not the public one.
func NewOps(d OpsDeps) http.Handler {
	m := http.NewServeMux()
	health(m, d.Ready)
	m.Handle("GET /metrics", d.Metrics)
	m.HandleFunc("GET /statusz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(d.Status(ctx))
	})
	return m
}

// health adds /healthz (the process answers) and /readyz (it can serve),
// which load balancers poll on the public listener too.
func health(m *http.ServeMux, ready func(ctx context.Context) error) {
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	m.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
}
