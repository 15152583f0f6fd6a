package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

// The one place errors become API statuses: a database that is unavailable
// for a moment is a 503 with Retry-After, never a 500.
func TestAPIErrorStatuses(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("store: list issues: %w: %w", newsletter.ErrUnavailable, errors.New("pq: canceling statement due to statement timeout (57014)")),
			http.StatusServiceUnavailable, `"unavailable"`},
		{fmt.Errorf("store: issue: %w", newsletter.ErrNotFound), http.StatusNotFound, `"not_found"`},
		{errors.New("boom"), http.StatusInternalServerError, `"internal"`},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.apiError(w, httptest.NewRequest("GET", "/api/issues", nil), tt.err)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.code) {
				t.Fatalf("%v: %d %s, want %d %s", tt.err, w.Code, w.Body, tt.status, tt.code)
			}
			if retry := w.Header().Get("Retry-After"); (tt.status == http.StatusServiceUnavailable) != (retry != "") {
				t.Fatalf("Retry-After %q with status %d", retry, w.Code)
			}
		})
	}
}
