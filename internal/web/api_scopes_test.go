package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// TestOpenAPIMatchesTheRoutes: /api/openapi.json documents every endpoint
// the API registers, with the scope it needs, and nothing else.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, body, h := e.do(http.MethodGet, "/api/openapi.json", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json without a token: %d %s", code, h.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	documented := map[string]newsletter.Scope{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			var op struct {
				Scope     newsletter.Scope           `json:"x-enews-scope"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s %s documents no response", method, path)
			}
			if path == "/api/openapi.json" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = op.Scope
		}
	}
	if diff := cmp.Diff(e.web.APIEndpoints(), documented); diff != "" {
		t.Fatalf("registered routes (-) and /api/openapi.json (+) differ:\n%s", diff)
	}
}

// TestAPITokenScopes: a request beyond its token's scopes gets 403 and
// changes nothing; an expired token gets 401; every change is audited
// under the token's name.
func TestAPITokenScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	token := func(name string, scopes ...newsletter.Scope) string {
		tok, _, err := e.st.CreateAPIToken(ctx, store.TokenSpec{Name: name, Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	reader := token("reader", newsletter.ScopeRead)
	crm := token("crm", newsletter.ScopeSubscribers)
	ops := token("ops", newsletter.ScopeIssues)
	count := func() int {
		var n int
		if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM subscribers`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		name, token, method, path, body string
		want                            int
	}{
		{"read lists", reader, "GET", "/api/subscribers", "", http.StatusOK},
		{"read cannot add", reader, "POST", "/api/subscribers", `{"email":"a@example.org"}`, http.StatusForbidden},
		{"read cannot import", reader, "POST", "/api/subscribers/import", "email\nb@example.org\n", http.StatusForbidden},
		{"read cannot approve", reader, "POST", "/api/issues/2022-05/approve", "", http.StatusForbidden},
		{"subscribers cannot list", crm, "GET", "/api/subscribers", "", http.StatusForbidden},
		{"subscribers cannot act on issues", crm, "POST", "/api/issues/2022-05/cancel", "", http.StatusForbidden},
		{"issues cannot add", ops, "POST", "/api/subscribers", `{"email":"c@example.org"}`, http.StatusForbidden},
		{"issues cannot read", ops, "GET", "/api/issues", "", http.StatusForbidden},
		{"read cannot add a source", reader, "POST", "/api/sources", `{"name":"A","url":"https://example.org/a.xml"}`, http.StatusForbidden},
		{"subscribers cannot add a source", crm, "POST", "/api/sources", `{"name":"A","url":"https://example.org/a.xml"}`, http.StatusForbidden},
		{"subscribers adds", crm, "POST", "/api/subscribers", `{"email":"d@example.org"}`, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := count()
			var ae apiError
			code, body := e.api(tc.token, tc.method, tc.path, tc.body, &ae)
			if code != tc.want {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.want)
			}
			if code == http.StatusForbidden && (ae.Error.Code != "forbidden" || count() != before) {
				t.Fatalf("refused with %q, subscribers %d → %d", ae.Error.Code, before, count())
			}
		})
	}
	audit, err := e.st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Actor != "token:crm" || audit[0].Action != "api POST /api/subscribers" || audit[0].Target != "/api/subscribers" {
		t.Fatalf("audit %+v: want the one change, by token:crm", audit)
	}
	if _, err := e.db.ExecContext(ctx, `UPDATE api_tokens SET expires_at = $1 WHERE name = 'reader'`, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	var ae apiError
	if code, _ := e.api(reader, "GET", "/api/subscribers", "", &ae); code != http.StatusUnauthorized || !strings.Contains(ae.Error.Message, "expired") {
		t.Fatalf("expired token: %d %+v", code, ae)
	}
}
