package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/cli"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/smtptest"
)

// password is every test user's password.
const password = "correct horse battery staple"

// site is `enews serve --roles web,sender` on a fresh database, mailing the
// test SMTP server.
type site struct {
	t    *testing.T
	base string
	env  []string
	db   *sqlx.DB // plain SQL to arrange and check what the browser did
	smtp *smtptest.Server
	out  *lockedBuffer
}

// lockedBuffer collects the server's log while the test runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startSite starts enews serve with the sample items imported; extra are
// more ENEWS_ settings.
func startSite(t *testing.T, extra ...string) *site {
	t.Helper()
	url := pgtest.NewURL(t)
	srv := smtptest.Start(t)
	listen := freeAddr(t)
	s := &site{t: t, base: "http://" + listen, db: pgtest.SQL(t, url), smtp: srv, out: &lockedBuffer{}}
	s.env = append([]string{
		"ENEWS_DATABASE_URL=" + url,
		"ENEWS_SMTP_HOST=" + srv.Host(), fmt.Sprintf("ENEWS_SMTP_PORT=%d", srv.Port()), "ENEWS_SMTP_TLS=none",
		"ENEWS_WEB_LISTEN=" + listen, "ENEWS_WEB_BASE_URL=" + s.base, "ENEWS_WEB_OPS_LISTEN=" + freeAddr(t),
		"ENEWS_WEB_SECRET_KEY=" + strings.Repeat("k", 40),
		"ENEWS_SENDING_CONNECTIONS=4", "ENEWS_SENDING_BATCH_SIZE=10",
		"ENEWS_SENDING_RETRY_BASE=10ms", "ENEWS_SENDING_RETRY_MAX=100ms",
		"ENEWS_COMPLIANCE_BEFORE_SEND=off", "ENEWS_LOG_LEVEL=warn",
		"USER=browsertest",
	}, extra...)
	s.enews("items", "import", filepath.Join("..", "..", "..", "configs", "sample", "items.json"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "--roles", "web,sender"}, s.env, s.out, s.out, strings.NewReader(""))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("enews serve: %v", err)
		}
		if t.Failed() {
			t.Logf("enews serve log:\n%s", s.out.String())
		}
	})
	poll.Until(t, "enews serve answers /healthz", func() bool {
		select {
		case err := <-done:
			t.Fatalf("enews serve stopped: %v\n%s", err, s.out.String())
		default:
		}
		resp, err := http.Get(s.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// enews runs one command of the real CLI on the site's database.
func (s *site) enews(args ...string) string {
	s.t.Helper()
	return s.enewsIn("", args...)
}

func (s *site) enewsIn(stdin string, args ...string) string {
	s.t.Helper()
	var out lockedBuffer
	if err := cli.Run(context.Background(), args, s.env, &out, &out, strings.NewReader(stdin)); err != nil {
		s.t.Fatalf("enews %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// user makes a console user with the test password, as an admin would.
func (s *site) user(email, role string) {
	s.t.Helper()
	s.enewsIn(password+"\n", "users", "add", "--email", email, "--role", role)
}

func (s *site) exec(q string, args ...any) {
	s.t.Helper()
	if _, err := s.db.Exec(q, args...); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) count(q string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.QueryRow(q, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// chromium finds the browser: ENEWS_TEST_CHROMIUM, else the usual names.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ENEWS_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium to drive: apt-get install chromium, or set ENEWS_TEST_CHROMIUM"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browserTimeout bounds one test's whole browser session: it bounds a
// wait on a loaded machine, it measures nothing.
const browserTimeout = 3 * time.Minute

// browser starts a headless Chromium of its own (its own cookies) and
// returns a tab to drive.
func (s *site) browser() context.Context {
	s.t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(s.t)), chromedp.WindowSize(1280, 900))
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	s.t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		s.t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs browser steps, failing the test with what it was doing.
func (s *site) do(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		s.shot(ctx, "failed")
		s.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that reads something.
func get[T any](s *site, ctx context.Context, what string, a chromedp.Action[T]) T {
	s.t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		s.shot(ctx, "failed")
		s.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// js evaluates an expression in the page.
func js[T any](s *site, ctx context.Context, expr string) T {
	s.t.Helper()
	return get(s, ctx, expr, chromedp.Evaluate[T](expr))
}

// shot saves a screenshot of the tab into ENEWS_TEST_SCREENSHOTS, when
// set, to look at the pages as a person sees them.
func (s *site) shot(ctx context.Context, name string) {
	dir := os.Getenv("ENEWS_TEST_SCREENSHOTS")
	if dir == "" || ctx.Err() != nil {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(dir, strings.ReplaceAll(s.t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
	}
}

// login logs in through the login form and lands on the page asked for.
func (s *site) login(ctx context.Context, email, path string) {
	s.t.Helper()
	s.do(ctx, "log in as "+email,
		chromedp.Navigate(s.base+path),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.logout")),
	)
}

// text is the trimmed text of the first element matching the CSS selector.
func (s *site) text(ctx context.Context, sel string) string {
	s.t.Helper()
	return strings.TrimSpace(get(s, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// until waits for a JavaScript expression to become true in the page. A
// navigation while waiting ends the wait with an error.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second))
}

// noticeSays is true once the page's notice contains text.
func noticeSays(text string) string {
	return fmt.Sprintf(`(function () { var n = document.querySelector(".notice"); return n !== null && n.textContent.includes(%q); })()`, text)
}

// untilReloaded waits like until, across reloads of the page: the wait
// starts again on the new page, until the expression holds or the
// browser's deadline passes.
func (s *site) untilReloaded(ctx context.Context, what, expr string) {
	s.t.Helper()
	for {
		err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("body")), until(expr))
		if err == nil {
			return
		}
		if ctx.Err() != nil || errors.Is(err, chromedp.ErrPollingTimeout) {
			s.t.Fatalf("%s: %v", what, err)
		}
	}
}
