package web_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/web"
)

// serveLimited serves e's pages on a real listener with short timeouts.
func serveLimited(t *testing.T, h http.Handler, l web.HTTPLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := web.NewHTTPServer(ln.Addr().String(), h, l)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// assertClosed reads until the server closes the connection. The deadline
// is far past the server's timeouts: reaching it means the server left the
// connection open.
func assertClosed(t *testing.T, c net.Conn) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open")
	}
}

func TestTimeoutsCloseSlowAndIdleConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	addr := serveLimited(t, e.web, web.HTTPLimits{ReadHeaderTimeout: 300 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 2 * time.Second, IdleTimeout: 300 * time.Millisecond})
	for _, tt := range []struct {
		name string
		send string // what the client sends before going quiet
		read bool   // read one full answer first (keep-alive)
	}{
		{"headers never finished", "GET /subscribe HTTP/1.1\r\nHost: x\r\nX-Slow: ", false},
		{"body never finished", "POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: 1000\r\n\r\nemail=slow", false},
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			if tt.read {
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
					t.Fatalf("keep-alive answer: %v, %v", resp, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
			}
			assertClosed(t, c)
		})
	}
}

func TestBodyLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(d *web.Deps) { d.HTTP = web.HTTPLimits{MaxBodyBytes: 512, MaxImportBytes: 2048} })
	tok := e.token("ci")
	big := "email\n" + strings.Repeat("someone@example.org\n", 200)
	code, body, _ := e.do(http.MethodPost, "/api/subscribers/import", strings.NewReader(big), "Authorization", "Bearer "+tok, "Content-Type", "text/csv")
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "2048") {
		t.Fatalf("import over max_import_bytes: %d %s", code, body)
	}
	small := "email\nfits@example.org\n"
	if code, body, _ := e.do(http.MethodPost, "/api/subscribers/import", strings.NewReader(small), "Authorization", "Bearer "+tok, "Content-Type", "text/csv"); code != http.StatusOK {
		t.Fatalf("small import: %d %s", code, body)
	}
	// A JSON body past max_body_bytes is refused even below the route's own limit.
	code, _ = e.api(tok, http.MethodPost, "/api/subscribers", `{"email":"a@example.org","name":"`+strings.Repeat("n", 1000)+`"}`, nil)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("JSON past max_body_bytes: %d", code)
	}
}

func TestPublicAndOpsEndpoints(t *testing.T) {
	t.Parallel()
	down := errors.New("database unreachable")
	var ready error
	e := newEnv(t, func(d *web.Deps) {
		d.Ready = func(context.Context) error { return ready }
		d.Admin = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "console") })
	})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 404, "/statusz": 404} {
		if code, _ := e.get(path); code != want {
			t.Errorf("public %s: %d, want %d", path, code, want)
		}
	}
	if code, body := e.get("/admin/"); code != 200 || body != "console" {
		t.Errorf("public /admin/: %d %q", code, body)
	}
	ready = down
	if code, body := e.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "unreachable") {
		t.Errorf("readyz with the database down: %d %q", code, body)
	}
	ops := httptest.NewServer(web.NewOps(web.OpsDeps{
		Ready:   func(context.Context) error { return nil },
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "enews_up 1\n") }),
		Status:  func(context.Context) any { return map[string]bool{"leader": true} },
	}))
	defer ops.Close()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "enews_up 1", "/statusz": `"leader": true`} {
		resp, err := http.Get(ops.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("ops %s: %d %q", path, resp.StatusCode, b)
		}
	}
}

func TestClientIPBehind(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tt := range []struct {
		name, peer string
		xff        []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxies configured: the header is ignored", "203.0.113.9:4000", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"untrusted peer: a forged header is ignored", "203.0.113.9:4000", []string{"198.51.100.1"}, proxies, "203.0.113.9"},
		{"trusted proxy: the client it saw", "10.1.2.3:4000", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"client-sent prefix before the proxy's entry is skipped", "10.1.2.3:4000", []string{"1.2.3.4, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"two trusted hops", "[::1]:4000", []string{"198.51.100.7", "10.9.9.9"}, proxies, "198.51.100.7"},
		{"garbage hop: the last believable address", "10.1.2.3:4000", []string{"not-an-ip"}, proxies, "10.1.2.3"},
		{"trusted proxy, no header", "10.1.2.3:4000", nil, proxies, "10.1.2.3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for _, h := range tt.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := web.ClientIPBehind(tt.trusted)(r); got.String() != tt.want {
				t.Fatalf("client %s, want %s", got, tt.want)
			}
		})
	}
}

// An import whose upload stalls is cut off by web.import_timeout, well
// before the listener's own read timeout.
func TestImportBoundedInTime(t *testing.T) {
	e := newEnv(t, func(d *web.Deps) { d.HTTP = web.HTTPLimits{ImportTimeout: 300 * time.Millisecond} })
	tok := e.token("ci")
	addr := serveLimited(t, e.web, web.HTTPLimits{ReadTimeout: 10 * time.Minute, WriteTimeout: 10 * time.Minute})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST /api/subscribers/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+
		"\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\nemail\nfirst@example.org\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("a stalled import kept the connection open")
	}
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("stalled import: %d %s", resp.StatusCode, body)
		}
		t.Logf("answer: %d %s", resp.StatusCode, body)
	}
}
