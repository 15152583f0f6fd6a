package web

import (
	_ "embed"
	"net/http"
)

// openAPI documents the admin API (OpenAPI 3.1). A test holds it to the
// routes apiRoutes registers, so neither can change without the other.
//
//go:embed openapi.json
var openAPI []byte

// apiOpenAPI serves the document: it holds nothing secret, so it needs no
// token.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Security-Policy", apiCSP)
	_, _ = w.Write(openAPI)
}
