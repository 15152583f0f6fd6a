package web

import (
	"context"
	"net/http"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// SourceAdmin is the sources as the admin API keeps them.
type SourceAdmin interface {
	AddSource(ctx context.Context, src newsletter.Source) (newsletter.Source, error)
	ListSources(ctx context.Context) ([]newsletter.Source, error)
	SourceByRef(ctx context.Context, ref string) (newsletter.Source, error)
	SetSourceEnabled(ctx context.Context, id int64, enabled bool) (newsletter.Source, error)
	RemoveSource(ctx context.Context, id int64) error
	SourceFetches(ctx context.Context, sourceID int64, limit int) ([]newsletter.SourceFetch, error)
}

type sourceJSON struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	URL           string     `json:"url"`
	Kind          string     `json:"kind,omitempty"`
	Enabled       bool       `json:"enabled"`
	Failures      int        `json:"failures"`
	LastError     string     `json:"last_error,omitempty"`
	LastFetchAt   *time.Time `json:"last_fetch_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	FailingSince  *time.Time `json:"failing_since,omitempty"`
	NextFetchAt   time.Time  `json:"next_fetch_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

// sourceDetailJSON is one source with its recent fetches.
type sourceDetailJSON struct {
	sourceJSON
	Fetches []fetchJSON `json:"fetches"`
}

type fetchJSON struct {
	At         time.Time `json:"at"`
	HTTPStatus int       `json:"http_status,omitempty"`
	Outcome    string    `json:"outcome"`
	New        int       `json:"new"`
	Updated    int       `json:"updated"`
	Unchanged  int       `json:"unchanged"`
	Rejected   int       `json:"rejected"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

func sourceOut(s newsletter.Source) sourceJSON {
	return sourceJSON{ID: s.ID, Name: s.Name, URL: s.URL, Kind: s.DefaultKind, Enabled: s.Enabled, Failures: s.Failures,
		LastError: s.LastError, LastFetchAt: s.LastFetchAt, LastSuccessAt: s.LastSuccessAt, FailingSince: s.FailingSince,
		NextFetchAt: s.NextFetchAt, CreatedAt: s.CreatedAt}
}

// sourceRoutes: reading needs the read scope; a change to the sources
// changes what issues are made of, so it needs the issues scope.
func (s *Server) sourceRoutes() []apiRoute {
	read, act := newsletter.ScopeRead, newsletter.ScopeIssues
	return []apiRoute{
		{"GET", "/api/sources", read, s.apiSources},
		{"POST", "/api/sources", act, s.apiSourceAdd},
		{"GET", "/api/sources/{ref}", read, s.apiSource},
		{"DELETE", "/api/sources/{ref}", act, s.apiSourceRemove},
		{"POST", "/api/sources/{ref}/enable", act, s.apiSourceEnable(true)},
		{"POST", "/api/sources/{ref}/disable", act, s.apiSourceEnable(false)},
	}
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request) {
	list, err := s.d.Store.ListSources(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := make([]sourceJSON, len(list))
	for i, src := range list {
		out[i] = sourceOut(src)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": out})
}

func (s *Server) apiSourceAdd(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		URL  string `json:"url"`
		Kind string `json:"kind"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.apiError(w, r, err)
		return
	}
	src, err := newsletter.NewSource(in.Name, in.URL, in.Kind)
	if err == nil {
		src, err = s.d.Store.AddSource(r.Context(), src)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sourceOut(src))
}

// apiSource is one source with its last 20 fetches, newest first.
func (s *Server) apiSource(w http.ResponseWriter, r *http.Request) {
	src, err := s.d.Store.SourceByRef(r.Context(), r.PathValue("ref"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	fetches, err := s.d.Store.SourceFetches(r.Context(), src.ID, 20)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := sourceDetailJSON{sourceJSON: sourceOut(src), Fetches: []fetchJSON{}}
	for _, f := range fetches {
		out.Fetches = append(out.Fetches, fetchJSON{At: f.At, HTTPStatus: f.HTTPStatus, Outcome: f.Outcome, New: f.New,
			Updated: f.Updated, Unchanged: f.Unchanged, Rejected: f.Rejected, Error: f.Error, DurationMS: f.Duration.Milliseconds()})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSourceEnable(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		src, err := s.d.Store.SourceByRef(r.Context(), r.PathValue("ref"))
		if err == nil {
			src, err = s.d.Store.SetSourceEnabled(r.Context(), src.ID, on)
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, sourceOut(src))
	}
}

func (s *Server) apiSourceRemove(w http.ResponseWriter, r *http.Request) {
	src, err := s.d.Store.SourceByRef(r.Context(), r.PathValue("ref"))
	if err == nil {
		err = s.d.Store.RemoveSource(r.Context(), src.ID)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
