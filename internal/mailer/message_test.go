package mailer

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/smtptest"
)

func TestMessageOnTheWire(t *testing.T) {
	s := smtptest.Start(t)
	p := newPool(t, testConfig(s))
	if err := p.Send(ctxT(t), sample("ada@example.net")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := s.Messages()[0]
	if got.From != "news@example.org" || len(got.To) != 1 || got.To[0] != "ada@example.net" {
		t.Errorf("envelope %q -> %q", got.From, got.To)
	}
	h := got.Header
	want := map[string]string{
		"From":                  `"eNewsUpdate" <news@example.org>`,
		"Reply-To":              "<coop@example.org>",
		"To":                    `"Ada Lovelace" <ada@example.net>`,
		"Message-Id":            "<enews.7.42@example.org>",
		"List-Unsubscribe":      "<https://news.example.org/u/abc123>, <mailto:unsubscribe@example.org?subject=abc123>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Id":               "eNewsUpdate <enewsupdate.example.org>",
		"Precedence":            "bulk",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if subj, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); subj != "eNewsUpdate — May 2022" {
		t.Errorf("Subject = %q", subj)
	}
	if h.Get("Date") == "" || h.Get("User-Agent") != "" {
		t.Errorf("Date %q, User-Agent %q", h.Get("Date"), h.Get("User-Agent"))
	}
	parts := alternativeParts(t, got.Data)
	if len(parts) != 2 || parts[0].typ != "text/plain" || parts[1].typ != "text/html" {
		t.Fatalf("parts = %+v, want text/plain then text/html", parts)
	}
	if !strings.Contains(parts[0].body, "the news of May.") || !strings.Contains(parts[1].body, "<p>Hello Ada") {
		t.Errorf("bodies = %q / %q", parts[0].body, parts[1].body)
	}
}

type part struct{ typ, body string }

// alternativeParts parses raw as multipart/alternative and decodes each part.
func alternativeParts(t *testing.T, raw []byte) []part {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	var out []part
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		b, _ := io.ReadAll(p)
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out = append(out, part{typ, string(b)})
	}
}

// A title or name carrying CRLF must not add a header line.
func TestHostileHeaderValuesAreFlattened(t *testing.T) {
	s := smtptest.Start(t)
	p := newPool(t, testConfig(s))
	m := sample("ada@example.net")
	m.Subject = "Hello\r\nBcc: victim@example.com\r\nX-Injected: yes"
	m.ToName = "Ada\r\nX-Injected: name"
	m.ListName = "List\nX-Injected: list"
	if err := p.Send(ctxT(t), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := s.Messages()[0]
	if got.Header.Get("X-Injected") != "" || got.Header.Get("Bcc") != "" || len(got.To) != 1 {
		t.Fatalf("header injection got through: %q", got.Data[:min(len(got.Data), 600)])
	}
	if subj := got.Header.Get("Subject"); subj != "Hello Bcc: victim@example.com X-Injected: yes" {
		t.Errorf("Subject = %q", subj)
	}
}

func TestInvalidMessagesAreRejected(t *testing.T) {
	s := smtptest.Start(t)
	p := newPool(t, testConfig(s))
	tests := []struct {
		name   string
		change func(*Message)
	}{
		{"address with CRLF", func(m *Message) { m.To = "a@example.net\r\nRCPT TO:<b@example.net>" }},
		{"address with name", func(m *Message) { m.To = "Ada <a@example.net>" }},
		{"not an address", func(m *Message) { m.To = "nobody" }},
		{"no body", func(m *Message) { m.Text, m.HTML = nil, nil }},
		{"message id with CRLF", func(m *Message) { m.MessageID = "<a@b\r\nX-Evil: 1>" }},
		{"message id without @", func(m *Message) { m.MessageID = "<abc>" }},
		{"unsubscribe URL with CRLF", func(m *Message) { m.UnsubscribeURL = "https://x.example/\r\nX-Evil: 1" }},
		{"unsubscribe URL not http", func(m *Message) { m.UnsubscribeURL = "javascript:alert(1)" }},
		{"unsubscribe mailto with bracket", func(m *Message) { m.UnsubscribeMailto = "mailto:a@b>, <https://evil" }},
		{"list id with CRLF", func(m *Message) { m.ListID = "list.example\r\nX-Evil: 1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample("ada@example.net")
			tt.change(m)
			err := p.Send(ctxT(t), m)
			var se *SendError
			if !errors.As(err, &se) || se.Temporary || se.Stage != StageBuild || !errors.Is(err, newsletter.ErrInvalid) {
				t.Fatalf("err = %v, want a permanent build error wrapping ErrInvalid", err)
			}
		})
	}
	if s.Connections() != 0 {
		t.Errorf("invalid messages opened %d connections", s.Connections())
	}
}

func TestListHeaderVariants(t *testing.T) {
	s := smtptest.Start(t)
	p := newPool(t, testConfig(s))
	tests := []struct {
		name, url, mailto, wantUnsub, wantPost string
	}{
		{"https only", "https://x.example/u/1", "", "<https://x.example/u/1>", "List-Unsubscribe=One-Click"},
		{"http demo gets no one-click", "http://localhost:8080/u/1", "", "<http://localhost:8080/u/1>", ""},
		{"mailto only", "", "mailto:u@x.example", "<mailto:u@x.example>", ""},
		{"none", "", "", "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample("ada@example.net")
			m.UnsubscribeURL, m.UnsubscribeMailto = tt.url, tt.mailto
			if err := p.Send(ctxT(t), m); err != nil {
				t.Fatal(err)
			}
			h := s.Messages()[i].Header
			if h.Get("List-Unsubscribe") != tt.wantUnsub || h.Get("List-Unsubscribe-Post") != tt.wantPost {
				t.Errorf("List-Unsubscribe %q, -Post %q", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
			}
		})
	}
}

func TestMessageIDIsStable(t *testing.T) {
	a, b := MessageID(3, 9, "example.org"), MessageID(3, 9, "example.org")
	if a != b || a != "<enews.3.9@example.org>" || a == MessageID(3, 10, "example.org") {
		t.Errorf("MessageID = %q, %q", a, b)
	}
}

func TestReturnPath(t *testing.T) {
	tests := []struct {
		name, returnPath, wantFrom string
		wantErr                    bool
	}{
		{"none: the From address", "", "news@example.org", false},
		{"VERP address", "bounces+abc234@bounces.example.org", "bounces+abc234@bounces.example.org", false},
		{"with a name", "Bounces <b@example.org>", "", true},
		{"with a line break", "b@example.org\r\nRCPT TO:<x@y.z>", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Start(t)
			p := newPool(t, testConfig(s))
			m := sample("ada@example.net")
			m.ReturnPath = tt.returnPath
			err := p.Send(ctxT(t), m)
			if tt.wantErr {
				if !errors.Is(err, newsletter.ErrInvalid) || len(s.Messages()) != 0 {
					t.Fatalf("Send = %v with %d messages, want ErrInvalid and nothing sent", err, len(s.Messages()))
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := s.Messages()[0]
			if got.From != tt.wantFrom {
				t.Errorf("MAIL FROM %q, want %q", got.From, tt.wantFrom)
			}
			if got.Header.Get("From") != `"eNewsUpdate" <news@example.org>` || got.Header.Get("EnvelopeFrom") != "" {
				t.Errorf("From header %q, EnvelopeFrom header %q", got.Header.Get("From"), got.Header.Get("EnvelopeFrom"))
			}
		})
	}
}
