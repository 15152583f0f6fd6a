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

// ApprovedStarter starts every approved issue (issues.Service): with it in
// the loop, an approval made anywhere starts its send within one idle wait.
type ApprovedStarter interface {
	StartApproved(ctx context.Context, actor string) (int, error)
}

// Worker is the long-running sender of `enews serve`: it keeps looking for
// issues in the sending state and works on each until nothing is claimable.
// Every replica runs one; they share the work through the ledger.
type Worker struct {
	engine  *Engine
	pending PendingLister
	starter ApprovedStarter
	links   *links.Links
	idle    time.Duration
}

// NewWorker wraps an engine; idle is how long to wait when there is no work.
func NewWorker(e *Engine, pending PendingLister, starter ApprovedStarter, l *links.Links, idle time.Duration) *Worker {
	if idle <= 0 {
		idle = time.Second
	}
	return &Worker{engine: e, pending: pending, starter: starter, links: l, idle: idle}
}

// Run works until ctx ends; a stop drains like Engine.Run.
func (w *Worker) Run(ctx context.Context) error {
	compiled := map[int64]*Compiled{}
	log := w.engine.log
	actor := "sender:" + w.engine.opts.Owner
	for ctx.Err() == nil {
		if n, err := w.starter.StartApproved(ctx, actor); err != nil && ctx.Err() == nil {
			log.Error("starting approved issues failed", "err", err)
		} else if n > 0 {
			log.Info("started approved issues", "count", n)
		}
		issues, err := w.pending.PendingIssues(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("listing issues to send failed", "err", err)
		}
		for _, is := range issues {
			c, ok := compiled[is.ID]
			// A reopened and approved again issue has new bytes.
			if !ok || c.Issue.ApprovedAt == nil || is.ApprovedAt == nil || !c.Issue.ApprovedAt.Equal(*is.ApprovedAt) {
				if c, err = CompileIssue(is, w.links); err != nil {
					log.Error("issue cannot be sent", "issue", is.ID, "period", is.Period.String(), "err", err)
					continue
				}
				compiled[is.ID] = c
			}
			sum, err := w.engine.Run(ctx, is, c, false)
			if err != nil {
				log.Error("sending failed", "issue", is.ID, "err", err)
				continue
			}
			if sum.Sent+sum.Failed+sum.Retried+sum.Skipped > 0 || sum.Done {
				log.Info("send pass", "issue", is.ID, "period", is.Period.String(), "sent", sum.Sent,
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
