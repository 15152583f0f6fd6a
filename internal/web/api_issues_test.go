package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// TestAPIIssueLifecycle drives one issue through the API's actions and
// checks each is logged with the token's name.
func TestAPIIssueLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token("deploy")
	may := newsletter.Period{Year: 2022, Month: time.May}
	is := storeIssue(t, e, may, newsletter.IssueDraft, "May news")

	type issueOut struct {
		Period, Status string
		Actions        []string
		Deliveries     *int64
	}
	for _, step := range []struct {
		action, status string
	}{
		{"refresh", newsletter.IssueDraft}, {"approve", newsletter.IssueApproved}, {"reopen", newsletter.IssueDraft},
		{"cancel", newsletter.IssueCancelled}, {"reopen", newsletter.IssueDraft},
	} {
		var out issueOut
		code, body := e.api(tok, "POST", "/api/issues/2022-05/"+step.action, "", &out)
		if code != 200 || out.Status != step.status || out.Deliveries == nil {
			t.Fatalf("%s: %d %s", step.action, code, body)
		}
	}
	var one issueOut
	if code, body := e.api(tok, "GET", "/api/issues/2022-05", "", &one); code != 200 || one.Status != newsletter.IssueDraft ||
		len(one.Actions) != 3 || one.Actions[1] != "approve" {
		t.Fatalf("get: %d %s", code, body)
	}
	var list struct{ Issues []issueOut }
	if code, body := e.api(tok, "GET", "/api/issues", "", &list); code != 200 || len(list.Issues) != 1 || list.Issues[0].Period != "2022-05" {
		t.Fatalf("list: %d %s", code, body)
	}
	for _, bad := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/api/issues/2022-05/resume", 409}, {"POST", "/api/issues/2022-05/retry-failed", 409},
		{"POST", "/api/issues/2022-05/launch", 404}, {"GET", "/api/issues/2022-13", 400},
	} {
		var ae apiError
		if code, body := e.api(tok, bad.method, bad.path, "", &ae); code != bad.want {
			t.Errorf("%s %s: %d %s; want %d", bad.method, bad.path, code, body, bad.want)
		}
	}
	log, err := e.st.IssueTransitions(context.Background(), is.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := log[len(log)-1]; last.Actor != "api:deploy" || last.Action != newsletter.ActionReopen {
		t.Fatalf("last transition %+v", last)
	}
}
