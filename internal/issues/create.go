package issues

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/enews/enews/internal/newsletter"
)

// Collection is the month's chosen items and the report on every item
// considered (newsletter.Select).
type Collection struct {
	Items  []newsletter.Item
	Report newsletter.InclusionReport
}

// Collect chooses the period's items, newest first: newsletter.Select over
// every item published within a day of the month, so the report shows the
// near misses too. The report's outcome is left to the caller.
func (s *Service) Collect(ctx context.Context, p newsletter.Period) (Collection, error) {
	start, end := p.Bounds(s.policy.Location)
	candidates, err := s.store.ItemsPublishedBetween(ctx, start.Add(-newsletter.CandidateWindow), end.Add(newsletter.CandidateWindow))
	if err != nil {
		return Collection{}, err
	}
	items, rep := newsletter.Select(p, s.policy.Location, candidates, s.policy.MaxItems)
	rep.MinItems = s.policy.MinItems
	return Collection{Items: items, Report: rep}, nil
}

// Inclusion is the report for period p as the issue would be made now,
// with the quiet-month decision, for `issue preview` and the API.
func (s *Service) Inclusion(ctx context.Context, p newsletter.Period, force bool) (newsletter.InclusionReport, error) {
	c, err := s.Collect(ctx, p)
	if err != nil {
		return newsletter.InclusionReport{}, err
	}
	skip, reason := newsletter.QuietMonth(len(c.Items), s.policy.MinItems, s.policy.SendQuietMonths, force)
	c.Report.Outcome = outcome(skip, reason)
	return c.Report, nil
}

// Report is why each item is in or out of period p's issue: the report kept
// with the bytes of a frozen issue (kept true), else the one of the month
// as it would be made now. An issue frozen before reports were kept gets
// the report of now, with kept false.
func (s *Service) Report(ctx context.Context, p newsletter.Period) (rep newsletter.InclusionReport, kept bool, err error) {
	is, err := s.store.IssueByPeriod(ctx, p)
	switch {
	case err == nil && newsletter.IssueFrozen(is.Status):
		rep, err := s.store.IssueInclusion(ctx, is.ID)
		if err == nil {
			return rep, true, nil
		}
		if !errors.Is(err, newsletter.ErrNotFound) {
			return newsletter.InclusionReport{}, false, err
		}
	case err != nil && !errors.Is(err, newsletter.ErrNotFound):
		return newsletter.InclusionReport{}, false, err
	}
	rep, err = s.Inclusion(ctx, p, false)
	return rep, false, err
}

func outcome(skip bool, reason string) string {
	if skip {
		return "skipped: " + reason
	}
	return "made: " + reason
}

// CreateOptions tune Create.
type CreateOptions struct {
	Actor string
	// Force makes an issue for a month that has not ended yet, and sends
	// a quiet month (fewer than MinItems items) rather than skip it.
	Force bool
}

// Create makes the period's issue, or returns the one that exists (created
// false): a second create, from any process, finds the first. The new issue
// is a draft holding the month's items, rendered; or, for a month without
// enough items, a skipped issue with its reason (Reopen revives it). A month
// that has not ended is refused unless opts.Force.
//
// This is the one way an issue comes to be: the scheduler, `issue create`
// and `issue send` all call it.
func (s *Service) Create(ctx context.Context, p newsletter.Period, opts CreateOptions) (newsletter.Issue, bool, error) {
	if opts.Actor == "" {
		return newsletter.Issue{}, false, fmt.Errorf("issues: create %s: %w: no actor", p, newsletter.ErrInvalid)
	}
	if is, err := s.store.IssueByPeriod(ctx, p); err == nil {
		return is, false, nil
	} else if !errors.Is(err, newsletter.ErrNotFound) {
		return newsletter.Issue{}, false, err
	}
	if _, end := p.Bounds(s.policy.Location); s.now().Before(end) && !opts.Force {
		return newsletter.Issue{}, false, fmt.Errorf("issues: create %s: the month has not ended (it ends %s); "+
			"use --force to make its issue now: %w", p, end.Format("2006-01-02 15:04 MST"), newsletter.ErrInvalid)
	}
	is, note, err := s.render(ctx, p, opts.Force)
	if err != nil {
		return newsletter.Issue{}, false, err
	}
	action := newsletter.ActionCreate
	if is.Status == newsletter.IssueSkipped {
		action = newsletter.ActionSkip
	}
	created, ok, err := s.store.CreateIssue(ctx, is, action, opts.Actor)
	if err != nil {
		return newsletter.Issue{}, false, fmt.Errorf("issues: create %s: %w", p, err)
	}
	if ok {
		s.log.Info("issue created", "period", p.String(), "issue", created.ID, "status", created.Status,
			"items", len(created.ItemIDs), "actor", opts.Actor, "note", note)
	}
	return created, ok, nil
}

