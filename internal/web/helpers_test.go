package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/outbox"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/smtptest"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/web"
	"github.com/jmoiron/sqlx"
)

// env is a running web server on a real database and a real SMTP server.
type env struct {
	t      *testing.T
	st     *store.Store
	db     *sqlx.DB // plain SQL behind the store's back
	signer *signing.Signer
	links  *links.Links
	smtp   *smtptest.Server
	web    *web.Server
	outbox *outbox.Outbox
	issues *issues.Service
	url    string
	client *http.Client

	mu  sync.Mutex
	now time.Time
}

func newEnv(t *testing.T, adjust ...func(*web.Deps)) *env {
	t.Helper()
	e := &env{t: t, smtp: smtptest.Start(t), now: time.Now()}
	e.st, e.db = pgtest.NewWithSQL(t)
	var err error
	if e.signer, err = signing.New([]byte(strings.Repeat("web test secret ", 3))); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.web.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	e.links = links.New(ts.URL, e.signer)
	pool, err := mailer.NewPool(mailer.Config{Host: e.smtp.Host(), Port: e.smtp.Port(), TLS: mailer.TLSNone,
		From: "eNewsUpdate <news@example.org>", SendTimeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close(context.Background()) })
	e.outbox = outbox.New(e.st, pool, outbox.Options{RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond}, nil)
	r, err := digest.NewRenderer(digest.Config{ProductName: "ILO COOP", ProductURL: "https://www.ilo.org/coop",
		OrgAddress: "Route des Morillons 4", Reason: "You subscribed."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.issues = issues.New(e.st, r, issues.Policy{MinItems: 1}, slog.New(slog.DiscardHandler), nil)
	d := web.Deps{
		Store: e.st, Issues: e.issues, Signer: e.signer, Links: e.links, Outbox: e.outbox,
		Brand: web.Brand{Newsletter: "eNewsUpdate", ProductName: "ILO COOP", Cadence: "once a month", ProductURL: "https://www.ilo.org/coop",
			OrgAddress: "Route des Morillons 4\n1211 Geneva 22"},
		Now: e.clock,
	}
	for _, f := range adjust {
		f(&d)
	}
	if e.web, err = web.New(d); err != nil {
		t.Fatal(err)
	}
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// do sends a request and returns the status and body.
func (e *env) do(method, path string, body io.Reader, header ...string) (int, string, http.Header) {
	e.t.Helper()
	target := path
	if strings.HasPrefix(path, "/") {
		target = e.url + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func (e *env) get(path string) (int, string) {
	code, body, _ := e.do(http.MethodGet, path, nil)
	return code, body
}

// postForm posts urlencoded fields.
func (e *env) postForm(path string, fields url.Values, header ...string) (int, string) {
	code, body, _ := e.do(http.MethodPost, path, strings.NewReader(fields.Encode()),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)...)
	// A sign-up is recorded after its answer.
	e.web.Wait()
	return code, body
}

// settle sends what waits in the outbox, as the worker of `enews serve`
// would.
func (e *env) settle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ids []int64
	if err := e.db.SelectContext(ctx, &ids, `SELECT id FROM outbox WHERE status = 'pending'`); err != nil {
		e.t.Fatal(err)
	}
	if len(ids) == 0 {
		return
	}
	if _, err := e.outbox.Drain(ctx, ids); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) status(email string) string {
	e.t.Helper()
	s, err := e.st.SubscriberByEmail(context.Background(), email)
	if err != nil {
		return "absent"
	}
	return s.Status
}

func (e *env) add(email, status string) newsletter.Subscriber {
	e.t.Helper()
	s, err := e.st.AddSubscriber(context.Background(), newsletter.Subscriber{Email: email, Status: status},
		newsletter.Consent{Source: newsletter.SourceCLI})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// part is one decoded body part of a received email.
type part struct{ typ, body string }

// parts decodes a multipart/alternative message into its parts.
func parts(t *testing.T, raw []byte) []part {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	var out []part
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			r = quotedprintable.NewReader(p)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out = append(out, part{typ: typ, body: string(b)})
	}
}
