package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

func TestAPIIssueBounces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ops")
	ctx := context.Background()
	var subs []newsletter.Subscriber
	for i := range 40 {
		subs = append(subs, e.add(fmt.Sprintf("r%d@example.org", i), newsletter.SubscriberActive))
	}
	may := newsletter.Period{Year: 2022, Month: time.May}
	is := storeIssue(t, e, may, newsletter.IssueSending, "May news")
	if _, err := e.db.ExecContext(ctx, `UPDATE deliveries SET status = 'sent', sent_at = now()`); err != nil {
		t.Fatal(err)
	}
	policy := store.BouncePolicy{HardThreshold: 1, SoftThreshold: 3, SoftWindow: time.Hour}
	for i, typ := range []string{store.BounceHard, store.BounceHard, store.BounceSoft, store.BounceComplaint} {
		b := store.Bounce{IssueID: is.ID, SubscriberID: subs[i].ID, Type: typ, Channel: "smtp", EventKey: fmt.Sprint(i)}
		if _, err := e.st.RecordBounce(ctx, b, policy, newsletter.Consent{Source: newsletter.SourceDelivery}); err != nil {
			t.Fatal(err)
		}
	}
	var got struct {
		Period        string
		Sent          int64
		HardBounces   int64   `json:"hard_bounces"`
		SoftBounces   int64   `json:"soft_bounces"`
		Complaints    int64   `json:"complaints"`
		HardRate      float64 `json:"hard_bounce_rate"`
		ComplaintRate float64 `json:"complaint_rate"`
	}
	if code, body := e.api(tok, "GET", "/api/issues/2022-05/bounces", "", &got); code != 200 {
		t.Fatalf("bounces: %d %s", code, body)
	}
	if got.Period != "2022-05" || got.Sent != 40 || got.HardBounces != 2 || got.SoftBounces != 1 || got.Complaints != 1 ||
		got.HardRate != 0.05 || got.ComplaintRate != 0.025 {
		t.Fatalf("bounces = %+v", got)
	}
	for path, want := range map[string]int{"/api/issues/2022-07/bounces": 404, "/api/issues/May/bounces": 400} {
		var ae apiError
		if code, body := e.api(tok, "GET", path, "", &ae); code != want {
			t.Errorf("%s: %d %s, want %d", path, code, body, want)
		}
	}
}

func TestAPIIssueCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("ops")
	may := newsletter.Period{Year: 2022, Month: time.May}
	is := storeIssue(t, e, may, newsletter.IssueApproved, "May news")
	var ae apiError
	if code, body := e.api(tok, "GET", "/api/issues/2022-05/check", "", &ae); code != 404 {
		t.Fatalf("before any check: %d %s, want 404", code, body)
	}
	receipt := `{"period":"2022-05","passed":false,"forced":true,"items":[{"name":"https base URL","ok":false,"blocking":true}]}`
	if _, err := e.st.SaveIssueCheck(context.Background(), store.IssueCheck{IssueID: is.ID, Passed: false, Forced: true,
		Actor: "cli:ops", Receipt: []byte(receipt)}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Period string
		Passed bool
		Forced bool
		Items  []struct{ Name string }
	}
	if code, body := e.api(tok, "GET", "/api/issues/2022-05/check", "", &got); code != 200 || got.Period != "2022-05" ||
		got.Passed || !got.Forced || len(got.Items) != 1 || got.Items[0].Name != "https base URL" {
		t.Fatalf("check: %d %s", code, body)
	}
}
