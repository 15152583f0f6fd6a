package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

func TestSubscriberSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.subscribers(120)
	e.exec(`UPDATE subscribers SET status = 'unsubscribed' WHERE id % 10 = 0`)
	e.exec(`UPDATE subscribers SET name = 'Zoë Müller' WHERE email = 'user77@example.org'`)
	b := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	emails := func(body string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`<a href="/admin/subscribers/\d+">([^<]+)</a>`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"email prefix", "q=user11", []string{"user11@example.org", "user110@example.org", "user111@example.org", "user112@example.org",
			"user113@example.org", "user114@example.org", "user115@example.org", "user116@example.org", "user117@example.org",
			"user118@example.org", "user119@example.org"}},
		{"any case", "q=USER12", []string{"user12@example.org", "user120@example.org"}},
		{"name prefix", "q=zo%C3%AB", []string{"user77@example.org"}},
		{"status filter", "q=user1&status=unsubscribed", []string{"user10@example.org", "user100@example.org", "user110@example.org", "user120@example.org"}},
		{"a prefix, not a substring", "q=ser1", nil},
		{"like wildcards are text", "q=user_1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := b.get("/admin/subscribers?" + tc.query)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if got := emails(body); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("found %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("keyset pages", func(t *testing.T) {
		var all []string
		next := "/admin/subscribers"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			code, body := b.get(next)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			all = append(all, emails(body)...)
			next = ""
			if m := regexp.MustCompile(`href="(/admin/subscribers\?after=\d+)" rel="next"`).FindStringSubmatch(body); m != nil {
				next = strings.ReplaceAll(m[1], "&amp;", "&")
			}
		}
		if len(all) != 120 || all[0] != "user1@example.org" || all[119] != "user120@example.org" {
			t.Fatalf("%d subscribers over the pages (%v … %v), want 120 in order", len(all), all[0], all[len(all)-1])
		}
	})
	t.Run("bad status", func(t *testing.T) {
		if code, _ := b.get("/admin/subscribers?status=gone"); code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", code)
		}
	})
}

func TestSubscriberChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	b := e.loggedIn("staff@example.org", newsletter.RoleStaff)

	code, _, h := b.post("/admin/subscribers", url.Values{"email": {"Anna@Example.ORG"}, "name": {"<script>alert(1)</script>"}, "status": {"active"}})
	if code != http.StatusSeeOther {
		t.Fatalf("add: status %d", code)
	}
	sub, err := e.st.SubscriberByEmail(ctx, "anna@example.org")
	if err != nil || sub.Status != newsletter.SubscriberActive {
		t.Fatalf("added subscriber %+v, %v", sub, err)
	}
	page := h.Get("Location")
	code, body := b.get(page)
	if code != http.StatusOK || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("subscriber page: status %d; the hostile name must show as text", code)
	}
	if !strings.Contains(body, "<td>api</td>") || !strings.Contains(body, "Added Anna@example.org.") {
		t.Fatal("the page lacks the consent event or the confirmation line")
	}
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		want string
	}{
		{"bad address", url.Values{"email": {"not-an-address"}, "status": {"active"}}, http.StatusUnprocessableEntity, "not-an-address"},
		{"taken address", url.Values{"email": {"anna@example.org"}, "status": {"active"}}, http.StatusConflict, "already on the list"},
		{"bad status", url.Values{"email": {"ben@example.org"}, "status": {"bounced"}}, http.StatusUnprocessableEntity, "active or pending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := b.post("/admin/subscribers", tc.form)
			if code != tc.code || !strings.Contains(body, tc.want) || !strings.Contains(body, `role="alert"`) {
				t.Fatalf("status %d, want %d with %q in an alert", code, tc.code, tc.want)
			}
		})
	}

	path := strings.Split(page, "?")[0]
	code, body, _ = b.post(path, url.Values{"name": {"Anna"}, "attributes": {"city=Bern\nno equals sign"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "line 2") || !strings.Contains(body, "no equals sign") {
		t.Fatalf("bad attributes: status %d, want 422 naming line 2 and keeping the text", code)
	}
	if s, _ := e.st.GetSubscriber(ctx, sub.ID); s.Name != sub.Name {
		t.Fatal("a refused edit changed the name")
	}
	if code, _, _ = b.post(path, url.Values{"name": {" Anna "}, "attributes": {"City = Bern\r\n\r\norg=ILO"}}); code != http.StatusSeeOther {
		t.Fatalf("edit: status %d", code)
	}
	if s, _ := e.st.GetSubscriber(ctx, sub.ID); s.Name != "Anna" || s.Attributes["city"] != "Bern" || s.Attributes["org"] != "ILO" {
		t.Fatalf("after edit: %+v", s)
	}
	if code, _, _ = b.post(path+"/unsubscribe", nil); code != http.StatusSeeOther {
		t.Fatalf("unsubscribe: status %d", code)
	}
	if s, _ := e.st.GetSubscriber(ctx, sub.ID); s.Status != newsletter.SubscriberUnsubscribed {
		t.Fatalf("after unsubscribe: %s", s.Status)
	}

	code, body, _ = b.post(path+"/erase", url.Values{"confirm": {"anna@example.com"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Nothing was erased") {
		t.Fatalf("erase with a wrong confirmation: status %d", code)
	}
	if _, err := e.st.GetSubscriber(ctx, sub.ID); err != nil {
		t.Fatal("a wrong confirmation erased the subscriber")
	}
	if code, _, _ = b.post(path+"/erase", url.Values{"confirm": {" anna@example.org "}}); code != http.StatusSeeOther {
		t.Fatalf("erase: status %d", code)
	}
	if _, err := e.st.GetSubscriber(ctx, sub.ID); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("after erase: %v, want not found", err)
	}
	code, body, _ = b.post("/admin/subscribers", url.Values{"email": {"anna@example.org"}, "status": {"active"}})
	if code != http.StatusConflict || !strings.Contains(body, "erased or blocked") {
		t.Fatalf("adding an erased address: status %d", code)
	}
	var actions []string
	for _, a := range e.audit() {
		if a.Actor == "user:staff@example.org" {
			actions = append(actions, a.Action)
			if strings.Contains(a.Target+a.Detail, "anna") {
				t.Errorf("audit entry %+v keeps the address", a)
			}
		}
	}
	if got := strings.Join(actions, " "); got != "subscriber.erase subscriber.unsubscribe subscriber.edit subscriber.add login" {
		t.Fatalf("audit: %s", got)
	}
}

func TestImportAndExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	csv := "email,name,city\nanna@example.org,Anna,Bern\nnot-an-address,X,Y\nben@example.org,Ben,Geneva\n\"unclosed,quote\nclara@example.org,Clara,Basel\n"
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "list.csv")
	_, _ = fw.Write([]byte(csv))
	_ = mw.WriteField("status", "active")
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/admin/subscribers/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.url)
	code, body, _ := b.do(req)
	if code != http.StatusOK {
		t.Fatalf("import: status %d\n%s", code, body)
	}
	for _, want := range []string{`<td class="num">3</td>`, "email:", `id="bad-count">2<`, `download="import-report.csv"`, `href="data:text/csv;base64,`} {
		if !strings.Contains(body, want) {
			t.Errorf("import report lacks %q", want)
		}
	}
	// The subscriber page's consent log names the import behind the address.
	anna, err := e.st.SubscriberByEmail(context.Background(), "anna@example.org")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(csv))
	code, body = b.get(fmt.Sprintf("/admin/subscribers/%d", anna.ID))
	for _, want := range []string{"<td>imported</td>", `#1 list.csv<br>by user:staff@example.org`, `title="SHA-256 of the file: ` + hex.EncodeToString(sum[:])} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("subscriber page (%d) lacks %q", code, want)
		}
	}
	code, body = b.get("/admin/subscribers/export")
	if code != http.StatusOK || !strings.HasPrefix(body, "email,name,status,created_at,city\n") || strings.Count(body, "\n") != 3 {
		t.Fatalf("export: status %d\n%s", code, body)
	}
}
