package newsletter_test

import (
	"errors"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

// TestIssueTransitions pins the lifecycle: for every action from every
// status (and from no issue at all), the status it leads to, or a refusal.
func TestIssueTransitions(t *testing.T) {
	const (
		none      = newsletter.StatusNone
		draft     = newsletter.IssueDraft
		approved  = newsletter.IssueApproved
		sending   = newsletter.IssueSending
		paused    = newsletter.IssuePaused
		sent      = newsletter.IssueSent
		skipped   = newsletter.IssueSkipped
		cancelled = newsletter.IssueCancelled
	)
	allowed := map[newsletter.IssueAction]map[string]string{
		newsletter.ActionCreate:      {none: draft},
		newsletter.ActionSkip:        {none: skipped},
		newsletter.ActionRefresh:     {draft: draft},
		newsletter.ActionApprove:     {draft: approved},
		newsletter.ActionStart:       {approved: sending},
		newsletter.ActionPause:       {sending: paused},
		newsletter.ActionResume:      {paused: sending},
		newsletter.ActionComplete:    {sending: sent},
		newsletter.ActionCancel:      {draft: cancelled, approved: cancelled, sending: cancelled, paused: cancelled},
		newsletter.ActionReopen:      {skipped: draft, approved: draft, cancelled: draft},
		newsletter.ActionRetryFailed: {sent: sending, sending: sending, paused: paused},
	}
	from := append([]string{none}, newsletter.IssueStatuses()...)
	for action, edges := range allowed {
		for _, st := range from {
			t.Run(string(action)+" from "+st, func(t *testing.T) {
				tr, err := newsletter.NextIssueStatus(action, st)
				want, ok := edges[st]
				switch {
				case ok && (err != nil || tr.To != want || tr.From != st || tr.Action != action):
					t.Fatalf("got %+v, %v; want → %s", tr, err, want)
				case !ok && err == nil:
					t.Fatalf("got %+v; want a refusal", tr)
				case !ok && st == none && !errors.Is(err, newsletter.ErrNotFound):
					t.Fatalf("no issue: got %v; want ErrNotFound", err)
				case !ok && st != none && !errors.Is(err, newsletter.ErrConflict):
					t.Fatalf("got %v; want ErrConflict", err)
				}
			})
		}
	}
	if n := len(newsletter.IssueTransitions()); n != 18 {
		t.Errorf("the table has %d edges; this test knows 18", n)
	}
	if _, err := newsletter.NextIssueStatus("launch", draft); !errors.Is(err, newsletter.ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
}

func TestOnlyReopenNeedsNothingSent(t *testing.T) {
	for _, tr := range newsletter.IssueTransitions() {
		if tr.NothingSent != (tr.Action == newsletter.ActionReopen) {
			t.Errorf("%s from %s: NothingSent %v", tr.Action, tr.From, tr.NothingSent)
		}
	}
}

func TestIssueActionsFrom(t *testing.T) {
	for _, tc := range []struct {
		status string
		want   []newsletter.IssueAction
	}{
		{newsletter.IssueDraft, []newsletter.IssueAction{newsletter.ActionRefresh, newsletter.ActionApprove, newsletter.ActionCancel}},
		{newsletter.IssueSent, []newsletter.IssueAction{newsletter.ActionRetryFailed}},
		{newsletter.IssueSkipped, []newsletter.IssueAction{newsletter.ActionReopen}},
	} {
		t.Run(tc.status, func(t *testing.T) {
			got := newsletter.IssueActionsFrom(tc.status)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
