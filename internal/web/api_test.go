package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// api calls the admin API with token and decodes a JSON answer into out.
func (e *env) api(token, method, path, body string, out any) (int, string) {
	e.t.Helper()
	var header []string
	if token != "" {
		header = []string{"Authorization", "Bearer " + token}
	}
	code, b, h := e.do(method, path, strings.NewReader(body), append(header, "Content-Type", "application/json")...)
	if out != nil && strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return code, b
}

func (e *env) token(name string) string {
	e.t.Helper()
	tok, _, err := e.st.CreateAPIToken(context.Background(), store.TokenSpec{Name: name, Scopes: newsletter.Scopes()})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type apiError struct {
	Error struct{ Code, Message string }
}

type apiSubscriber struct {
	ID            int64
	Email, Name   string
	Status        string
	Attributes    map[string]string
	ConsentEvents []struct{ Event, Source, IP string } `json:"consent_events"`
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ci")
	revoked := e.token("old")
	if _, err := e.st.RevokeAPIToken(context.Background(), "old"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, header string }{
		{"none", ""}, {"revoked", "Bearer " + revoked}, {"unknown", "Bearer enews_nope"},
		{"wrong scheme", "Basic " + tok}, {"empty", "Bearer "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := e.do(http.MethodGet, "/api/subscribers", nil, "Authorization", tt.header)
			var ae apiError
			_ = json.Unmarshal([]byte(body), &ae)
			if code != http.StatusUnauthorized || ae.Error.Code != "unauthorized" || h.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	if code, _ := e.api(tok, "GET", "/api/subscribers", "", nil); code != http.StatusOK {
		t.Fatalf("valid token: %d", code)
	}
}

func TestAPISubscribers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ci")
	var created apiSubscriber
	code, body := e.api(tok, "POST", "/api/subscribers", `{"email":"Ada@Example.org","name":"Ada","attributes":{"City":"Bern"}}`, &created)
	if code != http.StatusCreated || created.ID == 0 || created.Email != "Ada@example.org" || created.Attributes["city"] != "Bern" {
		t.Fatalf("create: %d %s", code, body)
	}
	errs := []struct {
		name, method, path, body string
		want                     int
		code                     string
	}{
		{"duplicate in other case", "POST", "/api/subscribers", `{"email":"ada@example.ORG"}`, 409, "conflict"},
		{"invalid address", "POST", "/api/subscribers", `{"email":"Ada <ada@example.org>"}`, 422, "invalid"},
		{"invalid status", "POST", "/api/subscribers", `{"email":"b@example.org","status":"bounced"}`, 422, "invalid"},
		{"name with a line break", "POST", "/api/subscribers", `{"email":"b@example.org","name":"a\r\nBcc: x"}`, 422, "invalid"},
		{"malformed JSON", "POST", "/api/subscribers", `{"email":`, 400, "bad_request"},
		{"unknown field", "POST", "/api/subscribers", `{"mail":"b@example.org"}`, 400, "bad_request"},
		{"two objects", "POST", "/api/subscribers", `{"email":"b@example.org"} {}`, 400, "bad_request"},
		{"missing", "GET", "/api/subscribers/999999", "", 404, "not_found"},
		{"bad id", "GET", "/api/subscribers/abc", "", 400, "bad_request"},
		{"bad cursor", "GET", "/api/subscribers?cursor=zzz", "", 400, "bad_request"},
		{"bad limit", "GET", "/api/subscribers?limit=0", "", 400, "bad_request"},
		{"no such endpoint", "GET", "/api/nothing", "", 404, "not_found"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			var ae apiError
			code, body := e.api(tok, tt.method, tt.path, tt.body, &ae)
			if code != tt.want || ae.Error.Code != tt.code || ae.Error.Message == "" {
				t.Fatalf("%d %s; want %d %s", code, body, tt.want, tt.code)
			}
		})
	}

	path := fmt.Sprintf("/api/subscribers/%d", created.ID)
	var got apiSubscriber
	if code, body := e.api(tok, "PATCH", path, `{"name":"Ada L."}`, &got); code != 200 || got.Name != "Ada L." || got.Attributes["city"] != "Bern" {
		t.Fatalf("patch: %d %s", code, body)
	}
	if code, body := e.api(tok, "POST", path+"/unsubscribe", "", &got); code != 200 || got.Status != newsletter.SubscriberUnsubscribed {
		t.Fatalf("unsubscribe: %d %s", code, body)
	}
	if code, body := e.api(tok, "GET", path, "", &got); code != 200 || len(got.ConsentEvents) != 2 ||
		got.ConsentEvents[0].Source != "api" || got.ConsentEvents[1].Event != "unsubscribed" {
		t.Fatalf("get: %d %s", code, body)
	}
	if code, _ := e.api(tok, "DELETE", path, "", nil); code != http.StatusNoContent {
		t.Fatalf("erase: %d", code)
	}
	if code, _ := e.api(tok, "GET", path, "", nil); code != http.StatusNotFound {
		t.Fatalf("after erase: %d", code)
	}
	var ae apiError
	if code, _ := e.api(tok, "POST", "/api/subscribers", `{"email":"ada@example.org"}`, &ae); code != http.StatusConflict || !strings.Contains(ae.Error.Message, "suppression") {
		t.Fatalf("re-adding an erased address: %d %+v", code, ae)
	}
}

func TestAPIPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ci")
	for i := range 7 {
		e.add(fmt.Sprintf("p%d@example.org", i), newsletter.SubscriberActive)
	}
	e.add("other@example.org", newsletter.SubscriberPending)
	var seen []string
	cursor := ""
	for range 10 {
		var page struct {
			Subscribers []apiSubscriber
			NextCursor  string `json:"next_cursor"`
		}
		if code, body := e.api(tok, "GET", "/api/subscribers?status=active&limit=3&cursor="+cursor, "", &page); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		for _, s := range page.Subscribers {
			seen = append(seen, s.Email)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 7 || seen[0] != "p0@example.org" || seen[6] != "p6@example.org" {
		t.Fatalf("paged through %q", seen)
	}
}

func TestAPIImportExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ci")
	unsub := e.add("left@example.org", newsletter.SubscriberActive)
	if code, _ := e.api(tok, "POST", fmt.Sprintf("/api/subscribers/%d/unsubscribe", unsub.ID), "", nil); code != 200 {
		t.Fatal(code)
	}
	file := "email,name,plan\nnew@example.org,New,pro\nbroken,X,Y\nleft@example.org,Left,pro\nshort@example.org\n"
	var res struct {
		Rows, Inserted, Existing int
		BadLines                 int `json:"bad_lines"`
		Errors                   []struct {
			Line   int
			Reason string
		}
	}
	code, body, _ := e.do("POST", "/api/subscribers/import?activate_pending=true", strings.NewReader(file),
		"Authorization", "Bearer "+tok, "Content-Type", "text/csv")
	if err := json.Unmarshal([]byte(body), &res); err != nil || code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	if res.Rows != 2 || res.Inserted != 1 || res.Existing != 1 || res.BadLines != 2 ||
		res.Errors[0].Line != 3 || res.Errors[1].Line != 5 || !strings.Contains(res.Errors[1].Reason, "column count") {
		t.Fatalf("import result %+v", res)
	}
	if got := e.status("left@example.org"); got != newsletter.SubscriberUnsubscribed {
		t.Fatalf("the import resurrected an unsubscribed address: %s", got)
	}
	if code, body, _ := e.do("POST", "/api/subscribers/import", strings.NewReader("mail\nx@example.org\n"),
		"Authorization", "Bearer "+tok); code != http.StatusUnprocessableEntity {
		t.Fatalf("import without an email column: %d %s", code, body)
	}

	code, body, h := e.do("GET", "/api/subscribers/export?status=active&since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		nil, "Authorization", "Bearer "+tok)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != 200 || err != nil || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %v\n%s", code, err, body)
	}
	if len(recs) != 2 || recs[1][0] != "new@example.org" || recs[0][4] != "plan" || recs[1][4] != "pro" {
		t.Fatalf("export %q", recs)
	}
	if code, _, _ := e.do("GET", "/api/subscribers/export?since=yesterday", nil, "Authorization", "Bearer "+tok); code != 400 {
		t.Fatalf("bad since: %d", code)
	}
}

