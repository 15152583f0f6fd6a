package web

import (
	"context"
	"iter"
	"net/netip"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// Store is what the pages and the API need of the database; *store.Store
// is the real one.
type Store interface {
	SignUps
	SubscriberAdmin
	IssueReader
	SourceAdmin
	SelfService
	AuthenticateAPIToken(ctx context.Context, token string) (store.APIToken, error)
	AppendAudit(ctx context.Context, e newsletter.AuditEntry, ip netip.Addr) error
}

// SignUps are the changes the public pages make, each logging consent.
type SignUps interface {
	Subscribe(ctx context.Context, email, name string, c newsletter.Consent) (store.SubscribeResult, error)
	ConfirmSubscriber(ctx context.Context, id int64, sentAt time.Time, c newsletter.Consent) (newsletter.Subscriber, bool, error)
	UnsubscribeSubscriber(ctx context.Context, id int64, c newsletter.Consent) (newsletter.Subscriber, bool, error)
}

// SubscriberAdmin is the list as the admin API keeps it.
type SubscriberAdmin interface {
	AddSubscriber(ctx context.Context, sub newsletter.Subscriber, c newsletter.Consent) (newsletter.Subscriber, error)
	GetSubscriber(ctx context.Context, id int64) (newsletter.Subscriber, error)
	ListSubscribers(ctx context.Context, f store.SubscriberFilter) (store.SubscriberPage, error)
	UpdateSubscriber(ctx context.Context, id int64, name *string, attrs map[string]string) (newsletter.Subscriber, error)
	EraseSubscriber(ctx context.Context, id int64, c newsletter.Consent) error
	ConsentEvents(ctx context.Context, subscriberID int64) ([]newsletter.ConsentEvent, error)
	SubscriberDeliveries(ctx context.Context, id int64, limit int) ([]store.DeliveryRecord, error)
	ImportSubscribers(ctx context.Context, rows iter.Seq2[newsletter.Subscriber, error], p newsletter.ImportPolicy) (newsletter.ImportResult, error)
	ExportSubscribers(ctx context.Context, f store.ExportFilter, sink store.ExportSink) (int64, error)
}

// IssueReader reads issues for the archive and the API.
type IssueReader interface {
	IssueByPeriod(ctx context.Context, p newsletter.Period) (newsletter.Issue, error)
	ListIssues(ctx context.Context, status string, limit int) ([]newsletter.Issue, error)
	PublicNeighbours(ctx context.Context, p newsletter.Period) (prev, next newsletter.Period, hasPrev, hasNext bool, err error)
	IssueTransitions(ctx context.Context, issueID int64) ([]newsletter.IssueTransitionRecord, error)
	IssueBounceRates(ctx context.Context, issueID int64) (store.BounceRates, error)
	LatestIssueCheck(ctx context.Context, issueID int64) (store.IssueCheck, error)
}
