package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/enews/enews/internal/poll"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestServeOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 0)
	base := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	opsBase := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	e.env = append(e.env, "ENEWS_WEB_LISTEN="+strings.TrimPrefix(base, "http://"), "ENEWS_WEB_BASE_URL="+base,
		"ENEWS_WEB_OPS_LISTEN="+strings.TrimPrefix(opsBase, "http://"))
	out := &lockedBuffer{}
	c := e.cmd("serve")
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	get := func(path string) (int, string) {
		// Metrics and status are on the ops listener only.
		url := base + path
		if path == "/metrics" || path == "/statusz" {
			url = opsBase + path
		}
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	poll.Until(t, "the condition", func() bool { code, _ := get("/healthz"); return code == 200 })
	for _, tc := range []struct{ path, want string }{
		{"/readyz", "ready"},
		{"/metrics", "enews_delivery_queue_depth"},
		{"/metrics", "enews_scheduler_leader"},
		{"/metrics", "enews_outbox_pending 0"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, body := get(tc.path)
			if code != 200 || !strings.Contains(body, tc.want) {
				t.Fatalf("GET %s = %d, body lacks %q:\n%.500s", tc.path, code, tc.want, body)
			}
		})
	}
	t.Run("not on the public listener", func(t *testing.T) {
		for _, path := range []string{"/metrics", "/statusz"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("public %s: %d, want 404", path, resp.StatusCode)
			}
		}
	})
	t.Run("/statusz", func(t *testing.T) {
		poll.Until(t, "the condition", func() bool { _, body := get("/statusz"); return strings.Contains(body, `"leader": true`) })
		_, body := get("/statusz")
		var st struct {
			Leader   bool
			Schedule struct{ Spec, TimeZone string }
			Outbox   *struct{ Pending int64 }
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil || st.Schedule.Spec != "0 9 1 * *" || st.Schedule.TimeZone != "Europe/Zurich" || st.Outbox == nil {
			t.Fatalf("statusz %s: %+v %v", body, st, err)
		}
	})
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, out.String())
	}
}
