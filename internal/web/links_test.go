package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
)

func TestOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name string
		send func(link string) (int, string)
	}{
		{"urlencoded", func(link string) (int, string) {
			return e.postForm(link, url.Values{"List-Unsubscribe": {"One-Click"}})
		}},
		{"multipart", func(link string) (int, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("List-Unsubscribe", "One-Click")
			_ = mw.Close()
			code, body, _ := e.do(http.MethodPost, link, &buf, "Content-Type", mw.FormDataContentType())
			return code, body
		}},
		{"from a browser context on another site", func(link string) (int, string) {
			return e.postForm(link, url.Values{"List-Unsubscribe": {"One-Click"}}, "Sec-Fetch-Site", "cross-site")
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := e.add("oneclick"+string(rune('a'+i))+"@example.org", newsletter.SubscriberActive)
			link := e.links.Unsubscribe(sub.ID)
			code, body := tt.send(link)
			if code != http.StatusOK || body != "" {
				t.Fatalf("one-click: %d %q; want 200 and no page", code, body)
			}
			if got := e.status(sub.Email); got != newsletter.SubscriberUnsubscribed {
				t.Fatalf("status %s", got)
			}
			evs, _ := e.st.ConsentEvents(context.Background(), sub.ID)
			if last := evs[len(evs)-1]; last.Event != "unsubscribed" || last.Source != "one-click" {
				t.Errorf("last event %+v", last)
			}
			if code, _ := tt.send(link); code != http.StatusOK {
				t.Errorf("second one-click: %d", code)
			}
		})
	}
}

func TestUnsubscribePageAndButton(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := e.add("reader@example.org", newsletter.SubscriberActive)
	link := e.links.Unsubscribe(sub.ID)
	code, page := e.get(link)
	if code != http.StatusOK || !strings.Contains(page, `<button type="submit">Unsubscribe</button>`) {
		t.Fatalf("page: %d\n%s", code, page)
	}
	if e.status(sub.Email) != newsletter.SubscriberActive {
		t.Fatal("GET unsubscribed")
	}
	code, page = e.postForm(link, nil)
	if code != http.StatusOK || !strings.Contains(page, "You are unsubscribed") {
		t.Fatalf("button: %d\n%s", code, page)
	}
	evs, _ := e.st.ConsentEvents(context.Background(), sub.ID)
	if last := evs[len(evs)-1]; last.Event != "unsubscribed" || last.Source != "link" || last.IP != "127.0.0.1" {
		t.Errorf("last event %+v", last)
	}
	if code, page := e.get("/unsubscribe/"); code != http.StatusOK || !strings.Contains(page, "personal link") {
		t.Errorf("help page: %d", code)
	}
}

func TestBadTokensChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := e.add("reader@example.org", newsletter.SubscriberPending)
	unsub := e.links.Unsubscribe(sub.ID)
	confirm := e.links.Confirm(sub.ID, time.Now())
	token := unsub[strings.LastIndex(unsub, "/")+1:]
	// One character changed in the middle, where the MAC lies.
	mid := len(token) / 2
	flip := map[bool]string{true: "B", false: "A"}[token[mid] == 'A']
	altered := token[:mid] + flip + token[mid+1:]
	gone := e.add("gone@example.org", newsletter.SubscriberActive)
	goneLink := e.links.Unsubscribe(gone.ID)
	if err := e.st.EraseSubscriber(context.Background(), gone.ID, newsletter.Consent{Source: newsletter.SourceCLI}); err != nil {
		t.Fatal(err)
	}
	oneClick := url.Values{"List-Unsubscribe": {"One-Click"}}
	tests := []struct {
		name   string
		method string
		path   string
		form   url.Values
		want   int
	}{
		{"forged unsubscribe page", "GET", links.PathUnsubscribe + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil, 400},
		{"forged one-click", "POST", links.PathUnsubscribe + "not-a-token", oneClick, 400},
		{"altered one-click", "POST", links.PathUnsubscribe + altered, oneClick, 400},
		{"altered button", "POST", links.PathUnsubscribe + altered, nil, 400},
		{"confirm token used to unsubscribe", "POST", links.PathUnsubscribe + confirm[strings.LastIndex(confirm, "/")+1:], oneClick, 400},
		{"unsubscribe token used to confirm", "POST", links.PathConfirm + token, nil, 400},
		{"hostile token", "GET", links.PathConfirm + url.PathEscape("<script>'; DROP TABLE subscribers;--"), nil, 400},
		{"genuine token, erased subscriber", "POST", goneLink, oneClick, 404},
		{"genuine token, erased subscriber, page", "GET", goneLink, nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			var body string
			if tt.method == "GET" {
				code, body = e.get(tt.path)
			} else {
				code, body = e.postForm(tt.path, tt.form)
			}
			if code != tt.want {
				t.Fatalf("status %d, want %d\n%s", code, tt.want, body)
			}
			if strings.Contains(body, "<script>") {
				t.Error("hostile text reflected unescaped")
			}
			if got := e.status("reader@example.org"); got != newsletter.SubscriberPending {
				t.Fatalf("the subscriber became %s", got)
			}
		})
	}
	t.Run("expired confirm link", func(t *testing.T) {
		old := e.links.Confirm(sub.ID, time.Now().Add(-links.ConfirmTTL-time.Minute))
		code, body := e.postForm(old, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, "expired") || e.status("reader@example.org") != newsletter.SubscriberPending {
			t.Fatalf("expired: %d, status %s", code, e.status("reader@example.org"))
		}
	})
}
