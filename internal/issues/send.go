package issues

import (
	"context"
	"errors"
	"fmt"

	"github.com/enews/enews/internal/newsletter"
)

// Send takes the period's issue as far as sending and returns it sending
// (or already sent): it makes the issue if there is none, approves a draft
// when approval is not required (its bytes freeze now), starts an approved
// one, and joins one that another process started meanwhile. A draft that
// awaits approval, a paused, skipped or cancelled issue is refused with
// what to do.
func (s *Service) Send(ctx context.Context, p newsletter.Period, opts CreateOptions) (Result, error) {
	if _, _, err := s.Create(ctx, p, opts); err != nil {
		return Result{}, err
	}
	var res Result
	for range attempts + 2 {
		is, err := s.store.IssueByPeriod(ctx, p)
		if err != nil {
			return Result{}, fmt.Errorf("issues: send %s: %w", p, err)
		}
		switch is.Status {
		case newsletter.IssueSending, newsletter.IssueSent:
			res.Issue = is
			return res, nil
		case newsletter.IssueDraft:
			if s.policy.RequireApproval {
				return Result{}, fmt.Errorf("issues: send %s: the issue awaits approval (enews issue approve --period %s): %w",
					p, p, newsletter.ErrConflict)
			}
			_, err = s.Approve(ctx, p, opts.Actor)
		case newsletter.IssueApproved:
			var r Result
			r, err = s.Start(ctx, p, opts.Actor)
			res.Deliveries = r.Deliveries
		case newsletter.IssuePaused:
			return Result{}, fmt.Errorf("issues: send %s: the issue is paused (enews issue resume --period %s): %w",
				p, p, newsletter.ErrConflict)
		default:
			reason := ""
			if is.SkipReason != "" {
				reason = " (" + is.SkipReason + ")"
			}
			return Result{}, fmt.Errorf("issues: send %s: the issue is %s%s (enews issue reopen --period %s revives it): %w",
				p, is.Status, reason, p, newsletter.ErrConflict)
		}
		// A conflict here is another process having acted first: look
		// again and join whatever it did.
		if err != nil && !errors.Is(err, newsletter.ErrConflict) {
			return Result{}, err
		}
	}
	return Result{}, fmt.Errorf("issues: send %s: the issue kept changing status: %w", p, newsletter.ErrConflict)
}

// StartApproved starts every approved issue: the senders of a running
// `serve` call it on each poll, so an approval by any means starts the
// send within a poll. Several replicas may race; one wins, the others see
// the conflict and skip.
func (s *Service) StartApproved(ctx context.Context, actor string) (int, error) {
	list, err := s.store.ListIssues(ctx, newsletter.IssueApproved, 100)
	if err != nil {
		return 0, err
	}
	return s.each(ctx, list, actor, s.Start)
}

// RefreshStale renders again every draft whose items changed since it was
// last rendered, so a draft always shows its items as they are.
func (s *Service) RefreshStale(ctx context.Context, actor string) (int, error) {
	list, err := s.store.StaleDrafts(ctx)
	if err != nil {
		return 0, err
	}
	return s.each(ctx, list, actor, s.Refresh)
}

// each applies fn to every issue of list and counts those it changed. A
// conflict means another process acted first (or the issue moved on, an
// approval freezing a draft, say): it is left alone, not an error.
func (s *Service) each(ctx context.Context, list []newsletter.Issue, actor string,
	fn func(context.Context, newsletter.Period, string) (Result, error)) (int, error) {
	n := 0
	var errs []error
	for _, is := range list {
		_, err := fn(ctx, is.Period, actor)
		switch {
		case errors.Is(err, newsletter.ErrConflict):
		case err != nil:
			errs = append(errs, err)
		default:
			n++
		}
	}
	return n, errors.Join(errs...)
}

// Draft gives what the period's issue looks like now without storing
// anything: the frozen bytes of an approved or later issue, else the
// month's items rendered on the fly. Previews and test sends use it, so
// neither ever makes nor freezes an issue.
func (s *Service) Draft(ctx context.Context, p newsletter.Period) (newsletter.Issue, error) {
	is, err := s.store.IssueByPeriod(ctx, p)
	switch {
	case err == nil && newsletter.IssueFrozen(is.Status):
		return is, nil
	case err != nil && !errors.Is(err, newsletter.ErrNotFound):
		return newsletter.Issue{}, err
	}
	if err != nil {
		is = newsletter.Issue{Period: p}
	}
	c, _, err := s.freshContent(ctx, is)
	if err != nil {
		return newsletter.Issue{}, fmt.Errorf("issues: draft %s: %w", p, err)
	}
	if c.HTML == "" {
		return newsletter.Issue{}, fmt.Errorf("issues: draft %s: no published items in that month: %w", p, newsletter.ErrInvalid)
	}
	c.ID, c.Period, c.Status = is.ID, p, is.Status
	return *c, nil
}
