// Package issues owns the issue lifecycle: it makes a period's issue,
// renders drafts again as their items change, and applies every change of
// status through the one transition table in newsletter
// (newsletter.IssueTransitions), logging who made it. The CLI, the admin
// API, the console, the scheduler and the senders all go through Service.
package issues

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// Store is what the service needs of the database.
type Store interface {
	ItemsPublishedBetween(ctx context.Context, from, to time.Time) ([]newsletter.Item, error)
	IssueByPeriod(ctx context.Context, p newsletter.Period) (newsletter.Issue, error)
	IssueInclusion(ctx context.Context, issueID int64) (newsletter.InclusionReport, error)
	ListIssues(ctx context.Context, status string, limit int) ([]newsletter.Issue, error)
	StaleDrafts(ctx context.Context) ([]newsletter.Issue, error)
	CreateIssue(ctx context.Context, is newsletter.Issue, action newsletter.IssueAction, actor string) (newsletter.Issue, bool, error)
	ApplyIssueChange(ctx context.Context, c store.IssueChange) (store.IssueChangeResult, error)
}

// Renderer renders a period's items as an email (with placeholder tokens)
// and as the archive page's body; digest.Renderer is the real one.
type Renderer interface {
	Render(p newsletter.Period, items []newsletter.Item) (digest.Rendered, error)
	RenderWeb(p newsletter.Period, items []newsletter.Item) (string, error)
}

// Policy decides what a new issue becomes and when its bytes freeze.
type Policy struct {
	Location        *time.Location
	MaxItems        int
	MinItems        int
	SendQuietMonths bool // false: a month with fewer than MinItems is skipped
	// RequireApproval: a draft waits for Approve; without it, Send
	// approves (freezes) and starts it in one go.
	RequireApproval bool
}

// Service applies the lifecycle.
type Service struct {
	store    Store
	renderer Renderer
	policy   Policy
	log      *slog.Logger
	now      func() time.Time
}

// New builds the service. now may be nil (time.Now).
func New(st Store, r Renderer, p Policy, log *slog.Logger, now func() time.Time) *Service {
	if p.Location == nil {
		p.Location = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, renderer: r, policy: p, log: log, now: now}
}

// Policy is the service's policy, for callers that explain it.
func (s *Service) Policy() Policy { return s.policy }

// Result is an issue after an action and what the action touched:
// deliveries queued by a start or retry-failed, dropped by a reopen.
type Result struct {
	Issue      newsletter.Issue
	Deliveries int64
}

// Approve freezes a draft: it is rendered once more from its items as they
// are now, and those bytes are what every subscriber gets. On a running
// `serve` the senders start it within seconds.
func (s *Service) Approve(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionApprove, actor, s.frozenContent)
}

// Start fans an approved issue out to every active subscriber.
func (s *Service) Start(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionStart, actor, nil)
}

// Pause stops the senders within their poll interval.
func (s *Service) Pause(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionPause, actor, nil)
}

// Resume lets the senders go on with a paused issue.
func (s *Service) Resume(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionResume, actor, nil)
}

// Cancel stops an issue for good: nothing more is sent.
func (s *Service) Cancel(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionCancel, actor, nil)
}

// Reopen takes a skipped, approved or cancelled issue back to an editable
// draft, rendered afresh; it is refused, naming why, once any of its mail
// went out.
func (s *Service) Reopen(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionReopen, actor, s.freshContent)
}

// Refresh collects and renders a draft again from the items as they are now.
func (s *Service) Refresh(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionRefresh, actor, s.freshContent)
}

// RetryFailed puts the failed deliveries of subscribers still active back
// in the queue (after an outage, say) and the issue back to sending.
func (s *Service) RetryFailed(ctx context.Context, p newsletter.Period, actor string) (Result, error) {
	return s.apply(ctx, p, newsletter.ActionRetryFailed, actor, nil)
}

// Complete marks a sending issue sent once nothing is left to send; senders
// call it. It reports false, without error, while deliveries remain or
// when the issue is no longer sending.
func (s *Service) Complete(ctx context.Context, issueID int64, p newsletter.Period, actor string) (bool, error) {
	t, err := newsletter.NextIssueStatus(newsletter.ActionComplete, newsletter.IssueSending)
	if err != nil {
		return false, err
	}
	res, err := s.store.ApplyIssueChange(ctx, store.IssueChange{IssueID: issueID, T: t, Actor: actor})
	if errors.Is(err, newsletter.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("issues: complete %s: %w", p, err)
	}
	s.log.Info("issue sent", "period", p.String(), "issue", res.Issue.ID, "actor", actor)
	return true, nil
}

// content makes an action's new bytes, or nil for an action that keeps them.
type content func(ctx context.Context, is newsletter.Issue) (*newsletter.Issue, string, error)

// attempts bounds the retries of an action whose issue changed status
// between the read and the write (another process acted first).
const attempts = 3

// apply looks the action up in the transition table for the issue's current
// status and has the store apply it, retrying when the status moved on
// between the two. Every refusal names the status and what is allowed.
func (s *Service) apply(ctx context.Context, p newsletter.Period, action newsletter.IssueAction, actor string, fresh content) (Result, error) {
	if actor == "" {
		return Result{}, fmt.Errorf("issues: %s %s: %w: no actor", action, p, newsletter.ErrInvalid)
	}
	var lastErr error
	for range attempts {
		is, err := s.store.IssueByPeriod(ctx, p)
		if err != nil {
			return Result{}, fmt.Errorf("issues: %s %s: %w", action, p, err)
		}
		t, err := newsletter.NextIssueStatus(action, is.Status)
		if err != nil {
			return Result{}, fmt.Errorf("issues: %s %s: %w", action, p, err)
		}
		c := store.IssueChange{IssueID: is.ID, T: t, Actor: actor}
		if fresh != nil {
			if c.Content, c.Note, err = fresh(ctx, is); err != nil {
				return Result{}, fmt.Errorf("issues: %s %s: %w", action, p, err)
			}
		}
		res, err := s.store.ApplyIssueChange(ctx, c)
		if err == nil {
			s.log.Info("issue "+string(action), "period", p.String(), "issue", is.ID, "from", t.From, "to", t.To,
				"actor", actor, "deliveries", res.Deliveries)
			return Result{Issue: res.Issue, Deliveries: res.Deliveries}, nil
		}
		lastErr = fmt.Errorf("issues: %s %s: %w", action, p, err)
		if !errors.Is(err, store.ErrIssueMoved) {
			return Result{}, lastErr
		}
	}
	return Result{}, lastErr
}
