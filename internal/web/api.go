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
)

// The admin API: JSON under /api/, every request with a bearer token made
// by `enews token create`. Errors are {"error":{"code":…,"message":…}}
// with the status chosen in apiError alone.

// maxJSONBytes bounds a JSON request body.
const maxJSONBytes = 1 << 20

// apiCSP: API answers are data, never a document to render.
const apiCSP = "default-src 'none'; frame-ancestors 'none'"

func (s *Server) api() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /api/subscribers", s.apiList)
	m.HandleFunc("POST /api/subscribers", s.apiCreate)
	m.HandleFunc("GET /api/subscribers/export", s.apiExport)
	m.HandleFunc("POST /api/subscribers/import", s.apiImport)
	m.HandleFunc("GET /api/subscribers/{id}", s.apiGet)
	m.HandleFunc("PATCH /api/subscribers/{id}", s.apiUpdate)
	m.HandleFunc("DELETE /api/subscribers/{id}", s.apiErase)
	m.HandleFunc("POST /api/subscribers/{id}/unsubscribe", s.apiUnsubscribe)
	m.HandleFunc("POST /api/subscribers/{id}/erase", s.apiErase)
	s.issueRoutes(m)
	m.HandleFunc("GET /api/issues/{period}/bounces", s.apiIssueBounces)
	m.HandleFunc("GET /api/issues/{period}/check", s.apiIssueCheck)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.apiError(w, r, &apiErr{status: http.StatusNotFound, code: "not_found",
			msg: r.Method + " " + r.URL.Path + ": no such endpoint"})
	})
	return s.requireToken(m)
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
				msg: "the token is unknown or revoked"})
			return
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		s.log.Debug("web: api", "token", t.Name, "method", r.Method, "path", r.URL.Path)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenNameKey{}, t.Name)))
	})
}

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
