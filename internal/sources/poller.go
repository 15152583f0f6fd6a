// Package sources fetches the feeds kept in the database on its own: every
// enabled source every poll interval, with a conditional GET, backing off a
// failing one without holding up the others, and all of them at once right
// before an issue is made.
package sources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/enews/enews/internal/clock"
	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// Store is what the poller needs of the database; *store.Store is the real one.
type Store interface {
	DueSources(ctx context.Context, now time.Time) ([]newsletter.Source, error)
	EnabledSources(ctx context.Context) ([]newsletter.Source, error)
	RecordSourceFetch(ctx context.Context, f newsletter.SourceFetch, st store.FetchState) (newsletter.Source, error)
	UpsertItems(ctx context.Context, items []newsletter.Item) (store.UpsertResult, error)
}

// Defaults for the optional settings.
const (
	DefaultPollInterval = time.Hour
	// firstBackoff is the wait after a source's first failure; it doubles
	// with each failure in a row, up to the poll interval.
	firstBackoff = time.Minute
	// checkEvery is how often Run looks for due sources.
	checkEvery = 10 * time.Second
)

// Config tunes a Poller.
type Config struct {
	PollInterval time.Duration   // between fetches of a healthy source; DefaultPollInterval when zero
	Content      content.Options // limits and defaults of each fetch (size, timeout, kind, summary)
	Now          func() time.Time
}

// Poller fetches sources into the items table.
type Poller struct {
	st      Store
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
}

// New makes a poller; metrics may be nil.
func New(st Store, cfg Config, log *slog.Logger, metrics *Metrics) *Poller {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Poller{st: st, cfg: cfg, log: log, metrics: metrics}
}

// Fetch fetches one source now, stores what it yields and records the
// fetch. The error is the fetch's failure, already recorded; a failure to
// record is returned too.
func (p *Poller) Fetch(ctx context.Context, src newsletter.Source) (newsletter.Source, error) {
	start := p.cfg.Now()
	opts := p.cfg.Content
	if src.DefaultKind != "" {
		opts.DefaultKind = src.DefaultKind
	}
	opts.IfNoneMatch, opts.IfModifiedSince = src.ETag, src.LastModified
	f := newsletter.SourceFetch{SourceID: src.ID, At: start}
	var st store.FetchState
	batch, fetchErr := content.Load(ctx, src.URL, opts)
	if fetchErr == nil && !batch.NotModified {
		res, err := p.st.UpsertItems(ctx, batch.Items)
		if err != nil {
			fetchErr = fmt.Errorf("store the items: %w", err)
		}
		f.New, f.Updated, f.Unchanged, f.Rejected = res.New, res.Updated, res.Unchanged, len(batch.Rejected)
	}
	f.Duration = p.cfg.Now().Sub(start)
	switch {
	case fetchErr != nil:
		if ctx.Err() != nil {
			return src, ctx.Err() // stopping: not the source's failure
		}
		f.Outcome, f.HTTPStatus, f.Error = newsletter.FetchFailed, content.HTTPStatus(fetchErr), fetchErr.Error()
		st.NextFetchAt = start.Add(p.backoff(src.Failures + 1))
	case batch.NotModified:
		f.Outcome, f.HTTPStatus = newsletter.FetchNotModified, batch.HTTPStatus
		st = store.FetchState{ETag: batch.ETag, LastModified: batch.LastModified, NextFetchAt: start.Add(p.cfg.PollInterval)}
	default:
		f.Outcome, f.HTTPStatus = newsletter.FetchFetched, batch.HTTPStatus
		st = store.FetchState{ETag: batch.ETag, LastModified: batch.LastModified, NextFetchAt: start.Add(p.cfg.PollInterval)}
	}
	p.metrics.fetched(f.Outcome)
	saved, err := p.st.RecordSourceFetch(ctx, f, st)
	if err != nil {
		// The database failed, not the source: not a *FetchError.
		return src, fmt.Errorf("sources: record fetch of %s (%s): %w", src.Name, f.Outcome, err)
	}
	log := p.log.With("source", src.Name, "url", src.URL, "outcome", f.Outcome, "http_status", f.HTTPStatus)
	if fetchErr != nil {
		log.Warn("source fetch failed", "err", fetchErr, "failures", saved.Failures, "next_fetch", st.NextFetchAt)
		return saved, &FetchError{Source: src.Name, Err: fetchErr}
	}
	log.Info("source fetched", "new", f.New, "updated", f.Updated, "unchanged", f.Unchanged, "rejected", f.Rejected)
	return saved, nil
}

// backoff is the wait after the nth failure in a row.
func (p *Poller) backoff(n int) time.Duration {
	d := firstBackoff
	for i := 1; i < n && d < p.cfg.PollInterval; i++ {
		d *= 2
	}
	return min(d, p.cfg.PollInterval)
}

// PollDue fetches every source that is due; a failing one never stops the
// others (its failure is recorded and logged by Fetch).
func (p *Poller) PollDue(ctx context.Context) error {
	due, err := p.st.DueSources(ctx, p.cfg.Now())
	if err != nil {
		return fmt.Errorf("sources: %w", err)
	}
	for _, src := range due {
		if _, err := p.Fetch(ctx, src); ctx.Err() != nil {
			return nil
		} else if err != nil && !isSourceFailure(err) {
			return err
		}
	}
	return nil
}

// Run polls due sources until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	for {
		if err := p.PollDue(ctx); err != nil {
			p.log.Error("polling sources failed; will retry", "err", err)
		}
		if !clock.Sleep(ctx, checkEvery) {
			return nil
		}
	}
}

// Failed names the sources that could not be fetched before an issue.
type Failed struct {
	Sources []string // "name: error"
}

func (f *Failed) Error() string {
	return "sources failed: " + strings.Join(f.Sources, "; ")
}

// FailedSources names the failed sources, each with its error.
func (f *Failed) FailedSources() []string { return f.Sources }

// CollectAll fetches every enabled source now, right before an issue is
// made, so the issue is built from what the sources say at that moment. It
// returns *Failed naming each source that failed; the others are stored.
func (p *Poller) CollectAll(ctx context.Context) error {
	all, err := p.st.EnabledSources(ctx)
	if err != nil {
		return fmt.Errorf("sources: %w", err)
	}
	var failed []string
	for _, src := range all {
		_, err := p.Fetch(ctx, src)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if !isSourceFailure(err) {
				return err
			}
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		return &Failed{Sources: failed}
	}
	return nil
}

// FetchError is a source's own failure, recorded in its history: it could
// not be reached, answered an HTTP error, or sent something unusable.
type FetchError struct {
	Source string
	Err    error
}

func (e *FetchError) Error() string { return "source " + e.Source + ": " + e.Err.Error() }

func (e *FetchError) Unwrap() error { return e.Err }

// isSourceFailure tells a source's own failure from a failure to record it.
func isSourceFailure(err error) bool {
	var fe *FetchError
	return errors.As(err, &fe)
}
