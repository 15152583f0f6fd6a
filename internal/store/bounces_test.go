package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
)

func TestRecordBouncePolicy(t *testing.T) {
	t.Parallel()
	policy := store.BouncePolicy{HardThreshold: 1, SoftThreshold: 3, SoftWindow: time.Hour}
	tests := []struct {
		name       string
		start      string
		types      []string
		source     string
		wantStatus string
		wantEvents string
		suppressed bool
	}{
		{"one hard bounce", newsletter.SubscriberActive, []string{"hard"}, newsletter.SourceDelivery,
			newsletter.SubscriberBounced, "subscribed/cli bounced/delivery", false},
		{"two soft bounces stay active", newsletter.SubscriberActive, []string{"soft", "soft"}, newsletter.SourceDelivery,
			newsletter.SubscriberActive, "subscribed/cli", false},
		{"third soft bounce in the window", newsletter.SubscriberActive, []string{"soft", "soft", "soft"}, newsletter.SourceWebhook,
			newsletter.SubscriberBounced, "subscribed/cli bounced/webhook", false},
		{"complaint", newsletter.SubscriberActive, []string{"complaint"}, newsletter.SourceFeedback,
			newsletter.SubscriberComplained, "subscribed/cli complained/feedback", true},
		{"hard bounce of an unsubscribed address keeps the status", newsletter.SubscriberActive, []string{"unsubscribe", "hard"}, newsletter.SourceDelivery,
			newsletter.SubscriberUnsubscribed, "subscribed/cli unsubscribed/cli", false},
		{"complaint after a bounce", newsletter.SubscriberActive, []string{"hard", "complaint"}, newsletter.SourceFeedback,
			newsletter.SubscriberComplained, "subscribed/cli bounced/feedback complained/feedback", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, ctx := pgtest.New(t), context.Background()
			sub := add(t, st, fmt.Sprintf("b%d@example.org", i), tt.start)
			for j, typ := range tt.types {
				if typ == "unsubscribe" {
					if _, _, err := st.UnsubscribeSubscriber(ctx, sub.ID, viaCLI()); err != nil {
						t.Fatal(err)
					}
					continue
				}
				b := store.Bounce{SubscriberID: sub.ID, Type: typ, Channel: "smtp", StatusCode: "5.1.1",
					Diagnostic: "550 5.1.1 user unknown", Raw: "raw report", EventKey: fmt.Sprintf("k%d", j)}
				if _, err := st.RecordBounce(ctx, b, policy, newsletter.Consent{Source: tt.source}); err != nil {
					t.Fatalf("RecordBounce %s: %v", typ, err)
				}
			}
			got, err := st.GetSubscriber(ctx, sub.ID)
			if err != nil || got.Status != tt.wantStatus {
				t.Fatalf("status = %q (%v), want %q", got.Status, err, tt.wantStatus)
			}
			if ev := events(t, st, sub.ID); ev != tt.wantEvents {
				t.Errorf("events = %q, want %q", ev, tt.wantEvents)
			}
			if s, _ := st.IsSuppressed(ctx, sub.Email); s != tt.suppressed {
				t.Errorf("suppressed = %v, want %v", s, tt.suppressed)
			}
		})
	}
}

func TestRecordBounceReplayChangesNothing(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	sub := add(t, st, "replay@example.org", newsletter.SubscriberActive)
	policy := store.BouncePolicy{HardThreshold: 2, SoftThreshold: 3, SoftWindow: time.Hour}
	b := store.Bounce{SubscriberID: sub.ID, Type: store.BounceHard, Channel: "postmark", EventKey: "postmark:1"}
	first, err := st.RecordBounce(ctx, b, policy, newsletter.Consent{Source: newsletter.SourceWebhook})
	if err != nil || first.Replay {
		t.Fatalf("first = %+v, %v", first, err)
	}
	again, err := st.RecordBounce(ctx, b, policy, newsletter.Consent{Source: newsletter.SourceWebhook})
	if err != nil || !again.Replay || again.Changed {
		t.Fatalf("replay = %+v, %v; want Replay and no change", again, err)
	}
	// With threshold 2, a counted replay would have bounced the subscriber.
	if got, _ := st.GetSubscriber(ctx, sub.ID); got.Status != newsletter.SubscriberActive {
		t.Fatalf("status after replay = %s, want active", got.Status)
	}
	bs, err := st.SubscriberBounces(ctx, sub.ID, 10)
	if err != nil || len(bs) != 1 {
		t.Fatalf("bounces = %d (%v), want 1", len(bs), err)
	}
}

func TestRecordBounceUnknownSubscriber(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	_, err := st.RecordBounce(ctx, store.Bounce{SubscriberID: 999999, Type: store.BounceHard, Channel: "smtp", EventKey: "x"},
		store.BouncePolicy{HardThreshold: 1}, newsletter.Consent{Source: newsletter.SourceDelivery})
	if !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestPurgeBounceReports(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	sub := add(t, st, "purge@example.org", newsletter.SubscriberActive)
	b := store.Bounce{SubscriberID: sub.ID, Type: store.BounceSoft, Channel: "smtp", Raw: "the report", EventKey: "p1"}
	if _, err := st.RecordBounce(ctx, b, store.BouncePolicy{SoftThreshold: 5, SoftWindow: time.Hour}, newsletter.Consent{Source: newsletter.SourceDelivery}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PurgeBounceReports(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("purge of older reports = %d, %v; want 0", n, err)
	}
	if n, err := st.PurgeBounceReports(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v; want 1", n, err)
	}
	bs, _ := st.SubscriberBounces(ctx, sub.ID, 10)
	if len(bs) != 1 || bs[0].HasRaw {
		t.Fatalf("after purge: %+v, want the row kept without its report", bs)
	}
}