func TestAPIApproveIssue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ci")
	may := newsletter.Period{Year: 2022, Month: time.May}
	storeIssue(t, e, may, newsletter.IssueDraft, "May news")
	var is struct{ Period, Status string }
	if code, body := e.api(tok, "POST", "/api/issues/2022-05/approve", "", &is); code != 200 || is.Status != newsletter.IssueApproved || is.Period != "2022-05" {
		t.Fatalf("approve: %d %s", code, body)
	}
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/api/issues/2022-05/approve", 409}, {"/api/issues/2022-07/approve", 404}, {"/api/issues/May/approve", 400},
	} {
		var ae apiError
		if code, body := e.api(tok, "POST", tt.path, "", &ae); code != tt.want || ae.Error.Code == "" {
			t.Errorf("%s: %d %s; want %d", tt.path, code, body, tt.want)
		}
	}
}

// TestAPIImportMultipart: the import also takes the CSV as a file upload
// (curl -F file=@list.csv), and says which input it read.
func TestAPIImportMultipart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ci")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "a field before the file is skipped"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", "list.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(fw, "email,name\nup1@example.org,One\nup2@example.org,Two\n"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Inserted int
		Input    string
		ImportID int64 `json:"import_id"`
	}
	code, body, _ := e.do("POST", "/api/subscribers/import", &buf, "Authorization", "Bearer "+tok, "Content-Type", mw.FormDataContentType())
	if err := json.Unmarshal([]byte(body), &res); err != nil || code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	if res.Inserted != 2 || res.Input != `multipart file "list.csv"` || res.ImportID == 0 {
		t.Fatalf("import result %+v, want 2 inserted from the multipart file", res)
	}
	// The consent log of an added address shows the import: the file, the
	// token that ran it and the file's checksum.
	sub, err := e.st.SubscriberByEmail(context.Background(), "up1@example.org")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ConsentEvents []struct {
			Event, Source string
			Import        *struct {
				ID    int64
				Op    string `json:"operator"`
				File  string `json:"file_name"`
				Sum   string `json:"checksum"`
				Added int
			}
		} `json:"consent_events"`
	}
	if code, body := e.api(tok, "GET", fmt.Sprintf("/api/subscribers/%d", sub.ID), "", &got); code != 200 ||
		len(got.ConsentEvents) != 1 || got.ConsentEvents[0].Event != "imported" || got.ConsentEvents[0].Import == nil {
		t.Fatalf("consent log: %d %s", code, body)
	}
	if m := got.ConsentEvents[0].Import; m.ID != res.ImportID || m.Op != "token:ci" || m.File != "list.csv" ||
		len(m.Sum) != 64 || m.Added != 2 {
		t.Errorf("import record %+v", *m)
	}
	raw, _, _ := e.do("POST", "/api/subscribers/import", strings.NewReader("email\nraw@example.org\n"),
		"Authorization", "Bearer "+tok, "Content-Type", "text/csv")
	if raw != 200 {
		t.Fatalf("raw import: %d", raw)
	}
	empty := &bytes.Buffer{}
	ew := multipart.NewWriter(empty)
	_ = ew.WriteField("note", "no file")
	_ = ew.Close()
	if code, body, _ := e.do("POST", "/api/subscribers/import", empty, "Authorization", "Bearer "+tok,
		"Content-Type", ew.FormDataContentType()); code != 400 || !strings.Contains(body, "holds no file") {
		t.Fatalf("multipart without a file: %d %s", code, body)
	}
	if code, body, _ := e.do("POST", "/api/subscribers", strings.NewReader(`{"email":"up1@example.org"}`),
		"Authorization", "Bearer "+tok, "Content-Type", "application/json"); code != 409 ||
		!strings.Contains(body, `"message":"up1@example.org is already on the list"`) {
		t.Fatalf("adding an address twice: %d %s, want the problem alone, without layers", code, body)
	}
	if code, body, _ := e.do("GET", "/api/subscribers?status=bogus", nil, "Authorization", "Bearer "+tok); code != 422 ||
		!strings.Contains(body, `status \"bogus\": want one of`) {
		t.Fatalf("?status=bogus: %d %s", code, body)
	}
}