// render collects the period and renders it, deciding the quiet-month
// policy: the issue it returns is a draft with its bytes, or skipped with
// its reason.
func (s *Service) render(ctx context.Context, p newsletter.Period, force bool) (newsletter.Issue, string, error) {
	c, err := s.Collect(ctx, p)
	if err != nil {
		return newsletter.Issue{}, "", err
	}
	for _, d := range c.Report.Items {
		if !d.In && strings.HasPrefix(d.Reason, "over content.max_items") {
			s.log.Warn("item left out of issue: over content.max_items", "period", p.String(), "item", d.ID, "title", d.Title)
		}
	}
	skip, reason := newsletter.QuietMonth(len(c.Items), s.policy.MinItems, s.policy.SendQuietMonths, force)
	c.Report.Outcome = outcome(skip, reason)
	if skip {
		return newsletter.Issue{Period: p, Status: newsletter.IssueSkipped, SkipReason: reason, Inclusion: &c.Report}, reason, nil
	}
	r, err := s.renderItems(p, c.Items)
	if err != nil {
		return newsletter.Issue{}, "", fmt.Errorf("issues: %w", err)
	}
	r.Period, r.Status, r.Inclusion = p, newsletter.IssueDraft, &c.Report
	return *r, reason, nil
}

// freshContent renders an issue's period as it is now, for refresh and
// reopen. A draft may hold no items: a reopened empty month waits for them.
func (s *Service) freshContent(ctx context.Context, is newsletter.Issue) (*newsletter.Issue, string, error) {
	c, err := s.Collect(ctx, is.Period)
	if err != nil {
		return nil, "", err
	}
	if len(c.Items) == 0 {
		c.Report.Outcome = "a draft waiting for items: no published items yet"
		return &newsletter.Issue{Inclusion: &c.Report}, "no published items yet", nil
	}
	out, err := s.renderItems(is.Period, c.Items)
	if err != nil {
		return nil, "", err
	}
	_, reason := newsletter.QuietMonth(len(c.Items), 0, true, true)
	c.Report.Outcome = outcome(false, reason)
	out.Inclusion = &c.Report
	return out, fmt.Sprintf("%d items", len(c.Items)), nil
}

// renderItems renders items as the email and the archive page body, the
// bytes an issue keeps.
func (s *Service) renderItems(p newsletter.Period, items []newsletter.Item) (*newsletter.Issue, error) {
	r, err := s.renderer.Render(p, items)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", p, err)
	}
	web, err := s.renderer.RenderWeb(p, items)
	if err != nil {
		return nil, fmt.Errorf("render %s for the web: %w", p, err)
	}
	out := &newsletter.Issue{Subject: r.Subject, Preheader: r.Preheader, HTML: r.HTML, Text: r.Text, WebHTML: web}
	for _, it := range items {
		out.ItemIDs = append(out.ItemIDs, it.ID)
	}
	return out, nil
}

// frozenContent is freshContent for an approval: the bytes it returns are
// the ones every subscriber gets, so an empty month cannot be approved.
func (s *Service) frozenContent(ctx context.Context, is newsletter.Issue) (*newsletter.Issue, string, error) {
	c, note, err := s.freshContent(ctx, is)
	if err == nil && c.HTML == "" {
		err = fmt.Errorf("no published items in that month, nothing to send: %w", newsletter.ErrInvalid)
	}
	return c, note, err
}
