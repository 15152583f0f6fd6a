package mailer

import (
	"context"
	"testing"
	"time"

	"github.com/enews/enews/internal/smtptest"
)

// testConfig points at s without TLS: the server is on loopback inside the
// test process, and TLS itself is covered by TestTLSModes.
func testConfig(s *smtptest.Server) Config {
	return Config{
		Host:           s.Host(),
		Port:           s.Port(),
		TLS:            TLSNone,
		From:           "eNewsUpdate <news@example.org>",
		ReplyTo:        "coop@example.org",
		ConnectTimeout: 5 * time.Second,
		SendTimeout:    10 * time.Second,
		Connections:    2,
		HeloName:       "sender.example.org",
	}
}

func newPool(t testing.TB, cfg Config, opts ...Option) *Pool {
	t.Helper()
	p, err := NewPool(cfg, nil, opts...)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

func sample(to string) *Message {
	return &Message{
		To:                to,
		ToName:            "Ada Lovelace",
		Subject:           "eNewsUpdate — May 2022",
		Text:              []byte("Hello Ada,\r\nthe news of May.\r\n"),
		HTML:              []byte("<html><body><p>Hello Ada, the news of May.</p></body></html>\r\n"),
		MessageID:         MessageID(7, 42, "example.org"),
		UnsubscribeURL:    "https://news.example.org/u/abc123",
		UnsubscribeMailto: "mailto:unsubscribe@example.org?subject=abc123",
		ListID:            "enewsupdate.example.org",
		ListName:          "eNewsUpdate",
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
