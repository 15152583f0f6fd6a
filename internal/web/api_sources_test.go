package web_test

import (
	"github.com/enews/enews/internal/newsletter"
	"strconv"
	"strings"
	"testing"
	"time"
)

type apiSource struct {
	ID      int64
	Name    string
	URL     string
	Kind    string
	Enabled bool
	Fetches []struct{ Outcome string }
}

func TestAPISources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ops")
	var added apiSource
	if code, body := e.api(tok, "POST", "/api/sources", `{"name":"ILO news","url":"https://www.ilo.org/feed.xml","kind":"News"}`, &added); code != 201 {
		t.Fatalf("add: %d %s", code, body)
	}
	if added.ID == 0 || added.Name != "ILO news" || !added.Enabled || added.Kind != "News" {
		t.Fatalf("added = %+v", added)
	}
	for _, tc := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"taken name", `{"name":"ilo NEWS","url":"https://example.org/other.xml"}`, 409, "conflict"},
		{"ftp", `{"name":"Other","url":"ftp://example.org/feed.xml"}`, 422, "http or https"},
		{"no name", `{"url":"https://example.org/feed.xml"}`, 422, "name"},
		{"CRLF in name", `{"name":"a\r\nBcc: x","url":"https://example.org/feed.xml"}`, 422, "one line"},
		{"unknown field", `{"name":"Other","url":"https://example.org/f.xml","interval":"1m"}`, 400, "interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.api(tok, "POST", "/api/sources", tc.body, nil)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("%d %s, want %d with %q", code, body, tc.code, tc.want)
			}
		})
	}
	var list struct{ Sources []apiSource }
	if code, body := e.api(tok, "GET", "/api/sources", "", &list); code != 200 || len(list.Sources) != 1 {
		t.Fatalf("list: %d %s", code, body)
	}
	var off apiSource
	if code, body := e.api(tok, "POST", "/api/sources/ilo%20news/disable", "", &off); code != 200 || off.Enabled {
		t.Fatalf("disable by name: %d %s", code, body)
	}
	var one apiSource
	if code, body := e.api(tok, "GET", "/api/sources/"+itoa(added.ID), "", &one); code != 200 || one.Enabled || one.Fetches == nil {
		t.Fatalf("get by id: %d %s", code, body)
	}
	if code, body := e.api(tok, "DELETE", "/api/sources/"+itoa(added.ID), "", nil); code != 204 {
		t.Fatalf("remove: %d %s", code, body)
	}
	if code, body := e.api(tok, "GET", "/api/sources/"+itoa(added.ID), "", nil); code != 404 {
		t.Fatalf("get after remove: %d %s, want 404", code, body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAPIIssueInclusion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ops")
	storeIssue(t, e, newsletter.Period{Year: 2022, Month: time.May}, newsletter.IssueApproved, "May news")
	var rep struct {
		Period   string
		Included int
		Kept     bool
		Outcome  string
		Items    []struct {
			Title, Reason string
			In            bool
		}
	}
	if code, body := e.api(tok, "GET", "/api/issues/2022-05/inclusion", "", &rep); code != 200 {
		t.Fatalf("inclusion: %d %s", code, body)
	}
	if rep.Period != "2022-05" || !rep.Kept || rep.Included != 1 || len(rep.Items) != 1 || !rep.Items[0].In ||
		rep.Items[0].Title != "May news" || rep.Outcome != "made: 1 item" {
		t.Fatalf("report = %+v", rep)
	}
	if code, body := e.api(tok, "GET", "/api/issues/May/inclusion", "", nil); code != 400 {
		t.Fatalf("a bad period: %d %s", code, body)
	}
}
