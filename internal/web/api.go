package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// The admin API: JSON under /api/, every request with a bearer token made
// by `enews token create`. Errors are {"error":{"code":…,"message":…}}
// with the status chosen in apiError alone.

// maxJSONBytes bounds a JSON request body.
const maxJSONBytes = 1 << 20

// apiCSP: API answers are data, never a document to render.
const apiCSP = "default-src 'none'; frame-ancestors 'none'"

// apiRoute is one endpoint of the admin API and the scope a token needs
// for it. /api/openapi.json documents exactly these (a test checks it).
type apiRoute struct {
	method, path string
	scope        newsletter.Scope
	handler      http.HandlerFunc
}

func (s *Server) apiRoutes() []apiRoute {
	read, subs := newsletter.ScopeRead, newsletter.ScopeSubscribers
	rs := []apiRoute{
		{"GET", "/api/subscribers", read, s.apiList},
		{"POST", "/api/subscribers", subs, s.apiCreate},
		{"GET", "/api/subscribers/export", read, s.apiExport},
		{"POST", "/api/subscribers/import", subs, s.apiImport},
		{"GET", "/api/subscribers/{id}", read, s.apiGet},
		{"PATCH", "/api/subscribers/{id}", subs, s.apiUpdate},
		{"DELETE", "/api/subscribers/{id}", subs, s.apiErase},
		{"POST", "/api/subscribers/{id}/unsubscribe", subs, s.apiUnsubscribe},
		{"POST", "/api/subscribers/{id}/erase", subs, s.apiErase},
	}
	rs = append(rs, s.issueRoutes()...)
	rs = append(rs, s.sourceRoutes()...)
	return append(rs,
		apiRoute{"GET", "/api/issues/{period}/bounces", read, s.apiIssueBounces},
		apiRoute{"GET", "/api/issues/{period}/check", read, s.apiIssueCheck})
}

// api serves /api/: the OpenAPI document to anyone, every other endpoint
// to a live token holding the endpoint's scope.
func (s *Server) api() http.Handler {
	m := http.NewServeMux()
	for _, rt := range s.apiRoutes() {
		m.Handle(rt.method+" "+rt.path, s.scoped(rt.scope, rt.handler))
	}
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.apiError(w, r, &apiErr{status: http.StatusNotFound, code: "not_found",
			msg: r.Method + " " + r.URL.Path + ": no such endpoint"})
	})
	outer := http.NewServeMux()
	outer.HandleFunc("GET /api/openapi.json", s.apiOpenAPI)
	outer.Handle("/api/", s.requireToken(m))
	return outer
}

// apiErr is an error the API answers with a status of its own choosing:
// a request it cannot parse (400) or one without a valid token (401).
type apiErr struct {
	status int
	code   string
	msg    string
}

func (e *apiErr) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiErr{status: http.StatusBadRequest, code: "bad_request", msg: fmt.Sprintf(format, args...)}
}

// apiError is the one place errors become statuses: a malformed request is
// 400, a missing thing 404, a clash with the current state 409 and a
// well-formed request with invalid content 422. Anything else is a 500,
// logged here with the details the answer leaves out.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, "internal", "internal error"
	var ae *apiErr
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		status, code, msg = ae.status, ae.code, ae.msg
	case errors.As(err, &tooBig):
		status, code, msg = http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		status, code, msg = http.StatusRequestTimeout, "timeout", "the request took longer than web.import_timeout allows"
	case errors.Is(err, newsletter.ErrNotFound):
		status, code, msg = http.StatusNotFound, "not_found", err.Error()
	case errors.Is(err, newsletter.ErrConflict):
		status, code, msg = http.StatusConflict, "conflict", err.Error()
	case errors.Is(err, newsletter.ErrInvalid):
		status, code, msg = http.StatusUnprocessableEntity, "invalid", err.Error()
	case errors.Is(err, newsletter.ErrUnavailable):
		status, code, msg = http.StatusServiceUnavailable, "unavailable", "the database is unavailable for a moment: try again"
		w.Header().Set("Retry-After", "5")
		s.log.Warn("web: api: database unavailable", "method", r.Method, "route", r.Pattern, "err", err)
	default:
		s.log.Error("web: api", "method", r.Method, "route", r.Pattern, "err", err)
	}
	// A problem in the caller's words is the message, without the layers
	// it passed through.
	var p *newsletter.Problem
	if status < 500 && errors.As(err, &p) {
		msg = p.Msg
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="enews"`)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", apiCSP)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// decodeJSON reads exactly one JSON object into dst, refusing unknown
// fields so a misspelt one is an error rather than silently ignored.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			return err
		}
		return badRequest("request body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("request body: one JSON object expected")
	}
	return nil
}

// requireToken lets a request through only with a live bearer token.
func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			s.apiError(w, r, &apiErr{status: http.StatusUnauthorized, code: "unauthorized",
				msg: "an Authorization: Bearer token is required"})
			return
		}
		t, err := s.d.Store.AuthenticateAPIToken(r.Context(), strings.TrimSpace(token))
		if errors.Is(err, newsletter.ErrNotFound) {
			s.apiError(w, r, &apiErr{status: http.StatusUnauthorized, code: "unauthorized",
				msg: "the token is unknown, revoked or expired"})
			return
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		s.log.Debug("web: api", "token", t.Name, "method", r.Method, "path", r.URL.Path)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	})
}

// scoped lets a request through when its token holds scope (403 and
// nothing done otherwise), and writes every change it makes to the audit
// log under the token's name.
func (s *Server) scoped(scope newsletter.Scope, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := r.Context().Value(tokenKey{}).(store.APIToken)
		if !t.Has(scope) {
			s.apiError(w, r, &apiErr{status: http.StatusForbidden, code: "forbidden",
				msg: fmt.Sprintf("the token %q lacks the %s scope this needs (it has: %s)", t.Name, scope, strings.Join(t.Scopes, ", "))})
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		if rec.status >= 300 {
			return
		}
		e := newsletter.AuditEntry{Actor: "token:" + t.Name, Action: "api " + r.Pattern, Target: r.URL.Path,
			Detail: strconv.Itoa(rec.status)}
		// The change is made: a failure to record it is logged, not answered.
		if err := s.d.Store.AppendAudit(context.WithoutCancel(r.Context()), e, s.d.ClientIP(r)); err != nil {
			s.log.Error("web: api: audit", "route", r.Pattern, "err", err)
		}
	})
}

// statusRecorder notes the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

type tokenKey struct{}

// Cursors are opaque to clients, so the paging key can change later.
func encodeCursor(id int64) string {
	if id == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("s" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > 1 && b[0] == 's' {
		if id, err := strconv.ParseInt(string(b[1:]), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, badRequest("cursor %q: not one this API gave out", c)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("subscriber id %q: want a positive integer", r.PathValue("id"))
	}
	return id, nil
}

// APIEndpoints lists the admin API's endpoints, "METHOD /path" with the
// scope each needs; /api/openapi.json documents exactly these.
func (s *Server) APIEndpoints() map[string]newsletter.Scope {
	out := map[string]newsletter.Scope{}
	for _, rt := range s.apiRoutes() {
		out[rt.method+" "+rt.path] = rt.scope
	}
	return out
}
