package issues

import (
	"context"
	"errors"
	"fmt"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// PauseBecause pauses a sending issue by id with a note saying why: the
// bounce policy's automatic pause, whose reason (which rate, how high)
// shows in the issue's history. paused is false, without error, when the
// issue is not sending any more (paused already, cancelled, sent).
func (s *Service) PauseBecause(ctx context.Context, issueID int64, actor, note string) (bool, error) {
	t, err := newsletter.NextIssueStatus(newsletter.ActionPause, newsletter.IssueSending)
	if err != nil {
		return false, err
	}
	res, err := s.store.ApplyIssueChange(ctx, store.IssueChange{IssueID: issueID, T: t, Actor: actor, Note: note})
	if errors.Is(err, newsletter.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("issues: pause issue %d: %w", issueID, err)
	}
	s.log.Warn("issue paused", "period", res.Issue.Period.String(), "issue", issueID, "actor", actor, "why", note)
	return true, nil
}
