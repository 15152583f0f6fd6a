package delivery

import (
	"context"
	"time"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
)

// PendingLister finds the issues that are being sent.
type PendingLister interface {
	PendingIssues(ctx context.Context) ([]newsletter.Issue, error)
}

// Worker is the long-running sender of `enews serve`: it keeps looking for
// issues in the sending state and works on each until nothing is claimable.
// Every replica runs one; they share the work through the ledger.
type Worker struct {
	engine  *Engine
	pending PendingLister
	links   *links.Links
	idle    time.Duration
}

// NewWorker wraps an engine; idle is how long to wait when there is no work.
func NewWorker(e *Engine, pending PendingLister, l *links.Links, idle time.Duration) *Worker {
	if idle <= 0 {
		idle = time.Second
	}
	return &Worker{engine: e, pending: pending, links: l, idle: idle}
}

// Run works until ctx ends; a stop drains like Engine.Run.
func (w *Worker) Run(ctx context.Context) error {
	compiled := map[int64]*Compiled{}
	for ctx.Err() == nil {
		issues, err := w.pending.PendingIssues(ctx)
		if err != nil && ctx.Err() == nil {
			w.engine.log.Error("listing issues to send failed", "err", err)
		}
		for _, is := range issues {
			c, ok := compiled[is.ID]
			if !ok {
				if c, err = Compile(is, w.links); err != nil {
					w.engine.log.Error("issue cannot be sent", "issue", is.ID, "period", is.Period.String(), "err", err)
					continue
				}
				compiled[is.ID] = c
			}
			sum, err := w.engine.Run(ctx, is, c, false)
			if err != nil {
				w.engine.log.Error("sending failed", "issue", is.ID, "err", err)
				continue
			}
			if sum.Sent+sum.Failed+sum.Retried+sum.Skipped > 0 || sum.Done {
				w.engine.log.Info("send pass", "issue", is.ID, "period", is.Period.String(), "sent", sum.Sent,
					"retried", sum.Retried, "failed", sum.Failed, "skipped", sum.Skipped, "done", sum.Done)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.idle):
		}
	}
	return nil
}
