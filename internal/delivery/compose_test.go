package delivery_test

import (
	"strings"
	"testing"

	"github.com/enews/enews/internal/delivery"
)

// A copy outside the ledger says what it is for: a test copy says it is a
// test; an approver's copy asks for approval and says how to give it.
func TestCopiesOutsideTheLedgerSayWhatTheyAre(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	c, err := delivery.CompileIssue(f.issue, f.links)
	if err != nil {
		t.Fatal(err)
	}
	sender := delivery.NewMailSender(nil, f.links, "enewsupdate.example.org", "eNewsUpdate", "")
	tests := []struct {
		name, subject string
		want, notWant []string
	}{
		{"test copy", "[TEST] ", []string{"This is a test copy of the May 2022 issue"}, []string{"approval"}},
		{"approval", "[APPROVAL NEEDED] ", []string{"waits for your approval", "enews issue approve --period 2022-05"}, []string{"test copy"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := sender.TestMessage(c, "anna@example.org", "[TEST]")
			if tc.name == "approval" {
				m = sender.ApprovalMessage(c, "anna@example.org")
			}
			if !strings.HasPrefix(m.Subject, tc.subject) || m.To != "anna@example.org" {
				t.Errorf("subject %q to %q, want it to start with %q", m.Subject, m.To, tc.subject)
			}
			for name, body := range map[string]string{"text": string(m.Text), "html": string(m.HTML)} {
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s part lacks %q", name, w)
					}
				}
				// The banner is the text around the first wanted phrase.
				at := max(strings.Index(body, tc.want[0]), 0)
				banner := body[max(at-200, 0):min(at+400, len(body))]
				for _, w := range tc.notWant {
					if strings.Contains(banner, w) {
						t.Errorf("%s part's banner says %q", name, w)
					}
				}
			}
			if m.UnsubscribeURL != f.links.TestUnsubscribe() {
				t.Errorf("unsubscribe %q, want the test page that changes nothing", m.UnsubscribeURL)
			}
		})
	}
}
