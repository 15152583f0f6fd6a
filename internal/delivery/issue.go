package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/newsletter"
)

// IssueStore is what issue creation needs of the store.
type IssueStore interface {
	PublishedInPeriod(ctx context.Context, p newsletter.Period, loc *time.Location) ([]newsletter.Item, error)
	CreateIssue(ctx context.Context, is newsletter.Issue) (newsletter.Issue, bool, error)
	IssueByPeriod(ctx context.Context, p newsletter.Period) (newsletter.Issue, error)
	StartSending(ctx context.Context, id int64) (int64, error)
}

// Policy is what decides an issue's first status.
type Policy struct {
	Location        *time.Location
	MaxItems        int
	MinItems        int
	SendQuietMonths bool // false: a month with fewer than MinItems is skipped
	RequireApproval bool
}

// Issues collects, renders and freezes issues.
type Issues struct {
	store    IssueStore
	renderer *digest.Renderer
	policy   Policy
	log      *slog.Logger
}

// NewIssues builds the issue service.
func NewIssues(st IssueStore, r *digest.Renderer, p Policy, log *slog.Logger) *Issues {
	return &Issues{store: st, renderer: r, policy: p, log: log}
}

// Collection is the month's items and those left out for exceeding MaxItems.
type Collection struct {
	Items    []newsletter.Item
	Overflow []newsletter.Item
}

// Collect returns the period's published items, newest first, cut at MaxItems.
func (s *Issues) Collect(ctx context.Context, p newsletter.Period) (Collection, error) {
	items, err := s.store.PublishedInPeriod(ctx, p, s.policy.Location)
	if err != nil {
		return Collection{}, err
	}
	c := Collection{Items: items}
	if s.policy.MaxItems > 0 && len(items) > s.policy.MaxItems {
		c.Items, c.Overflow = items[:s.policy.MaxItems], items[s.policy.MaxItems:]
	}
	return c, nil
}

// Render renders a collection without storing anything (preview).
func (s *Issues) Render(p newsletter.Period, c Collection) (digest.Rendered, error) {
	return s.renderer.Render(p, c.Items)
}

// Create freezes the period's issue, or returns the one that exists: a second
// create, from any process, finds the first. A quiet month is recorded as
// skipped with its reason unless force is set.
func (s *Issues) Create(ctx context.Context, p newsletter.Period, force bool) (newsletter.Issue, bool, error) {
	if is, err := s.store.IssueByPeriod(ctx, p); err == nil {
		return is, false, nil
	} else if !isNotFound(err) {
		return newsletter.Issue{}, false, err
	}
	c, err := s.Collect(ctx, p)
	if err != nil {
		return newsletter.Issue{}, false, err
	}
	for _, it := range c.Overflow {
		s.log.Warn("item left out of issue: over content.max_items", "period", p.String(), "item", it.ID, "title", it.Title)
	}
	is := newsletter.Issue{Period: p, Status: newsletter.IssueApproved}
	if s.policy.RequireApproval {
		is.Status = newsletter.IssueDraft
	}
	switch {
	case len(c.Items) == 0 && force:
		return newsletter.Issue{}, false, fmt.Errorf("delivery: issue %s: no published items in that month: %w", p, newsletter.ErrInvalid)
	case len(c.Items) == 0:
		is.Status, is.SkipReason = newsletter.IssueSkipped, "no published items in that month"
	case len(c.Items) < s.policy.MinItems && !s.policy.SendQuietMonths && !force:
		is.Status = newsletter.IssueSkipped
		is.SkipReason = fmt.Sprintf("quiet month: %d published items, content.min_items is %d", len(c.Items), s.policy.MinItems)
	}
	if is.Status != newsletter.IssueSkipped {
		r, err := s.renderer.Render(p, c.Items)
		if err != nil {
			return newsletter.Issue{}, false, fmt.Errorf("delivery: render issue %s: %w", p, err)
		}
		is.Subject, is.Preheader, is.HTML, is.Text = r.Subject, r.Preheader, r.HTML, r.Text
		for _, it := range c.Items {
			is.ItemIDs = append(is.ItemIDs, it.ID)
		}
	}
	created, ok, err := s.store.CreateIssue(ctx, is)
	if err == nil && ok {
		s.log.Info("issue created", "period", p.String(), "issue", created.ID, "status", created.Status, "items", len(created.ItemIDs))
	}
	return created, ok, err
}

// Start moves an approved issue to sending and fans it out to every active
// subscriber, in one transaction. An issue that is no longer approved gives
// an error wrapping newsletter.ErrConflict.
func (s *Issues) Start(ctx context.Context, is newsletter.Issue) error {
	added, err := s.store.StartSending(ctx, is.ID)
	if err != nil {
		return err
	}
	s.log.Info("issue sending", "period", is.Period.String(), "issue", is.ID, "deliveries", added)
	return nil
}
