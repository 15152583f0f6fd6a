package bounce_test

import (
	"context"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

func TestListenerReports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		to      string // verp, bare or unsubscribe
		extra   map[string]string
		// expected
		status, events, bounceType, code string
		suppressed                       bool
	}{
		{name: "postfix DSN to the VERP address", fixture: "postfix-dsn.eml", to: "verp",
			status: "bounced", events: "subscribed/cli bounced/delivery", bounceType: "hard", code: "5.1.1"},
		{name: "postfix delayed DSN is soft", fixture: "postfix-delayed.eml", to: "verp",
			status: "active", events: "subscribed/cli", bounceType: "soft", code: "4.4.1"},
		{name: "exim plain-text bounce", fixture: "exim-plain.eml", to: "verp",
			status: "bounced", events: "subscribed/cli bounced/delivery", bounceType: "hard", code: "5.1.1"},
		{name: "exim bounce to the bare address, by the quoted Message-ID", fixture: "exim-plain.eml", to: "bare",
			status: "bounced", events: "subscribed/cli bounced/delivery", bounceType: "hard", code: "5.1.1"},
		{name: "exchange NDR to the bare address, by the returned headers", fixture: "exchange-ndr.eml", to: "bare",
			extra:  map[string]string{"{{RETURN_PATH}}": "news@example.org"},
			status: "bounced", events: "subscribed/cli bounced/delivery", bounceType: "hard", code: "5.1.10"},
		{name: "gmail DSN", fixture: "gmail-dsn.eml", to: "verp",
			status: "bounced", events: "subscribed/cli bounced/delivery", bounceType: "hard", code: "5.1.1"},
		{name: "postfix DSN naming only the recipient", fixture: "postfix-dsn.eml", to: "bare",
			extra:  map[string]string{"{{MSGID}}": "<other@elsewhere.example>", "{{RETURN_PATH}}": "news@example.org"},
			status: "bounced", events: "subscribed/cli bounced/delivery", bounceType: "hard", code: "5.1.1"},
		{name: "ARF complaint to the bare address", fixture: "arf-complaint.eml", to: "bare",
			status: "complained", events: "subscribed/cli complained/feedback", bounceType: "complaint", suppressed: true},
		{name: "mailto unsubscribe", fixture: "mailto-unsubscribe.eml", to: "unsubscribe",
			status: "unsubscribed", events: "subscribed/cli unsubscribed/mailto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{subscribers: 3, sent: true, status: newsletter.IssueSent})
			sub, other := w.subs[1], w.subs[2]
			before := w.status(t, other)
			rcpt := map[string]string{"verp": w.returnPath(sub), "bare": "bounces@" + bounceDomain,
				"unsubscribe": strings.TrimSuffix(strings.TrimPrefix(w.addrs.UnsubscribeMailto(w.issue.ID, sub.ID), "mailto:"), "?subject=unsubscribe")}[tt.to]
			if c := w.deliver(t, rcpt, w.fixture(t, tt.fixture, sub, tt.extra)); c != 0 {
				t.Fatalf("listener refused with %d", c)
			}
			if got := w.status(t, sub); got != tt.status {
				t.Errorf("status = %s, want %s", got, tt.status)
			}
			if got := w.events(t, sub); got != tt.events {
				t.Errorf("consent events = %q, want %q", got, tt.events)
			}
			bs, err := w.st.SubscriberBounces(context.Background(), sub.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if tt.bounceType == "" {
				if len(bs) != 0 {
					t.Errorf("bounces = %+v, want none", bs)
				}
			} else if len(bs) != 1 || bs[0].Type != tt.bounceType || bs[0].StatusCode != tt.code ||
				bs[0].IssueID == nil || *bs[0].IssueID != w.issue.ID || !bs[0].HasRaw {
				t.Errorf("bounces = %+v, want one %s %s for issue %d with its report", bs, tt.bounceType, tt.code, w.issue.ID)
			}
			if s, _ := w.st.IsSuppressed(context.Background(), sub.Email); s != tt.suppressed {
				t.Errorf("suppressed = %v, want %v", s, tt.suppressed)
			}
			if got := w.status(t, other); got != before {
				t.Errorf("another subscriber changed: %s → %s", before, got)
			}
			// The same report again (a relay retrying) changes nothing.
			snap := w.snapshot(t)
			if c := w.deliver(t, rcpt, w.fixture(t, tt.fixture, sub, tt.extra)); c != 0 {
				t.Fatalf("replay refused with %d", c)
			}
			if after := w.snapshot(t); after != snap {
				t.Errorf("replay changed the database:\n%s\nwant\n%s", after, snap)
			}
		})
	}
}

func TestListenerRefusesJunk(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{subscribers: 2, sent: true, status: newsletter.IssueSent, maxBytes: 8 << 10})
	sub := w.subs[0]
	forged := []byte(w.returnPath(sub))
	at := strings.IndexByte(string(forged), '@')
	forged[at-1] ^= 1 // a different last letter of the token
	stranger := newsletter.Subscriber{ID: sub.ID, Email: "stranger@example.net"}
	tests := []struct {
		name, rcpt, msg string
		want            int
	}{
		{"no report at all", "bounces@" + bounceDomain, w.fixture(t, "junk-no-report.eml", sub, nil), 550},
		{"plain mail to a VERP address", w.returnPath(sub), w.fixture(t, "junk-no-report.eml", sub, nil), 550},
		{"forged token", string(forged), w.fixture(t, "postfix-dsn.eml", sub, nil), 550},
		{"forged unsubscribe token", "unsubscribe+aaaaaaaaaaaaaaaaaaaaaaaaaaaa@" + bounceDomain, w.fixture(t, "mailto-unsubscribe.eml", sub, nil), 550},
		{"unsubscribe address without a token", "unsubscribe@" + bounceDomain, w.fixture(t, "mailto-unsubscribe.eml", sub, nil), 550},
		{"another local part", "postmaster@" + bounceDomain, w.fixture(t, "postfix-dsn.eml", sub, nil), 550},
		{"another domain", "bounces@example.net", w.fixture(t, "postfix-dsn.eml", sub, nil), 550},
		{"bounce of an address not on the list", "bounces@" + bounceDomain,
			w.fixture(t, "postfix-dsn.eml", stranger, map[string]string{"{{MSGID}}": "<x@y.example>", "{{RETURN_PATH}}": "news@example.org"}), 550},
		{"oversized", w.returnPath(sub), w.fixture(t, "postfix-dsn.eml", sub, nil) + strings.Repeat("padding line\n", 1000), 552},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.snapshot(t)
			if got := w.deliver(t, tt.rcpt, tt.msg); got != tt.want {
				t.Errorf("reply %d, want %d", got, tt.want)
			}
			if after := w.snapshot(t); after != before {
				t.Errorf("database changed:\n%s\nwant\n%s", after, before)
			}
		})
	}
}
