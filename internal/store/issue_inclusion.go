package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/enews/enews/internal/newsletter"
)

// inclusionJSON is the report as the inclusion column keeps it; nil is
// NULL.
func inclusionJSON(r *newsletter.InclusionReport) (*string, error) {
	if r == nil {
		return nil, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("store: inclusion report: %w", err)
	}
	s := string(b)
	return &s, nil
}

// IssueInclusion is the report stored with an issue's bytes: for a frozen
// issue, the one of its freeze. An issue rendered before reports were kept
// has none: newsletter.ErrNotFound.
func (s *Store) IssueInclusion(ctx context.Context, issueID int64) (newsletter.InclusionReport, error) {
	var raw *string
	if err := s.db.GetContext(ctx, &raw, `SELECT inclusion FROM issues WHERE id = $1`, issueID); err != nil {
		return newsletter.InclusionReport{}, wrap("issue inclusion", err)
	}
	if raw == nil {
		return newsletter.InclusionReport{}, newsletter.Problemf(newsletter.ErrNotFound,
			"issue %d was rendered before inclusion reports were kept", issueID)
	}
	var r newsletter.InclusionReport
	if err := json.Unmarshal([]byte(*raw), &r); err != nil {
		return newsletter.InclusionReport{}, fmt.Errorf("store: issue %d inclusion: %w", issueID, err)
	}
	return r, nil
}
